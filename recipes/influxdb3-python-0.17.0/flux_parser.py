"""Lexer and parser for the small Flux subset flux_sql translates (one pipeline of calls).

Values come back as (kind, text) tuples; filter functions as ("fn", row, predicate) where the
predicate is ("cmp", left, op, right), ("and", [...]) or ("or", [...]). Anything outside the subset
raises UnsupportedFlux.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"__p\d+__")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<pipe>\|>)
  | (?P<arrow>=>)
  | (?P<op>==|!=|>=|<=|=~|!~|<|>)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<time>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))
  | (?P<duration>-?(?:(?:\d+|__p\d+__)(?:mo|ms|us|µs|ns|y|w|d|h|m|s))+(?![A-Za-z0-9_]))
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()\[\]{}:,.])
    """,
    re.VERBOSE,
)


class UnsupportedFlux(ValueError):
    """The query is not in the simple subset; the message says which part."""


@dataclass(frozen=True)
class _Token:
    """One token of a Flux query."""

    kind: str
    text: str


def tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise UnsupportedFlux(f"cannot read Flux near {text[position:position + 20]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind != "ws":
            tokens.append(_Token(kind, match.group()))
    return tokens


class Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind and token.kind != kind) or (text and token.text != text):
            found = token.text if token else "end of query"
            raise UnsupportedFlux(f"unexpected {found!r} in Flux")
        self.position += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (text is None or token.text == text)

    def pipeline(self) -> list[tuple[str, dict]]:
        calls = [self.call()]
        while self.at("pipe"):
            self.take("pipe")
            calls.append(self.call())
        if self.peek() is not None:
            raise UnsupportedFlux("more than one statement (variables, imports or several queries)")
        return calls

    def call(self) -> tuple[str, dict]:
        name = self.take("ident").text
        self.take("punct", "(")
        args: dict = {}
        while not self.at("punct", ")"):
            key = self.take("ident").text
            self.take("punct", ":")
            args[key] = self.value()
            if not self.at("punct", ")"):
                self.take("punct", ",")
        self.take("punct", ")")
        return name, args

    def value(self):
        token = self.peek()
        if token is None:
            raise UnsupportedFlux("unexpected end of Flux")
        if token.kind == "punct" and token.text == "(":
            return self.function()
        if token.kind == "punct" and token.text == "[":
            return self.list_value()
        if token.kind == "ident" and self.peek(1) is not None and self.peek(1).text == "(":
            self.take()
            self.take("punct", "(")
            self.take("punct", ")")
            return ("call", token.text)
        return self.scalar()

    def list_value(self) -> list:
        self.take("punct", "[")
        items = []
        while not self.at("punct", "]"):
            item = self.scalar()
            if item[0] != "string":
                raise UnsupportedFlux("lists of anything but strings")
            items.append(item[1])
            if not self.at("punct", "]"):
                self.take("punct", ",")
        self.take("punct", "]")
        return items

    def scalar(self) -> tuple[str, str]:
        token = self.take()
        if token.kind == "string":
            return ("string", _unquote(token.text))
        if token.kind == "ident" and PLACEHOLDER.fullmatch(token.text):
            return ("placeholder", token.text)
        if token.kind in ("number", "duration", "time", "ident"):
            return (token.kind, token.text)
        raise UnsupportedFlux(f"unexpected {token.text!r} in Flux")

    def function(self):
        self.take("punct", "(")
        row = self.take("ident").text
        self.take("punct", ")")
        self.take("arrow")
        return ("fn", row, self.disjunction())

    def disjunction(self):
        parts = [self.conjunction()]
        while self.at("ident", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self):
        parts = [self.primary()]
        while self.at("ident", "and"):
            self.take()
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def primary(self):
        if self.at("ident", "not"):
            raise UnsupportedFlux("`not` in a filter")
        if self.at("ident", "exists"):  # valid Flux: name it, never report it as a parse error
            raise UnsupportedFlux("`exists` in a filter (SQL would be an IS NOT NULL test, not translated)")
        if self.at("punct", "("):
            self.take()
            inner = self.disjunction()
            self.take("punct", ")")
            return inner
        left = self.operand()
        operator = self.take("op").text
        right = self.operand()
        return ("cmp", left, operator, right)

    def operand(self):
        token = self.peek()
        if token is not None and token.kind == "ident" and self.peek(1) is not None:
            following = self.peek(1)
            if following.text == ".":
                row = self.take().text
                self.take("punct", ".")
                return ("column", row, self.take("ident").text)
            if following.text == "[":
                row = self.take().text
                self.take("punct", "[")
                name = self.take("string").text
                self.take("punct", "]")
                return ("column", row, _unquote(name))
        return self.scalar()


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
