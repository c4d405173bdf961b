"""The rollout at a glance: service x recipe with state, wave and PR. Pure."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Mapping

from bot.forge.base import PullRequest
from bot.model import FAILING, NO_TESTS, NOT_VALIDATED, kind_from_labels
from bot.plan.jobs import Job, Plan, Selection


STATES = ("planned", "blocked", "open", "failing checks", "no tests ran", "could not validate", "needs manual work",
          "human commits", "merged", "closed", "reverted")
HANDS_OFF = "human commits"  # an open PR whose branch holds a person's commits: the bot no longer updates it


@dataclass
class StatusRow:
    """One (service, recipe) row of `status` and of the dashboard."""

    wave: int  # the wave's number as the waves run (1-based)
    tier: str
    service: str
    recipe: str
    state: str  # planned|blocked|open|failing checks|no tests ran|could not validate|needs manual work|
    #             human commits|merged|closed|reverted
    pr: int | None
    url: str
    manual: int
    reason: str = ""  # why a blocked job can never get a PR, and so what a human must fix
    note: str = ""  # why a state is not what it seems: a planned job that reopens, a PR the bot keeps off

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def status_rows(plan: Plan, prs: Mapping[str, PullRequest], reverted: set[int] = frozenset(),
                blocked_reason: Callable[[Job], str] | None = None,
                human_commits: Callable[[Job, PullRequest], str] | None = None,
                reopening: Mapping[str, PullRequest] | None = None) -> list[StatusRow]:
    """blocked_reason(job): why a job without a PR can never get one (default: its service's problems).
    human_commits(job, pr): who pushed commits of their own onto an open PR's branch ("" when nobody did).
    reopening: the reverted PRs of jobs the rollout opens again (the recipe changed since), by job key."""
    reason_of = blocked_reason or (lambda job: job.blocked_reason)
    reopening = reopening or {}
    rows = []
    for job in plan.jobs:
        pr = prs.get(job.key)
        manual = manual_count(pr)
        reason = reason_of(job) if pr is None else ""
        state = "blocked" if reason else _state(pr, manual, reverted)
        note = ""
        if pr is None and job.key in reopening and not reason:
            note = (f"reverted in #{reopening[job.key].number}; the recipe or its options changed since, so the "
                    f"rollout opens it again")
        elif pr is not None and pr.state == "open" and human_commits is not None:
            who = human_commits(job, pr)
            if who:
                note = (f"{who}: the bot no longer updates it (its verdict, {state}, is for the bot's commit); "
                        f"comment `/retry` to rebuild it keeping them")
                state = HANDS_OFF
        rows.append(StatusRow(job.wave_number, job.tier, job.service.key, job.recipe.id, state,
                              pr.number if pr else None, pr.url if pr else "", manual, reason, note))
    return rows


def state_counts(rows: list[StatusRow]) -> dict[str, int]:
    """Jobs per state, in STATES order, states with no job left out."""
    counts = Counter(row.state for row in rows)
    return {state: counts[state] for state in STATES if counts[state]}


def _state(pr: PullRequest | None, manual: int, reverted: set[int]) -> str:
    if pr is None:
        return "planned"
    if pr.number in reverted:
        return "reverted"
    if pr.state != "open":
        return pr.state
    verdict = kind_from_labels(pr.labels)
    if verdict != "passed":
        return VERDICT_STATES[verdict]
    return "needs manual work" if manual else "open"


# An open PR's state by its verdict (bot.validation.verdict); a passed one is "open" or "needs manual work".
VERDICT_STATES = {FAILING: "failing checks", NO_TESTS: "no tests ran", NOT_VALIDATED: "could not validate"}


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


def wave_name(row: StatusRow) -> str:
    return f"{row.wave} ({row.tier})"
