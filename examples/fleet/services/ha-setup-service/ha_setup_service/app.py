"""Runs the first-time setup checklist of a Home Assistant installation."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable

Check = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    detail: str = ""


class SetupWizard:
    """Runs named async checks in order; a failing required step stops the wizard."""

    def __init__(self, timeout: float = 1.0) -> None:
        self.timeout = timeout
        self._steps: list[tuple[str, Check, bool]] = []
        self.history: list[StepResult] = []

    def step(self, name: str, check: Check, required: bool = True) -> None:
        self._steps.append((name, check, required))

    async def run(self) -> list[StepResult]:
        results = []
        for name, check, required in self._steps:
            try:
                ok = await asyncio.wait_for(check(), self.timeout)
                result = StepResult(name, ok, "" if ok else "check failed")
            except asyncio.TimeoutError:
                result = StepResult(name, False, "timed out")
            results.append(result)
            if required and not result.ok:
                break
        self.history.extend(results)
        return results


class FakeHomeAssistant:
    """What the checks talk to: an HA instance that answers after a short delay."""

    def __init__(self, reachable: bool = True, delay: float = 0.0) -> None:
        self.reachable = reachable
        self.delay = delay
        self.calls = 0

    async def ping(self) -> bool:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.reachable
