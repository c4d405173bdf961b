"""The effects behind /retry, /revert and /accept-wave (also `upgrade-bot revert --pr N`)."""
from __future__ import annotations

from bot.change.apply import ServiceChange
from bot.errors import BotError
from bot.forge.base import PullRequest
from bot.killpoints import kill_point
from bot.publish.acceptance import accept
from bot.publish.pr_content import Validation, commit_message, marker_job_key, pr_body
from bot.publish.render import marker, read_marker, render
from bot.runner import Runner
from bot.validation.runner import render_verdict
from bot.validation.verdict import not_validated


class CommandActions:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.repo, self.forge, self.config = runner.repo, runner.forge, runner.config

    def retry(self, pr: PullRequest, *, force: bool) -> tuple[str, bool]:
        if pr.state == "merged":
            return self.migrate_again(pr)
        meta = read_marker(pr.body) or {}
        if pr.state == "closed":
            current_pr = self.runner.pr_states().get(marker_job_key(meta))
            if current_pr is not None and current_pr.number != pr.number and current_pr.state != "closed":
                return (f"This job already has pull request #{current_pr.number} ({current_pr.state}); "
                        f"nothing to reopen."), False
        plan, base_sha = self.runner.plan()
        job = next((j for j in plan.jobs if j.key == marker_job_key(meta)), None)
        if job is None:
            return (f"`{meta.get('recipe')}` no longer applies to `{meta.get('service')}` on "
                    f"`{self.config.base_branch}`; nothing to regenerate. Close this PR if it is obsolete."), False
        try:
            change = self.runner.migrate(job)
        except BotError as exc:
            return f"The recipe could not be applied: {exc}", False
        if change.held_back:
            return f"Nothing to regenerate: {change.held_back}.", False
        current = self.repo.remote_head(pr.head)
        human = self.runner.foreign_commits(pr.head, base_sha) if current else []
        head = self.repo.commit_files(base_sha, change.repo_paths(), commit_message(job, change),
                                      self.config.identity)
        kept = ""
        if human and not force:
            head, conflict = self.repo.replay(head, [c.sha for c in human], self.config.identity)
            if conflict:
                info = next(c for c in human if c.sha == conflict)
                return (f"Could not replay commit {conflict[:12]} (\"{info.subject}\" by {info.author_name}) on the "
                        f"regenerated branch: it conflicts. The branch and this PR are unchanged. Resolve it by hand, "
                        f"or comment `/retry --force` to regenerate without your commits."), False
            kept = f" and replayed {len(human)} commit(s) pushed by humans on top"
        elif human:
            kept = f"; dropped {len(human)} commit(s) pushed by humans (`--force`)"
        validator = self.runner.validator
        validation = validator.validate(job, base_sha, head, change) if validator else None
        body = pr_body(job, self.config.base_branch, base_sha, change, validation)
        self.repo.push(head, pr.head, current, self.forge.push_url())
        kill_point("retry-pushed")
        if pr.state == "closed":  # after the push: GitHub reopens a PR only while its branch exists
            self.forge.reopen_pr(pr.number)
            kept += "; reopened this pull request"
        self.forge.update_pr(pr.number, title=pr.title, body=body.text, labels=self.runner.labels_for(validation))
        return (f"Regenerated `{pr.head}` from `{self.config.base_branch}` at `{base_sha[:12]}` with recipe "
                f"`{job.recipe.id}`{kept}."), True

    def accept_wave(self, pr: PullRequest, user: str) -> tuple[str, bool]:
        if pr.state != "merged":
            return f"`/accept-wave` works on merged pull requests; this one is {pr.state}.", False
        self.repo.fetch(self.forge.push_url())
        base_sha = self.repo.remote_head(self.config.base_branch) or ""
        accept(self.forge, pr, user, base_sha)
        return (f"Accepted by @{user}: this PR's wave counts as done although `{self.config.base_branch}` (at "
                f"`{base_sha[:12]}`) is not green; the next run opens the next wave."), True
    def migrate_again(self, pr: PullRequest) -> tuple[str, bool]:
        """/retry on a merged PR whose revert was merged: a new migration PR, from the current base."""
        listing = self.runner.listing()
        key = marker_job_key(read_marker(pr.body) or {})
        if pr.number not in self.runner.reverted(listing):
            pending = [p for p in listing if p.state == "open" and (read_marker(p.body) or {}).get("revert_of") == pr.number]
            if pending:
                return (f"The revert #{pending[-1].number} of this PR is not merged yet: merge it, then comment "
                        f"`/retry` here to open the migration again."), False
            return "`/retry` works on open or closed pull requests; this one is merged (`/revert` undoes it).", False
        prs = self.runner.pr_states(listing)
        current = prs.get(key)
        if current is not None and current.number != pr.number:
            return f"This migration was opened again in #{current.number} ({current.state}); nothing to do here.", False
        plan, base_sha = self.runner.plan(prs)
        job = next((j for j in plan.jobs if j.key == key), None)
        if job is None:
            return (f"`{key}` no longer applies on `{self.config.base_branch}`; nothing to open again."), False
        result = self.runner.run_job(job, base_sha, None)
        if result.status in ("opened", "updated") and result.pr is not None:
            return (f"Opened #{result.pr.number} to migrate `{job.service.key}` again with recipe `{job.recipe.id}` "
                    f"from `{self.config.base_branch}` at `{base_sha[:12]}`."), True
        why = result.message or result.status
        return f"Could not open the migration again: {why}.", False

    def revert(self, pr: PullRequest) -> tuple[str, bool]:
        if pr.state != "merged" or not pr.merge_sha:
            return f"`/revert` works on merged pull requests; this one is {pr.state}.", False
        meta = read_marker(pr.body) or {}
        branch = f"{self.config.branch_prefix}/revert/{marker_job_key(meta)}"
        existing = self.forge.find_pr(branch)
        if existing and existing.state == "open":
            return f"A revert PR is already open: #{existing.number}.", False
        plan, base_sha = self.runner.plan()  # fetches
        head = self.repo.revert_merge(base_sha, pr.merge_sha, self.config.identity)
        if head is None:
            return (f"`git revert -m 1 {pr.merge_sha[:12]}` conflicts with `{self.config.base_branch}` now; "
                    f"revert it by hand."), False
        validation = self._validate_revert(plan, marker_job_key(meta), base_sha, head)
        self.repo.push(head, branch, self.repo.remote_head(branch), self.forge.push_url())
        kill_point("revert-pushed")
        hidden = marker({**meta, "revert_of": pr.number, "merge": pr.merge_sha})
        body = render("revert_body.md.j2", original=pr, merge_sha=pr.merge_sha, base_branch=self.config.base_branch,
                      manual=_manual_lines(pr.body), marker=hidden,
                      validation_section=render("validation.md.j2", validation=validation))
        revert_pr = self.forge.open_pr(head=branch, base=self.config.base_branch, title=f"Revert: {pr.title}",
                                       body=body, labels=self.runner.labels_for(validation) + ["revert"],
                                       reviewers=list(self.config.reviewers))
        return f"Opened #{revert_pr.number} to revert this PR (`git revert -m 1 {pr.merge_sha[:12]}`).", True

    def _validate_revert(self, plan, key: str, base_sha: str, head: str) -> Validation | None:
        """The service's checks on the base and on the revert, like any migration PR: code written for the
        new version since the merge breaks when the revert takes the version back, and the PR says so."""
        validator = self.runner.validator
        if validator is None:
            return None
        job = next((j for j in plan.jobs if j.key == key), None)
        if job is None:
            verdict = not_validated(f"`{key}` is no longer a job on `{self.config.base_branch}` (the service or the "
                                    f"recipe is gone), so its checks are unknown", "review the revert by hand")
            return Validation(render_verdict(verdict), verdict)
        return validator.validate(job, base_sha, head, self._revert_change(job, base_sha, head))

    def _revert_change(self, job, base_sha: str, head: str) -> ServiceChange:
        """What the revert changes in the service, so the verdict knows which tests exercise it: without it,
        a revert whose own tests are skipped on the base (no broker) was Passed on the others."""
        base, reverted = self.repo.snapshot(base_sha), self.repo.snapshot(head)
        prefix = "" if job.service.path in ("", ".") else job.service.path.rstrip("/") + "/"
        before = {path: base.blob_id(path) for path in base.paths() if path.startswith(prefix)}
        changed = {}
        for path in reverted.paths():
            if path.startswith(prefix) and before.get(path) != reverted.blob_id(path):
                changed[path[len(prefix):]] = reverted.read(path).decode("utf-8", "replace")
        return ServiceChange(job.service.name, job.service.path, job.recipe.id, changed=changed)


def _manual_lines(body: str) -> list[str]:
    """The original's checklist items, to show them as undone."""
    return [line[len("- [ ] "):] for line in body.splitlines() if line.startswith("- [ ] **`")]
