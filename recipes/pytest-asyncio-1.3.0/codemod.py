"""pytest-asyncio 0.21/0.23 -> 1.3.0 (facts: shared reference, libraries.md section 1).

Default (`mode = "strict"`): the migration Phase 2 meant to do, done completely: every collected
async test is marked, every async fixture uses @pytest_asyncio.fixture, and the config file pytest
actually reads is switched to strict. `mode = "auto"` keeps auto mode and only does what 1.x needs
in either mode: loop_scope for wider-scoped async fixtures, the event_loop rewrites and the default
fixture loop scope. A service that is already strict gets the strict code rewrites in both modes.

The configuration is the one pytest reads for the service (bot.declared.pytest_config: from the service folder up to
the repository root); a configuration above the service is shared by every service below it, so what it needs is
listed (never written, never copied into the service, where it would shadow the rest).

The mode the suite runs in is the one pytest-asyncio reads: `config.option.asyncio_mode = ...` in a conftest.py hook
beats `--asyncio-mode` in addopts, which beats the ini key (runtime_mode.py); a hook the bot cannot read is listed.

No half migration (issue 17.3). pytest-asyncio has one version per suite, so "keep the old package for what cannot
move" means: whatever the recipe cannot migrate keeps working the way it did, and the rest migrates whole.
- The event_loop fixture: sync code that still drives it (PA009) keeps a fixture providing it: a suite-wide override
  it relies on stays (PA006 removes one only when nothing sync needs it), and where the suite relied on
  pytest-asyncio's own fixture, a plain one like 0.21's goes to the users' conftest.py (PA013, listed). A sync
  fixture whose only driving is `event_loop.run_until_complete(x)` statements (an autouse guard on left-over tasks)
  becomes async instead (PA005, `await x`), but only when no such sync code remains: it would share no loop with it.
- Strict mode: switched on only when every async test the suite collects was read and marked; a test file libcst
  cannot parse (PA011) keeps the suite in auto mode, the switch listed (PA007). Markers and @pytest_asyncio.fixture
  are valid in both modes, so what was read is still migrated.
- An override whose loop cannot become loop-scope settings (custom code, part of the suite only, a configured scope
  that disagrees) stays, listed (PA009); its loop lifetime moves only when it governed the whole suite.

Order: the rules read the original tree and shared facts (suite.py, loop_override.py), so the code rules' order does
not matter; the configuration rules edit one file in turn and write the PR's notes in the order a reviewer reads them:
the mode (PA007), the fixture loop scope (PA008), the loop an override shared (PA006), fixtures' loop_scope (PA003),
Python and pytest (PA012). Each says so in its AFTER.
"""
from __future__ import annotations

from bot.change.doubles import migration_rules
from bot.change.engine import RuleCodemod, ServiceRun
from bot.model import CodemodResult, ServiceSource

from .config_rules import DefaultFixtureLoopScope, StrictModeConfig
from .declarations import PythonFloor, UnparsableFile, unparsable_item
from .event_loop import EventLoopForSyncCode, EventLoopManual, EventLoopOverride, EventLoopParameter
from .fixtures import AsyncioFixtureDecorator, DynamicFixtureScope, FixtureLoopScope
from .markers import MarkAsyncTests, MarkerLoopScope
from .suite import check_mode, may_need_changes, suite


def files_to_read(run: ServiceRun) -> list[str]:
    collection = run.fact(suite, run).collection
    return [path for path, text in sorted(run.analysis.files.items()) if may_need_changes(path, text, collection)]


class PytestAsyncioCodemod(RuleCodemod):
    RULES = (
        MarkAsyncTests,             # PA001
        AsyncioFixtureDecorator,    # PA002
        MarkerLoopScope,            # PA004
        EventLoopParameter,         # PA005
        EventLoopManual,            # PA009
        DynamicFixtureScope,        # PA010
        UnparsableFile,             # PA011
        StrictModeConfig,           # PA007  the configuration, in this order (see the module docstring)
        DefaultFixtureLoopScope,    # PA008
        EventLoopOverride,          # PA006
        FixtureLoopScope,           # PA003
        PythonFloor,                # PA012
        EventLoopForSyncCode,       # PA013  reads conftest.py as the rules above left it
        *migration_rules(__file__),  # tests follow migration.toml (DBL001), import audit (AUD001): last; AUD001 lists
                                     # or rewrites a name 1.3.0 no longer has (`pytest_asyncio.plugin.SubRequest`)
    )
    RETIRED = {"PA014": "AUD001, the import audit, lists or rewrites the plugin names 1.3.0 removed"}

    def migrate(self, service: ServiceSource) -> CodemodResult:
        check_mode(self.options.get("mode", "strict"))  # before anything is read
        return super().migrate(service)

    def files_to_read(self, run: ServiceRun) -> list[str]:
        """Files with an event_loop name, an asyncio marker call, or an async def in a test module or beside a
        fixture: most of a service never mentions them."""
        return run.fact(files_to_read, run)

    def unparsable(self, run: ServiceRun, path: str, error: str) -> None:
        if UnparsableFile in self.enabled_rules():
            run.add_item(unparsable_item(run, path))
