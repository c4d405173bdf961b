"""Recognising pytest / pytest-asyncio decorators and marks by the absolute names bot.analysis resolves
(`names(node)`: ServiceAnalysis.names_of for the current file)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import libcst as cst

QualifiedNames = Callable[[cst.CSTNode], set[str]]

PYTEST_FIXTURE = "pytest.fixture"
ASYNCIO_FIXTURE = "pytest_asyncio.fixture"
ASYNCIO_MARK = "pytest.mark.asyncio"
# Async tests that belong to another plugin: strict mode exists precisely to leave them alone.
OTHER_ASYNC_MARKS = frozenset({"pytest.mark.anyio", "pytest.mark.trio", "pytest.mark.curio"})
WIDE_SCOPES = ("class", "module", "package", "session")
SCOPE_ORDER = ("function", *WIDE_SCOPES)  # narrowest first


def string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


@dataclass(frozen=True)
class FixtureDecorator:
    """A pytest or pytest_asyncio fixture decorator on a function."""

    index: int  # position among the function's decorators
    qualified: str  # PYTEST_FIXTURE or ASYNCIO_FIXTURE
    call: cst.Call | None  # None for the bare decorator
    scope_arg: cst.Arg | None
    name: str | None  # the literal name= given, if any

    @property
    def scope(self) -> str | None:
        """The literal scope; "function" when absent; None when not a literal."""
        if self.scope_arg is None:
            return "function"
        return string_value(self.scope_arg.value)

    @property
    def has_loop_scope(self) -> bool:
        return self.call is not None and keyword(self.call, "loop_scope") is not None


def fixture_decorator(func: cst.FunctionDef, names: QualifiedNames) -> FixtureDecorator | None:
    for index, decorator in enumerate(func.decorators):
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        target = call.func if call is not None else expr
        found = names(target) & {PYTEST_FIXTURE, ASYNCIO_FIXTURE}
        if not found:
            continue
        scope_arg = keyword(call, "scope") if call is not None else None
        name_arg = keyword(call, "name") if call is not None else None
        return FixtureDecorator(index, found.pop(), call, scope_arg,
                                string_value(name_arg.value) if name_arg is not None else None)
    return None


def mark_names(expressions: Iterable[cst.BaseExpression], names: QualifiedNames) -> set[str]:
    """Qualified names of the marks in decorators or a `pytestmark` value (a mark or a list of marks)."""
    found: set[str] = set()
    for expr in expressions:
        if isinstance(expr, (cst.List, cst.Tuple)):
            found |= mark_names((element.value for element in expr.elements), names)
            continue
        found |= names(expr.func if isinstance(expr, cst.Call) else expr)
    return {name for name in found if name.startswith("pytest.mark.")}


def pytestmark_values(body: Iterable[cst.CSTNode]) -> list[cst.BaseExpression]:
    """Values assigned to `pytestmark` among the given statements (module or class body)."""
    values = []
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == "pytestmark" for t in small.targets
            ):
                values.append(small.value)
            elif (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
                  and small.target.value == "pytestmark" and small.value is not None):
                values.append(small.value)
    return values


def parameter_names(params: cst.Parameters) -> list[str]:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return [param.name.value for param in every]
