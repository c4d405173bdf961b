"""A maintainer accepts a wave whose base is not green, so the next one opens: the acceptance is kept in
the marker of one merged PR of the wave ("accepted": who, and the base they looked at), where every run
reads it at no cost (the PR listing it makes anyway). bot.validation.gate honours it."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.forge.base import Forge, PullRequest
from bot.plan.jobs import Plan
from bot.publish.render import read_marker, with_marker


def accept(forge: Forge, pr: PullRequest, by: str, base_sha: str) -> PullRequest:
    meta = read_marker(pr.body) or {}
    meta["accepted"] = {"by": by, "base": base_sha, "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return forge.update_pr(pr.number, body=with_marker(pr.body, meta))


def wave_to_accept(plan: Plan, prs: dict[str, PullRequest], number: int | None) -> tuple[int, PullRequest | None]:
    """The wave (its number as it runs) and the merged PR of it that will carry the acceptance: the wave
    asked for, else the last wave whose PRs are all merged or closed."""
    done = [wave for wave in plan.waves()
            if all(j.key in prs and prs[j.key].state in ("merged", "closed") for j in wave)]
    if number is None:
        if not done:
            return 0, None
        number = done[-1][0].wave_number
    wave = next((w for w in plan.waves() if w[0].wave_number == number), [])
    merged = [prs[j.key] for j in wave if j.key in prs and prs[j.key].state == "merged"]
    return number, max(merged, key=lambda pr: pr.number) if merged else None


def accepted_by(pr: PullRequest) -> str:
    accepted = (read_marker(pr.body) or {}).get("accepted") or {}
    return accepted.get("by", "") if isinstance(accepted, dict) else ""

