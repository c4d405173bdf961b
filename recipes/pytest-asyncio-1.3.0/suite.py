"""What the rules know about the service's test suite: facts computed once per service run (`self.fact`).

- `suite(run)`: the configuration pytest reads for the service (bot.declared.pytest_config, found the way pytest finds
  it, also above the service), its asyncio mode, whether the migration is strict, and what pytest collects.
- `PytestFile`: one file as pytest sees it (fixtures, tests, marks), asked through bot.analysis's names, so
  `from pytest import fixture as f` and re-exports count and spelling does not.
- `may_need_changes`: the text prefilter of the files the rules read (most files never mention asyncio).
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Iterable

import libcst as cst

from bot.analysis import ParsedModule, dotted_name
from bot.declared.pytest_config import PytestConfig, locate

from .collection import Collection
from .config_keys import asyncio_mode
from .pytest_names import (
    ASYNCIO_MARK,
    OTHER_ASYNC_MARKS,
    FixtureDecorator,
    fixture_decorator,
    mark_names,
    parameter_names,
    pytestmark_values,
    string_value,
)
from .runtime_mode import MODE_OPTION, ModeAssignment, mode_assignments, runtime_mode
from .sync_fixture import can_become_async

if TYPE_CHECKING:
    from bot.change.engine import ServiceRun

MODES = ("strict", "auto")
EVENT_LOOP = "event_loop"
EVENT_LOOP_PARAMETER_RULE = "PA005"  # turns sync fixtures that only hand the loop on into async ones


@dataclass(frozen=True)
class Suite:
    """A service's test suite as pytest-asyncio sees it: configuration, mode and test modules."""

    config: PytestConfig
    mode: str  # the recipe option
    current_mode: str  # the mode the suite runs in today ("unknown": set at run time in a way the bot cannot read)
    collection: Collection
    test_modules: tuple[str, ...]  # the service's Python files pytest collects as test modules
    config_mode: str = "strict"  # the mode the configuration file sets (addopts, the ini key, or the default)
    runtime: tuple[ModeAssignment, ...] = ()  # `config.option.asyncio_mode = ...` in conftest.py hooks

    @property
    def strict(self) -> bool:
        """Mark every async test and move every async fixture to @pytest_asyncio.fixture: asked for, or the suite
        already runs in strict mode (then an unmarked async test is a silent skip on pytest 8.3)."""
        return self.mode == "strict" or self.current_mode != "auto"


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"option mode must be one of {', '.join(MODES)}, not {mode!r}")


def suite(run: "ServiceRun") -> Suite:
    mode = run.options.get("mode", "strict")
    check_mode(mode)
    config = locate(run.source.files)
    collection = Collection.from_config(config)
    tests = tuple(path for path in sorted(run.analysis.files) if collection.is_test_module(path))
    conftests = [path for path in run.analysis.files_mentioning(MODE_OPTION) if posixpath.basename(path) == "conftest.py"]
    runtime = mode_assignments(run.analysis.modules(conftests))
    config_mode = asyncio_mode(config)[0]
    return Suite(config, mode, runtime_mode(runtime) or config_mode, collection, tests, config_mode, runtime)


def may_need_changes(path: str, text: str, collection: Collection) -> bool:
    """Cheap text test: every rule needs an event_loop name, an asyncio marker call, a pytest_asyncio name,
    or an async def that is a test (in a test module) or a fixture."""
    if EVENT_LOOP in text or ".asyncio(" in text or "pytest_asyncio" in text:
        return True
    return "async def" in text and (collection.is_test_module(path) or "fixture" in text)


@dataclass(frozen=True)
class _Scope:
    """A class or function enclosing a test, as pytest collects it."""

    collectable: bool  # a class pytest collects tests from (a function never is)
    marks: frozenset[str]


class PytestFile:
    """One parsed file as pytest sees it; answers are computed on first use and kept for every rule."""

    def __init__(self, run: "ServiceRun", parsed: ParsedModule) -> None:
        self.run = run
        self.parsed = parsed
        self.collection = run.fact(suite, run).collection
        self.is_test_module = self.collection.is_test_module(parsed.path)
        # A sync fixture that only hands event_loop on becomes async only when the rule doing it runs.
        self.converts_sync_fixtures = EVENT_LOOP_PARAMETER_RULE in {r.ID for r in run.codemod.enabled_rules()}
        self._fixtures: dict[cst.FunctionDef, FixtureDecorator | None] = {}
        self._scopes: dict[cst.CSTNode, _Scope] = {}

    def names(self, node: cst.CSTNode) -> set[str]:
        return self.run.analysis.names_of(self.parsed, node)

    def line_text(self, node: cst.CSTNode) -> str:
        """The whole source line the node starts on (what a checklist item quotes)."""
        lines = self.parsed.text.splitlines()
        line = self.parsed.line(node)
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    # ----- fixtures and tests ------------------------------------------------------------------

    def fixture(self, func: cst.FunctionDef) -> FixtureDecorator | None:
        if func not in self._fixtures:
            self._fixtures[func] = fixture_decorator(func, self.names) if func.decorators else None
        return self._fixtures[func]

    def is_test(self, func: cst.FunctionDef) -> bool:
        """A function pytest collects as a test: in a test module, at module level or in collected test classes."""
        return (self.is_test_module and self.fixture(func) is None
                and all(scope.collectable for scope in self._enclosing(func))
                and self.collection.is_test_function(func.name.value))

    def requests_event_loop(self, func: cst.FunctionDef) -> bool:
        """A test or fixture with an `event_loop` parameter (the fixture pytest-asyncio 1.0 removed)."""
        return EVENT_LOOP in parameter_names(func.params) and (self.fixture(func) is not None or self.is_test(func))

    def needs_loop_fixture(self, node: cst.CSTNode) -> bool:
        """Sync code that still asks pytest for the event_loop fixture once migrated: a sync test or fixture taking
        it (one that cannot become async), or `usefixtures("event_loop")` / `getfixturevalue("event_loop")`."""
        if isinstance(node, cst.FunctionDef):
            return self.requests_event_loop(node) and not self.is_async(node)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            return (node.func.attr.value in ("usefixtures", "getfixturevalue")
                    and any(string_value(arg.value) == EVENT_LOOP for arg in node.args))
        return False

    def becomes_async(self, func: cst.FunctionDef) -> bool:
        """A sync fixture requesting event_loop whose body can run inside the loop: it becomes `async def`."""
        return (self.converts_sync_fixtures and func.asynchronous is None
                and EVENT_LOOP in parameter_names(func.params) and self.fixture(func) is not None
                and can_become_async(func, await_runs=self.run.fact(loop_runs_can_be_awaited, self.run)))

    def is_async(self, func: cst.FunctionDef) -> bool:
        """Async once migrated: `async def`, or a sync fixture that becomes one."""
        return func.asynchronous is not None or self.becomes_async(func)

    def needs_mark(self, func: cst.FunctionDef) -> bool:
        """No asyncio marker from the function, its classes or the module, and no other async plugin's mark."""
        marks = mark_names([d.decorator for d in func.decorators], self.names) | self.module_marks
        for scope in self._enclosing(func):
            marks |= scope.marks
        return ASYNCIO_MARK not in marks and not (marks & OTHER_ASYNC_MARKS)

    # ----- scopes: classes and functions around a node -----------------------------------------

    @cached_property
    def module_marks(self) -> frozenset[str]:
        return frozenset(mark_names(pytestmark_values(self.parsed.tree.body), self.names))

    def _enclosing(self, node: cst.CSTNode) -> list[_Scope]:
        return [self._scope(a) for a in self.parsed.ancestors(node) if isinstance(a, (cst.ClassDef, cst.FunctionDef))]

    def _scope(self, node: cst.CSTNode) -> _Scope:
        found = self._scopes.get(node)
        if found is None:
            if isinstance(node, cst.FunctionDef):
                found = _Scope(False, frozenset())
            else:
                collectable = (all(scope.collectable for scope in self._enclosing(node))
                               and self.collection.is_test_class(node.name.value) and not self._is_unittest_class(node))
                marks = mark_names([d.decorator for d in node.decorators], self.names)
                marks |= mark_names(pytestmark_values(node.body.body), self.names)
                found = _Scope(collectable, frozenset(marks))
            self._scopes[node] = found
        return found

    def _is_unittest_class(self, node: cst.ClassDef, seen: frozenset[str] = frozenset()) -> bool:
        """unittest classes are collected by unittest's rules, not pytest-asyncio's. A base class defined in this
        module is followed, its own bases read as written (`class Base(TestCase)`)."""
        for base in node.bases:
            name = (_first(self.names(base.value)) if not seen else "") or dotted_name(base.value)
            if not name:
                continue
            if name.startswith("unittest.") or name.split(".")[-1].endswith("TestCase"):
                return True
            local = self._module_class(name)
            if local is not None and local.name.value not in seen:
                if self._is_unittest_class(local, seen | {local.name.value}):
                    return True
        return False

    def _module_class(self, name: str) -> cst.ClassDef | None:
        """The top-level class of this module a base names (`Base`, or its absolute name)."""
        dotted = self.parsed.dotted
        short = name[len(dotted) + 1:] if dotted and name.startswith(dotted + ".") else name
        found = self.parsed.top_level.get(short)
        return found if isinstance(found, cst.ClassDef) else None


def _first(names: set[str]) -> str:
    return sorted(names)[0] if names else ""


def pytest_file(run: "ServiceRun", parsed: ParsedModule) -> PytestFile:
    return PytestFile(run, parsed)


def files_mentioning_event_loop(run: "ServiceRun") -> Iterable[PytestFile]:
    for path in run.codemod.files_to_read(run):
        parsed = run.analysis.module(path)
        if parsed is not None and EVENT_LOOP in parsed.text:
            yield run.fact(pytest_file, run, parsed)


def loop_runs_can_be_awaited(run: "ServiceRun") -> bool:
    """Whether a sync fixture that runs coroutines with `event_loop.run_until_complete(...)` may become an async one
    awaiting them: only when no sync code would be left needing the event_loop fixture (a sync test taking it,
    `usefixtures`/`getfixturevalue`, a fixture that cannot become async). That code would get a plain loop of its own
    (PA013), and what the fixture made in the tests' loop would then be used from another loop."""
    for file in files_mentioning_event_loop(run):
        for node in file.parsed.of_type(cst.Call, cst.FunctionDef):
            if isinstance(node, cst.Call) and file.needs_loop_fixture(node):
                return False
            if not (isinstance(node, cst.FunctionDef) and node.asynchronous is None
                    and EVENT_LOOP in parameter_names(node.params)):
                continue
            decorator = file.fixture(node)
            if decorator is None:
                if file.is_test(node):
                    return False
            elif (decorator.name or node.name.value) != EVENT_LOOP and not can_become_async(node, await_runs=True):
                return False
    return True
