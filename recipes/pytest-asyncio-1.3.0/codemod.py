"""pytest-asyncio 0.21/0.23 -> 1.3.0.

Default (`mode = "strict"`): the migration Phase 2 meant to do, done completely: every collected
async test is marked, every async fixture uses @pytest_asyncio.fixture, and the config file pytest
actually reads is switched to strict. `mode = "auto"` keeps auto mode and only does what 1.x needs
in either mode: loop_scope for wider-scoped async fixtures, the event_loop rewrites and the default
fixture loop scope. A service that is already strict gets the strict code rewrites in both modes.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from libcst.metadata import MetadataWrapper

from bot.analysis import ServiceAnalysis
from bot.codemod import Codemod
from bot.declared.python_support import below_floor
from bot.model import AppliedChange, CodemodResult, ManualItem, ServiceSource

from . import rules
from .collection import Collection
from .loop_override import OverridePlan, find_event_loop_use, plan_override
from .pytest_config import ConfigEditor, PytestConfig, asyncio_mode, locate
from .rewrite import FilePlan, rewrite_file

MODES = ("strict", "auto")
PYTHON_FLOOR = "3.10"  # pytest-asyncio 1.3.0's Requires-Python
EVENT_LOOP = "event_loop"
FIXTURE_SCOPE_KEY = "asyncio_default_fixture_loop_scope"
TEST_SCOPE_KEY = "asyncio_default_test_loop_scope"

_DESCRIPTIONS = {
    rules.MARK_ASYNC_TESTS: "marked {n} async test(s) with @pytest.mark.asyncio",
    rules.ASYNCIO_FIXTURE_DECORATOR: "moved {n} async fixture(s) to @pytest_asyncio.fixture",
    rules.FIXTURE_LOOP_SCOPE: "gave {n} wider-scoped async fixture(s) the loop_scope of the loop they ran in "
                              "(their scope's, or the event_loop override's when wider)",
    rules.MARKER_LOOP_SCOPE: "renamed scope= to loop_scope= in {n} asyncio marker(s)",
    rules.EVENT_LOOP_PARAMETER: "replaced the event_loop parameter of {n} async test(s)/fixture(s) with "
                                "asyncio.get_running_loop()",
    rules.EVENT_LOOP_OVERRIDE: "removed the plain event_loop override (its scope moved to the config)",
}


class PytestAsyncioCodemod(Codemod):
    RULES = rules.RULES

    def migrate(self, service: ServiceSource) -> CodemodResult:
        mode = self.options.get("mode", "strict")
        if mode not in MODES:
            raise ValueError(f"option mode must be one of {', '.join(MODES)}, not {mode!r}")
        config = locate(service.files)
        current_mode, _ = asyncio_mode(config)
        strict = mode == "strict" or current_mode != "auto"
        collection = Collection.from_config(config)
        result = CodemodResult()

        modules = self._parse(service, collection, result)
        overrides, sync_requesters = [], 0
        for path, (wrapper, text) in modules.items():
            if EVENT_LOOP not in text:
                continue
            use = find_event_loop_use(path, wrapper, text, collection)
            overrides += use.overrides
            sync_requesters += use.sync_requesters
        editor = ConfigEditor(service.files, config)
        configured = {key: editor.get(key) for key in (FIXTURE_SCOPE_KEY, TEST_SCOPE_KEY)}
        test_modules = [p for p in service.python_files() if collection.is_test_module(p)]
        first_party = _first_party(service.python_files())
        override_plan = plan_override(overrides, sync_requesters, test_modules, configured)
        if config.shared:
            _keep_override_for_shared_config(override_plan, config)
        result.manual += override_plan.manual

        for path, (wrapper, text) in modules.items():
            delete = override_plan.delete
            plan = FilePlan(path, strict, collection, first_party,
                            delete.line if delete and delete.file == path else None, override_plan.loop_scope)
            outcome = rewrite_file(plan, wrapper, text)
            if outcome.text != text:
                result.changed[path] = outcome.text
            result.applied += [AppliedChange(path, rule, _DESCRIPTIONS[rule].format(n=n), n)
                               for rule, n in sorted(outcome.counts.items())]
            result.manual += outcome.manual

        self._edit_config(service, config, editor, mode, current_mode, override_plan, result)
        result.manual += below_floor(service.files, PYTHON_FLOOR, "pytest-asyncio 1.3.0", rules.PYTHON_FLOOR)
        result.notes += self._notes(config, mode, current_mode, override_plan, result)
        return result

    def _parse(self, service: ServiceSource, collection: Collection,
               result: CodemodResult) -> dict[str, tuple[MetadataWrapper, str]]:
        """The files some rule may touch, parsed by the shared analysis (libcst metadata is the slow part:
        skip the rest; every recipe applied to the service in this run reuses the parse and metadata)."""
        analysis = ServiceAnalysis.of(service)
        modules = {}
        for path, text in sorted(service.python_files().items()):
            if not _may_need_changes(path, text, collection):
                continue
            parsed = analysis.module(path)
            if parsed is not None:
                modules[path] = (parsed.wrapper, text)
                continue
            line, reason = analysis.syntax_error_at(path)
            result.manual.append(ManualItem(
                path, line, _line_text(text, line), f"libcst cannot parse this file ({reason})",
                rules.UNPARSABLE_FILE, "apply the recipe's rules to it by hand"))
        return modules

    def _edit_config(self, service: ServiceSource, config: PytestConfig, editor: ConfigEditor, mode: str,
                     current_mode: str, override_plan: OverridePlan, result: CodemodResult) -> None:
        path = config.path
        applied: list[AppliedChange] = []
        if mode == "strict" and current_mode == "auto":
            switched = editor.switch_addopts_mode("strict")
            if (editor.get("asyncio_mode") or "").strip() == "auto":
                editor.set("asyncio_mode", "strict")
                switched += 1
            if switched:
                applied.append(AppliedChange(path, rules.STRICT_MODE_CONFIG,
                                             "switched asyncio mode from auto to strict", switched))
            else:
                original = service.files.get(path, "")
                line = next((n for n, text in enumerate(original.splitlines(), 1) if "asyncio-mode" in text), 1)
                result.manual.append(ManualItem(
                    path, line, _line_text(original, line), "auto mode is set in addopts in a form the bot does "
                    "not edit", rules.STRICT_MODE_CONFIG, "replace --asyncio-mode=auto with --asyncio-mode=strict"))
        loop_scope = override_plan.loop_scope or "function"
        if editor.get(FIXTURE_SCOPE_KEY) is None:
            editor.set(FIXTURE_SCOPE_KEY, loop_scope)
            applied.append(AppliedChange(path, rules.DEFAULT_FIXTURE_LOOP_SCOPE, f"set {FIXTURE_SCOPE_KEY} = {loop_scope}"))
        if loop_scope != "function" and editor.get(TEST_SCOPE_KEY) is None:
            editor.set(TEST_SCOPE_KEY, loop_scope)
            applied.append(AppliedChange(path, rules.EVENT_LOOP_OVERRIDE,
                                         f"set {TEST_SCOPE_KEY} = {loop_scope} (one loop per {loop_scope}, "
                                         "as the removed event_loop override did)"))
        if config.shared:
            result.manual += _shared_config_items(service, config, editor)  # listed, not applied
            return
        result.applied += applied
        text = editor.text()
        if text != service.files.get(path):
            result.changed[path] = text

    def _notes(self, config: PytestConfig, mode: str, current_mode: str, override_plan: OverridePlan,
               result: CodemodResult) -> list[str]:
        notes = []
        applied_rules = Counter(change.rule for change in result.applied)
        if current_mode != "auto":
            notes.append("The suite already ran in strict mode; async tests and fixtures were checked for "
                         "markers and @pytest_asyncio.fixture.")
            if applied_rules[rules.MARK_ASYNC_TESTS]:
                notes.append(f"{applied_rules[rules.MARK_ASYNC_TESTS]} async test(s) had no asyncio marker: "
                             "pytest 8.3 skipped them silently, so they run now for the first time.")
        elif mode == "strict" and config.shared:
            notes.append(f"The suite runs in auto mode, set in {config.path}, which pytest reads for this service and "
                         "other services share: it stays auto (switching it is listed). Async tests now carry "
                         "@pytest.mark.asyncio and async fixtures use @pytest_asyncio.fixture, so the service is "
                         "ready for strict mode.")
        elif mode == "strict":
            notes.append(f"Switched {config.path} to strict mode: every async test now carries "
                         "@pytest.mark.asyncio and every async fixture uses @pytest_asyncio.fixture "
                         "(pytest >= 8.4 fails an unmarked async test; pytest 8.3 would silently skip it).")
        else:
            notes.append("Kept asyncio_mode = auto (recipe option mode = \"auto\"): unmarked async tests and "
                         "async @pytest.fixture functions keep working in 1.3.0.")
        if not config.exists:
            notes.append(f"No pytest configuration existed; the options were written to {config.path}.")
        if config.ignored:
            notes.append(f"pytest reads {config.path}, so the pytest settings in {', '.join(config.ignored)} are "
                         "ignored by pytest; they were left unchanged.")
        shared_loop = override_plan.loop_scope not in (None, "function")
        if shared_loop:
            notes.append(f"The event_loop override gave the suite one loop per {override_plan.loop_scope}; "
                         f"asyncio_default_test_loop_scope and asyncio_default_fixture_loop_scope = "
                         f"{override_plan.loop_scope} keep it that way in 1.x.")
        if applied_rules[rules.FIXTURE_LOOP_SCOPE] and shared_loop:
            notes.append(f"Wider-scoped async fixtures got loop_scope = {override_plan.loop_scope} where their own "
                         "scope is narrower: they ran in the override's loop, together with the tests.")
        elif applied_rules[rules.FIXTURE_LOOP_SCOPE]:
            notes.append("Wider-scoped async fixtures keep running in the loop of their own scope (loop_scope = "
                         "scope), as on 0.23" + ("." if shared_loop else "; tests still get a loop per test, so "
                         "a test cannot await a future or lock created in such a fixture (same as before)."))
        notes.append("pytest-asyncio 1.3.0 needs Python >= 3.10 and pytest >= 8.2; pytest is raised to >=8.4,<10 "
                     "so a forgotten async test fails instead of being skipped.")
        return notes


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _keep_override_for_shared_config(plan: OverridePlan, config: PytestConfig) -> None:
    """A suite-wide override's loop lifetime moves to config keys; when the config is shared they are only listed,
    so the override stays (listed too) until a human sets them."""
    kept = plan.delete
    if kept is None or plan.loop_scope in (None, "function"):
        return
    plan.delete = None
    plan.manual.append(ManualItem(
        kept.file, kept.line, kept.old_code,
        f"kept: its loop lifetime ({plan.loop_scope}) becomes {TEST_SCOPE_KEY} and {FIXTURE_SCOPE_KEY} in "
        f"{config.path}, which other services share (listed, not changed); pytest-asyncio 1.x ignores this fixture",
        rules.EVENT_LOOP_MANUAL, "delete it once the shared configuration sets both loop scopes"))


def _shared_config_items(service: ServiceSource, config: PytestConfig, editor: ConfigEditor) -> list[ManualItem]:
    """The config pytest reads for this service is above its folder, so other services run with it too:
    each edit it needs is listed (a copy in the service would shadow it and lose its other settings)."""
    rule_of = {FIXTURE_SCOPE_KEY: rules.DEFAULT_FIXTURE_LOOP_SCOPE, TEST_SCOPE_KEY: rules.EVENT_LOOP_OVERRIDE}
    reason = ("pytest reads this file for the service; it lies above the service folder, shared by every test run below "
              "its folder: the bot does not change it from one service's PR, nor copies it into the service "
              "(that would shadow its other settings); change it once every service below it is migrated")
    original = service.files.get(config.path, "")
    items = []
    for key, wanted in editor.edits:
        line = editor.line_of(key)
        rule = rule_of.get(key, rules.STRICT_MODE_CONFIG)
        items.append(ManualItem(config.path, line, _line_text(original, line), reason, rule, wanted))
    return items


def _may_need_changes(path: str, text: str, collection: Collection) -> bool:
    """Cheap text test: every rule needs an event_loop name, an asyncio marker call, or an async def
    that is a test (in a test module) or a fixture."""
    if EVENT_LOOP in text or ".asyncio(" in text:
        return True
    return "async def" in text and (collection.is_test_module(path) or "fixture" in text)


def _first_party(paths: Iterable[str]) -> frozenset[str]:
    """Names the service's own code is imported by: its packages and every module's stem (pytest's
    rootdir-relative imports make `tests/helpers.py` importable as `helpers`)."""
    names = set()
    for path in paths:
        parts = path.split("/")
        names.add(parts[-1][:-3])
        if len(parts) > 1:
            names.add(parts[0])
    names.discard("__init__")
    return frozenset(names)
