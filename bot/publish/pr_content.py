"""What a job's PR says: title, commit message and body. Pure (templates + plain data)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.change.apply import ServiceChange
from bot.model import LABELS, NO_TESTS, TIERS, Verdict, repo_path
from bot.plan.jobs import Job
from bot.publish.render import Body, fit_body, marker, render

UNTESTED_LABEL = LABELS[NO_TESTS]  # checks ran, but no test: never shown or counted as passed


@dataclass
class Validation:
    """What the PR's validation section says, and its verdict (bot.validation.verdict), which every
    other surface reads: labels, the run's summary, `status`, the dashboard, the gate."""

    summary: str
    verdict: Verdict
    skipped: bool = False  # --skip-checks: nothing ran at all


def pr_title(job: Job) -> str:
    title = job.recipe.title
    where = "" if job.service.path == "." else f" in {job.service.name}"  # a single-package repository
    return f"chore(deps): {title[:1].lower()}{title[1:]}{where}"


def commit_message(job: Job, change: ServiceChange) -> str:
    rules = sorted({a.rule for a in change.applied})
    lines = [pr_title(job), "", f"Applied recipe {job.recipe.id} to {job.service.path}.",
             f"Rules: {', '.join(rules) or 'none'}.",
             f"Manual changes still needed: {len(change.manual)} (listed in the pull request).", "",
             f"Upgrade-Bot-Recipe: {job.recipe.id}"]
    return "\n".join(lines) + "\n"


def metadata(job: Job, base_sha: str, change: ServiceChange) -> dict[str, Any]:
    meta = {"recipe": job.recipe.id, "version": job.recipe.version, "service": job.service.name,
            "job": job.key, "path": job.service.path, "base": base_sha,
            "change": change.digest(job.recipe.fingerprint)}
    if change.inputs:  # lets a re-run skip the job while they hold (bot.change.inputs)
        meta.update(inputs=change.inputs, tree=change.tree)
    if change.recipe_inputs:  # after a revert: the migration opens again once these differ
        meta["recipe_inputs"] = change.recipe_inputs
    return meta


def marker_job_key(meta: dict[str, Any]) -> str:
    """The job a PR belongs to; PRs opened before job keys were recorded name recipe and service."""
    return meta.get("job") or f"{meta.get('recipe')}/{meta.get('service')}"


def pr_body(job: Job, base_branch: str, base_sha: str, change: ServiceChange,
            validation: Validation | None, meta: dict[str, Any] | None = None) -> Body:
    """meta: metadata(job, base_sha, change) when the caller has it already (its change digest hashes every
    changed file: ~50 us a job)."""
    manual = [dict(item.__dict__, path=repo_path(job.service.path, item.file)) for item in change.manual]
    manual_section = render("manual_items.md.j2", manual=manual)
    files: dict[str, list[str]] = {}
    for path in sorted(change.changed):
        files[repo_path(job.service.path, path)] = []
    for applied in change.applied:
        rules = files.setdefault(repo_path(job.service.path, applied.file), [])
        times = f" ({applied.count}x)" if applied.count > 1 else ""
        rules.append(f"{applied.rule}: {applied.description}{times}")
    hidden = marker(meta or metadata(job, base_sha, change))
    text = render(
        "pr_body.md.j2", recipe=job.recipe, service=job.service, tier=job.tier, wave=job.wave_number,
        base_branch=base_branch, base_sha=base_sha, files=[{"path": p, "rules": r} for p, r in files.items()],
        manual=manual, manual_section=manual_section, notes=change.notes, marker=hidden,
        validation_section=render("validation.md.j2", validation=validation), tiers=TIERS)
    return fit_body(text, manual_section, hidden)


ROLLBACK_PLACEHOLDER = "git revert -m 1 <merge sha>"


def with_merge_sha(body: str, merge_sha: str) -> str:
    """The body of a merged PR: its rollback command names the real merge commit, ready to copy."""
    return body.replace(ROLLBACK_PLACEHOLDER, f"git revert -m 1 {merge_sha}")
