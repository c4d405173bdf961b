"""One run of the bot: plan, then for each selected job build the branch and open or update its PR."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Protocol

from bot.blocked import BlockedJobs
from bot.config import Config, check_service_names
from bot.dashboard import DASHBOARD_TITLE, dashboard_body
from bot.discovery import discover_configured
from bot.errors import BotError, ConfigError
from bot.forge.base import Forge, PullRequest
from bot.gitops import GitRepo, RefUpdate
from bot.job_inputs import job_inputs, unchanged_since
from bot.locking import LockError, LockUpdater
from bot.migrate import LOCKS_CANNOT_BUMP, ServiceChange, apply_recipe, hold_back_unbumped
from bot.model import repo_path
from bot.parallel import CommitOn, commit_key, compute_changes
from bot.planning import Job, Plan, Selection, make_plan, select_jobs
from bot.pr_content import (ROLLBACK_PLACEHOLDER, Validation, commit_message, marker_job_key,
                             metadata, pr_body, pr_title, with_merge_sha)
from bot.publish_batch import Publication, PublishBatch
from bot.recipe import Recipe
from bot.reconcile import reconcile_local_merges
from bot.render import read_marker
from bot.sharding import Shard
from bot.status import manual_count, status_rows


class Validator(Protocol):
    def validate(self, job: Job, base_sha: str, head_sha: str, change: ServiceChange | None = None) -> Validation: ...


@dataclass
class JobResult:
    job: Job
    status: str  # opened|updated|unchanged|failed|blocked|no-change|dry-run (blocked: see Runner.prepare)
    message: str = ""
    pr: PullRequest | None = None
    manual: int = 0
    diff: str = ""


@dataclass
class RunReport:
    plan: Plan
    selection: Selection | None
    base_sha: str
    results: list[JobResult] = field(default_factory=list)
    dashboard: str = ""
    stuck: list[Job] = field(default_factory=list)  # jobs that can never get a PR until a human fixes them

    @property
    def failed(self) -> bool:
        return bool(self.plan.broken or self.stuck) or any(r.status == "failed" for r in self.results)


Progress = Callable[[int, int, JobResult], None]


class Runner:
    def __init__(self, repo: GitRepo, forge: Forge, config: Config, recipes: list[Recipe],
                 validator: Validator | None = None, gate=None, locks: LockUpdater | None = None) -> None:
        self.repo, self.forge, self.config, self.recipes = repo, forge, config, recipes
        self.locks = locks or LockUpdater()
        self.validator = validator
        self.gate = gate  # bot.gate.Gate, or None: merged waves count as green
        self.blocked = BlockedJobs(repo.state_dir, config.recipe_options)  # jobs that cannot get a PR, and why
        self.last_listing: list[PullRequest] = []

    def plan(self, prs: dict[str, PullRequest] | None = None) -> tuple[Plan, str]:
        """prs: the bot's PRs by job key, when the caller already has them (one list call per run)."""
        self.repo.fetch(self.forge.push_url())
        self._fetched = True
        base_sha = self.repo.remote_head(self.config.base_branch)
        if base_sha is None:
            raise ConfigError(self.config.source or "defaults", "base-branch",
                              f"origin has no branch {self.config.base_branch!r}")
        services, skipped = discover_configured(self.repo.snapshot(base_sha), self.config)
        warnings = check_service_names(self.config, {n for s in services for n in (s.name, s.path, s.key)})
        with_prs = set(self.pr_states() if prs is None else prs)
        plan = make_plan(services, skipped, self.recipes, self.config, with_prs)
        plan.warnings += warnings
        return plan, base_sha

    def state(self) -> tuple[Plan, str, dict[str, PullRequest], set[int]]:
        """The plan, the base, the bot's PRs by job key and the reverted ones, from one PR listing."""
        listing = self.listing()
        prs = self.pr_states(listing)
        plan, base_sha = self.plan(prs)
        return plan, base_sha, prs, self.reverted(listing)

    def open_reverts(self, listing: list[PullRequest] | None = None) -> list[PullRequest]:
        """The revert PRs still open (the dashboard lists them), from their markers."""
        listed = self.last_listing if listing is None else listing
        return [pr for pr in listed if pr.state == "open" and "revert_of" in (read_marker(pr.body) or {})]

    def listing(self) -> list[PullRequest]:
        """Every PR under the branch prefix, reverts included: the one PR list request (set) of a run."""
        listed = self.forge.list_prs(self.config.branch_prefix + "/")
        if self.forge.name == "local":  # a merge killed halfway left its PR open: git says it is merged
            if not getattr(self, "_fetched", False):
                self.repo.fetch(self.forge.push_url())
                self._fetched = True
            listed = reconcile_local_merges(self.repo, self.forge, listed)
        self.last_listing = listed
        return listed

    def pr_states(self, listing: list[PullRequest] | None = None) -> dict[str, PullRequest]:
        prs = {}
        for pr in self.listing() if listing is None else listing:
            meta = read_marker(pr.body)
            if meta and "revert_of" not in meta:  # a PR is the bot's only if it carries the marker
                prs[marker_job_key(meta)] = pr
        return prs

    def reverted(self, listing: list[PullRequest] | None = None) -> set[int]:
        """Numbers of bot PRs whose revert PR has been merged."""
        out = set()
        revert_prefix = f"{self.config.branch_prefix}/revert/"
        for pr in self.listing() if listing is None else listing:
            meta = read_marker(pr.body) or {}
            if pr.head.startswith(revert_prefix) and pr.state == "merged" and "revert_of" in meta:
                out.add(int(meta["revert_of"]))
        return out

    def run(self, *, dry_run: bool = False, all_waves: bool = False, progress: Progress | None = None,
            workers: int = 1, shard: Shard | None = None) -> RunReport:
        """workers: processes for the codemods (effects stay here, in order). shard: run only the jobs of
        the services in this shard and leave the dashboard to the caller (`upgrade-bot dashboard`)."""
        plan, base_sha, prs, reverted = self.state()
        selection = self.select(plan, prs, base_sha, all_waves=all_waves or dry_run)
        mine = [j for j in plan.jobs if shard is None or shard.owns(j.service.path)]
        report = RunReport(plan, selection, base_sha)
        jobs = selection.maintain + selection.open
        if shard is not None:
            opening = [j for j in selection.open if shard.owns(j.service.path)]
            if self.config.max_prs_per_run:
                opening = opening[:shard.quota(self.config.max_prs_per_run)]
            jobs = [j for j in selection.maintain if shard.owns(j.service.path)] + opening
        current = {j.key for j in jobs if not dry_run and self.is_current(j, prs.get(j.key), base_sha)}
        commit_on = CommitOn(self.repo.repo.git_dir, base_sha, self.config.identity,
                             frozenset(j.key for j in jobs if j.key not in prs))
        changes = compute_changes([j for j in jobs if j.key not in current], self.config.recipe_options, workers,
                                  None if dry_run else commit_on)
        def record(result: JobResult) -> None:
            if result.pr is not None:
                prs[result.job.key] = result.pr
            if result.status == "blocked" and result.pr is None:
                self.blocked.record(result.job, result.message)
            elif result.status not in ("failed", "dry-run") and not dry_run:
                self.blocked.clear(result.job)
            report.results.append(result)
            if progress:
                progress(len(report.results), len(jobs), result)

        batch = PublishBatch(self.publish, record)
        for job in jobs:
            pr = prs.get(job.key)
            if job.key in current:
                batch.add(JobResult(job, "unchanged", "", pr, manual_count(pr)))
            else:
                batch.add(self.prepare(job, base_sha, pr, next(changes), dry_run=dry_run))
        batch.flush()
        # after the jobs: the workers have read the sources of the services they migrated
        report.stuck = [j for j in mine if j.key not in prs and self.blocked.reason(j)]
        if not dry_run:
            self.blocked.save()
            # what waits, as this run left it: jobs it found blocked are named in the gate's message too
            report.selection = self.select(plan, prs, base_sha, all_waves=all_waves)
        if not dry_run and shard is None:  # after sharded runs, `upgrade-bot dashboard` does both, once
            self.fill_merge_shas(prs)
            report.dashboard = self.publish_dashboard(plan, base_sha, prs, reverted)
        return report

    def fill_merge_shas(self, prs: dict[str, PullRequest]) -> None:
        """A PR merged on the forge gets its merge sha in its rollback command, once, ready to copy."""
        for pr in prs.values():
            if pr.state == "merged" and pr.merge_sha and ROLLBACK_PLACEHOLDER in pr.body:
                self.forge.update_pr(pr.number, body=with_merge_sha(pr.body, pr.merge_sha))

    def is_current(self, job: Job, pr: PullRequest | None, base_sha: str) -> bool:
        """The job's open PR was built from the same inputs and its branch is still the bot's one commit on
        that PR's base: nothing to read, parse, rewrite, push or write (bot.job_inputs)."""
        if pr is None or pr.state != "open" or job.service.problems:
            return False
        meta = read_marker(pr.body)
        inputs = job_inputs(job.service, job.recipe, self.config.recipe_options.get(job.recipe.id))
        if not unchanged_since(meta, inputs, base_sha, every_base_move=self.config.rebase_on_any_base_move):
            return False
        head = self.repo.remote_head(job.branch)
        if head is None:
            return False
        commit = self.repo.commit(head)
        return commit.parents == (meta.get("base"),) and commit.author_email == self.config.identity.email

    def publish_dashboard(self, plan: Plan, base_sha: str, prs: dict[str, PullRequest], reverted: set[int]) -> str:
        selection = self.select(plan, prs, base_sha)
        body = dashboard_body(plan, self.status_rows(plan, prs, reverted), selection,
                              self.config.base_branch, base_sha, reverts=self.open_reverts())
        return self.forge.publish_dashboard(DASHBOARD_TITLE, body)

    def status_rows(self, plan: Plan, prs: dict[str, PullRequest], reverted: set[int]):
        return status_rows(plan, prs, reverted, blocked_reason=self.blocked.reason)

    def select(self, plan: Plan, prs: dict[str, PullRequest], base_sha: str, *, all_waves: bool = False) -> Selection:
        kwargs = {}
        if self.gate is not None:
            self.gate.prs, self.gate.base_sha = prs, base_sha
            kwargs["is_green"] = self.gate.is_green
        return select_jobs(plan, {k: p.state for k, p in prs.items()}, self.config, all_waves=all_waves,
                           blocked_reason=self.blocked.reason, **kwargs)

    def migrate(self, job: Job) -> ServiceChange:
        """The recipe applied and its locks regenerated, in memory; held back when a pin stays old."""
        change = apply_recipe(job.service, job.recipe, self.config.recipe_options.get(job.recipe.id))
        return self.update_locks(job, change)

    def update_locks(self, job: Job, change: ServiceChange) -> ServiceChange:
        """Lock tools are effects (processes, the index): they run here, after the codemod (maybe a worker's)."""
        hold_back_unbumped(job.service, change, job.recipe, LOCKS_CANNOT_BUMP)  # no lock tool run for nothing
        if not change.held_back:
            self.locks.update(job.service, change)  # lock files and new hashes, in the same commit
            hold_back_unbumped(job.service, change, job.recipe)  # what the lock tools could not bump
        return change

    def run_job(self, job: Job, base_sha: str, pr: PullRequest | None, *, dry_run: bool = False) -> JobResult:
        """One job, start to end, in this process."""
        change = next(compute_changes([job], self.config.recipe_options, workers=1))
        return self.finish_job(job, base_sha, pr, change, dry_run=dry_run)

    def finish_job(self, job: Job, base_sha: str, pr: PullRequest | None, change: ServiceChange | BotError, *,
                   dry_run: bool = False) -> JobResult:
        outcome = self.prepare(job, base_sha, pr, change, dry_run=dry_run)
        return self.publish([outcome])[0] if isinstance(outcome, Publication) else outcome

    def prepare(self, job: Job, base_sha: str, pr: PullRequest | None, change: ServiceChange | BotError, *,
                dry_run: bool = False) -> JobResult | Publication:
        """The job's result when it ends here, or its commit, checked and described, ready to publish.

        "blocked": the job cannot get a PR until a human acts (a pin the bot cannot bump, a lock tool that
        fails); with no PR yet, it is remembered (bot.blocked) and makes `run` exit 1."""
        try:
            if isinstance(change, BotError):
                raise change
            change = self.update_locks(job, change)
        except LockError as exc:
            return JobResult(job, "blocked" if pr is None else "failed", str(exc), pr)
        except BotError as exc:
            return JobResult(job, "failed", str(exc))
        if not change.changed:
            why = f"{len(change.manual)} manual item(s), nothing to rewrite" if change.manual else "nothing to change"
            if change.held_back:
                return JobResult(job, "blocked" if pr is None else "no-change", f"not migrated: {change.held_back}",
                                 pr, len(change.manual))
            return JobResult(job, "no-change", why, pr, len(change.manual))
        if dry_run:
            return JobResult(job, "dry-run", "", pr, len(change.manual), diff=_diff(job, change))
        try:
            return self._build(job, base_sha, pr, change)
        except BotError as exc:
            return JobResult(job, "failed", str(exc), pr, len(change.manual))

    def _build(self, job: Job, base_sha: str, pr: PullRequest | None, change: ServiceChange) -> JobResult | Publication:
        remote_sha = self.repo.remote_head(job.branch)
        if remote_sha:
            foreign = self.foreign_commits(job.branch, base_sha)
            if foreign:
                who = ", ".join(sorted({c.author_email for c in foreign}))
                return JobResult(job, "blocked", f"{job.branch} has {len(foreign)} commit(s) not made by the bot "
                                 f"({who}); not touching it. Comment /retry to rebuild it keeping them.",
                                 pr, len(change.manual))
        meta = metadata(job, base_sha, change)
        current = read_marker(pr.body) if pr else None
        up_to_date = (remote_sha is not None and current is not None
                      and (current.get("base"), current.get("change")) == (meta["base"], meta["change"])
                      and self.repo.commit(remote_sha).parents == (base_sha,))
        if up_to_date and pr is not None:
            return JobResult(job, "unchanged", "", pr, len(change.manual))
        ready = change.head if change.head and change.head_key == commit_key(job, change) else ""  # locks changed it?
        head = remote_sha if up_to_date else ready or self.repo.commit_files(
            base_sha, change.repo_paths(), commit_message(job, change), self.config.identity)
        validation = self.validator.validate(job, base_sha, head, change) if self.validator else None
        body = pr_body(job, self.config.base_branch, base_sha, change, validation)
        return Publication(job, pr, change, head, remote_sha, body, validation, push=not up_to_date)

    def publish(self, batch: list[Publication]) -> list[JobResult]:
        """One push for the branches of the whole batch (a push costs a process and a round trip, whatever
        its number of refs), then each PR opened or updated, in order."""
        if not batch:
            return []
        pushed = self.repo.push_many([RefUpdate(p.job.branch, p.head, p.remote_sha) for p in batch if p.push],
                                     self.forge.push_url())
        results = []
        for publication in batch:
            outcome = pushed.get(publication.job.branch, False)
            try:
                if isinstance(outcome, BotError):
                    raise outcome
                results.append(self._open_or_update(publication, outcome))
            except BotError as exc:
                results.append(JobResult(publication.job, "failed", str(exc), publication.pr,
                                         len(publication.change.manual)))
        return results

    def _open_or_update(self, publication: Publication, pushed: bool) -> JobResult:
        job, pr, head, validation = publication.job, publication.pr, publication.head, publication.validation
        title = pr_title(job)
        labels = self.labels_for(validation)
        if pr is None:
            try:
                pr = self.forge.open_pr(head=job.branch, base=self.config.base_branch, title=title,
                                        body=publication.body.text, labels=labels,
                                        reviewers=list(self.config.reviewers))
            except BotError:
                # never leave a branch this run made without its PR, and never delete one it did not
                # make: the lease is the exact commit this run pushed, and another run's open PR keeps it
                if publication.remote_sha is None and pushed and not self._open_pr_on(job.branch):
                    self.repo.push(None, job.branch, head, self.forge.push_url())
                raise
            status = "opened"
        else:
            pr = self.forge.update_pr(pr.number, title=title, body=publication.body.text, labels=labels)
            status = "updated"
        self._post_overflow(pr, publication.body.overflow)
        message = "" if validation is None or validation.verdict.passed else validation.verdict.line()
        return JobResult(job, status, message, pr, len(publication.change.manual))

    def _open_pr_on(self, branch: str) -> bool:
        try:
            found = self.forge.find_pr(branch)
        except BotError:
            return True  # cannot tell: keeping a branch is safe, deleting one is not
        return found is not None and found.state == "open"

    def foreign_commits(self, branch: str, base_sha: str):
        head = self.repo.remote_head(branch)
        fork_point = self.repo.merge_base(head, base_sha) or base_sha
        return [c for c in self.repo.commits_between(fork_point, head)
                if c.author_email != self.config.identity.email]

    def labels_for(self, validation: Validation | None) -> list[str]:
        labels = list(self.config.labels)
        if validation is not None and validation.verdict.label:
            labels.append(validation.verdict.label)
        return labels

    def _post_overflow(self, pr: PullRequest, parts: list[str]) -> None:
        if not parts:
            return
        posted = {c.body for c in self.forge.list_comments(pr.number)}
        for part in parts:
            if part not in posted:
                self.forge.comment(pr.number, part)


def _diff(job: Job, change: ServiceChange) -> str:
    chunks = []
    for rel, new in sorted(change.changed.items()):
        old = job.service.files.get(rel, "")
        path = repo_path(job.service.path, rel)
        chunks += difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}")
    return "".join(chunks)
