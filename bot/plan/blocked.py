"""Why a job without a PR can never get one until a human acts: `status`, the dashboard, the wave gate and
`run`'s exit code all ask here, so a job never stalls as "planned" with no reason.

Three sources, cheapest first:
- what the last run that tried the job found (a pin held back after the lock tools ran, a lock tool that
  failed), kept in `.git/upgrade-bot/blocked.json` with the job's inputs (bot.change.inputs): a change to the
  service, the recipe or its options makes the record stale, and every run tries the job again anyway;
- the service's own problems (an unreadable requirements file, a syntax error: reads its sources once);
- the recipe's pin, which the bot cannot bump (a URL, a Poetry git source, a file shared with other
  services: bot.change.apply.unbumpable_pin, no codemod run)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from bot.change.apply import unbumpable_pin
from bot.change.inputs import job_inputs
from bot.plan.jobs import Job


class BlockedJobs:
    def __init__(self, state_dir: Path | None, recipe_options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.path = state_dir / "blocked.json" if state_dir else None
        self.options = recipe_options or {}
        self.records: dict[str, dict[str, str]] = self._load()
        self._reasons: dict[str, str] = {}
        self._dirty = False

    def reason(self, job: Job) -> str:
        if job.key not in self._reasons:
            self._reasons[job.key] = self._recorded(job) or job.blocked_reason or unbumpable_pin(job.service, job.recipe)
        return self._reasons[job.key]

    def record(self, job: Job, reason: str) -> None:
        """A run found that the job cannot get a PR: kept until its inputs change or it gets one."""
        self.records[job.key] = {"inputs": self._inputs(job), "reason": reason}
        self._reasons[job.key] = reason
        self._dirty = True

    def clear(self, job: Job) -> None:
        self._reasons.pop(job.key, None)
        if self.records.pop(job.key, None) is not None:
            self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".blocked-")
        with os.fdopen(fd, "w") as out:
            json.dump(self.records, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)  # a reader never sees half a file
        self._dirty = False

    def _recorded(self, job: Job) -> str:
        record = self.records.get(job.key)
        if record and record.get("inputs") and record["inputs"] == self._inputs(job):
            return record.get("reason", "")
        return ""

    def _inputs(self, job: Job) -> str:
        return job_inputs(job.service, job.recipe, self.options.get(job.recipe.id))

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}  # a damaged record only loses what it remembered: the next run finds it again
        return data if isinstance(data, dict) else {}
