"""Finding user-defined `event_loop` fixtures and telling the plain ones apart.

A plain override only creates (or gets) a loop, yields it and closes it (optionally in try/finally),
with at most a literal `scope=` (and `autouse`). Its one effect under 0.21/0.23 was the loop's lifetime, which 1.x
expresses as loop-scope configuration. Anything else (uvloop, a policy, debug flags,
set_event_loop, parameters) needs a human.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from bot.model import ManualItem

from .config_keys import FIXTURE_SCOPE_KEY, TEST_SCOPE_KEY, ConfigEditor
from .pytest_names import PYTEST_FIXTURE, FixtureDecorator, parameter_names
from .suite import EVENT_LOOP, PytestFile, files_mentioning_event_loop, loop_runs_can_be_awaited, suite
from .sync_fixture import can_become_async

if TYPE_CHECKING:
    from bot.change.engine import ServiceRun

EVENT_LOOP_MANUAL = "PA009"  # the rule that lists the overrides and event_loop uses a human must migrate

# get_event_loop() is there too: in such an override it hands out the current (or a new) loop that the
# fixture then closes, so its one effect was also the loop's lifetime.
_NEW_LOOP_CALLS = ("asyncio.new_event_loop()", "asyncio.get_event_loop_policy().new_event_loop()",
                   "asyncio.get_event_loop()")
_EMPTY = cst.Module(body=[])


@dataclass(frozen=True)
class EventLoopOverride:
    """A user-defined event_loop fixture."""

    file: str
    line: int  # of the `def`
    old_code: str
    scope: str | None  # literal scope, None when not a literal
    plain: bool
    module_level: bool
    node: cst.FunctionDef = field(compare=False, repr=False)


def _code(node: cst.CSTNode) -> str:
    return "".join(_EMPTY.code_for_node(node).split())


def _small_statements(body: cst.BaseSuite) -> list[cst.CSTNode] | None:
    """The function body as one node per statement, minus a docstring; None if compound statements
    other than try/finally appear."""
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    result: list[cst.CSTNode] = []
    for statement in statements:
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            result.extend(statement.body)
        elif isinstance(statement, cst.Try):
            result.append(statement)
        else:
            return None
    if result and isinstance(result[0], cst.Expr) and isinstance(result[0].value, cst.SimpleString):
        result = result[1:]
    return result


def _is_plain_body(body: cst.BaseSuite) -> bool:
    statements = _small_statements(body)
    if not statements or len(statements) not in (2, 3):
        return False
    create = statements[0]
    if not (isinstance(create, cst.Assign) and len(create.targets) == 1
            and isinstance(create.targets[0].target, cst.Name)):
        return False
    loop = create.targets[0].target.value
    if _code(create.value) not in _NEW_LOOP_CALLS:
        return False
    yield_close = [f"yield{loop}", f"{loop}.close()"]
    if len(statements) == 3:
        return [_code(s) for s in statements[1:]] == yield_close
    guarded = statements[1]
    if not (isinstance(guarded, cst.Try) and not guarded.handlers and guarded.orelse is None
            and guarded.finalbody is not None):
        return False
    inner, final = _small_statements(guarded.body), _small_statements(guarded.finalbody.body)
    return bool(inner and final) and [_code(s) for s in inner + final] == yield_close


def is_plain_override(func: cst.FunctionDef, decorator: FixtureDecorator) -> bool:
    call = decorator.call
    allowed_kwargs = {"scope", "name", "autouse"}  # autouse only requested the loop everywhere: no effect of its own
    return (
        func.asynchronous is None
        and len(func.decorators) == 1
        and decorator.qualified == PYTEST_FIXTURE
        and decorator.scope is not None
        and (call is None or all(a.keyword is not None and a.keyword.value in allowed_kwargs for a in call.args))
        and not (func.params.params or func.params.posonly_params or func.params.kwonly_params)
        and func.params.star_arg is cst.MaybeSentinel.DEFAULT and func.params.star_kwarg is None
        and _is_plain_body(func.body)
    )


@dataclass(frozen=True)
class EventLoopUse:
    """The event_loop overrides of a file, and the sync code there that still requests one."""

    overrides: list[EventLoopOverride]
    sync_requesters: int  # sync tests/fixtures taking event_loop that stay sync: they need the fixture
    sync_users: list[tuple[str, cst.CSTNode]] = field(default_factory=list)  # (path, node): sync code that still
    # asks for the fixture once migrated (PytestFile.needs_loop_fixture)


def find_event_loop_use(file: PytestFile) -> EventLoopUse:
    """The user event_loop fixtures of one file, and the sync code there that still requests one."""
    overrides, sync_requesters, sync_users = [], 0, []
    for node in file.parsed.of_type(cst.Call, cst.FunctionDef):
        if isinstance(node, cst.Call) and file.needs_loop_fixture(node):
            sync_users.append((file.parsed.path, node))
        if not isinstance(node, cst.FunctionDef):
            continue
        decorator = file.fixture(node)
        if decorator is not None and (decorator.name or node.name.value) == EVENT_LOOP:
            module_level = not any(isinstance(a, (cst.FunctionDef, cst.ClassDef)) for a in file.parsed.ancestors(node))
            overrides.append(EventLoopOverride(
                file.parsed.path, file.parsed.line(node.name), file.line_text(node.name), decorator.scope,
                is_plain_override(node, decorator), module_level, node))
            continue
        if (node.asynchronous is None and EVENT_LOOP in parameter_names(node.params)
                and ((decorator is not None
                      and not can_become_async(node, await_runs=file.run.fact(loop_runs_can_be_awaited, file.run)))
                     or (decorator is None and file.collection.is_test_function(node.name.value)))):
            sync_requesters += 1
        if file.needs_loop_fixture(node):
            sync_users.append((file.parsed.path, node))
    return EventLoopUse(overrides, sync_requesters, sync_users)


def event_loop_use(run: "ServiceRun") -> EventLoopUse:
    """The service's event_loop fixtures and uses, over every file that mentions the name."""
    overrides, sync_requesters, sync_users = [], 0, []
    for file in files_mentioning_event_loop(run):
        use = find_event_loop_use(file)
        overrides += use.overrides
        sync_requesters += use.sync_requesters
        sync_users += use.sync_users
    return EventLoopUse(overrides, sync_requesters, sync_users)


@dataclass
class OverridePlan:
    """What the rewrite does about the event_loop overrides: the one it deletes, the loop scope, the items."""

    delete: EventLoopOverride | None = None  # the override the rewrite removes
    loop_scope: str | None = None  # becomes the default fixture (and, if not function, test) loop scope
    manual: list[ManualItem] = field(default_factory=list)


_CUSTOM_SUGGESTION = ("move a custom loop type to an event_loop_policy fixture (or a loop_factory), the loop "
                      "lifetime to loop_scope=, then delete it")
_PER_SCOPE_SUGGESTION = ("give the async tests that must share a loop @pytest.mark.asyncio(loop_scope=...) (or a "
                         "pytestmark) and their async fixtures @pytest_asyncio.fixture(loop_scope=...), then delete it")


def plan_override(overrides: list[EventLoopOverride], sync_requesters: int, test_modules: list[str],
                  configured: dict[str, str | None]) -> OverridePlan:
    """Decide what happens to user event_loop fixtures.

    Only a single plain override in a conftest.py above every test module is rewritten: it set one
    loop lifetime for the whole suite, which is exactly what the default loop-scope options say.
    """
    plan = OverridePlan()
    if len(overrides) == 1:
        override = overrides[0]
        root = posixpath.dirname(override.file)
        covers_all = all(root == "" or module.startswith(root + "/") for module in test_modules)
        conflicts = {key: value for key, value in configured.items()
                     if value is not None and value.strip() != override.scope}
        suite_wide = (override.module_level and covers_all and not conflicts and override.scope is not None
                      and posixpath.basename(override.file) == "conftest.py")
        if suite_wide and not override.plain:
            # Its loop lifetime still translates (one loop per scope for every test and fixture, as on
            # 0.21); what else it did (uvloop, a policy, debug, checks) is the human's part.
            plan.loop_scope = override.scope
            plan.manual.append(_manual(
                override, f"custom event_loop fixture: its loop lifetime ({override.scope}) became the default "
                          "test and fixture loop scope, but pytest-asyncio 1.x ignores the fixture itself, so "
                          "whatever else it does (uvloop, a policy, debug, set_event_loop, checks) no longer "
                          "happens", _CUSTOM_SUGGESTION))
            return plan
        if override.plain and suite_wide:
            plan.loop_scope = override.scope
            if sync_requesters:
                plan.manual.append(_manual(
                    override, f"kept: {sync_requesters} sync test(s)/fixture(s) still request event_loop; "
                              "pytest-asyncio 1.x no longer runs async tests in this loop (the loop-scope "
                              "options now do that)",
                    "delete it once those sync tests/fixtures are async"))
            else:
                plan.delete = override
            return plan
        if override.plain and conflicts:
            settings = ", ".join(f"{key} = {value}" for key, value in sorted(conflicts.items()))
            plan.manual.append(_manual(
                override, f"event_loop override (scope {override.scope}) disagrees with the configured {settings}; "
                          "pytest-asyncio 1.x ignores the override for async tests", _PER_SCOPE_SUGGESTION))
            return plan
    for override in overrides:
        if not override.plain:
            reason = ("custom event_loop fixture does more than create, yield and close a loop (policy, uvloop, "
                      "debug, set_event_loop, parameters...); pytest-asyncio 1.x ignores it for async tests")
            suggestion = _CUSTOM_SUGGESTION
        elif len(overrides) > 1 or not override.module_level or posixpath.basename(override.file) != "conftest.py":
            reason = (f"event_loop override (scope {override.scope}) that applies to part of the suite only; "
                      "pytest-asyncio 1.x has no per-directory loop override")
            suggestion = _PER_SCOPE_SUGGESTION
        else:
            reason = (f"event_loop override (scope {override.scope}) in a conftest.py that does not cover every "
                      "test module; pytest-asyncio 1.x ignores it for async tests")
            suggestion = _PER_SCOPE_SUGGESTION
        plan.manual.append(_manual(override, reason, suggestion))
    return plan


def _manual(override: EventLoopOverride, reason: str, suggestion: str) -> ManualItem:
    return ManualItem(override.file, override.line, override.old_code, reason, EVENT_LOOP_MANUAL, suggestion)


def override_plan(run: "ServiceRun") -> OverridePlan:
    """What happens to the service's user event_loop fixtures (a fact: the rules that remove the override, give
    fixtures its loop scope, write the config and list what is left all read it)."""
    facts, use = run.fact(suite, run), run.fact(event_loop_use, run)
    editor = ConfigEditor(run.source.files, facts.config)
    configured = {key: editor.get(key) for key in (FIXTURE_SCOPE_KEY, TEST_SCOPE_KEY)}
    plan = plan_override(use.overrides, use.sync_requesters, list(facts.test_modules), configured)
    if facts.config.shared:
        _keep_override_for_shared_config(plan, facts.config.path)
    return plan


def _keep_override_for_shared_config(plan: OverridePlan, config_path: str) -> None:
    """A suite-wide override's loop lifetime moves to config keys; when the config is shared they are only listed,
    so the override stays (listed too) until a human sets them."""
    kept = plan.delete
    if kept is None or plan.loop_scope in (None, "function"):
        return
    plan.delete = None
    plan.manual.append(_manual(
        kept, f"kept: its loop lifetime ({plan.loop_scope}) becomes {TEST_SCOPE_KEY} and {FIXTURE_SCOPE_KEY} in "
              f"{config_path}, which other services share (listed, not changed); pytest-asyncio 1.x ignores this "
              "fixture", "delete it once the shared configuration sets both loop scopes"))


@dataclass(frozen=True)
class LoopFixtureForSyncCode:
    """Where the plain event_loop fixture goes for sync code no user fixture provides one to (issue 17.3)."""

    conftest: str  # service-relative path of the conftest.py it goes to (existing or new)
    users: tuple[tuple[str, cst.CSTNode], ...]


def loop_fixture_for_sync_code(run: "ServiceRun") -> LoopFixtureForSyncCode | None:
    """pytest-asyncio 1.0 removed the event_loop fixture: sync code still asking for it fails at setup. An override
    the recipe keeps still provides it where pytest sees it (its module, or a conftest.py at or above the user's
    folder); everywhere else a plain one, the fixture pytest-asyncio 0.21 provided, goes to the conftest.py of the
    users' common folder."""
    use, plan = run.fact(event_loop_use, run), run.fact(override_plan, run)
    kept = [o for o in use.overrides if o is not plan.delete]
    unprovided = tuple((path, node) for path, node in use.sync_users if not any(_provides(o, path) for o in kept))
    if not unprovided:
        return None
    folder = posixpath.commonpath([posixpath.dirname(path) for path, _ in unprovided])
    return LoopFixtureForSyncCode(posixpath.join(folder, "conftest.py"), unprovided)


def _provides(override: EventLoopOverride, path: str) -> bool:
    if override.file == path:
        return True
    folder = posixpath.dirname(override.file)
    return posixpath.basename(override.file) == "conftest.py" and (not folder or path.startswith(folder + "/"))
