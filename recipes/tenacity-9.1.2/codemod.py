"""tenacity 8.x -> 9.1.2 (facts: shared reference, libraries.md section 2).

What 9.x breaks silently is `fn.retry.statistics` (returns {}), so the one rewrite that matters is
`fn.retry.statistics` -> `fn.statistics` (TEN001), applied when the shared service analysis (bot.analysis)
proves `fn` is a @retry-decorated function or method of the service (`obj.method`, `self.client.method`, a
fixture's object, a function nested in a test), or when `fn` is `x.name` with an unprovable `x` and `name`
is the only @retry function of that name in the service (then also listed for a check). The private module
tenacity._asyncio and the re-export tenacity.iscoroutinefunction move (TEN002, TEN003); everything else
that changed behaviour is listed for a human. reraise=True is not part of the migration; it is an opt-in
option (TEN011) that refuses itself wherever the service depends on RetryError.

The rules read the original tree only and none edits what another decides, so their order only sets the
order of the PR's notes (statistics, then the tenacity._asyncio move, then reraise).
"""
from __future__ import annotations

from bot.change.doubles import migration_rules
from bot.change.engine import RuleCodemod, ServiceRun

from .asyncio_imports import AsyncioImports, AsyncioPatches, IsCoroutineFunction
from .behaviour_changes import CustomWait, RetryingSubclass, RetryPartial, WaitRandomExponentialMin
from .declarations import PythonFloor
from .reraise import AddReraise
from .service_index import RELEVANT_WORDS
from .statistics import RetryStatistics, StatisticsConcurrency


class TenacityCodemod(RuleCodemod):
    MENTIONS = RELEVANT_WORDS
    RULES = (
        RetryStatistics,           # TEN001
        AsyncioImports,            # TEN002
        IsCoroutineFunction,       # TEN003
        WaitRandomExponentialMin,  # TEN004
        CustomWait,                # TEN005
        RetryingSubclass,          # TEN006
        AsyncioPatches,            # TEN007
        StatisticsConcurrency,     # TEN008
        RetryPartial,              # TEN009
        PythonFloor,               # TEN010
        AddReraise,                # TEN011
        *migration_rules(__file__),  # tests follow migration.toml (DBL001-DBL003), import audit (AUD001): last
    )
    RETIRED = {"TEN012": "setup.py / setup.cfg pins are bumped like requirements files"}

    def unparsable(self, run: ServiceRun, path: str, error: str) -> None:
        run.add_note(f"{path} was not migrated: it does not parse ({error})")
