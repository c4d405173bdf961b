"""The validator of `run --skip-checks`: every PR says plainly that no test ran. Kept apart from
bot.validation.runner so that such a run never loads the machinery that runs checks."""
from __future__ import annotations

from bot.change.apply import ServiceChange
from bot.model import NOT_VALIDATED, Verdict
from bot.plan.jobs import Job
from bot.publish.pr_content import Validation


class SkippedValidator:
    def validate(self, job: Job, base_sha: str, head_sha: str, change: ServiceChange | None = None) -> Validation:
        return Validation("", Verdict(NOT_VALIDATED, "`--skip-checks`: no test ran on the base or on this branch",
                                      "run the bot without `--skip-checks`, or review the change by hand"),
                          skipped=True)
