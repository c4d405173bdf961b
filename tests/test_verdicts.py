"""The verdict model (bot.validation.verdict) on plain check runs: four kinds, never confused, each with its
cause and what to do; and which test modules exercise a change (bot.validation.exercised)."""
from __future__ import annotations

import pytest

from bot.validation.checks import CheckRun, TestOutcome
from bot.validation.exercised import exercising_tests
from bot.validation.verdict import (FAILING, NO_TESTS, NOT_VALIDATED, PASSED, Verdict, judge, kind_from_labels,
                                    not_validated)

GAUGE = "ModuleNotFoundError: No module named 'gauge'"


def run(*outcomes: tuple[str, str, str], exit_code: int = 0, tail: str = "", timed_out: bool = False) -> CheckRun:
    return CheckRun("pytest", None if timed_out else exit_code, timed_out, 0.1,
                    {t: TestOutcome(t, o, m) for t, o, m in outcomes}, tail)


OK = ("tests/test_a.py::test_ok", "passed", "")
OTHER = ("tests/test_b.py::test_other", "passed", "")


def test_passed_needs_tests_that_passed_on_the_base_and_still_pass():
    verdict = judge([run(OK, OTHER)], [run(OK, OTHER)])
    assert verdict == Verdict(PASSED) and verdict.is_green() and verdict.label is None


def test_a_newly_failing_test_is_named_with_its_first_error_line():
    after = run(("tests/test_a.py::test_ok", "failed", "AttributeError: module 'w' has no attribute 'legacy'\nmore"),
                OTHER, exit_code=1)
    verdict = judge([run(OK, OTHER)], [after])
    assert verdict.kind == FAILING and verdict.label == "checks-failing" and not verdict.is_green(True)
    assert verdict.failures == ("tests/test_a.py::test_ok: AttributeError: module 'w' has no attribute 'legacy'",)
    assert verdict.line() == "failing: tests/test_a.py::test_ok: AttributeError: module 'w' has no attribute 'legacy'"


@pytest.mark.parametrize("after, expected", [
    (run(OTHER), "tests/test_a.py::test_ok: gone (it passed on the base)"),
    (run(("tests/test_a.py::test_ok", "skipped", "async def functions are not natively supported"), OTHER),
     "tests/test_a.py::test_ok: skipped now (async def functions are not natively supported)"),
])
def test_tests_that_disappear_or_become_skipped_fail_the_migration(after, expected):
    verdict = judge([run(OK, OTHER)], [after])
    assert verdict.kind == FAILING and verdict.failures == (expected,)


def test_every_test_erroring_on_both_sides_is_no_tests_ran_with_its_cause():
    """Was **Passed**: nothing newly fails when everything already failed."""
    both = run(("tests/test_a.py::test_one", "error", GAUGE), ("tests/test_a.py::test_two", "error", GAUGE),
               exit_code=1)
    verdict = judge([both], [both])
    assert verdict.kind == NO_TESTS and verdict.label == "no-tests-ran" and verdict.cause == GAUGE
    assert "`gauge` is not installed where the tests run" in verdict.advice
    assert not verdict.is_green() and verdict.is_green(untested_is_green=True)


def test_a_conftest_that_does_not_import_is_no_tests_ran_with_the_import_error():
    """pytest writes no junit XML when a conftest fails to import (exit 4): the cause is in its output."""
    tail = ("ImportError while loading conftest '/s/tests/conftest.py'.\ntests/conftest.py:1: in <module>\n"
            "    import gauge\nE   ModuleNotFoundError: No module named 'gauge'")
    verdict = judge([run(exit_code=4, tail=tail)], [run(exit_code=4, tail=tail)])
    assert (verdict.kind, verdict.cause) == (NO_TESTS, GAUGE)


def test_pytest_refusing_its_command_line_on_the_base_could_not_validate_in_its_own_words():
    """`addopts = --cov=app` without pytest-cov: pytest exits 4 before collecting; was "no tests ran" with
    "exited 4 without reporting any test"."""
    tail = ("ERROR: usage: __main__.py [options] [file_or_dir] [file_or_dir] [...]\n"
            "__main__.py: error: unrecognized arguments: --cov=app --cov-report=xml\n  inifile: /s/pytest.ini\n"
            "  rootdir: /s")
    verdict = judge([run(exit_code=4, tail=tail)], [run(exit_code=4, tail=tail)])
    assert (verdict.kind, verdict.label) == (NOT_VALIDATED, "not-validated")
    assert verdict.cause == "pytest: error: unrecognized arguments: --cov=app --cov-report=xml"
    assert "a plugin that is not installed where the tests run (`pytest-cov`)" in verdict.advice
    asyncio = tail.replace("--cov=app --cov-report=xml", "--asyncio-mode=auto")
    assert "(`pytest-asyncio`)" in judge([run(exit_code=4, tail=asyncio)], [run(exit_code=4, tail=asyncio)]).advice
    # the branch refusing what the base accepted is the migration's doing: every test is gone
    assert judge([run(OK)], [run(exit_code=4, tail=tail)]).kind == FAILING


def test_nothing_collected_and_everything_skipped_are_no_tests_ran():
    empty = run(exit_code=5)
    assert judge([empty], [empty]).cause == "pytest: no tests collected (exit 5)"
    assert "add tests" in judge([empty], [empty]).advice
    skipped = run(("tests/test_a.py::test_s", "skipped", "needs a GPU"))
    assert judge([skipped], [skipped]).cause == "pytest: every test was skipped (needs a GPU)"


@pytest.mark.parametrize("tail, cause", [
    ("/env/bin/python: No module named pytest", "pytest: pytest is not installed in the service's test environment"),
    ("[upgrade-bot] cannot start tox: [Errno 2] No such file or directory: 'tox'",
     "[upgrade-bot] cannot start tox: [Errno 2] No such file or directory: 'tox'"),
])
def test_checks_that_cannot_start_could_not_validate(tail, cause):
    broken = run(exit_code=1 if "pytest" in tail else 127, tail=tail)
    verdict = judge([broken], [broken])
    assert (verdict.kind, verdict.cause, verdict.label) == (NOT_VALIDATED, cause, "not-validated")


def test_a_check_that_times_out_before_any_test_could_not_validate():
    verdict = judge([run(timed_out=True)], [run(OK)])
    assert verdict.kind == NOT_VALIDATED and "timed out before reporting any test" in verdict.cause


def test_an_environment_that_cannot_be_built_could_not_validate_in_the_tools_words():
    verdict = not_validated("building the test environment failed: × No solution found when resolving "
                            "dependencies:\n  ╰─▶ Because widgets-addon==1.0 depends on widgets>=3 ...")
    assert verdict.kind == NOT_VALIDATED and verdict.label == "not-validated" and "checks-failing" != verdict.label
    assert "\n" not in verdict.cause and "No solution found" in verdict.cause and "/retry" in verdict.advice
    assert Verdict.from_dict(verdict.as_dict()) == verdict


def test_tests_of_the_change_that_cannot_run_on_the_base_leave_it_unvalidated():
    """The demo's MQTT services without a broker: the tests of the bridge error on both sides, others pass."""
    broker = "RuntimeError: mosquitto is not installed: these tests need a real MQTT broker."
    runs = run(OK, ("tests/test_bridge.py::test_publish", "error", broker),
               ("tests/test_bridge.py::test_parse", "passed", ""), exit_code=1)
    assert judge([runs], [runs]).kind == PASSED  # not knowing what the change touches: only the rule above
    verdict = judge([runs], [runs], exercising={"tests/test_bridge.py"})
    assert verdict.kind == NOT_VALIDATED and verdict.cause == (
        "1 test(s) that exercise this change do not pass on the base either: tests/test_bridge.py::test_publish: "
        + broker)
    assert judge([runs], [runs], exercising={"tests/test_a.py"}).kind == PASSED  # a failure elsewhere is apart


def test_tests_of_the_change_skipped_whole_on_the_base_leave_it_unvalidated():
    """Was **Passed**: `skipif(no broker)` on every test of the bridge skips them on both sides; others pass."""
    skip = "Skipped: no MQTT broker on this machine (set MQTT_HOST)"
    runs = run(OK, ("tests/test_bridge.py::test_publish", "skipped", skip),
               ("tests/test_bridge.py::test_parse", "skipped", skip))
    verdict = judge([runs], [runs], exercising={"tests/test_bridge.py"})
    assert verdict.kind == NOT_VALIDATED and verdict.cause == (
        "2 test(s) that exercise this change do not pass on the base either: " + skip)
    # one test of the module ran the migrated code (or an expected failure did): a skip beside it is not a gap
    some_ran = run(OK, ("tests/test_bridge.py::test_publish", "skipped", skip),
                   ("tests/test_bridge.py::test_parse", "passed", ""))
    assert judge([some_ran], [some_ran], exercising={"tests/test_bridge.py"}).passed
    xfail = run(OK, ("tests/test_bridge.py::test_publish", "skipped", "expected failure (xfail) flaky on CI"))
    assert judge([xfail], [xfail], exercising={"tests/test_bridge.py"}).passed


def test_a_module_reached_only_through_a_conftest_counts_for_its_tests_not_its_collection_error():
    collection_error = run(OK, ("tests/test_db.py", "error", "ModuleNotFoundError: No module named 'alembic'"),
                           exit_code=1)
    assert judge([collection_error], [collection_error], exercising={"tests/test_a.py", "tests/test_db.py::"}).passed
    failing_test = run(OK, ("tests/test_db.py::test_x", "failed", "assert 1 == 2"), exit_code=1)
    assert judge([failing_test], [failing_test], exercising={"tests/test_db.py::"}).kind == NOT_VALIDATED


def test_status_reads_the_verdict_from_labels():
    assert kind_from_labels(["dependencies"]) == PASSED
    assert kind_from_labels(["checks-failing"]) == FAILING
    assert kind_from_labels(["no-tests-ran"]) == NO_TESTS
    assert kind_from_labels(["not-validated", "checks-failing"]) == NOT_VALIDATED  # never shown as failing


# --- which tests exercise a change ------------------------------------------------------------------
SERVICE = {
    "svc/bridge.py": "import asyncio_mqtt\n",
    "svc/storage.py": "from .util import clock\n",
    "svc/util.py": "def clock():\n    return 0\n",
    "svc/app.py": "from svc import storage\n",
    "tests/conftest.py": "import pytest\n",
    "tests/helpers.py": "from svc.bridge import *\n",
    "tests/test_bridge.py": "import helpers\n",
    "tests/test_storage.py": "from svc.storage import clock\n",
    "tests/test_app.py": "import svc.app\n",
    "tests/test_plain.py": "def test_x():\n    pass\n",
    "src/deep/pkg/mod.py": "import svc.util\n",
    "tests/test_src.py": "from pkg.mod import x\n",
}


def test_tests_importing_the_upgraded_package_exercise_it_through_helpers():
    assert exercising_tests(SERVICE, [], ["asyncio_mqtt"]) == {"tests/test_bridge.py"}


def test_tests_importing_a_changed_module_exercise_it_through_packages_and_relative_imports():
    assert exercising_tests(SERVICE, ["svc/util.py"], []) == {"tests/test_storage.py", "tests/test_app.py",
                                                               "tests/test_src.py"}


def test_a_changed_conftest_reaches_every_test_below_it_and_a_changed_test_itself():
    assert exercising_tests(SERVICE, ["tests/conftest.py", "tests/test_plain.py"], []) == {
        "tests/test_plain.py", "tests/test_bridge.py::", "tests/test_storage.py::", "tests/test_app.py::",
        "tests/test_src.py::"}


def test_a_suite_that_hangs_only_on_the_branch_is_failing_not_unvalidated():
    verdict = judge([run(OK, OTHER)], [run(timed_out=True, tail="[upgrade-bot] pytest timed out after 600 s")])
    assert verdict.kind == FAILING and "tests/test_a.py::test_ok: gone (it passed on the base)" in verdict.failures
    assert "check pytest: passed on the base, timed out here" in verdict.failures


def test_the_checkout_checks_ran_in_is_not_named_on_the_pr():
    cause = ("/tmp/upgrade-bot-wt-27190-pnawa8ht/services/app/pyproject.toml: installing the service itself failed: "
             "Failed to build `app @ file:///tmp/upgrade-bot-wt-27190-pnawa8ht/services/app`")
    assert not_validated(cause).cause == ("services/app/pyproject.toml: installing the service itself failed: "
                                          "Failed to build `app @ services/app`")
