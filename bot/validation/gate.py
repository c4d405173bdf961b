"""Is the base green after the merges of the waves done so far? One question per run, about the base tip,
which holds every merge: a red merge commit that a later commit fixed never blocks.

On GitHub the answer is the check runs and statuses of the tip: one read per run whatever the number of
PRs, kept in `.git/upgrade-bot/gate/<sha>` once green (a red or pending tip is asked again next time), so
shards and later runs on the same tip ask nothing. Locally the bot runs its own checks on the tip for each
merged service (cached by the service's tree) and judges them against the PR's base with the verdict model:
only *passed* is green (and *no tests ran* with `untested-is-green`).

A maintainer lets a wave go although the tip is not green by accepting it: `/accept-wave` on a merged PR of
the wave, or `upgrade-bot accept-wave`. The PR's marker then holds "accepted" (bot.publish.acceptance)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Mapping

from bot.forge.base import CheckResult, Forge, PullRequest
from bot.gitops import GitRepo
from bot.model import FAILING, NO_TESTS, Verdict
from bot.plan.jobs import Job
from bot.publish.render import read_marker

if TYPE_CHECKING:
    from bot.validation.runner import CheckRunner

ACCEPT_HINT = ("or let the next wave go as it is: comment `/accept-wave` on #{pr} (a merged PR of the wave), "
               "or run `upgrade-bot accept-wave`")


class Gate:
    def __init__(self, repo: GitRepo, forge: Forge, checks: CheckRunner | None,
                 untested_is_green: bool = False) -> None:
        self.repo, self.forge, self.checks = repo, forge, checks
        self.untested_is_green = untested_is_green
        self.prs: Mapping[str, PullRequest] = {}
        self.base_sha = ""
        self._tips: dict[str, CheckResult] = {}
        self._verdicts: dict[tuple[str, str, str], Verdict] = {}
        self.cache_dir = repo.state_dir / "gate"

    def is_green(self, jobs: list[Job]) -> tuple[bool, str]:
        merged = [(job, self.prs[job.key]) for job in jobs
                  if job.key in self.prs and self.prs[job.key].state == "merged" and self.prs[job.key].merge_sha]
        if not merged:
            return True, ""
        last = max(job.wave for job, _ in merged)
        if any(is_accepted(pr) for job, pr in merged if job.wave == last):
            return True, ""
        example = max((pr for job, pr in merged if job.wave == last), key=lambda pr: pr.number)
        if self.forge.name != "local":
            return self._tip_checks(example)
        return self._own_checks(merged, example)

    # --- GitHub: the tip's checks, read once --------------------------------------------------
    def tip_checks(self) -> CheckResult:
        sha = self.base_sha
        if sha in self._tips:
            return self._tips[sha]
        cached = self.cache_dir / sha
        if cached.exists():
            result = CheckResult(**json.loads(cached.read_text()))
        else:
            result = self.forge.checks(sha)
            if result.state == "success":  # only green is final: a red or pending tip may be re-run
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps({"state": result.state, "details": result.details}))
        self._tips[sha] = result
        return result

    def _tip_checks(self, example: PullRequest) -> tuple[bool, str]:
        result = self.tip_checks()
        where = f"`{example.base}` at {self.base_sha[:12]}"
        accept = ACCEPT_HINT.format(pr=example.number)
        if result.state == "success":
            return True, ""
        if result.state == "pending":
            return False, f"checks on {where} are still running; the next run looks again"
        if result.state == "failure":
            return False, (f"checks fail on {where} ({', '.join(result.details[:3])}): fix `{example.base}` "
                           f"(the next green commit lets the rollout go on), {accept}")
        if self.untested_is_green:
            return True, ""
        return False, (f"no check ran on {where}: nothing says the base is green; make CI run on "
                       f"`{example.base}`, or set `untested-is-green = true`, {accept}")

    # --- local forge: the bot's own checks on the tip -----------------------------------------
    def _own_checks(self, merged: list[tuple[Job, PullRequest]], example: PullRequest) -> tuple[bool, str]:
        if self.checks is None:  # --skip-checks: nothing to judge by
            return True, ""
        from bot.validation.runner import NotChecked  # here: loaded with the check runner, never with --skip-checks
        seen = set()
        for job, pr in merged:
            if job.service.key in seen:
                continue
            seen.add(job.service.key)
            baseline = (read_marker(pr.body) or {}).get("base") or self.base_sha
            accept = ACCEPT_HINT.format(pr=example.number)
            try:
                verdict = self.service_verdict(job, baseline)
            except NotChecked:  # a read-only gate (`status`) runs nothing: the next `run` checks the tip
                return False, (f"{job.service.path}: the base after the merge ({self.base_sha[:12]}) is not "
                               f"checked yet; the next `upgrade-bot run` checks it")
            if verdict.is_green(self.untested_is_green):
                continue
            if verdict.kind == NO_TESTS:
                return False, (f"{job.service.path}: no test ran on the base after the merge ({verdict.cause}); "
                               f"{verdict.advice}, or set `untested-is-green = true`, {accept}")
            if verdict.kind == FAILING:
                return False, (f"{job.service.path} fails on the base after the merge: "
                               f"{'; '.join(verdict.failures[:3])}. Fix it on the base, {accept}")
            return False, f"{job.service.path}: could not validate the base after the merge: {verdict.cause}; {accept}"
        return True, ""

    def service_verdict(self, job: Job, baseline: str) -> Verdict:
        from bot.validation.envs import EnvBuildError  # here, like the verdicts: only when checks run
        from bot.validation.verdict import judge, not_validated  # here, like NotChecked: only when checks run
        key = (job.service.path, baseline, self.base_sha)
        if key not in self._verdicts:
            try:
                before = self.checks.results(job.service.name, job.service.path, baseline)
                now = self.checks.results(job.service.name, job.service.path, self.base_sha)
                self._verdicts[key] = judge(before, now)
            except EnvBuildError as exc:
                self._verdicts[key] = not_validated(f"cannot build the test environment: {exc}")
        return self._verdicts[key]


def is_accepted(pr: PullRequest) -> bool:
    return bool((read_marker(pr.body) or {}).get("accepted"))
