"""compare(): baseline vs after, table-driven."""
from __future__ import annotations

import pytest

from bot.validation.checks import CheckRun, TestOutcome
from bot.validation.compare import CheckChange, TestChange, compare
from bot.validation.runner import render_comparison
from bot.validation.verdict import judge

ASYNC_SKIP = "async def function and no async plugin installed (see warnings)"
TEST_ID = "tests/test_x.py::test_y"
CATEGORIES = ("newly_failing", "newly_passing", "still_failing", "disappeared", "newly_skipped", "appeared")


def pytest_run(outcomes: dict[str, tuple[str, str]], exit_code: int | None = 0, timed_out: bool = False) -> CheckRun:
    return CheckRun(
        name="pytest",
        exit_code=exit_code,
        timed_out=timed_out,
        duration=1.0,
        outcomes={test_id: TestOutcome(test_id, outcome, message) for test_id, (outcome, message) in outcomes.items()},
        output_tail="",
    )


def command_run(name: str, exit_code: int | None, timed_out: bool = False, tail: str = "") -> CheckRun:
    return CheckRun(name, exit_code, timed_out, 1.0, {}, tail)


def category_of(comparison, test_id: str = TEST_ID) -> str:
    found = [name for name in CATEGORIES if any(c.test_id == test_id for c in getattr(comparison, name))]
    assert len(found) <= 1, found
    return found[0] if found else "unchanged"


@pytest.mark.parametrize(
    "before, after, category, blocks",
    [
        (("passed", ""), ("passed", ""), "unchanged", False),
        (("passed", ""), ("failed", "AssertionError"), "newly_failing", True),
        (("passed", ""), ("error", "fixture exploded"), "newly_failing", True),
        (("skipped", "marker"), ("failed", "boom"), "newly_failing", True),
        (None, ("failed", "boom"), "newly_failing", True),
        (("failed", "boom"), ("passed", ""), "newly_passing", False),
        (("error", "boom"), ("passed", ""), "newly_passing", False),
        (("skipped", "needs feature"), ("passed", ""), "newly_passing", False),
        (("failed", "boom"), ("failed", "boom again"), "still_failing", False),
        (("failed", "boom"), ("error", "worse"), "still_failing", False),
        (("passed", ""), None, "disappeared", True),
        (("failed", "boom"), None, "disappeared", True),
        (("passed", ""), ("skipped", ASYNC_SKIP), "newly_skipped", True),
        (("passed", ""), ("skipped", "needs network"), "newly_skipped", True),
        (("failed", "boom"), ("skipped", ASYNC_SKIP), "newly_skipped", True),
        (("skipped", "slow"), ("skipped", ASYNC_SKIP), "newly_skipped", True),
        (("skipped", ASYNC_SKIP), ("skipped", ASYNC_SKIP), "unchanged", False),
        (("skipped", "slow"), ("skipped", "slow"), "unchanged", False),
        (None, ("passed", ""), "appeared", False),
        (None, ("skipped", "slow"), "appeared", False),
        (None, ("skipped", ASYNC_SKIP), "newly_skipped", True),
    ],
)
def test_per_test_transitions(before, after, category, blocks):
    baseline = pytest_run({TEST_ID: before} if before else {}, exit_code=0 if before != ("failed", "boom") else 1)
    after_run = pytest_run({TEST_ID: after} if after else {}, exit_code=baseline.exit_code)
    comparison = compare([baseline], [after_run])
    assert category_of(comparison) == category
    assert comparison.ok() is not blocks
    if category != "unchanged":
        [change] = getattr(comparison, category)
        assert (change.before, change.after) == (before[0] if before else None, after[0] if after else None)


def test_message_comes_from_the_after_run_or_the_baseline_when_gone():
    baseline = pytest_run({"t::a": ("passed", ""), "t::b": ("failed", "old reason")}, exit_code=1)
    after = pytest_run({"t::a": ("failed", "new reason\nsecond line")}, exit_code=1)
    comparison = compare([baseline], [after])
    assert comparison.newly_failing == [TestChange("pytest", "t::a", "passed", "failed", "new reason\nsecond line")]
    assert comparison.disappeared == [TestChange("pytest", "t::b", "failed", None, "old reason")]


@pytest.mark.parametrize(
    "before, after, category",
    [
        ((0, False), (0, False), None),
        ((0, False), (1, False), "newly_failing_checks"),
        ((0, False), (None, True), "newly_failing_checks"),
        ((1, False), (1, False), "still_failing_checks"),
        ((None, True), (2, False), "still_failing_checks"),
        ((1, False), (0, False), None),
        (None, (1, False), "newly_failing_checks"),  # a check with no baseline cannot blame the base
    ],
)
def test_check_command_status(before, after, category):
    baseline = [command_run("lint", *before)] if before else []
    comparison = compare(baseline, [command_run("lint", *after, tail="E501 line too long")])
    for name in ("newly_failing_checks", "still_failing_checks"):
        expected = 1 if name == category else 0
        assert len(getattr(comparison, name)) == expected, name
    assert comparison.ok() is (category != "newly_failing_checks")


def test_check_status_words_and_tail():
    comparison = compare([command_run("build", 0)], [command_run("build", None, timed_out=True, tail="hung")])
    assert comparison.newly_failing_checks == [CheckChange("build", "passed", "timed out", "hung")]
    comparison = compare([command_run("build", 0)], [])
    assert comparison.newly_failing_checks == [CheckChange("build", "passed", "not run", "")]


def test_pre_existing_failures_alone_never_block():
    baseline = pytest_run({"t::ok": ("passed", ""), "t::broken": ("failed", "x")}, exit_code=1)
    after = pytest_run({"t::ok": ("passed", ""), "t::broken": ("failed", "x")}, exit_code=1)
    comparison = compare([baseline], [after])
    assert comparison.ok()
    assert [change.test_id for change in comparison.still_failing] == ["t::broken"]
    assert comparison.still_failing_checks and not comparison.newly_failing_checks


def test_counts_and_totals_over_several_checks():
    passed = ("passed", "")
    baseline = [
        pytest_run({"t::a": passed, "t::b": passed, "t::c": ("failed", "x"), "t::d": ("skipped", "")}, 1),
        command_run("lint", 0),
    ]
    after = [
        pytest_run({"t::a": passed, "t::b": ("failed", "y"), "t::c": passed, "t::e": passed}, 1),
        command_run("lint", 0),
    ]
    comparison = compare(baseline, after)
    assert comparison.counts == {
        "newly_failing": 1,
        "newly_passing": 1,
        "still_failing": 0,
        "disappeared": 1,
        "newly_skipped": 0,
        "appeared": 1,
        "unchanged": 1,
        "newly_failing_checks": 0,  # pytest exited 1 on the base commit too: its tests tell the story
        "still_failing_checks": 1,
    }
    assert comparison.baseline_totals == {"passed": 2, "failed": 1, "skipped": 1}
    assert comparison.after_totals == {"passed": 3, "failed": 1}
    assert not comparison.ok()


def test_same_test_id_under_two_checks_is_compared_per_check():
    unit = pytest_run({"t::a": ("passed", "")})
    integration_before = CheckRun("integration", 1, False, 1.0, {"t::a": TestOutcome("t::a", "failed", "down")}, "")
    integration_after = CheckRun("integration", 1, False, 1.0, {"t::a": TestOutcome("t::a", "failed", "down")}, "")
    comparison = compare([unit, integration_before], [unit, integration_after])
    assert comparison.ok()
    assert [(c.check, c.test_id) for c in comparison.still_failing] == [("integration", "t::a")]


def test_parameter_ids_renamed_by_a_new_pytest_are_the_same_tests():
    # pytest 9 writes bytes parameters as `in_bytes1`; the same function, as many cases, the same outcomes
    before = pytest_run({"t.py::test_frame[\\x00\\xc0-1]": ("passed", ""), "t.py::test_frame[\\x01-2]": ("passed", ""),
                         "t.py::test_other[a]": ("passed", "")})
    after = pytest_run({"t.py::test_frame[in_bytes0-1]": ("passed", ""), "t.py::test_frame[in_bytes1-2]": ("passed", ""),
                        "t.py::test_other[a]": ("passed", "")})
    comparison = compare([before], [after])
    assert comparison.ok() and comparison.disappeared == [] and comparison.appeared == []
    assert comparison.unchanged == 3 and len(comparison.renamed) == 2
    body = render_comparison(comparison, [before], [after], judge([before], [after]))
    assert "Renamed parameter ids (2)" in body and "Disappeared" not in body


@pytest.mark.parametrize("after_outcomes", [
    {"t.py::test_frame[in_bytes0-1]": ("passed", "")},  # one case fewer: a test is gone
    {"t.py::test_frame[in_bytes0-1]": ("passed", ""), "t.py::test_frame[in_bytes1-2]": ("skipped", "")},
    {"t.py::test_renamed[a]": ("passed", ""), "t.py::test_renamed[b]": ("passed", "")},  # another function
])
def test_a_renamed_parameter_id_never_hides_a_lost_or_skipped_test(after_outcomes):
    before = pytest_run({"t.py::test_frame[\\x00-1]": ("passed", ""), "t.py::test_frame[\\x01-2]": ("passed", "")})
    comparison = compare([before], [pytest_run(after_outcomes)])
    assert not comparison.ok() and comparison.renamed == []


CONFTEST_ERROR = "assert broker_retries == 0"


def test_a_conftest_error_pytest_8_scopes_to_its_folder_is_the_base_s_session_error_still_failing():
    # pytest 7 (base): the failing conftest.py stops the whole session; pytest 8 (a PR raising it): only its folder
    before = pytest_run({".": ("error", CONFTEST_ERROR)}, exit_code=1)
    after = pytest_run({"tests/integration": ("error", CONFTEST_ERROR), "tests/test_unit.py::test_a": ("passed", "")},
                       exit_code=1)
    comparison = compare([before], [after])
    assert comparison.disappeared == [] and comparison.newly_failing == []
    assert [(c.test_id, c.before, c.after) for c in comparison.still_failing] == [("tests/integration", "error", "error")]
    verdict = judge([before], [after])
    assert verdict.kind == "no tests ran" and CONFTEST_ERROR in verdict.cause  # the base judged nothing


def test_a_collection_error_gone_with_its_tests_collected_judges_those_tests():
    before = pytest_run({"tests/test_x.py": ("error", "ImportError: cannot import name 'Client'"),
                         "tests/test_ok.py::test_a": ("passed", "")})
    fixed = pytest_run({"tests/test_x.py::test_y": ("passed", ""), "tests/test_ok.py::test_a": ("passed", "")})
    assert compare([before], [fixed]).ok() and judge([before], [fixed]).kind == "passed"
    broken = pytest_run({"tests/test_x.py::test_y": ("failed", "boom"), "tests/test_ok.py::test_a": ("passed", "")})
    assert category_of(compare([before], [broken]), "tests/test_x.py::test_y") == "newly_failing"


@pytest.mark.parametrize("after_outcomes, category", [
    ({"tests/test_ok.py::test_a": ("passed", "")}, "disappeared"),  # nothing of the module runs in its place
    ({"tests/test_ok.py::test_a": ("passed", ""), "tests/test_other.py": ("error", CONFTEST_ERROR)}, "disappeared"),
    ({"tests/test_ok.py::test_a": ("passed", ""), "tests": ("error", "another error")}, "disappeared"),
])
def test_a_collection_error_is_never_settled_by_an_unrelated_one(after_outcomes, category):
    before = pytest_run({"tests/test_x.py": ("error", CONFTEST_ERROR), "tests/test_ok.py::test_a": ("passed", "")})
    comparison = compare([before], [pytest_run(after_outcomes)])
    assert category_of(comparison, "tests/test_x.py") == category and not comparison.ok()
