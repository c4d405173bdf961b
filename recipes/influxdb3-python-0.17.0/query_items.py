"""Manual-item text for a Flux query site: the suggested SQL call and the consumer change."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .flux_sql import PLACEHOLDER, SqlTranslation, UnsupportedFlux, flux_to_sql
from .sql_parameters import parameterize

BASE_REASON = (
    "InfluxDB 3 does not run Flux and InfluxDBClient3 has no query_api(): the query must be "
    "rewritten in SQL (or InfluxQL) and its consumer adapted to the new result shape."
)


@dataclass(frozen=True)
class QueryAdvice:
    """What to write instead of a v2 query call, or why nothing can be suggested."""

    suggestion: str | None
    reason: str


def advise(method: str, client_code: str | None, target_code: str | None,
           flux: tuple[str, list[str]] | None) -> QueryAdvice:
    """method: the v2 QueryApi method; target_code: what precedes the call ("tables =", "return");
    flux: (text with __pN__ placeholders, the expression behind each)."""
    if flux is None:
        return QueryAdvice(None, f"{BASE_REASON} No SQL suggested: the Flux text is built at run time. "
                                 f"{_consumer(method, None)}")
    text, expressions = flux
    try:
        translation = flux_to_sql(text)
        parameterize(translation.sql, expressions)  # refuses names built at run time
    except UnsupportedFlux as why:
        return QueryAdvice(None, f"{BASE_REASON} No SQL suggested: {why}. {_consumer(method, None)}")
    call = _call(method, client_code or "client", translation, expressions)
    suggestion = f"{target_code} {call}" if target_code else call
    suggestion += "\n# consumer: " + _consumer(method, translation)
    reason = BASE_REASON
    if translation.caveats:
        reason += " " + " ".join(translation.caveats)
    return QueryAdvice(suggestion, reason)


def _call(method: str, client_code: str, translation: SqlTranslation, expressions: list[str]) -> str:
    sql, parameters = parameterize(translation.sql, expressions)
    arguments = [f"query={_quoted(sql, prefix='')}",
                 f"database={_python_value(translation.database, expressions)}"]
    if parameters:
        values = ", ".join(f'"{p.name}": {_python_value(p.text, expressions)}' for p in parameters)
        arguments.append(f"query_parameters={{{values}}}")
    if method in ("query_data_frame", "query_data_frame_stream"):
        arguments.append('mode="pandas"')
    return f"{client_code}.query({', '.join(arguments)})"


def _consumer(method: str, translation: SqlTranslation | None) -> str:
    if method in ("query_data_frame", "query_data_frame_stream"):
        return ("The result is a wide pandas DataFrame (columns time, the tags, one column per field) "
                "instead of Flux's long frame (result, table, _time, _field, _value); needs "
                "influxdb3-python[pandas].")
    if method in ("query_csv", "query_raw"):
        return ("The result is a pyarrow.Table, not CSV text: serialise it with "
                "pyarrow.csv.write_csv or table.to_pandas().to_csv() where CSV is needed.")
    field = translation.fields[0] if translation and len(translation.fields) == 1 else "<field>"
    if translation is not None and translation.aggregate == "mean":
        return (f'The result is a pyarrow.Table with one row: value = table.column("{field}")[0].as_py() '
                "instead of reading record.get_value() from the FluxTables.")
    if translation is not None and translation.aggregate in ("last", "first"):
        return ("The result is a pyarrow.Table with at most one row: rows = table.to_pylist(); "
                f'value = rows[0]["{field}"] if rows else None, instead of record.get_value().')
    if translation is not None and translation.pivoted:
        return ("The result is a pyarrow.Table already pivoted like the Flux result: iterate "
                'table.to_pylist() and read row["<field>"], row["time"] instead of record["_time"].')
    return ("The result is a pyarrow.Table with one row per timestamp and series (columns time, the "
            "tags, one column per field), not FluxTables of FluxRecords: iterate table.to_pylist() "
            f'and read row["{field}"] for record.get_value(), row["time"] for record.get_time(), '
            'row["<tag>"] for record["<tag>"]; the field name is the column (no get_field()).')


def _python_value(text: str, expressions: list[str]) -> str:
    whole = PLACEHOLDER.fullmatch(text)
    if whole:
        return expressions[int(text[3:-2])]
    return _python_string(text, expressions)


def _python_string(text: str, expressions: list[str]) -> str:
    if not PLACEHOLDER.search(text):
        return _quoted(text, prefix="")
    body = text.replace("{", "{{").replace("}", "}}")
    body = re.sub(r"__p(\d+)__", lambda m: "{" + expressions[int(m.group(1))] + "}", body)
    return _quoted(body, prefix="f")


def _quoted(body: str, prefix: str) -> str:
    if '"' not in body:
        return f'{prefix}"{body}"'
    if "'" not in body:
        return f"{prefix}'{body}'"
    if '"""' not in body and not body.endswith('"'):
        return f'{prefix}"""{body}"""'
    return prefix + repr(body)
