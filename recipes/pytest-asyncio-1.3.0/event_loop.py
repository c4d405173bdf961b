"""PA005, PA006, PA009: the event_loop fixture pytest-asyncio 1.0 removed (its parameter, user overrides of it)."""
from __future__ import annotations

import libcst as cst

from bot.analysis import walk
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from .config_keys import FIXTURE_SCOPE_KEY, TEST_SCOPE_KEY
from .loop_override import loop_fixture_for_sync_code
from .pytest_rule import PytestRule
from .suite import EVENT_LOOP
from .sync_fixture import loop_runs_to_await, loop_task_sets

_GET_RUNNING_LOOP = cst.parse_statement("event_loop = asyncio.get_running_loop()\n")
_SYNC_EVENT_LOOP_SUGGESTION = (
    "make it `async def` (and, for a fixture, decorate it with @pytest_asyncio.fixture), then use "
    "`loop = asyncio.get_running_loop()` / `await` instead of run_until_complete"
)
_OWN_TASK = cst.parse_expression("{asyncio.current_task()}")
_OVERRIDE = ("import asyncio\n\nimport pytest\n\n\n@pytest.fixture(scope=\"session\")\ndef event_loop():\n"
             "    loop = asyncio.new_event_loop()\n    yield loop\n    loop.close()\n")


def drop_parameter(params: cst.Parameters, name: str) -> cst.Parameters:
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


def parameter_count(params: cst.Parameters) -> int:
    return (len(params.posonly_params) + len(params.params) + len(params.kwonly_params)
            + isinstance(params.star_arg, cst.Param) + (params.star_kwarg is not None))


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def prepend_statement(body: cst.BaseSuite, statement: cst.BaseStatement) -> cst.BaseSuite:
    """`statement` first in the body, after its docstring; a one-line body becomes a block."""
    if isinstance(body, cst.SimpleStatementSuite):
        return cst.IndentedBlock(body=[statement, cst.SimpleStatementLine(body=body.body)])
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    at = 1 if statements and _is_docstring(statements[0]) else 0
    return body.with_changes(body=[*statements[:at], statement, *statements[at:]])


class EventLoopParameter(PytestRule):
    ID = "PA005"
    KIND = REWRITE
    MESSAGE = ("event_loop parameter of an async test or async fixture -> event_loop = asyncio.get_running_loop(); "
               "a sync fixture that only hands the loop on becomes async first (listed: its body now runs inside "
               "the loop)")
    APPLIED = "replaced the event_loop parameter of {n} async test(s)/fixture(s) with asyncio.get_running_loop()"
    VALID = [Valid({"tests/test_a.py": "import asyncio\n\n\nasync def test_a():\n"
                                       "    await asyncio.get_running_loop().run_in_executor(None, print)\n"}),
             Valid({"tests/helpers.py": "async def run(event_loop):\n    pass\n"}, name="not a test or fixture")]
    INVALID = [
        Invalid({"tests/test_a.py": "async def test_a(event_loop, tmp_path):\n"
                                    "    await event_loop.run_in_executor(None, print)\n"},
                after={"tests/test_a.py": "import asyncio\n\n\nasync def test_a(tmp_path):\n"
                                          "    event_loop = asyncio.get_running_loop()\n"
                                          "    await event_loop.run_in_executor(None, print)\n"}),
        Invalid({"tests/test_a.py": "async def test_a(tmp_path, event_loop):\n    assert tmp_path\n"},
                after={"tests/test_a.py": "async def test_a(tmp_path):\n    assert tmp_path\n"},
                name="unused in the body"),
        Invalid({"tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef bell(event_loop):\n"
                                      "    return Bell(event_loop)\n"},
                after={"tests/conftest.py": "import asyncio\n\nimport pytest\n\n\n@pytest.fixture\nasync def bell():\n"
                                            "    event_loop = asyncio.get_running_loop()\n"
                                            "    return Bell(event_loop)\n"},
                items=[("tests/conftest.py", 5)], name="a sync fixture that hands the loop on"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        file = self.pytest_file
        if not file.requests_event_loop(node):
            return
        if file.becomes_async(node):
            # 1.x has no loop fixture for sync code; the running loop of an async fixture is the one the tests use
            # (same scope rules).
            self.report_line(node.name, "sync fixture requested the event_loop fixture (removed in 1.0): it was made "
                                        "`async def` so it gets the running loop; its body now runs inside that loop"
                                        + self._made_async_inside(node),
                             "check that nothing in it (or in what it calls) blocks or starts an event loop"
                             + _ANNOTATION_HINT * _yields_with_annotation(node))
            self.replace(node, lambda updated: updated.with_changes(asynchronous=cst.Asynchronous()), count=0)
        elif node.asynchronous is None:
            return  # sync code has no replacement: PA009 lists it
        self.replace(node.params, lambda updated: drop_parameter(updated, EVENT_LOOP))
        if parameter_count(node.params) == 1:  # `(\n    event_loop,\n)` -> `()`, not `(\n    )`
            self.replace(node, lambda updated: updated.with_changes(whitespace_before_params=cst.SimpleWhitespace("")),
                         count=0)
        if any(isinstance(n, cst.Name) and n.value == EVENT_LOOP for n in walk(node.body)):
            self.replace(node.body, lambda updated: prepend_statement(updated, _GET_RUNNING_LOOP), count=0)
            self.imports.add("asyncio")


    def _made_async_inside(self, func: cst.FunctionDef) -> str:
        """Rewrites what the sync body did to the loop from outside into what it means from inside; says so."""
        runs, task_sets = loop_runs_to_await(func), loop_task_sets(func)
        for call in runs:
            self.replace(call, lambda updated: cst.Await(expression=updated.args[0].value), count=0)
        for call in task_sets:
            parent = self.parsed.parent(call)
            bare = (isinstance(parent, (cst.Assign, cst.AnnAssign, cst.Arg, cst.For))
                    or isinstance(parent, cst.BinaryOperation) and parent.left is call
                    and isinstance(parent.operator, cst.Subtract))
            self.replace(call, lambda updated, bare=bare: _without_own_task(updated, bare), count=0)
        done = []
        if runs:
            done.append(f"{EVENT_LOOP}.run_until_complete(x) became `await x` ({len(runs)}x)")
        if task_sets:
            done.append(f"asyncio.all_tasks({EVENT_LOOP}) leaves out the fixture's own task, which the sync code never "
                        f"saw ({len(task_sets)}x)")
        return "; " + "; ".join(done) if done else ""


_ANNOTATION_HINT = "; its return annotation still names a sync generator (make it AsyncGenerator / AsyncIterator)"


def _yields_with_annotation(func: cst.FunctionDef) -> bool:
    nested = {id(inner) for node in walk(func.body) if isinstance(node, (cst.FunctionDef, cst.Lambda))
              for inner in walk(node)}
    return func.returns is not None and any(isinstance(n, cst.Yield) and id(n) not in nested for n in walk(func.body))


def _without_own_task(call: cst.Call, bare: bool) -> cst.BaseExpression:
    """`call - {asyncio.current_task()}`, parenthesized unless it is a value, an argument, a loop's iterable or
    the left side of a subtraction (elsewhere it may be a receiver or an operand: `all_tasks(loop).copy()`)."""
    parens = {} if bare else {"lpar": [cst.LeftParen()], "rpar": [cst.RightParen()]}
    return cst.BinaryOperation(left=call, operator=cst.Subtract(), right=_OWN_TASK, **parens)


class EventLoopOverride(PytestRule):
    ID = "PA006"
    KIND = REWRITE
    MESSAGE = ("plain root-conftest event_loop override (new loop, yield, close) -> removed, its scope becomes "
               "asyncio_default_fixture_loop_scope and asyncio_default_test_loop_scope")
    APPLIED = "removed the plain event_loop override (its scope moved to the config)"
    AFTER = {"PA008": f"{TEST_SCOPE_KEY} is written below {FIXTURE_SCOPE_KEY}, and the note on the shared loop "
                      "follows the configuration's notes"}
    VALID = [Valid({"tests/api/conftest.py": _OVERRIDE, "tests/api/test_a.py": "async def test_a():\n    pass\n",
                    "tests/test_b.py": "async def test_b():\n    pass\n"},
                   name="an override for part of the suite (PA009 lists it)")]
    INVALID = [
        Invalid({"tests/conftest.py": _OVERRIDE + "\n\n@pytest.fixture\ndef name():\n    return 'api'\n",
                 "tests/test_a.py": "async def test_a():\n    pass\n"},
                after={"tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef name():\n    return 'api'\n",
                       "pytest.ini": f"[pytest]\n{TEST_SCOPE_KEY} = session\n"}),
        Invalid({"tests/conftest.py": _OVERRIDE.replace("loop = asyncio.new_event_loop()",
                                                        "loop = uvloop.new_event_loop()"),
                 "tests/test_a.py": "async def test_a():\n    pass\n"},
                after={"pytest.ini": f"[pytest]\n{TEST_SCOPE_KEY} = session\n"},
                name="a custom suite-wide override: kept (PA009 lists it), its loop lifetime moves"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        delete = self.loop_plan.delete
        if delete is not None and delete.node is node:
            self.remove(node)
            self.imports.remove_if_unused("asyncio")
            self.imports.remove_if_unused("pytest")

    def end_service(self) -> None:
        scope = self.loop_plan.loop_scope
        if scope in (None, "function"):
            return
        editor = self.config_editor
        if editor.get(TEST_SCOPE_KEY) is None:
            since = len(editor.edits)
            editor.set(TEST_SCOPE_KEY, scope)
            self.write_config(since, 1, f"set {TEST_SCOPE_KEY} = {scope} (one loop per {scope}, as the removed "
                                        "event_loop override did)")
        self.note(f"The event_loop override gave the suite one loop per {scope}; {TEST_SCOPE_KEY} and "
                  f"{FIXTURE_SCOPE_KEY} = {scope} keep it that way in 1.x.")


class EventLoopManual(PytestRule):
    ID = "PA009"
    KIND = MANUAL
    MESSAGE = ("manual: event_loop use with no mechanical 1.x equivalent (sync test or fixture, custom or nested "
               "override, usefixtures/getfixturevalue)")
    VALID = [Valid({"tests/conftest.py": _OVERRIDE, "tests/test_a.py": "async def test_a():\n    pass\n"},
                   name="a plain suite-wide override (PA006 removes it)")]
    INVALID = [
        Invalid({"tests/test_a.py": "import asyncio\n\n\ndef test_a(event_loop):\n"
                                    "    event_loop.run_until_complete(asyncio.sleep(0))\n"},
                items=[("tests/test_a.py", 4)], name="a sync test"),
        Invalid({"tests/test_a.py": "import pytest\n\n\n@pytest.mark.usefixtures('event_loop')\ndef test_a():\n"
                                    "    pass\n"}, items=[("tests/test_a.py", 4)], name="usefixtures"),
        Invalid({"tests/conftest.py": _OVERRIDE.replace("    yield loop\n", "    loop.set_debug(True)\n    yield loop\n"),
                 "tests/test_a.py": "async def test_a():\n    pass\n"},
                items=[("tests/conftest.py", 7)], name="a custom override"),
        Invalid({"tests/api/conftest.py": _OVERRIDE, "tests/api/test_a.py": "async def test_a():\n    pass\n",
                 "tests/test_b.py": "async def test_b():\n    pass\n"},
                items=[("tests/api/conftest.py", 7)], name="an override for part of the suite"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        file = self.pytest_file
        if file.needs_loop_fixture(node):
            kind = "fixture" if file.fixture(node) is not None else "test"
            self.report_line(node.name, f"sync {kind} requests the event_loop fixture, which pytest-asyncio 1.0 "
                                        "removed; there is no replacement fixture for sync code",
                             _SYNC_EVENT_LOOP_SUGGESTION)

    def visit_Call(self, node: cst.Call) -> None:
        if self.pytest_file.needs_loop_fixture(node):
            self.report_line(node, f"{node.func.attr.value}('event_loop'): pytest-asyncio 1.0 removed the event_loop "
                                   "fixture", "drop it; async code gets its loop from asyncio.get_running_loop(), "
                                              "and loop lifetime is set with loop_scope=")

    def end_service(self) -> None:
        for item in self.loop_plan.manual:
            self.report_at(item.file, item.line, item.old_code, item.reason, item.suggestion)


_LOOP_FIXTURE = '''@pytest.fixture
def event_loop():
    """The loop pytest-asyncio < 1.0 gave sync tests and fixtures; 1.0 removed it. Delete once they are async."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()
'''
_NEW_CONFTEST = "import asyncio\n\nimport pytest\n\n\n" + _LOOP_FIXTURE


class EventLoopForSyncCode(PytestRule):
    ID = "PA013"
    KIND = REWRITE
    MESSAGE = ("sync tests or fixtures that still drive the event_loop fixture keep one: a plain fixture like the one "
               "pytest-asyncio 0.21 provided goes to their conftest.py (listed), unless an override the recipe keeps "
               "provides it")
    APPLIED = "added the event_loop fixture pytest-asyncio 1.0 removed, for the sync code that still drives it"
    AFTER = {"PA007": "it reads the conftest.py it adds to as every other rule left it (PA007 may switch a mode there)"}
    _USES = {"tests/test_legacy.py": "import asyncio\n\n\ndef test_drives(event_loop):\n"
                                     "    assert event_loop.run_until_complete(asyncio.sleep(0, result=1)) == 1\n"}
    VALID = [Valid({**_USES, "tests/conftest.py": _OVERRIDE}, name="the suite's own override stays and provides it"),
             Valid({"tests/test_a.py": "async def test_a(event_loop):\n    pass\n"}, name="async code: PA005 rewrites it")]
    INVALID = [
        Invalid(_USES, after={"tests/conftest.py": _NEW_CONFTEST}, items=[("tests/conftest.py", 7)]),
        Invalid({**_USES, "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef name():\n    return 'api'\n"},
                after={"tests/conftest.py": "import asyncio\n\nimport pytest\n\n\n@pytest.fixture\ndef name():\n"
                                            "    return 'api'\n\n\n" + _LOOP_FIXTURE},
                items=[("tests/conftest.py", 12)], name="appended to the conftest.py there"),
    ]

    def end_service(self) -> None:
        plan = self.fact(loop_fixture_for_sync_code, self.run)
        if plan is None:
            return
        path = plan.conftest
        if path in self.analysis.files:
            if self.analysis.module(path) is None:
                return  # listed by PA011; its users stay listed by PA009
            with self.at(path):
                fixture = cst.parse_module(_LOOP_FIXTURE).body[0].with_changes(
                    leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
                self.replace(self.parsed.tree, lambda module: module.with_changes(body=[*module.body, fixture]))
                self.imports.add("asyncio")
                self.imports.add("pytest")
                text = self.run.file(path).edits.code()
        else:
            text = _NEW_CONFTEST
            self.set_text(path, text)
        line = text.splitlines().index("def event_loop():") + 1
        users = sorted({f"{p}:{self.analysis.module(p).line(node)}" for p, node in plan.users})
        self.report_at(path, line, "def event_loop():",
                       f"pytest-asyncio 1.0 removed the event_loop fixture that sync code still drives ({', '.join(users)}"
                       "; listed as PA009): this plain one, the fixture pytest-asyncio 0.21 provided, keeps it running",
                       "make that code async (asyncio.get_running_loop()), then delete this fixture")
