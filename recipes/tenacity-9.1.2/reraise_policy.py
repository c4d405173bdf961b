"""Where adding `reraise=True` (recipe option add_reraise) would change what callers observe.

reraise=True is not required by tenacity 9.x: exhaustion raises RetryError on 8.2.3 and 9.1.2 alike.
It replaces RetryError by the last exception, so any code that catches RetryError, reads
`.last_attempt`, or shapes exhaustion with retry_error_callback/retry_error_cls depends on it not
being there. Who catches a given function's RetryError cannot be traced reliably across calls, so
one such reference anywhere in the service blocks the option for the whole service.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import names
from .service_index import ServiceIndex, dotted_name, import_from_module, walk


@dataclass(frozen=True)
class Blocker:
    """Code that depends on RetryError at exhaustion, so reraise=True is not added."""

    file: str
    line: int
    what: str

    def describe(self) -> str:
        return f"{self.what} at {self.file}:{self.line}"


def find_blockers(index: ServiceIndex) -> list[Blocker]:
    blockers = []
    for parsed in index.relevant_modules():
        for node in parsed.of_type(cst.ImportFrom, cst.Name, cst.Attribute, cst.Arg):
            what = None
            if isinstance(node, cst.ImportFrom) and _imports_retry_error(parsed, node):
                what = "an import of RetryError"
            elif isinstance(node, (cst.Name, cst.Attribute)) and index.names_of(parsed, node) & names.RETRY_ERROR:
                what = "a reference to RetryError"
            elif isinstance(node, cst.Attribute) and node.attr.value == "last_attempt":
                what = "a read of .last_attempt"
            elif isinstance(node, cst.Attribute) and node.attr.value in names.EXHAUSTION_KEYWORDS:
                what = f"a use of {node.attr.value}"
            elif (isinstance(node, cst.Arg) and node.keyword is not None
                    and node.keyword.value in names.EXHAUSTION_KEYWORDS):
                what = f"{node.keyword.value}="
            if what is not None:
                blockers.append(Blocker(parsed.path, parsed.line(node), what))
    return sorted(set(blockers), key=lambda b: (b.file, b.line, b.what))


def site_refusal(index: ServiceIndex, parsed, call: cst.Call | None) -> str | None:
    """Why this one retry site cannot get reraise=True regardless of the rest of the service."""
    if call is None:
        return None
    for arg in call.args:
        if arg.star == "**":
            return "its keyword arguments come from **kwargs, which may already set reraise"
        if arg.keyword is None:
            return "it passes positional arguments; add reraise=True by hand if still wanted"
        if arg.keyword.value == "retry" and _mentions(index, parsed, arg.value, names.RESULT_PREDICATES):
            return ("it retries on results (retry_if_result): exhaustion without an exception still raises "
                    "RetryError with reraise=True, so the option would not make failures uniform")
    return None


def _mentions(index: ServiceIndex, parsed, expression: cst.CSTNode, targets: frozenset[str]) -> bool:
    return any(
        isinstance(node, (cst.Name, cst.Attribute)) and index.names_of(parsed, node) & targets
        for node in walk(expression)
    )


def _imports_retry_error(parsed, node: cst.ImportFrom) -> bool:
    if isinstance(node.names, cst.ImportStar):
        return False
    source = import_from_module(node, parsed.package)
    return any(f"{source}.{dotted_name(alias.name)}" in names.RETRY_ERROR for alias in node.names)
