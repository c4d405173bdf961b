"""PA002, PA003, PA010: async fixtures (the decorator strict mode needs, the loop they run in)."""
from __future__ import annotations

import libcst as cst

from bot.analysis import dotted_name
from bot.change.edit_plan import append_argument
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from .pytest_names import ASYNCIO_FIXTURE, PYTEST_FIXTURE, SCOPE_ORDER, WIDE_SCOPES, FixtureDecorator
from .pytest_rule import PytestRule

_AUTO_INI = {"pytest.ini": "[pytest]\nasyncio_mode = auto\n"}


def needs_loop_scope(fixture: FixtureDecorator) -> bool:
    """A wider-scoped async fixture ran in its scope's loop on 0.23; 1.x runs it in the default loop scope's."""
    return fixture.scope in WIDE_SCOPES and not fixture.has_loop_scope


class _AsyncFixtureRule(PytestRule):
    def async_fixture(self, node: cst.FunctionDef) -> FixtureDecorator | None:
        """The fixture decorator of a function that is async once migrated (PA005 may make a sync one async)."""
        return self.pytest_file.fixture(node) if self.pytest_file.is_async(node) else None


class AsyncioFixtureDecorator(_AsyncFixtureRule):
    ID = "PA002"
    KIND = REWRITE
    MESSAGE = ("@pytest.fixture on an async def -> @pytest_asyncio.fixture (all modes for wider-scoped fixtures, "
               "every async fixture in strict mode)")
    APPLIED = "moved {n} async fixture(s) to @pytest_asyncio.fixture"
    VALID = [
        Valid("import pytest_asyncio\n\n\n@pytest_asyncio.fixture\nasync def client():\n    yield 1\n",
              name="already pytest_asyncio's"),
        Valid("import pytest\n\n\n@pytest.fixture\ndef client():\n    return 1\n", name="a sync fixture"),
        Valid({**_AUTO_INI, "conftest.py": "import pytest\n\n\n@pytest.fixture\nasync def client():\n    yield 1\n"},
              options={"mode": "auto"}, name="auto mode, function scope"),
    ]
    INVALID = [
        Invalid("import pytest\n\n\n@pytest.fixture\nasync def client():\n    yield 1\n",
                after="import pytest_asyncio\n\n\n@pytest_asyncio.fixture\nasync def client():\n    yield 1\n"),
        Invalid("from pytest import fixture\n\n\n@fixture(autouse=True)\nasync def reset():\n    pass\n",
                after="import pytest_asyncio\n\n\n@pytest_asyncio.fixture(autouse=True)\nasync def reset():\n    pass\n",
                name="imported from pytest, with arguments"),
        Invalid({**_AUTO_INI, "conftest.py": "import pytest\n\n\n@pytest.fixture(scope='session')\n"
                                             "async def server():\n    yield 1\n\n\n@pytest.fixture\ndef sync():\n"
                                             "    return 1\n"},
                after={"conftest.py": "import pytest\nimport pytest_asyncio\n\n\n"
                                      "@pytest_asyncio.fixture(scope='session')\nasync def server():\n    yield 1\n\n\n"
                                      "@pytest.fixture\ndef sync():\n    return 1\n"},
                options={"mode": "auto"}, name="auto mode: a wider-scoped one still moves"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        fixture = self.async_fixture(node)
        if fixture is None or fixture.qualified != PYTEST_FIXTURE:
            return
        if not (self.suite.strict or needs_loop_scope(fixture) or fixture.scope is None):
            return
        target = fixture.call.func if fixture.call is not None else node.decorators[fixture.index].decorator
        self.replace_code(target, ASYNCIO_FIXTURE)
        self.imports.add("pytest_asyncio")
        spelled = dotted_name(target)
        if "." in spelled:
            self.imports.remove_if_unused(spelled.split(".")[0])
        else:  # `from pytest import fixture`
            self.imports.remove_if_unused(spelled, "pytest")


class FixtureLoopScope(_AsyncFixtureRule):
    ID = "PA003"
    KIND = REWRITE
    MESSAGE = ("class/module/package/session-scoped async fixture gets loop_scope equal to its scope (the loop it ran "
               "in on 0.23), or the wider scope of a suite-wide event_loop override")
    APPLIED = ("gave {n} wider-scoped async fixture(s) the loop_scope of the loop they ran in (their scope's, or the "
               "event_loop override's when wider)")
    AFTER = {"PA006": "its note on fixtures' loop_scope follows the note on the loop the override shared"}
    VALID = [Valid("import pytest_asyncio\n\n\n@pytest_asyncio.fixture(scope='module', loop_scope='module')\n"
                   "async def server():\n    yield 1\n"),
             Valid("import pytest\n\n\n@pytest.fixture(scope='module')\ndef server():\n    return 1\n",
                   name="a sync fixture")]
    INVALID = [
        Invalid("import pytest_asyncio\n\n\n@pytest_asyncio.fixture(scope='module')\nasync def server():\n    yield 1\n",
                after="import pytest_asyncio\n\n\n@pytest_asyncio.fixture(scope='module', loop_scope='module')\n"
                      "async def server():\n    yield 1\n"),
        Invalid({"tests/conftest.py": "import asyncio\n\nimport pytest\nimport pytest_asyncio\n\n\n"
                                      "@pytest.fixture(scope='session')\ndef event_loop():\n"
                                      "    loop = asyncio.new_event_loop()\n    yield loop\n    loop.close()\n\n\n"
                                      "@pytest_asyncio.fixture(\n    scope='module',\n)\nasync def server():\n"
                                      "    yield 1\n",
                 "tests/test_a.py": "async def test_a(server):\n    pass\n"},
                after={"tests/conftest.py": "import asyncio\n\nimport pytest\nimport pytest_asyncio\n\n\n"
                                            "@pytest.fixture(scope='session')\ndef event_loop():\n"
                                            "    loop = asyncio.new_event_loop()\n    yield loop\n    loop.close()\n\n\n"
                                            "@pytest_asyncio.fixture(\n    scope='module',\n    loop_scope='session',\n)\n"
                                            "async def server():\n    yield 1\n"},
                name="a suite-wide session override: the loop it shared with the tests"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        fixture = self.async_fixture(node)
        if fixture is None or not needs_loop_scope(fixture):
            return
        assert fixture.call is not None and fixture.scope_arg is not None
        loop_scope = self._loop_scope_arg(fixture).with_changes(keyword=cst.Name("loop_scope"),
                                                                comma=cst.MaybeSentinel.DEFAULT)
        self.replace(fixture.call, lambda updated: append_argument(updated, loop_scope))

    def _loop_scope_arg(self, fixture: FixtureDecorator) -> cst.Arg:
        """The loop the fixture ran in before: its own scope's, unless a suite-wide event_loop override
        of a wider scope gave every fixture and test one shared loop (then tests share it too)."""
        arg, suite_scope = fixture.scope_arg, self.loop_plan.loop_scope
        assert arg is not None and fixture.scope is not None
        if suite_scope is None or SCOPE_ORDER.index(suite_scope) <= SCOPE_ORDER.index(fixture.scope):
            return arg
        quote = arg.value.quote if isinstance(arg.value, cst.SimpleString) else '"'
        return arg.with_changes(value=cst.SimpleString(f"{quote}{suite_scope}{quote}"))

    def end_service(self) -> None:
        if not self.sites(self.ID):
            return
        scope = self.loop_plan.loop_scope
        if scope not in (None, "function"):
            self.note(f"Wider-scoped async fixtures got loop_scope = {scope} where their own scope is narrower: they "
                      "ran in the override's loop, together with the tests.")
        else:
            self.note("Wider-scoped async fixtures keep running in the loop of their own scope (loop_scope = scope), "
                      "as on 0.23; tests still get a loop per test, so a test cannot await a future or lock created "
                      "in such a fixture (same as before).")


class DynamicFixtureScope(_AsyncFixtureRule):
    ID = "PA010"
    KIND = MANUAL
    MESSAGE = "manual: async fixture whose scope is not a literal; its loop_scope must be chosen by hand"
    VALID = [Valid("import pytest_asyncio\n\n\n@pytest_asyncio.fixture(scope='session')\nasync def db():\n"
                   "    yield 1\n")]
    INVALID = [Invalid("import pytest_asyncio\n\nSCOPE = 'session'\n\n\n@pytest_asyncio.fixture(scope=SCOPE)\n"
                       "async def db():\n    yield 1\n", items=[7])]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        fixture = self.async_fixture(node)
        if fixture is not None and fixture.scope is None:
            self.report_line(node.name, "async fixture with a computed scope: pytest-asyncio 1.x runs it in the loop of "
                                        "its loop_scope, which the bot cannot derive",
                             "add loop_scope= matching the widest scope the expression can return")
