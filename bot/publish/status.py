"""The rollout at a glance: service x recipe with state, wave and PR. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from bot.forge.base import PullRequest
from bot.model import TIERS
from bot.plan.jobs import Plan, Selection
from bot.publish.pr_content import UNTESTED_LABEL


@dataclass
class StatusRow:
    wave: int
    tier: str
    service: str
    recipe: str
    state: str  # planned|blocked|open|failing checks|no tests ran|needs manual work|merged|closed|reverted
    pr: int | None
    url: str
    manual: int
    reason: str = ""  # why a blocked job can never get a PR, and so what a human must fix

    def as_dict(self) -> dict:
        return dict(self.__dict__, wave=self.wave + 1)


def status_rows(plan: Plan, prs: Mapping[str, PullRequest], reverted: set[int] = frozenset()) -> list[StatusRow]:
    rows = []
    for job in plan.jobs:
        pr = prs.get(job.key)
        manual = manual_count(pr)
        state = "blocked" if pr is None and job.blocked_reason else _state(pr, manual, reverted)
        rows.append(StatusRow(job.wave, job.tier, job.service.key, job.recipe.id, state,
                              pr.number if pr else None, pr.url if pr else "", manual,
                              job.blocked_reason if state == "blocked" else ""))
    return rows


def _state(pr: PullRequest | None, manual: int, reverted: set[int]) -> str:
    if pr is None:
        return "planned"
    if pr.number in reverted:
        return "reverted"
    if pr.state != "open":
        return pr.state
    if "checks-failing" in pr.labels:
        return "failing checks"
    if UNTESTED_LABEL in pr.labels:
        return "no tests ran"
    return "needs manual work" if manual else "open"


def manual_count(pr: PullRequest | None) -> int:
    if pr is None:
        return 0
    return (pr.body or "").count("\n- [ ] **`")


def blockers(selection: Selection | None) -> list[str]:
    return list(selection.blocked) if selection else []


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def wave_name(wave: int) -> str:
    return f"{wave + 1} ({TIERS[wave]})"
