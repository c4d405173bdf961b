"""The tracking issue (GitHub) or dashboard file (local) the bot keeps current. Pure rendering.

Honest about what is left: jobs per state, services whose PR was closed unmigrated, merged PRs whose
manual checklist still has open items, open revert PRs, and waves numbered as they run."""
from __future__ import annotations

from typing import Sequence

from bot.forge.base import PullRequest
from bot.plan.jobs import DONE_STATES, Plan, Selection
from bot.publish.render import MAX_BODY, marker, render
from bot.publish.status import StatusRow, state_counts

DASHBOARD_TITLE = "upgrade-bot rollout dashboard"


def dashboard_body(plan: Plan, rows: list[StatusRow], selection: Selection | None, base_branch: str,
                   base_sha: str, limit: int = MAX_BODY, reverts: Sequence[PullRequest] = ()) -> str:
    """reverts: the open revert PRs."""
    waves = []
    for wave_jobs in plan.waves():
        number = wave_jobs[0].wave_number
        in_wave = [r for r in rows if r.wave == number]
        waves.append({"number": number, "tier": wave_jobs[0].tier, "total": len(in_wave),
                      "done": sum(r.state in (*DONE_STATES, "reverted") for r in in_wave)})
    current = None if selection is None else selection.current_wave
    closed = [r for r in rows if r.state == "closed"]
    unfinished = [r for r in rows if r.state == "merged" and r.manual]
    context = dict(base_branch=base_branch, base_sha=base_sha, rows=rows, waves=waves, current_wave=current,
                   blocked=selection.blocked if selection else [], marker=marker({"dashboard": True}),
                   broken=plan.broken, counts=state_counts(rows), closed=closed, unfinished=unfinished,
                   reverts=list(reverts),
                   migrated=all(r.state == "merged" and not r.manual for r in rows))
    shown = len(rows)
    while True:  # drop table rows from the end until the body fits
        body = render("dashboard.md.j2", shown=rows[:shown], hidden=len(rows) - shown, **context)
        if len(body) <= limit or shown == 0:
            return body
        shown = max(0, shown - max(1, (len(body) - limit) // 60))
