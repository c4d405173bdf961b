"""Stable rule ids of the pytest-asyncio 1.3.0 recipe (shown in PRs and `recipes list`)."""
from __future__ import annotations

MARK_ASYNC_TESTS = "PA001"
ASYNCIO_FIXTURE_DECORATOR = "PA002"
FIXTURE_LOOP_SCOPE = "PA003"
MARKER_LOOP_SCOPE = "PA004"
EVENT_LOOP_PARAMETER = "PA005"
EVENT_LOOP_OVERRIDE = "PA006"
STRICT_MODE_CONFIG = "PA007"
DEFAULT_FIXTURE_LOOP_SCOPE = "PA008"
EVENT_LOOP_MANUAL = "PA009"
DYNAMIC_FIXTURE_SCOPE = "PA010"
UNPARSABLE_FILE = "PA011"
PYTHON_FLOOR = "PA012"

RULES = {
    MARK_ASYNC_TESTS: "strict mode: mark every collected async test function and method with @pytest.mark.asyncio",
    ASYNCIO_FIXTURE_DECORATOR: "@pytest.fixture on an async def -> @pytest_asyncio.fixture (all modes for "
                               "wider-scoped fixtures, every async fixture in strict mode)",
    FIXTURE_LOOP_SCOPE: "class/module/package/session-scoped async fixture gets loop_scope equal to its scope "
                        "(the loop it ran in on 0.23), or the wider scope of a suite-wide event_loop override",
    MARKER_LOOP_SCOPE: "@pytest.mark.asyncio(scope=...) -> @pytest.mark.asyncio(loop_scope=...)",
    EVENT_LOOP_PARAMETER: "event_loop parameter of an async test or async fixture -> "
                          "event_loop = asyncio.get_running_loop(); a sync fixture that only hands the loop on "
                          "becomes async first (listed: its body now runs inside the loop)",
    EVENT_LOOP_OVERRIDE: "plain root-conftest event_loop override (new loop, yield, close) -> removed, its scope "
                         "becomes asyncio_default_fixture_loop_scope and asyncio_default_test_loop_scope",
    STRICT_MODE_CONFIG: "strict mode: asyncio_mode / --asyncio-mode in addopts switched from auto to strict in "
                        "the config file pytest reads",
    DEFAULT_FIXTURE_LOOP_SCOPE: "asyncio_default_fixture_loop_scope set in the config file pytest reads",
    EVENT_LOOP_MANUAL: "manual: event_loop use with no mechanical 1.x equivalent (sync test or fixture, custom "
                       "or nested override, usefixtures/getfixturevalue)",
    DYNAMIC_FIXTURE_SCOPE: "manual: async fixture whose scope is not a literal; its loop_scope must be chosen by hand",
    UNPARSABLE_FILE: "manual: Python file libcst cannot parse; migrate it by hand",
    PYTHON_FLOOR: "manual: the service declares support for Python < 3.10 (requires-python, Poetry python, "
                  "classifiers, setup.cfg python_requires, .python-version); pytest-asyncio 1.3.0 needs >= 3.10",
}
