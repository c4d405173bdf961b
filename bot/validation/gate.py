"""Is the base green after a set of merged bot PRs? Check runs on GitHub; the bot's own checks locally."""
from __future__ import annotations

from typing import Mapping

from bot.forge.base import Forge, PullRequest
from bot.gitops import GitRepo
from bot.plan.jobs import Job
from bot.publish.render import read_marker
from bot.validation import EnvBuildError, compare, untested_reason
from bot.validation.runner import CheckRunner


class Gate:
    def __init__(self, repo: GitRepo, forge: Forge, checks: CheckRunner | None,
                 untested_is_green: bool = False) -> None:
        self.repo, self.forge, self.checks = repo, forge, checks
        self.untested_is_green = untested_is_green
        self.prs: Mapping[str, PullRequest] = {}
        self.base_sha = ""

    def is_green(self, jobs: list[Job]) -> tuple[bool, str]:
        merged = [(job, self.prs[job.key]) for job in jobs
                  if job.key in self.prs and self.prs[job.key].state == "merged" and self.prs[job.key].merge_sha]
        if self.forge.name != "local":
            return self._check_runs(merged)
        return self._own_checks(merged)

    def _check_runs(self, merged: list[tuple[Job, PullRequest]]) -> tuple[bool, str]:
        for _, pr in merged:
            result = self.forge.checks(pr.merge_sha)
            if result.state == "pending":
                return False, f"checks on the merge of #{pr.number} are still running"
            if result.state == "failure":
                return False, f"checks fail on the merge of #{pr.number}: {', '.join(result.details[:3])}"
            if result.state == "none" and not self.untested_is_green:
                return False, (f"no check ran on the merge of #{pr.number}: nothing says the base is green; "
                               f"make CI run on {pr.base}, or set `untested-is-green = true`")
        return True, ""

    def _own_checks(self, merged: list[tuple[Job, PullRequest]]) -> tuple[bool, str]:
        if self.checks is None:  # --skip-checks: nothing to judge by
            return True, ""
        seen = set()
        for job, pr in merged:
            if job.service.key in seen:
                continue
            seen.add(job.service.key)
            meta = read_marker(pr.body) or {}
            try:
                before = self.checks.results(job.service.name, job.service.path, meta.get("base") or self.base_sha)
                now = self.checks.results(job.service.name, job.service.path, self.base_sha)
            except EnvBuildError as exc:
                return False, f"{job.service.path}: cannot build the test environment: {exc}"
            comparison = compare(before, now)
            untested = untested_reason(now)
            if comparison.ok() and untested and not self.untested_is_green:
                return False, (f"{job.service.path}: no test ran on the base after the merge ({untested}); "
                               f"add tests to it, or set `untested-is-green = true`")
            if not comparison.ok():
                broken = [t.test_id for t in comparison.newly_failing + comparison.disappeared
                          + comparison.newly_skipped] or [c.name for c in comparison.newly_failing_checks]
                return False, f"{job.service.path} fails on the base after the merge: {', '.join(broken[:3])}"
        return True, ""
