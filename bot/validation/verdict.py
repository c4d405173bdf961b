"""The one verdict on a migration's validation. Pure.

Computed once from the check runs on the base and on the branch (`judge`), or from why they could not run
(`not_validated`), and read by every surface: the PR's validation section and labels, `status`, the
dashboard and the wave gate. Four kinds, never confused:

- ``passed``: tests passed on the base, the same tests ran on the branch, and none newly fails,
  disappears or is skipped; every test that exercises the change passed on the base.
- ``failing``: tests newly fail (or disappeared, or became skipped, or a check that passed on the base
  fails): `failures` names each with its first error line.
- ``no tests ran``: nothing passed on the base (nothing collected, every test errored or was skipped,
  a conftest that does not import): `cause` is the error, `advice` what to do about it.
- ``could not validate``: the environment could not be built, the checks could not start or finish (pytest
  refusing its own command line, as when `addopts` holds the option of a plugin nobody installed),
  or the tests that exercise the change cannot run on the base either (a broker, a module this machine
  lacks: they fail, or a module of them is skipped whole): `cause` in the tool's own words, `advice` what to do.

Only ``passed`` is green for the gate; ``untested-is-green`` makes ``no tests ran`` green too.

The `Verdict` data class lives in bot.model (the status and PR rendering read it without depending on
validation); this module judges. Fields (kept small on purpose: other modules build verdicts too, e.g.
environment builders call ``not_validated(cause, advice)`` with the installer's own message):
  kind      one of KINDS
  cause     one line, the first error as the tool printed it ("" when passed)
  advice    one sentence: what a human does next ("" when passed)
  failures  failing only: "test id: first error line", one per newly failing test or check
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence

from bot.model import (FAILING, KINDS, LABELS, NO_TESTS, NOT_VALIDATED, PASSED, Verdict,  # noqa: F401 (the model,
                       kind_from_labels)                                                    # here for its users)
from bot.validation.checks import CheckRun, TestOutcome
from bot.validation.compare import Comparison, compare

MAX_FAILURES = 25
RETRY = "then comment `/retry` on the PR"
_EXCEPTION_LINE = re.compile(r"^(?:E\s+)?((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit)\b(?::.*)?)$")
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
# pytest refusing its own command line (exit 4): "__main__.py: error: unrecognized arguments: --cov=app"
_USAGE_ERROR = re.compile(r"^[\w.-]+: (error: .+)$")
# options that the configuration's `addopts` often holds, and the plugin that gives each
_PLUGIN_OPTIONS = {"--cov": "pytest-cov", "-n": "pytest-xdist", "--numprocesses": "pytest-xdist",
                   "--timeout": "pytest-timeout", "--reruns": "pytest-rerunfailures", "--benchmark": "pytest-benchmark",
                   "--mypy": "pytest-mypy", "--flake8": "pytest-flake8", "--randomly": "pytest-randomly",
                   "--html": "pytest-html", "--snapshot": "syrupy", "--doctest-plus": "pytest-doctestplus",
                   "--asyncio-mode": "pytest-asyncio", "--dist": "pytest-xdist", "--count": "pytest-repeat"}


# the temporary checkout checks run in (bot.gitops names it so): its path means nothing on the PR
_CHECKOUT_PATH = re.compile(r"(?:file://)?/[^\s'\"`]*?/upgrade-bot-wt-\d+-[^/\s'\"`]+/")


def not_validated(cause: str, advice: str = "") -> Verdict:
    """The checks could not say anything: the environment could not be built, or they could not start."""
    return Verdict(NOT_VALIDATED, _one_line(_CHECKOUT_PATH.sub("", str(cause))),
                   advice or f"fix what the message says, {RETRY}")


def judge(baseline: Sequence[CheckRun], after: Sequence[CheckRun], exercising: Collection[str] | None = None,
          comparison: Comparison | None = None) -> Verdict:
    """baseline: the check runs on the base; after: on the branch. exercising: the test modules (service-
    relative paths, "tests/test_x.py") that exercise the change (bot.validation.exercised); None when
    unknown, and then only "nothing passed on the base" keeps a verdict from passing. An entry ending in "::"
    ("tests/test_x.py::") covers that module's collected tests but not its collection error."""
    comparison = comparison or compare(baseline, after)
    # on the branch only a command that cannot start is the machine's doing: a suite that hangs, or an
    # environment without pytest, where the base had one, is what the migration did (failing, below)
    unstarted = _not_started(baseline) or _not_started(after, branch=True)
    if unstarted:
        return unstarted
    if not comparison.ok():
        return Verdict(FAILING, failures=tuple(_failures(comparison)))
    if not _anything_passed(baseline):
        cause = _why_nothing_passed(baseline)
        return Verdict(NO_TESTS, cause, _advice_for(cause, nothing_collected=_nothing_collected(baseline)))
    unverified = unverified_tests(baseline, exercising)
    if unverified:
        cause = _common_cause(unverified)
        return Verdict(NOT_VALIDATED, f"{len(unverified)} test(s) that exercise this change do not pass on the "
                                      f"base either: {cause}",
                       _advice_for(cause, exercising=True))
    return Verdict(PASSED)


# --- what each kind says ----------------------------------------------------------------------------
def _not_started(runs: Sequence[CheckRun], branch: bool = False) -> Verdict | None:
    """A check that could not start (its command missing, pytest not installed) or never reported a test
    before it timed out says nothing about the migration."""
    for run in runs:
        if run.outcomes:
            continue
        tail = run.output_tail
        if "[upgrade-bot] cannot start" in tail:
            return not_validated(_last_line_with(tail, "cannot start"), f"fix the check's command "
                                 f"(`[[checks]]` in the configuration), {RETRY}")
        if branch:
            continue
        if "No module named pytest" in tail:
            return not_validated(f"{run.name}: pytest is not installed in the service's test environment",
                                 f"declare pytest where the service declares its test dependencies, or configure "
                                 f"`[[checks]]`, {RETRY}")
        if run.timed_out:
            return not_validated(f"{run.name}: timed out before reporting any test",
                                 f"raise the check's `timeout`, or make the suite faster, {RETRY}")
        usage = _usage_error(tail) if run.exit_code == 4 else ""
        if usage:
            return not_validated(f"{run.name}: {usage}", _usage_advice(usage))
    return None


def _usage_error(tail: str) -> str:
    return next((match.group(1) for line in reversed(tail.splitlines())
                 if (match := _USAGE_ERROR.match(line.strip()))), "")


def _usage_advice(usage: str) -> str:
    """Mostly an option of a plugin the service's CI installs and its declarations do not (`--cov` in addopts)."""
    words = usage.replace("=", " ").split()
    plugins = sorted({plugin for option, plugin in _PLUGIN_OPTIONS.items()
                      if any(word == option or word.startswith(option + "-") for word in words)})
    named = f" (`{'`, `'.join(plugins)}`)" if plugins else ""
    return (f"pytest's configuration (its `addopts`) uses an option of a plugin that is not installed where the tests "
            f"run{named}: declare the plugin with the service's test dependencies, or configure `[[checks]]`, {RETRY}")


def _failures(comparison: Comparison) -> list[str]:
    lines = [f"{t.test_id}: {_first(t.message) or t.after}" for t in comparison.newly_failing]
    lines += [f"{t.test_id}: gone ({'it ' + t.before + ' on the base' if t.before else 'no longer collected'})"
              for t in comparison.disappeared]
    lines += [f"{t.test_id}: skipped now ({_first(t.message) or 'no reason given'})" for t in comparison.newly_skipped]
    named = {t.check for t in [*comparison.newly_failing, *comparison.disappeared, *comparison.newly_skipped]}
    lines += [f"check {c.name}: {c.before} on the base, {c.after} here"  # a bare exit status, if nothing else
              + (f" ({_exception_in(c.output_tail)})" if _exception_in(c.output_tail) else "")
              for c in comparison.newly_failing_checks if c.name not in named or c.after == "timed out"]
    return lines[:MAX_FAILURES]


def _anything_passed(runs: Sequence[CheckRun]) -> bool:
    for run in runs:
        if any(o.outcome == "passed" for o in run.outcomes.values()):
            return True
        if not run.outcomes and run.succeeded:
            return True  # a check without per-test results (lint, build) that passed verified something
    return False


def _nothing_collected(runs: Sequence[CheckRun]) -> bool:
    return all(not run.outcomes and run.exit_code == 5 for run in runs)


def _why_nothing_passed(runs: Sequence[CheckRun]) -> str:
    if not runs:
        return "no check ran"
    failing = [o for run in runs for o in run.outcomes.values() if o.outcome in ("failed", "error")]
    if failing:
        return _common_cause(failing)
    for run in runs:
        if run.outcomes:  # every test skipped
            reasons = Counter(_first(o.message) for o in run.outcomes.values())
            reason = reasons.most_common(1)[0][0]
            return f"{run.name}: every test was skipped" + (f" ({reason})" if reason else "")
    for run in runs:
        if run.exit_code == 5:
            return f"{run.name}: no tests collected (exit 5)"
        found = _exception_in(run.output_tail)
        if found:
            return found
    run = runs[0]
    return f"{run.name}: exited {run.exit_code} without reporting any test"


def unverified_tests(baseline: Sequence[CheckRun], exercising: Collection[str] | None) -> list[TestOutcome]:
    """The base's tests that exercise the change and say nothing about it: what the branch cannot be judged on.
    Those that fail or error there, and those of a test module whose every test was skipped there (a
    `skipif(no broker)` guard): nothing ran the migrated code."""
    if not exercising:
        return []
    modules = {entry for entry in exercising if not entry.endswith("::")}
    collected_only = tuple(entry for entry in exercising if entry.endswith("::"))
    covered = [o for run in baseline for o in run.outcomes.values()
               if o.test_id.split("::", 1)[0] in modules or o.test_id.startswith(collected_only)]
    by_module: dict[str, list[TestOutcome]] = {}
    for outcome in covered:
        by_module.setdefault(outcome.test_id.split("::", 1)[0], []).append(outcome)
    never_ran = {module for module, outcomes in by_module.items()
                 if all(o.outcome == "skipped" and not o.message.startswith("expected failure") for o in outcomes)}
    return [o for o in covered if o.outcome in ("failed", "error") or o.test_id.split("::", 1)[0] in never_ran]


def _common_cause(outcomes: Sequence[TestOutcome]) -> str:
    """The first error line most of them share, as the tool printed it."""
    lines = Counter(_exception_in(o.message) or _first(o.message) or o.outcome for o in outcomes)
    line, count = lines.most_common(1)[0]
    where = outcomes[0].test_id if len(outcomes) == 1 else ""
    return f"{where}: {line}" if where else line


def _advice_for(cause: str, *, nothing_collected: bool = False, exercising: bool = False) -> str:
    missing = _MISSING_MODULE.search(cause)
    if missing:
        return (f"`{missing.group(1).split('.')[0]}` is not installed where the tests run: declare it in the "
                f"service's test dependencies (or configure the check's environment), {RETRY}")
    if nothing_collected:
        return ("add tests to the service, or review the change by hand; `untested-is-green = true` lets the "
                "wave gate count such services green")
    if exercising:
        return (f"they need something this machine does not provide (see the error): provide it where the bot "
                f"runs and {RETRY.removeprefix('then ')}, or run them by hand before merging")
    return f"make the tests pass on the base where the bot runs them (see the error), {RETRY}"


# --- text helpers ------------------------------------------------------------------------------------
def _first(text: str) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def _exception_in(text: str) -> str:
    """The last line that reads like a raised exception ("E   ModuleNotFoundError: No module named 'x'")."""
    found = ""
    for line in (text or "").splitlines():
        match = _EXCEPTION_LINE.match(line.strip())
        if match:
            found = match.group(1).strip()
    return found


def _last_line_with(text: str, needle: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if needle in line), text.strip()[-200:])


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return " / ".join(lines[:3])[:500] if lines else "unknown reason"
