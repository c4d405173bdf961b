"""Values from the Python side go into suggested SQL as `$name` query parameters, never into its text.

influxdb3-python 0.17.0: `client.query(query="... WHERE host = $host", query_parameters={"host": host})`
sends the values in the Flight ticket's `params`; the server binds them as values, so a migration never
turns an f-string Flux query into an SQL injection. Checked on DataFusion (InfluxDB 3's engine):
`$p` works for compared values, `IN ($a, $b)`, `LIMIT $n`, and `CAST($p AS INTERVAL | TIMESTAMP)`,
which is what a literal holding a placeholder becomes (an `INTERVAL '...'` literal cannot hold one).

Identifiers (table, tag and field names) cannot be parameters, so a placeholder inside one is refused.
Pure: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .flux_parser import PLACEHOLDER, UnsupportedFlux

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|__p\d+__""")
_TYPED_LITERAL = re.compile(r"\b(INTERVAL|TIMESTAMP)\s*$")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Parameter:
    """A query parameter replacing a placeholder-bearing literal of the SQL."""

    name: str
    text: str  # the value: a placeholder alone ("__p0__") or text holding placeholders ("__p1__ hours")


def parameterize(sql: str, expressions: list[str]) -> tuple[str, list[Parameter]]:
    """SQL with every placeholder-bearing literal or bare placeholder replaced by `$name`."""
    parameters: list[Parameter] = []
    pieces, position = [], 0
    for token in _TOKENS.finditer(sql):
        text = token.group()
        if not PLACEHOLDER.search(text):
            continue
        before = sql[position:token.start()]
        if text.startswith('"'):
            raise UnsupportedFlux("a table, tag or field name is built at run time (names cannot be query "
                                  "parameters; check the value against the known names before using it)")
        if text.startswith("'"):
            value = text[1:-1].replace("''", "'")
            typed = _TYPED_LITERAL.search(before)
            name = _name(value, expressions, parameters)
            if typed is not None:
                before = before[:typed.start()]
                replacement = f"CAST(${name} AS {typed.group(1)})"
            else:
                replacement = f"${name}"
        else:
            value = text
            name = _name(value, expressions, parameters)
            replacement = f"${name}"
        parameters.append(Parameter(name, value))
        pieces.extend([before, replacement])
        position = token.end()
    pieces.append(sql[position:])
    return "".join(pieces), parameters


def _name(value: str, expressions: list[str], taken: list[Parameter]) -> str:
    """The last identifier of the first expression in the value (`self._station` -> station), made unique."""
    first = PLACEHOLDER.search(value)
    words = _IDENTIFIER.findall(expressions[int(first.group()[3:-2])]) if first else []
    base = next((w.strip("_") for w in reversed(words) if w.strip("_") and w != "self"), "") or "value"
    used = {p.name for p in taken}
    name, counter = base, 2
    while name in used:
        name, counter = f"{base}{counter}", counter + 1
    return name
