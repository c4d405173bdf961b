"""PA014: names imported from pytest-asyncio that 1.3.0 no longer has.

`from pytest_asyncio.plugin import SubRequest` (a re-export of pytest's own class up to 0.23) stops the whole suite
at collection on 1.3.0. The names below are every name of the two modules users import from, as the real 1.3.0 has
them (dir() of pytest_asyncio and pytest_asyncio.plugin, installed; tests/test_recipe_pytest_asyncio.py checks the
table against that install). A name outside them is listed. The shared import audit (AUD001, bot/analysis), where a
recipe runs it, checks every migrated package against its real new version and rewrites what it can: then this rule
stays silent so nothing is listed twice.
"""
from __future__ import annotations

import libcst as cst

from bot.analysis import dotted_name, import_from_module
from bot.change.rule import MANUAL, Invalid, Valid

from .pytest_rule import PytestRule

SHARED_IMPORT_AUDIT = "AUD001"
NAMES_IN_1_3_0 = {
    "pytest_asyncio": frozenset((
    'annotations', 'fixture', 'is_async_test', 'plugin', 'version'
    )),
    "pytest_asyncio.plugin": frozenset((
    'ASYNCIO_MODE_HELP', 'AbstractEventLoop', 'AbstractEventLoopPolicy', 'Any', 'AsyncFixtureParams',
    'AsyncFixtureReturnType', 'AsyncGenFixtureParams', 'AsyncGenFixtureYieldType', 'AsyncGenerator',
    'AsyncGeneratorType', 'AsyncHypothesisTest', 'AsyncIterator', 'AsyncStaticMethod', 'Awaitable', 'Callable',
    'Config', 'Coroutine', 'CoroutineType', 'FixtureDef', 'FixtureFunction', 'FixtureRequest', 'Function',
    'Generator', 'Item', 'Iterable', 'Iterator', 'Literal', 'Mark', 'Mode', 'MonkeyPatch', 'ParamSpec', 'Parser',
    'PytestAsyncioError', 'PytestAsyncioFunction', 'PytestCollectionWarning', 'PytestDeprecationWarning',
    'PytestPluginManager', 'Runner', 'Scope', 'Sequence', 'TypeIs', 'TypeVar', '_DEFAULT_FIXTURE_LOOP_SCOPE_UNSET',
    '_DUPLICATE_LOOP_SCOPE_DEFINITION_ERROR', '_MARKER_SCOPE_KWARG_DEPRECATION_WARNING', '_P', '_R',
    '_RUNNER_TEARDOWN_WARNING', '_ScopeName', '_apply_contextvar_changes', '_class_scoped_runner',
    '_create_scoped_runner_fixture', '_fixture_synchronizer', '_function_scoped_runner', '_get_asyncio_debug',
    '_get_asyncio_mode', '_get_default_test_loop_scope', '_get_event_loop_no_warn', '_get_event_loop_policy',
    '_get_marked_loop_scope', '_is_asyncio_fixture_function', '_is_coroutine_or_asyncgen',
    '_make_asyncio_fixture_function', '_module_scoped_runner', '_package_scoped_runner', '_session_scoped_runner',
    '_set_event_loop', '_set_event_loop_policy', '_synchronize_coroutine', '_temporary_event_loop_policy',
    '_unused_port', '_validate_scope', '_wrap_async_fixture', '_wrap_asyncgen_fixture', 'annotations', 'asyncio',
    'contextlib', 'contextvars', 'enum', 'event_loop_policy', 'fixture', 'functools', 'inspect', 'is_async_test',
    'overload', 'pluggy', 'pytest', 'pytest_addoption', 'pytest_configure', 'pytest_fixture_setup',
    'pytest_pycollect_makeitem_convert_async_functions_to_subclass', 'pytest_pyfunc_call', 'pytest_report_header',
    'resolve_fixture_function', 'scope', 'socket', 'sys', 'traceback', 'unused_tcp_port', 'unused_tcp_port_factory',
    'unused_udp_port', 'unused_udp_port_factory', 'warnings'
    )),
}
# What each name was, where a replacement is known.
_SUGGESTIONS = {
    "SubRequest": "annotate `request` with pytest.FixtureRequest (public), or import SubRequest from _pytest.fixtures, "
                  "where pytest-asyncio <= 0.23 took it from",
    "event_loop": "the event_loop fixture is gone: async code uses asyncio.get_running_loop(), loop lifetime is set "
                  "with loop_scope=",
}
_DEFAULT_SUGGESTION = "import it from where pytest-asyncio took it (pytest, _pytest, typing), or drop it"


def missing_name(module: str, name: str) -> bool:
    names = NAMES_IN_1_3_0.get(module)
    return names is not None and name not in names and f"{module}.{name}" not in NAMES_IN_1_3_0


class RemovedPytestAsyncioName(PytestRule):
    ID = "PA014"
    KIND = MANUAL
    MESSAGE = ("manual: a name imported from pytest_asyncio or pytest_asyncio.plugin that 1.3.0 no longer has "
               "(collection stops with ImportError); silent where the shared import audit (AUD001) runs")
    VALID = [Valid({"tests/conftest.py": "from pytest_asyncio import fixture, is_async_test\n"
                                         "from pytest_asyncio.plugin import Mode\n"}),
             Valid({"tests/conftest.py": "import pytest_asyncio.plugin\n\nMODE = pytest_asyncio.plugin.Mode\n"},
                   name="an attribute 1.3.0 has")]
    INVALID = [
        Invalid({"tests/conftest.py": "import pytest\nfrom pytest_asyncio.plugin import Mode, SubRequest\n\n\n"
                                      "@pytest.fixture\ndef name(request: SubRequest):\n    return request.fixturename\n"},
                items=[("tests/conftest.py", 2)]),
        Invalid({"tests/conftest.py": "import pytest_asyncio.plugin\n\n\n"
                                      "def name(request: pytest_asyncio.plugin.SubRequest):\n    return 1\n"},
                items=[("tests/conftest.py", 4)], name="as an attribute"),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._audited = any(rule.ID == SHARED_IMPORT_AUDIT for rule in self.run.codemod.enabled_rules())

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if self._audited or isinstance(node.names, cst.ImportStar):
            return False
        module = import_from_module(node, self.parsed.package)
        for alias in node.names:
            name = dotted_name(alias.name)
            if module and missing_name(module, name):
                self._list(alias, module, name)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # `import pytest_asyncio.plugin` names a module 1.3.0 has; its attributes are checked below

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        dotted = dotted_name(node) or ""
        module, _, name = dotted.rpartition(".")
        if self._audited or not module or not missing_name(module, name):
            return True
        if any(f"{module}.{name}" == qualified for qualified in self.pytest_file.names(node)):
            self._list(node, module, name)
            return False
        return True

    def _list(self, node: cst.CSTNode, module: str, name: str) -> None:
        self.report_line(node, f"{module}.{name} does not exist in pytest-asyncio 1.3.0: the import fails and pytest "
                               "stops collecting", _SUGGESTIONS.get(name, _DEFAULT_SUGGESTION))
