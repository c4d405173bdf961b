"""The libcst rewrite of one Python file: markers, fixture decorators, loop scopes, event_loop."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import PositionProvider, QualifiedNameProvider

from bot.model import ManualItem

from . import imports, rules
from .collection import Collection
from .sync_fixture import can_become_async
from .pytest_names import (
    ASYNCIO_FIXTURE,
    ASYNCIO_MARK,
    OTHER_ASYNC_MARKS,
    PYTEST_FIXTURE,
    SCOPE_ORDER,
    WIDE_SCOPES,
    FixtureDecorator,
    fixture_decorator,
    keyword,
    mark_names,
    parameter_names,
    pytestmark_values,
    string_value,
)

EVENT_LOOP = "event_loop"
_GET_RUNNING_LOOP = cst.parse_statement("event_loop = asyncio.get_running_loop()\n")
_SYNC_EVENT_LOOP_SUGGESTION = (
    "make it `async def` (and, for a fixture, decorate it with @pytest_asyncio.fixture), then use "
    "`loop = asyncio.get_running_loop()` / `await` instead of run_until_complete"
)


@dataclass(frozen=True)
class FilePlan:
    path: str
    strict: bool  # mark async tests and move every async fixture to @pytest_asyncio.fixture
    collection: Collection
    first_party: frozenset[str] = frozenset()  # the service's own top-level modules (import grouping)
    delete_override_line: int | None = None  # `def` line of the event_loop override to remove
    suite_loop_scope: str | None = None  # the loop lifetime a suite-wide event_loop override gave everything


@dataclass
class FileOutcome:
    text: str
    counts: Counter = field(default_factory=Counter)
    manual: list[ManualItem] = field(default_factory=list)


@dataclass(frozen=True)
class _Scope:
    is_class: bool
    collectable: bool  # a test class pytest collects (functions are never collectable scopes)
    marks: frozenset[str] = frozenset()


def _is_unittest_base(name: str) -> bool:
    return name.startswith("unittest.") or name.split(".")[-1].endswith("TestCase")


def _drop_parameter(params: cst.Parameters, name: str) -> cst.Parameters:
    """Remove one parameter; when it was the last one, the new last one takes over its comma
    (none, or the trailing comma of a one-per-line signature)."""
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    removed = next(p for p in every if p.name.value == name)
    was_last = params.star_kwarg is None and every[-1] is removed and (
        removed in params.kwonly_params or not isinstance(params.star_arg, cst.Param))
    changes: dict[str, object] = {
        group: [p for p in getattr(params, group) if p is not removed]
        for group in ("posonly_params", "params", "kwonly_params")
    }
    star_arg = params.star_arg
    if not changes["kwonly_params"] and isinstance(star_arg, cst.ParamStar):
        star_arg = cst.MaybeSentinel.DEFAULT  # a bare `*` cannot end the signature
    changes["star_arg"] = star_arg
    params = params.with_changes(**changes)
    if not was_last:
        return params
    for group in ("kwonly_params", "star_arg", "params", "posonly_params"):
        value = getattr(params, group)
        if isinstance(value, cst.Param):
            return params.with_changes(star_arg=value.with_changes(comma=removed.comma))
        if isinstance(value, (list, tuple)) and value:
            return params.with_changes(**{group: [*value[:-1], value[-1].with_changes(comma=removed.comma)]})
    return params


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _prepend_statement(body: cst.BaseSuite, statement: cst.BaseStatement) -> cst.BaseSuite:
    if isinstance(body, cst.SimpleStatementSuite):
        return cst.IndentedBlock(body=[statement, cst.SimpleStatementLine(body=body.body)])
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    at = 1 if statements and _is_docstring(statements[0]) else 0
    return body.with_changes(body=[*statements[:at], statement, *statements[at:]])


def _uses_name(node: cst.CSTNode, name: str) -> bool:
    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found = False

        def visit_Name(self, n: cst.Name) -> None:
            self.found = self.found or n.value == name

    finder = Finder()
    node.visit(finder)
    return finder.found


class AsyncioRewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, plan: FilePlan, text: str) -> None:
        super().__init__()
        self.plan = plan
        self.needed_imports: set[str] = set()
        self.maybe_unused: set[tuple[str, str | None]] = set()  # (name, from-module) whose last use may be gone
        self.lines = text.splitlines()
        self.outcome = FileOutcome(text)
        self.is_test_module = plan.collection.is_test_module(plan.path)
        self._scopes: list[_Scope] = []
        self._module_marks: frozenset[str] = frozenset()
        self._module_classes: dict[str, list[str]] = {}  # top-level class -> dotted base names

    # ------------------------------------------------------------------ helpers
    def _names(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _manual(self, node: cst.CSTNode, rule: str, reason: str, suggestion: str | None = None) -> None:
        line = self._line(node)
        self.outcome.manual.append(ManualItem(self.plan.path, line, self.lines[line - 1].strip(),
                                              reason, rule, suggestion))

    def _is_unittest_class(self, bases: list[str], seen: frozenset[str] = frozenset()) -> bool:
        for base in bases:
            if _is_unittest_base(base):
                return True
            if base in self._module_classes and base not in seen:
                if self._is_unittest_class(self._module_classes[base], seen | {base}):
                    return True
        return False

    # ------------------------------------------------------------------ scopes
    def visit_Module(self, node: cst.Module) -> None:
        self._module_marks = frozenset(mark_names(pytestmark_values(node.body), self._names))
        for statement in node.body:
            if isinstance(statement, cst.ClassDef):
                self._module_classes[statement.name.value] = [
                    name for base in statement.bases if (name := get_full_name_for_node(base.value))]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self._qualified_or_dotted(base.value) for base in node.bases]
        enclosing_ok = all(scope.is_class and scope.collectable for scope in self._scopes)
        collectable = (enclosing_ok and self.plan.collection.is_test_class(node.name.value)
                       and not self._is_unittest_class([b for b in bases if b]))
        marks = mark_names([d.decorator for d in node.decorators], self._names)
        marks |= mark_names(pytestmark_values(node.body.body), self._names)
        self._scopes.append(_Scope(True, collectable, frozenset(marks)))

    def _qualified_or_dotted(self, node: cst.BaseExpression) -> str:
        qualified = self._names(node)
        return sorted(qualified)[0] if qualified else (get_full_name_for_node(node) or "")

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._scopes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(_Scope(False, False))

    # ------------------------------------------------------------------ functions
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.RemovalSentinel:
        self._scopes.pop()
        node = updated_node
        def_line = self._line(original_node.name)
        fixture = fixture_decorator(original_node, self._names)
        if fixture is not None and def_line == self.plan.delete_override_line:
            self.outcome.counts[rules.EVENT_LOOP_OVERRIDE] += 1
            self.maybe_unused |= {("asyncio", None), ("pytest", None)}
            return cst.RemovalSentinel.REMOVE
        is_async = original_node.asynchronous is not None
        is_test = (fixture is None and self.is_test_module
                   and all(scope.is_class and scope.collectable for scope in self._scopes)
                   and self.plan.collection.is_test_function(original_node.name.value))
        if EVENT_LOOP in parameter_names(original_node.params) and (is_test or fixture is not None):
            if fixture is not None and can_become_async(original_node):
                node = self._make_async_fixture(original_node, node)
                is_async = True
            node = self._event_loop_parameter(original_node, node, is_async, fixture)
        if fixture is not None and is_async:
            node = self._async_fixture(original_node, node, fixture)
        if is_test and is_async and self.plan.strict and self._needs_mark(original_node):
            node = node.with_changes(decorators=[cst.Decorator(cst.parse_expression(ASYNCIO_MARK)),
                                                 *node.decorators])
            self.needed_imports.add("pytest")
            self.outcome.counts[rules.MARK_ASYNC_TESTS] += 1
        return node

    def _needs_mark(self, func: cst.FunctionDef) -> bool:
        marks = set(mark_names([d.decorator for d in func.decorators], self._names)) | self._module_marks
        for scope in self._scopes:
            marks |= scope.marks
        return ASYNCIO_MARK not in marks and not (marks & OTHER_ASYNC_MARKS)

    def _make_async_fixture(self, original: cst.FunctionDef, node: cst.FunctionDef) -> cst.FunctionDef:
        """A sync fixture that only hands event_loop on becomes async: 1.x has no loop fixture for sync
        code, and the running loop of an async fixture is the one the tests use (same scope rules)."""
        self._manual(original.name, rules.EVENT_LOOP_PARAMETER,
                     "sync fixture requested the event_loop fixture (removed in 1.0): it was made `async def` so "
                     "it gets the running loop; its body now runs inside that loop",
                     "check that nothing in it (or in what it calls) blocks or starts an event loop")
        return node.with_changes(asynchronous=cst.Asynchronous())

    def _event_loop_parameter(self, original: cst.FunctionDef, node: cst.FunctionDef, is_async: bool,
                              fixture: FixtureDecorator | None) -> cst.FunctionDef:
        kind = "fixture" if fixture is not None else "test"
        if not is_async:
            self._manual(original.name, rules.EVENT_LOOP_MANUAL,
                         f"sync {kind} requests the event_loop fixture, which pytest-asyncio 1.0 removed; "
                         "there is no replacement fixture for sync code", _SYNC_EVENT_LOOP_SUGGESTION)
            return node
        node = node.with_changes(params=_drop_parameter(node.params, EVENT_LOOP))
        if _uses_name(original.body, EVENT_LOOP):
            node = node.with_changes(body=_prepend_statement(node.body, _GET_RUNNING_LOOP))
            self.needed_imports.add("asyncio")
        self.outcome.counts[rules.EVENT_LOOP_PARAMETER] += 1
        return node

    def _async_fixture(self, original: cst.FunctionDef, node: cst.FunctionDef,
                       fixture: FixtureDecorator) -> cst.FunctionDef:
        scope = fixture.scope
        if scope is None:
            self._manual(original.name, rules.DYNAMIC_FIXTURE_SCOPE,
                         "async fixture with a computed scope: pytest-asyncio 1.x runs it in the loop of "
                         "its loop_scope, which the bot cannot derive",
                         "add loop_scope= matching the widest scope the expression can return")
        needs_loop_scope = scope in WIDE_SCOPES and not fixture.has_loop_scope
        convert = fixture.qualified == PYTEST_FIXTURE and (self.plan.strict or needs_loop_scope or scope is None)
        if not (convert or needs_loop_scope):
            return node
        decorator = node.decorators[fixture.index]
        expr = decorator.decorator
        if convert:
            new_func = cst.parse_expression(ASYNCIO_FIXTURE)
            expr = expr.with_changes(func=new_func) if isinstance(expr, cst.Call) else new_func
            self.needed_imports.add("pytest_asyncio")
            target = fixture.call.func if fixture.call is not None else original.decorators[fixture.index].decorator
            dotted = get_full_name_for_node(target) or ""
            if "." in dotted:
                self.maybe_unused.add((dotted.split(".")[0], None))
            else:  # `from pytest import fixture`
                self.maybe_unused.add((dotted, "pytest"))
            self.outcome.counts[rules.ASYNCIO_FIXTURE_DECORATOR] += 1
        if needs_loop_scope:
            assert isinstance(expr, cst.Call) and fixture.scope_arg is not None
            expr = expr.with_changes(args=_append_keyword(expr, "loop_scope", self._loop_scope_arg(fixture)))
            self.outcome.counts[rules.FIXTURE_LOOP_SCOPE] += 1
        decorators = list(node.decorators)
        decorators[fixture.index] = decorator.with_changes(decorator=expr)
        return node.with_changes(decorators=decorators)

    def _loop_scope_arg(self, fixture: FixtureDecorator) -> cst.Arg:
        """The loop the fixture ran in before: its own scope's, unless a suite-wide event_loop override
        of a wider scope gave every fixture and test one shared loop (then tests share it too)."""
        arg, suite = fixture.scope_arg, self.plan.suite_loop_scope
        assert arg is not None and fixture.scope is not None
        if suite is None or SCOPE_ORDER.index(suite) <= SCOPE_ORDER.index(fixture.scope):
            return arg
        quote = arg.value.quote if isinstance(arg.value, cst.SimpleString) else '"'
        return arg.with_changes(value=cst.SimpleString(f"{quote}{suite}{quote}"))

    # ------------------------------------------------------------------ calls
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if ASYNCIO_MARK in self._names(original_node.func):
            return self._marker_scope(original_node, updated_node)
        func = original_node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("usefixtures", "getfixturevalue"):
            if any(string_value(arg.value) == EVENT_LOOP for arg in original_node.args):
                self._manual(original_node, rules.EVENT_LOOP_MANUAL,
                             f"{func.attr.value}('event_loop'): pytest-asyncio 1.0 removed the event_loop fixture",
                             "drop it; async code gets its loop from asyncio.get_running_loop(), "
                             "and loop lifetime is set with loop_scope=")
        return updated_node

    def _marker_scope(self, original: cst.Call, node: cst.Call) -> cst.Call:
        scope = keyword(original, "scope")
        if scope is None:
            return node
        if keyword(original, "loop_scope") is not None:
            self._manual(original, rules.MARKER_LOOP_SCOPE,
                         "asyncio marker passes both scope= and loop_scope= (a UsageError in 1.x)",
                         "keep only loop_scope=")
            return node
        args = [arg.with_changes(keyword=cst.Name("loop_scope"))
                if arg.keyword is not None and arg.keyword.value == "scope" else arg for arg in node.args]
        self.outcome.counts[rules.MARKER_LOOP_SCOPE] += 1
        return node.with_changes(args=args)


def _append_keyword(call: cst.Call, name: str, like: cst.Arg) -> list[cst.Arg]:
    """Append `name=<like's value>` after the last argument, keeping a one-per-line layout intact."""
    args = list(call.args)
    new = like.with_changes(keyword=cst.Name(name), comma=cst.MaybeSentinel.DEFAULT)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        # Trailing comma (one argument per line): the new argument takes the closing comma and
        # the previous last one gets the separator its predecessors use.
        new = new.with_changes(comma=last.comma)
        separator = (args[-2].comma if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma)
                     else last.comma.with_changes(whitespace_after=call.whitespace_before_args))
        args[-1] = last.with_changes(comma=separator)
    return [*args, new]


def rewrite_file(plan: FilePlan, wrapper: cst.MetadataWrapper, text: str) -> FileOutcome:
    """Rewrite one parsed file (`text` is its source, for manual items' line quotes). wrapper: the shared
    analysis's, whose tree is never changed in place (the rewriter returns a new one)."""
    rewriter = AsyncioRewriter(plan, text)
    module = wrapper.visit(rewriter)
    for name in sorted(rewriter.needed_imports):
        module = imports.add_import(module, name, plan.first_party)
    for name, source in sorted(rewriter.maybe_unused, key=str):
        module = imports.remove_unused_import(module, name, source)
    rewriter.outcome.text = module.code
    return rewriter.outcome
