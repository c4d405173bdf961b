"""Translate a *simple* Flux pipeline into the equivalent InfluxDB 3 SQL.

Simple means: from(bucket) |> range(start[, stop]) |> filter(...)* [|> pivot(_time/_field/_value)]
[|> sort(...)] [|> limit(...)] or a final last() / first() / mean(), with filters on _measurement,
_field, tags (==, != and `or` of == on one tag) and _value comparisons. Anything else raises
UnsupportedFlux with the reason, so the caller can say why no SQL is suggested.

Placeholders: callers that start from an f-string replace each `{expr}` by `__p<N>__` before
translating; placeholders may stand for a string's content, a number, or a duration's quantity
(`-__p0__h`) and come back unchanged in the SQL.

Pure: no I/O, no dependency beyond the standard library.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .flux_parser import PLACEHOLDER, Parser, UnsupportedFlux, tokenize

__all__ = ["PLACEHOLDER", "SqlTranslation", "UnsupportedFlux", "flux_to_sql"]


_DURATION_PART = re.compile(r"(\d+|__p\d+__)(mo|ms|us|µs|ns|y|w|d|h|m|s)")
_UNIT_NAMES = {
    "ns": "nanosecond", "us": "microsecond", "µs": "microsecond", "ms": "millisecond",
    "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year",
}
_COLUMN_OF_TIME = "_time"

PER_SERIES_CAVEAT = (
    "Flux applies {op} per series (one table per tag set and field); SQL applies it to the whole "
    "result. They agree when the filters select a single series; otherwise add GROUP BY / "
    "PARTITION BY on the tag columns."
)


@dataclass(frozen=True)
class SqlTranslation:
    """A Flux query translated to SQL, with what the translation could not carry over."""

    sql: str
    database: str  # the Flux bucket (may contain placeholders)
    measurement: str
    fields: tuple[str, ...]
    aggregate: str | None  # "mean" | "last" | "first" | None
    pivoted: bool
    caveats: tuple[str, ...] = ()


@dataclass
class _Query:
    """What a Flux pipeline selects, gathered while reading it."""

    bucket: str | None = None
    start: str | None = None
    stop: str | None = None
    measurement: str | None = None
    fields: list[str] | None = None
    conditions: list[str] = field(default_factory=list)
    equal_tags: list[str] = field(default_factory=list)
    value_conditions: list[tuple[str, str]] = field(default_factory=list)
    pivoted: bool = False
    order: list[tuple[str, bool]] | None = None  # (flux column, descending)
    limit: str | None = None
    offset: str | None = None
    aggregate: str | None = None
    per_series: list[str] = field(default_factory=list)  # Flux operations applied per series


def flux_to_sql(flux: str) -> SqlTranslation:
    calls = Parser(tokenize(flux)).pipeline()
    query = _Query()
    stage = -1  # -1: nothing yet, 0: from, 1: range/filter/pivot, 2: sort, 3: limit, 4: aggregate
    for name, args in calls:
        if name == "yield":
            continue
        if stage == 4:
            raise UnsupportedFlux(f"{name}() after {query.aggregate}()")
        handler = _STAGES.get(name)
        if handler is None:
            raise UnsupportedFlux(f"{name}() has no simple SQL equivalent")
        required_stage, function = handler
        if stage < 0 and name != "from":
            raise UnsupportedFlux("the pipeline does not start with from()")
        if required_stage < stage or (required_stage == 4 and stage > 1):
            raise UnsupportedFlux(f"{name}() after sort()/limit() changes the meaning")
        function(query, args)
        stage = max(stage, required_stage)
    return _render(query)


# --- pipeline stages ----------------------------------------------------------------------------

def _from(query: _Query, args: dict) -> None:
    if query.bucket is not None:
        raise UnsupportedFlux("more than one from()")
    query.bucket = _string_arg(args, "bucket")


def _range(query: _Query, args: dict) -> None:
    if query.start is not None:
        raise UnsupportedFlux("more than one range()")
    if "start" not in args:
        raise UnsupportedFlux("range() without start")
    query.start = _time_expression(args["start"])
    if "stop" in args:
        query.stop = _time_expression(args["stop"])


def _filter(query: _Query, args: dict) -> None:
    function = args.get("fn")
    if not (isinstance(function, tuple) and function[0] == "fn"):
        raise UnsupportedFlux("filter() without fn: (r) => ...")
    if query.pivoted:
        raise UnsupportedFlux("filter() after pivot()")
    _, row, body = function
    for term in _conjuncts(body):
        _apply_term(query, row, term)


def _pivot(query: _Query, args: dict) -> None:
    if (
        args.get("rowKey") != ["_time"]
        or args.get("columnKey") != ["_field"]
        or args.get("valueColumn") != ("string", "_value")
    ):
        raise UnsupportedFlux("pivot() other than rowKey _time / columnKey _field / valueColumn _value")
    query.pivoted = True


def _sort(query: _Query, args: dict) -> None:
    columns = args.get("columns", ["_value"])
    if not isinstance(columns, list) or not columns:
        raise UnsupportedFlux("sort() columns must be a list of names")
    descending = args.get("desc", ("ident", "false"))
    if descending not in (("ident", "true"), ("ident", "false")):
        raise UnsupportedFlux("sort(desc:) must be true or false")
    query.order = [(column, descending == ("ident", "true")) for column in columns]
    query.per_series.append("sort()")


def _limit(query: _Query, args: dict) -> None:
    query.limit = _integer_arg(args, "n")
    if "offset" in args:
        query.offset = _integer_arg(args, "offset")
    query.per_series.append("limit()")


def _aggregate(name: str):
    def apply(query: _Query, args: dict) -> None:
        if args:
            raise UnsupportedFlux(f"{name}() with arguments")
        if name == "mean" and query.pivoted:
            raise UnsupportedFlux("mean() after pivot()")
        query.aggregate = name
        query.per_series.append(f"{name}()")

    return apply


_STAGES = {
    "from": (0, _from),
    "range": (1, _range),
    "filter": (1, _filter),
    "pivot": (1, _pivot),
    "sort": (2, _sort),
    "limit": (3, _limit),
    "last": (4, _aggregate("last")),
    "first": (4, _aggregate("first")),
    "mean": (4, _aggregate("mean")),
}


# --- filter predicates --------------------------------------------------------------------------

def _conjuncts(expression) -> list:
    if expression[0] == "and":
        return [term for part in expression[1] for term in _conjuncts(part)]
    return [expression]


def _apply_term(query: _Query, row: str, term) -> None:
    if term[0] == "or":
        _apply_disjunction(query, row, term[1])
        return
    if term[0] != "cmp":
        raise UnsupportedFlux("filter predicate is not a comparison")
    column, operator, value = _comparison(row, term)
    if column == "_measurement":
        if operator != "==" or value[0] != "string":
            raise UnsupportedFlux("_measurement must be compared with == to a string")
        if query.measurement not in (None, value[1]):
            raise UnsupportedFlux("filters on two different measurements")
        query.measurement = value[1]
    elif column == "_field":
        if operator != "==" or value[0] != "string":
            raise UnsupportedFlux("_field must be compared with == to a string")
        _restrict_fields(query, [value[1]])
    elif column == "_value":
        if value[0] not in ("number", "placeholder"):
            raise UnsupportedFlux("_value compared with a non-number")
        query.value_conditions.append((operator, value[1]))
    elif column.startswith("_"):
        raise UnsupportedFlux(f"filter on {column}")
    else:
        if operator not in ("==", "!=") or value[0] != "string":
            raise UnsupportedFlux(f"tag {column} compared with {operator} or a non-string")
        sql_operator = "=" if operator == "==" else "<>"
        query.conditions.append(f"{_identifier(column)} {sql_operator} {_string(value[1])}")
        if operator == "==" and column not in query.equal_tags:
            query.equal_tags.append(column)


def _apply_disjunction(query: _Query, row: str, parts) -> None:
    comparisons = []
    for part in parts:
        if part[0] != "cmp":
            raise UnsupportedFlux("`or` of something other than comparisons")
        comparisons.append(_comparison(row, part))
    columns = {column for column, _, _ in comparisons}
    if len(columns) != 1 or any(op != "==" or value[0] != "string" for _, op, value in comparisons):
        raise UnsupportedFlux("`or` across different columns or with operators other than ==")
    column = columns.pop()
    values = [value[1] for _, _, value in comparisons]
    if column == "_field":
        _restrict_fields(query, values)
    elif column.startswith("_"):
        raise UnsupportedFlux(f"`or` on {column}")
    else:
        listed = ", ".join(_string(value) for value in values)
        query.conditions.append(f"{_identifier(column)} IN ({listed})")


def _restrict_fields(query: _Query, fields: list[str]) -> None:
    if query.fields is None:
        query.fields = list(dict.fromkeys(fields))
        return
    kept = [name for name in query.fields if name in fields]
    if not kept:
        raise UnsupportedFlux("filters select disjoint fields (empty result)")
    query.fields = kept


def _comparison(row: str, term) -> tuple[str, str, tuple[str, str]]:
    _, left, operator, right = term
    if left[0] != "column" or left[1] != row:
        raise UnsupportedFlux("comparison does not start with the row's column")
    if operator in ("=~", "!~"):
        raise UnsupportedFlux("regular-expression filters")
    return left[2], operator, right


# --- rendering ----------------------------------------------------------------------------------

def _render(query: _Query) -> SqlTranslation:
    if query.bucket is None:
        raise UnsupportedFlux("no from(bucket: ...)")
    if query.start is None:
        raise UnsupportedFlux("no range()")
    if query.measurement is None:
        raise UnsupportedFlux("no _measurement filter: SQL needs a table")
    fields = tuple(query.fields or ())
    if query.value_conditions and len(fields) != 1:
        raise UnsupportedFlux("_value filter without exactly one _field")

    where = [f"time >= {query.start}"]
    if query.stop is not None:
        where.append(f"time < {query.stop}")
    where.extend(query.conditions)
    for operator, number in query.value_conditions:
        where.append(f"{_identifier(fields[0])} {'<>' if operator == '!=' else operator.replace('==', '=')} {number}")

    if query.aggregate == "mean":
        if not fields:
            raise UnsupportedFlux("mean() without a _field filter")
        select = ", ".join(f"AVG({_identifier(name)}) AS {_identifier(name)}" for name in fields)
    elif fields:
        select = ", ".join(["time", *(_identifier(tag) for tag in query.equal_tags), *map(_identifier, fields)])
        if len(fields) == 1:
            where.append(f"{_identifier(fields[0])} IS NOT NULL")
        else:
            where.append("(" + " OR ".join(f"{_identifier(name)} IS NOT NULL" for name in fields) + ")")
    else:
        select = "*"

    order = _order_by(query, fields)
    limit = query.limit
    if query.aggregate in ("last", "first"):
        order = "time DESC" if query.aggregate == "last" else "time ASC"
        limit = "1"

    sql = f"SELECT {select} FROM {_identifier(query.measurement)} WHERE {' AND '.join(where)}"
    if order:
        sql += f" ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {limit}"
    if query.offset is not None:
        sql += f" OFFSET {query.offset}"
    return SqlTranslation(
        sql=sql,
        database=query.bucket,
        measurement=query.measurement,
        fields=fields,
        aggregate=query.aggregate,
        pivoted=query.pivoted,
        caveats=(PER_SERIES_CAVEAT.format(op=" and ".join(dict.fromkeys(query.per_series))),)
        if query.per_series else (),
    )


def _order_by(query: _Query, fields: tuple[str, ...]) -> str | None:
    if query.aggregate == "mean":
        return None
    if query.order is None:
        return "time"  # Flux returns each series sorted by time; SQL has no implicit order
    parts = []
    for column, descending in query.order:
        if column == _COLUMN_OF_TIME:
            name = "time"
        elif column == "_value":
            if len(fields) != 1:
                raise UnsupportedFlux("sort on _value without exactly one _field")
            name = _identifier(fields[0])
        elif column.startswith("_"):
            raise UnsupportedFlux(f"sort on {column}")
        else:
            name = _identifier(column)
        parts.append(f"{name} DESC" if descending else name)
    return ", ".join(parts)


def _time_expression(value: tuple[str, str]) -> str:
    kind, text = value
    if kind == "duration":
        sign = "-" if text.startswith("-") else "+"
        parts = _DURATION_PART.findall(text.lstrip("-"))
        interval = " ".join(
            f"{amount} {_UNIT_NAMES[unit]}{'' if amount == '1' else 's'}" for amount, unit in parts
        )
        return f"now() {sign} INTERVAL '{interval}'"
    if kind == "time":
        return f"TIMESTAMP '{text}'"
    if kind == "call" and text == "now":
        return "now()"
    raise UnsupportedFlux("range() bound is not a duration, a time or now()")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _string_arg(args: dict, name: str) -> str:
    value = args.get(name)
    if not (isinstance(value, tuple) and value[0] == "string"):
        raise UnsupportedFlux(f"{name}: must be a string")
    return value[1]


def _integer_arg(args: dict, name: str) -> str:
    value = args.get(name)
    if isinstance(value, tuple) and value[0] == "placeholder":
        return value[1]
    if not (isinstance(value, tuple) and value[0] == "number" and value[1].lstrip("-").isdigit()):
        raise UnsupportedFlux(f"{name}: must be an integer")
    return value[1]
