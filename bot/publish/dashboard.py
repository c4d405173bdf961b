"""The tracking issue (GitHub) or dashboard file (local) the bot keeps current. Pure rendering."""
from __future__ import annotations

from bot.model import TIERS
from bot.plan.jobs import DONE_STATES, Plan, Selection
from bot.publish.render import MAX_BODY, marker, render
from bot.publish.status import StatusRow

DASHBOARD_TITLE = "upgrade-bot rollout dashboard"


def dashboard_body(plan: Plan, rows: list[StatusRow], selection: Selection | None, base_branch: str,
                   base_sha: str, limit: int = MAX_BODY) -> str:
    waves = []
    for wave_jobs in plan.waves():
        wave = wave_jobs[0].wave
        in_wave = [r for r in rows if r.wave == wave]
        waves.append({"number": wave + 1, "tier": TIERS[wave], "total": len(in_wave),
                      "done": sum(r.state in (*DONE_STATES, "reverted") for r in in_wave)})
    current = None if selection is None or selection.current_wave is None else selection.current_wave + 1
    context = dict(base_branch=base_branch, base_sha=base_sha, rows=rows, waves=waves, current_wave=current,
                   blocked=selection.blocked if selection else [], marker=marker({"dashboard": True}),
                   broken=plan.broken)
    shown = len(rows)
    while True:  # drop table rows from the end until the body fits
        body = render("dashboard.md.j2", shown=rows[:shown], hidden=len(rows) - shown, **context)
        if len(body) <= limit or shown == 0:
            return body
        shown = max(0, shown - max(1, (len(body) - limit) // 60))
