"""Baseline vs after, per test id: what the migration broke, fixed, or left as it was. Pure.

Tests that already failed on the base commit are reported apart (``still_failing``) and never block a
migration. What blocks: a test that newly fails, one that disappeared (it no longer imports, or the
whole check died), one that became skipped (notably an async test that no plugin runs any more, which
pytest only skips), and a check command that passed on the base commit and fails after.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.validation.checks import CheckRun, TestOutcome, is_async_not_run

FAILING = ("failed", "error")


@dataclass(frozen=True)
class TestChange:
    """One test's outcome on the base commit and on the PR branch."""

    __test__ = False  # not a pytest test class, despite the name

    check: str
    test_id: str
    before: str | None  # outcome on the base commit; None when the test did not exist there
    after: str | None  # outcome on the PR branch; None when it is gone
    message: str = ""  # first lines of the after-side error or skip reason (baseline's when gone)


@dataclass(frozen=True)
class CheckChange:
    """A check command judged by its exit status (the only verdict non-pytest checks give)."""

    name: str
    before: str  # "passed", "failed (exit 1)", "timed out", "not run"
    after: str
    output_tail: str = ""  # the after run's last lines


@dataclass
class Comparison:
    """How the PR branch's checks differ from the base's, grouped by what changed."""

    newly_failing: list[TestChange] = field(default_factory=list)
    newly_passing: list[TestChange] = field(default_factory=list)
    still_failing: list[TestChange] = field(default_factory=list)
    disappeared: list[TestChange] = field(default_factory=list)
    newly_skipped: list[TestChange] = field(default_factory=list)
    appeared: list[TestChange] = field(default_factory=list)  # new tests that pass or skip harmlessly
    # (gone, new) pairs of one test function whose parameter ids changed, outcomes kept: see _pair_renamed
    renamed: list[tuple[TestChange, TestChange]] = field(default_factory=list)
    newly_failing_checks: list[CheckChange] = field(default_factory=list)
    still_failing_checks: list[CheckChange] = field(default_factory=list)
    unchanged: int = 0
    baseline_totals: dict[str, int] = field(default_factory=dict)  # outcome -> number of tests
    after_totals: dict[str, int] = field(default_factory=dict)

    def ok(self) -> bool:
        return not (self.newly_failing or self.disappeared or self.newly_skipped or self.newly_failing_checks)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "newly_failing": len(self.newly_failing),
            "newly_passing": len(self.newly_passing),
            "still_failing": len(self.still_failing),
            "disappeared": len(self.disappeared),
            "newly_skipped": len(self.newly_skipped),
            "appeared": len(self.appeared),
            "unchanged": self.unchanged,
            "newly_failing_checks": len(self.newly_failing_checks),
            "still_failing_checks": len(self.still_failing_checks),
        }


def compare(baseline: Sequence[CheckRun], after: Sequence[CheckRun]) -> Comparison:
    comparison = Comparison()
    baseline_by_name = {run.name: run for run in baseline}
    after_by_name = {run.name: run for run in after}
    baseline_totals: Counter[str] = Counter()
    after_totals: Counter[str] = Counter()
    for name in list(dict.fromkeys([*baseline_by_name, *after_by_name])):
        before_run, after_run = baseline_by_name.get(name), after_by_name.get(name)
        _compare_check_status(name, before_run, after_run, comparison)
        before_outcomes = before_run.outcomes if before_run else {}
        after_outcomes = after_run.outcomes if after_run else {}
        baseline_totals.update(outcome.outcome for outcome in before_outcomes.values())
        after_totals.update(outcome.outcome for outcome in after_outcomes.values())
        for test_id in dict.fromkeys([*before_outcomes, *after_outcomes]):
            _classify(name, before_outcomes.get(test_id), after_outcomes.get(test_id), test_id, comparison)
    _pair_renamed(comparison)
    _settle_collection_errors(comparison)
    comparison.baseline_totals = dict(baseline_totals)
    comparison.after_totals = dict(after_totals)
    return comparison


def _pair_renamed(comparison: Comparison) -> None:
    """Tests whose parameter ids changed but not their function, number or outcomes are the same tests.

    A PR that moves pytest to a new major version changes how parameter ids are written (pytest 9 writes
    `[in_bytes1-...]` where 8 wrote the bytes themselves), so on aioesphomeapi ten tests "disappeared" and ten
    "appeared" on a correct migration: a false red. One function's tests are paired only when as many are
    gone as are new and their outcomes match one for one (passed for passed, skipped for skipped).
    """
    def function(change: TestChange) -> tuple[str, str]:
        return change.check, change.test_id.split("[", 1)[0]

    gone: dict[tuple[str, str], list[TestChange]] = {}
    for change in comparison.disappeared:
        if "[" in change.test_id:
            gone.setdefault(function(change), []).append(change)
    new: dict[tuple[str, str], list[TestChange]] = {}
    for change in comparison.appeared:
        if "[" in change.test_id:
            new.setdefault(function(change), []).append(change)
    for key, old in gone.items():
        fresh = new.get(key, [])
        if len(old) != len(fresh) or sorted(c.before or "" for c in old) != sorted(c.after or "" for c in fresh):
            continue
        for before, after in zip(sorted(old, key=lambda c: c.before or ""), sorted(fresh, key=lambda c: c.after or "")):
            comparison.renamed.append((before, after))
            comparison.disappeared.remove(before)
            comparison.appeared.remove(after)
            comparison.unchanged += 1


def _settle_collection_errors(comparison: Comparison) -> None:
    """A collection error (a node id without "::": ".", a folder, a module) is not a test: when it is gone on the
    branch, nothing that ran on the base disappeared.

    pytest 7 reports a conftest.py that fails to import as an error of the whole session (node ".", nothing else
    runs); pytest 8 as an error of that conftest's folder, and runs the rest. A PR that moves pytest across that
    version (pytest-asyncio 1.x needs pytest >= 8.2) showed the base's error as gone and the branch's as new: a red
    on a migration the base could not judge at all (py-volley). The same first line under a node inside (or
    around) the gone one is that error, still failing; a gone error whose node now collects tests is fixed, and
    those tests are judged one by one (its tests never ran on the base, so none can be "unchanged"). A gone error
    with nothing collected in its place stays disappeared.
    """
    gone = [c for c in comparison.disappeared if _is_collection_error(c) and c.before in FAILING]
    for before in gone:
        moved = next((c for c in comparison.newly_failing if c.check == before.check and c.before is None
                      and _is_collection_error(c) and _nested(c.test_id, before.test_id)
                      and _first_line(c.message) == _first_line(before.message)), None)
        if moved is not None:
            comparison.disappeared.remove(before)
            comparison.newly_failing.remove(moved)
            comparison.still_failing.append(TestChange(before.check, moved.test_id, before.before, moved.after,
                                                       moved.message))
        elif any(c.check == before.check and "::" in c.test_id and _nested(c.test_id.split("::")[0], before.test_id)
                 for c in [*comparison.appeared, *comparison.newly_failing, *comparison.newly_skipped]):
            comparison.disappeared.remove(before)
            comparison.newly_passing.append(before)


def _is_collection_error(change: TestChange) -> bool:
    return "::" not in change.test_id


def _nested(one: str, other: str) -> bool:
    """One node id inside the other (either way) or the same: "." holds every node."""
    return one == other or "." in (one, other) or one.startswith(other + "/") or other.startswith(one + "/")


def _first_line(message: str) -> str:
    return next((line.strip() for line in message.splitlines() if line.strip()), "")


def _classify(
    check: str, before: TestOutcome | None, after: TestOutcome | None, test_id: str, comparison: Comparison
) -> None:
    before_state = before.outcome if before else None
    after_state = after.outcome if after else None
    message = after.message if after else (before.message if before else "")
    change = TestChange(check, test_id, before_state, after_state, message)
    if after is None:
        comparison.disappeared.append(change)
    elif after_state in FAILING:
        if before_state in FAILING:
            comparison.still_failing.append(change)
        else:
            comparison.newly_failing.append(change)
    elif after_state == "skipped":
        if before is None:
            # a new async test that nothing runs is as broken as an old one
            (comparison.newly_skipped if is_async_not_run(after) else comparison.appeared).append(change)
        elif before_state != "skipped":
            comparison.newly_skipped.append(change)
        elif is_async_not_run(after) and not is_async_not_run(before):
            comparison.newly_skipped.append(change)  # skipped by a marker before, unrunnable now
        else:
            comparison.unchanged += 1
    else:  # passed
        if before is None:
            comparison.appeared.append(change)
        elif before_state in FAILING or before_state == "skipped":
            comparison.newly_passing.append(change)
        else:
            comparison.unchanged += 1


def _compare_check_status(
    name: str, before: CheckRun | None, after: CheckRun | None, comparison: Comparison
) -> None:
    if after is None:  # the check was not run after: nothing proves the migration kept it green
        if before is not None and before.succeeded:
            comparison.newly_failing_checks.append(CheckChange(name, _status(before), "not run"))
        return
    if after.succeeded:
        return
    change = CheckChange(name, _status(before), _status(after), after.output_tail)
    if before is not None and not before.succeeded:
        comparison.still_failing_checks.append(change)
    else:
        comparison.newly_failing_checks.append(change)


def _status(run: CheckRun | None) -> str:
    if run is None:
        return "not run"
    if run.timed_out:
        return "timed out"
    if run.exit_code == 0:
        return "passed"
    return f"failed (exit {run.exit_code})"
