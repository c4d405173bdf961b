"""Shared rules: a service's test doubles follow the migration (patch targets, mocked members, call expectations).

A recipe declares what its new version renamed, moved or removed in `migration.toml` beside its codemod
(bot.analysis.migration_map) and puts these rules LAST in its registry:

    class AiomqttCodemod(RuleCodemod):
        RULES = (..., *double_rules(__file__))      # reads migration.toml next to this module

They act in end_service, once every other rule of the recipe has recorded its edits, and learn from those
edits: what a service module imports after the run is read from its edit plan (bot.analysis.doubles.Meanings
over each file's edited tree), so `patch("pkg.adapter.InfluxDBClient")` follows the recipe's renaming of
pkg/adapter.py's import to InfluxDBClient3 without any rule announcing it.

- DBL001 patch targets: strings (`patch`, `mocker.patch`, `monkeypatch.setattr("a.b", x)`), the object form
  (`patch.object(mod, "Name")`, `monkeypatch.setattr(mod, "Name", x)`, a mock assigned straight onto the name:
  `WriteApi.write = Mock()`, whose later reads through the name follow too), `patch.multiple(Client,
  connect=DEFAULT)` keywords and `sys.modules` keys; a member a service subclass inherits from a changed class
  is listed.
- DBL002 mocked members: what a mock of a migrated class is given or asked (`m.return_value.connect`,
  `client.write_api.return_value.write`), through return_value chains, spec/autospec, fixtures (by their
  pytest name) and plain mocks plugged into them; hand-written fakes put in place of the class are listed.
- DBL003 call expectations: `assert_called_with`/`assert_called_once_with`/`assert_any_call` (and the await
  forms), `call(...)` / `call.member(...)` compared with a mock's calls, and every read of a recorded call
  (bot.analysis.doubles.records: `call_args.kwargs["k"]`, loops over `call_args_list`, `c.args[i]`) on a
  changed signature.

What is provable is rewritten; the rest is listed with the test's file and line and the rewrite it needs.
A site another rule of the recipe already edited or listed is left to that rule.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace as copy_with
from pathlib import Path

import libcst as cst

from bot.analysis import ParsedModule, dotted_name, is_test_path
from bot.analysis.names import children
from bot.analysis.doubles import CALL, Double, DoubleValues, Meanings, PatchSite
from bot.analysis.doubles.patches import (
    ASSIGN, CALL_RECORDS, DELATTR, EXPECT_CALL, EXPECT_CALLS, MEMBER_CALL_RECORDS, MOCK_API, PATCH, PATCH_DICT,
    PATCH_MULTIPLE, PATCH_OBJECT, SETATTR, SETITEM,
)
from bot.analysis.migration_map import (
    MIGRATION_FILE, MemberChange, MigrationMap, Signature, format_path, load_migration_map,
)

from bot.analysis.doubles.records import ARGS, KWARGS, CallRecords, RecordRead, subscript_index, subscript_key

from .rule import REWRITE, Rule


# ----- the facts the three rules share ------------------------------------------------------------

@dataclass(frozen=True)
class TargetOutcome:
    """What becomes of a dotted name a test patches."""

    before: str  # its old meaning
    after: str | None  # its meaning once the run is applied (None: it no longer exists)
    new: str | None = None  # the new spelling, when it must change and can
    problem: str | None = None  # why it is listed
    suggestion: str | None = None


class Doubles:
    """Per service run and recipe map: mocks' meanings (bot.analysis.doubles) plus the map's verdicts."""

    def __init__(self, run, mapping: MigrationMap) -> None:
        self.run = run
        self.map = mapping
        original = run.original_analysis
        self.values = DoubleValues(run.analysis, canonical=original.canonical)
        self.meanings = Meanings(run.analysis, edited=self._edited, original=original)
        self._outcomes: dict[str, TargetOutcome] = {}
        self._test_files: list[ParsedModule] | None = None
        self.used_members: dict[tuple, set[str]] = {}
        self._acts = bool(mapping.old_modules and original.files_mentioning(*mapping.old_modules)
                          and self.values.any_mocks())

    def _edited(self, path: str) -> cst.Module | None:
        file = self.run.files.get(path)
        return None if file is None or file.edits.is_empty() else file.edits.apply()

    @property
    def acts(self) -> bool:
        """The service uses something the map changes and its files can hold mocks (else no double can need
        to follow)."""
        return self._acts

    def test_files(self) -> list[ParsedModule]:
        """Every test file: one that never mentions a mock may still use a fixture that is one."""
        if self._test_files is None:
            analysis = self.values.analysis
            self._test_files = list(analysis.modules(p for p in sorted(analysis.files) if is_test_path(p)))
        return self._test_files

    # ----- names -------------------------------------------------------------------------------

    def new_meaning(self, before: str) -> tuple[str | None, MemberChange | None, str | None, str | None]:
        """(new name, member change, why gone, suggestion) for an old absolute name; all None: unchanged."""
        parts = before.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            klass = self.map.class_of(".".join(parts[:cut]))
            if klass is None:
                continue
            change = self.map.member_change(klass, tuple(parts[cut:]))
            if change is None:
                break
            if change.removed:
                return None, change, change.why, change.suggestion
            if CALL in change.new:
                return None, change, (f"{format_path(change.old)} is now {format_path(change.new)}: no patch "
                                      "target spells that"), None
            owner = self.map.new_name(klass) or klass
            return f"{owner}.{format_path(change.new)}", change, None, None
        gone = self.map.gone_reason(before)
        if gone is not None:
            return None, None, gone.why, gone.suggestion
        return self.map.new_name(before), None, None, None

    def target(self, spelling: str) -> TargetOutcome:
        """What becomes of a patch target spelled `spelling` (`pkg.adapter.Client`, `asyncio_mqtt.Client`)."""
        found = self._outcomes.get(spelling)
        if found is None:
            found = self._outcomes[spelling] = self._target(spelling)
        return found

    def _target(self, spelling: str) -> TargetOutcome:
        before = self.meanings.before(spelling)
        prefix = self.meanings.service_prefix(spelling)
        new, _change, gone, suggestion = self.new_meaning(before)
        after_as_is = self.meanings.after(spelling)
        if new is None and gone is None and prefix is not None:
            inherited = self._inherited_change(before)
            if inherited is not None:
                return TargetOutcome(before, None, problem=inherited[0], suggestion=inherited[1])
        if new is None and gone is None:  # the map says nothing: it must still exist
            existed = self.meanings.follow(spelling, after=False) is not None
            if after_as_is is None and prefix is not None and existed:
                return TargetOutcome(before, None, problem=f"{prefix} no longer binds "
                                     f"`{spelling[len(prefix) + 1:].split('.')[0]}` after the migration")
            return TargetOutcome(before, after_as_is)
        if prefix is None:  # the library's own name
            # a package the migration leaves behind may stay installed for what the service kept of it; one
            # upgraded in place (tenacity) no longer has the old name, whatever else of it the service imports
            left_behind = not self.map.upgraded_in_place(before)
            if self.meanings.service_still_imports(before, through_packages=left_behind):
                return TargetOutcome(before, before)  # the service keeps the old package for it
            if new is None and left_behind and self.meanings.service_still_imports(before.split(".")[0]):
                return TargetOutcome(before, before)  # gone from the new package, but the old one stays installed
            if gone is not None:
                return TargetOutcome(before, None, problem=gone, suggestion=suggestion)
            return TargetOutcome(before, new, new=new)
        if after_as_is == before:
            return TargetOutcome(before, before)  # the service module kept its old import (no half migration)
        if gone is not None:
            return TargetOutcome(before, None, problem=gone, suggestion=suggestion)
        if after_as_is == new:
            return TargetOutcome(before, new)  # same spelling, new meaning (`from aiomqtt import Client`)
        spelled = self.meanings.spelling_for(prefix, new)
        if spelled is None:
            return TargetOutcome(before, None, problem=f"{prefix} no longer imports what `{spelling}` named "
                                 f"({before} is now {new}) and binds no name for {new}",
                                 suggestion=f"patch the name {prefix} uses for {new} now")
        return TargetOutcome(before, new, new=spelled)

    def _inherited_change(self, before: str, depth: int = 0) -> tuple[str, str | None] | None:
        """(why, suggestion) when `before` is `<a service class>.<member>` that the class inherits from a class the map
        changes and does not define itself (`patch.multiple(Tuned, connect=DEFAULT)` for `class Tuned(Client)`).
        Listed, never renamed: the recipe lists such subclasses (their internals), so whether the migrated code
        calls the new member on them is for the reviewer to see."""
        owner, _, member = before.rpartition(".")
        definition = self.meanings.original.definition(owner) if owner and depth < _MAX_BASES else None
        if definition is None or not definition.is_class or _defines(definition.node, member):
            return None
        for base in definition.node.bases:
            names = self.meanings.original.names_of(definition.module, base.value)
            if len(names) != 1:
                continue
            base_name = next(iter(names))
            klass = self.map.class_of(base_name)
            if klass is None:
                found = self._inherited_change(f"{base_name}.{member}", depth + 1)
                if found is not None:
                    return found
                continue
            change = self.map.member_change(klass, (member,))
            kept = self.meanings.after(f"{definition.module.dotted}.{dotted_name(base.value)}") == base_name
            if change is None or not (change.removed or change.renamed) or kept:
                return None
            what = (f"which the new version removed: {change.why}" if change.removed
                    else f"which is `{format_path(change.new)}` in the new version")
            return (f"{definition.short} inherits `{member}` from {klass}, {what}; the subclass is listed for a human, "
                    "and its calls and these patches move together",
                    change.suggestion or (f"patch {definition.short}.{format_path(change.new)}" if change.new else None))
        return None

    # ----- mocks -------------------------------------------------------------------------------

    def klass(self, double: Double) -> str | None:
        """The old class (as the map knows it) a double stands for or hangs from."""
        return self.map.class_of(double.before)

    def migrated(self, double: Double) -> bool:
        """What the double stands for moved to the new version in this run (the service did not keep the old
        class: a half migration keeps the old package and its tests stay as they are)."""
        if self.map.new_name(double.before) is None:
            return True  # same name in the new version: the requirement bump alone moves it
        if double.spelling is not None:
            return self.target(double.spelling).after not in (None, double.before)
        return True

    def changed_member(self, double: Double, attr: str) -> tuple[str, MemberChange] | None:
        """(class, change) when `double.<attr>` is a member the map changes, on a migrated double."""
        klass = self.klass(double)
        if klass is None or not self.migrated(double):
            return None
        change = self.map.member_change(klass, double.member_path + (attr,))
        return (klass, change) if change is not None else None

    def signature(self, double: Double) -> Signature | None:
        """How the migrated source calls what `double` stands for (a class: its constructor)."""
        if not self.migrated(double):
            return None
        klass = self.klass(double)
        if klass is not None and not double.steps:
            return self.map.inits.get(klass)
        if klass is not None:
            return self.map.signature(klass, double.member_path)
        if double.steps:
            return None
        owner, _, member = double.before.rpartition(".")
        owner_class = self.map.class_of(owner) if owner else None
        if owner_class is not None:  # `patch.object(Client, "disconnect")`, `Client.disconnect = AsyncMock()`: a
            return self.map.signature(owner_class, (member,))  # mock on the class records calls without self
        return self.map.signature(None, (), function=double.before)


    # ----- what the migrated source's calls look like (learned from the edits) ----------------------

    def added_keywords(self, double: Double) -> list[str]:
        """Keywords every migrated call of the class `double` stands for passes that no original call passed
        (after the map's renames): the recipe added them (influx adds `database=`), so an expectation of the
        old constructor call misses them."""
        if double.steps or double.spelling is None:
            return []
        outcome = self.target(double.spelling)
        if outcome.after in (None, double.before):
            return []
        # the edited files are found by the old name: the analysis holds the service as it was before the run
        old_short = double.before.rsplit(".", 1)[-1]
        new_calls = self._keywords_of_calls(outcome.after, after=True, mentioning=old_short)
        old_calls = self._keywords_of_calls(double.before, after=False)
        if not new_calls or not old_calls:
            return []
        signature = self.signature(double) or Signature()
        known = {name for keywords in old_calls for k in keywords for name in (k, signature.keywords.get(k, k))}
        return sorted(set.intersection(*new_calls) - known)

    def _keywords_of_calls(self, name: str, after: bool, mentioning: str | None = None) -> list[set[str]]:
        found = []
        analysis = self.meanings.original if not after else self.meanings.analysis
        short = name.rsplit(".", 1)[-1]
        for path in analysis.files_mentioning(*{short, mentioning or short}):
            if is_test_path(path):
                continue
            dotted = analysis.module(path).dotted if analysis.module(path) is not None else ""
            module = self.meanings.module(dotted, after) if dotted else None
            if module is None:
                continue
            for node in module.of_type(cst.Call):
                callee = dotted_name(node.func)
                if not callee:
                    continue
                head, _, rest = callee.partition(".")
                target = module.import_bindings.get(head)
                if target is not None and (f"{target}.{rest}" if rest else target) == name:
                    found.append({a.keyword.value for a in node.args if a.keyword is not None})
        return found


_MAX_BASES = 4  # service classes followed up an inheritance chain


def _defines(klass: cst.ClassDef, member: str) -> bool:
    """`member` is a method or class attribute of the class body itself."""
    for statement in klass.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == member:
            return True
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target] if isinstance(small, cst.AnnAssign) else [])
                if any(isinstance(t, cst.Name) and t.value == member for t in targets):
                    return True
    return False


def _doubles_fact(run, mapping: MigrationMap) -> Doubles:
    return Doubles(run, mapping)


class _DoublesRule(Rule):
    """Base of the shared rules: a subclass bound to one recipe's map sets MAP."""

    MAP: MigrationMap | None = None

    @property
    def doubles(self) -> Doubles:
        return self.fact(_doubles_fact, self.run, self.MAP)

    def end_service(self) -> None:
        if self.MAP is None or not self.doubles.acts:
            return
        for parsed in self.doubles.test_files():
            with self.at(parsed.path):
                try:
                    self.check(parsed)
                except Exception as exc:  # one test file this rule cannot follow never fails the service's PR
                    self.note(f"{self.ID} could not follow the test doubles of {parsed.path} "
                              f"({type(exc).__name__}: {exc}); check its mocks by hand.")

    def check(self, parsed: ParsedModule) -> None:
        raise NotImplementedError

    # ----- shared helpers --------------------------------------------------------------------

    def free(self, node: cst.CSTNode, *, rewriting: bool = True) -> bool:
        """No other rule edited this node (or replaced what holds it), and nothing is listed on its line.
        Before a rewrite, no rule of the recipe's own edited inside it either: aiomqtt's MQ022 renames a keyword
        of the `call(...)` DBL003 would rewrite, and the site is then that rule's, not counted twice (the shared
        rules build on each other's edits: DBL002 renames `.disconnect`, DBL003 then fixes its arguments)."""
        if self.file.edits.touched(node, within=SHARED_RULE_IDS if rewriting else None):
            return False
        line = self.parsed.line(node)
        return not any(item.file == self.path and item.line == line and item.rule != self.ID
                       for item in self.run.manual)

    def list_site(self, node: cst.CSTNode, reason: str, suggestion: str | None = None) -> None:
        statement = self.parsed.statement_of(node)
        if self.free(node, rewriting=False):
            self.report(node, reason, suggestion, code=self.parsed.code(statement) if isinstance(
                statement, cst.SimpleStatementLine) else None)


# ----- DBL001: patch targets ------------------------------------------------------------------------

class PatchTargets(_DoublesRule):
    ID = "DBL001"
    KIND = REWRITE
    MESSAGE = "tests: patch targets follow renamed and moved names (also the service's own imports of them)"
    APPLIED = "patch target -> the name the migrated code uses ({n})"

    def check(self, parsed: ParsedModule) -> None:
        doubles = self.doubles
        for site in doubles.values.patches(parsed):
            if site.kind in (PATCH, SETATTR, DELATTR) and site.target is not None and site.target_text:
                self._string_target(site, site.target, site.target_text)
            elif site.kind in (PATCH_OBJECT, SETATTR, DELATTR, ASSIGN) and site.owner is not None \
                    and site.attribute is not None and site.attribute_text:
                if site.kind != ASSIGN or doubles.values.stands_in(site):  # a restore follows as a read, below
                    self._object_target(site)
            elif site.kind in (PATCH_DICT, SETITEM):
                self._modules_dict(site)
            elif site.kind == PATCH_MULTIPLE:
                if site.target is not None and site.target_text:
                    self._string_target(site, site.target, site.target_text)
                self._multiple(site)
        self._reads_through_replaced_names(parsed)

    def _reads_through_replaced_names(self, parsed: ParsedModule) -> None:
        """`Client.connect.assert_awaited()` after `Client.connect = AsyncMock()`: a test reads such a mock through
        the name it replaced, so each read follows the name's rename as the assignment does (a listed assignment
        already says its reads go with it)."""
        values = self.doubles.values
        if not values.replaced_attributes():
            return
        for node in parsed.of_type(cst.Attribute):
            mock = values.replaced_by_mock(parsed, node)
            if mock is None or mock.patch is None:
                continue
            site = copy_with(mock.patch, module=parsed, owner=node.value, attribute=node.attr)
            owners = self._owner(site)
            verdict = self._attribute_after(site, *owners, node.attr.value) if owners is not None else None
            if verdict is not None and verdict[0] == "rename" and self.free(node.attr):
                self.rename(node.attr, verdict[1])

    def _string_target(self, site: PatchSite, node: cst.SimpleString, spelling: str) -> None:
        outcome = self.doubles.target(spelling)
        if outcome.new is not None and outcome.new != spelling and self.free(node):
            self.replace_string(node, outcome.new)
        elif outcome.problem is not None:
            self.list_site(site.call, f"patch target {spelling!r}: {outcome.problem}", outcome.suggestion)

    def _object_target(self, site: PatchSite) -> None:
        values = self.doubles.values
        if isinstance(values.raw(site.module, site.owner), Double):
            return  # an attribute of a mock: DBL002
        owners = self._owner(site)
        if owners is not None:
            self._follow_attribute(site, owners, site.attribute, site.attribute_text,
                                   self.rename if site.kind == ASSIGN else self.replace_string)

    def _follow_attribute(self, site: PatchSite, owners: tuple[str, str], node: cst.CSTNode, attribute_text: str,
                          rename: Callable[[cst.CSTNode, str], None]) -> None:
        """The attribute patched on the owner (written at `node`: a string, a keyword) made what the owner holds
        after the run, or the site listed."""
        verdict = self._attribute_after(site, *owners, attribute_text)
        if verdict is None:
            return
        if verdict[0] == "rename":
            if self.free(node):
                rename(node, verdict[1])
        else:
            self.list_site(site.call, verdict[1], verdict[2])

    def _owner(self, site: PatchSite) -> tuple[str, str] | None:
        """(the owner as the test spells it, its old meaning) for the object forms and patch.multiple."""
        if site.owner is None and site.target_text:  # patch.multiple("pkg.mod.Client", ...)
            return site.target_text, self.doubles.meanings.before(site.target_text)
        owner = dotted_name(site.owner) if site.owner is not None else ""
        before = self.doubles.values.analysis.names_of(site.module, site.owner) if owner else set()
        return (owner, next(iter(before))) if len(before) == 1 else None

    def _attribute_after(self, site: PatchSite, owner: str, owner_before: str,
                         attribute_text: str) -> tuple[str, str, str | None] | None:
        """("rename", new attribute) / ("list", reason, suggestion) / None for `attribute_text` patched on the owner
        (`patch.object(owner, "attr")`, `patch.multiple(owner, attr=...)`), after the run's edits."""
        outcome = self.doubles.target(f"{owner_before}.{attribute_text}")
        if outcome.problem is not None and outcome.new is None:
            return "list", f"patches {owner}.{attribute_text}: {outcome.problem}", outcome.suggestion
        if outcome.new is None:
            return None
        # The owner expression may itself be renamed by the recipe (a test's own import); the attribute must be
        # what the owner holds after the run.
        owner_after = (self.doubles.meanings.after(owner) if site.owner is None
                       else self.doubles.meanings.after(f"{site.module.dotted}.{owner}"))
        if owner_after is None:  # the test's own import of it was renamed, and so was the owner expression
            owner_after = self.doubles.map.new_name(owner_before) or owner_before
        new_meaning = self.doubles.meanings.after(outcome.new) or outcome.new
        if owner_after == owner_before and outcome.new.startswith(owner_before + "."):
            attribute = outcome.new[len(owner_before) + 1:]
        elif new_meaning.startswith(owner_after + "."):
            attribute = new_meaning[len(owner_after) + 1:]
        else:
            attribute = ""
        if attribute.isidentifier() and attribute != attribute_text:
            return "rename", attribute, None
        if not attribute.isidentifier():
            suggestion = (f"{outcome.new} = {site.module.code(site.value)}" if site.kind == ASSIGN
                          else f"patch {outcome.new}")
            reads = "; the test's reads of the mock through that name move with it" if site.kind == ASSIGN else ""
            return "list", f"patches {owner}.{attribute_text}, which is now {outcome.after}{reads}", suggestion
        return None

    def _multiple(self, site: PatchSite) -> None:
        """`patch.multiple(Client, connect=DEFAULT, publish=DEFAULT)`: each keyword is an attribute of the owner."""
        if site.owner is not None and isinstance(self.doubles.values.raw(site.module, site.owner), Double):
            return
        owners = self._owner(site)
        if owners is None:
            return
        for arg in site.call.args:
            if arg.keyword is not None and arg.keyword.value not in _MULTIPLE_OPTIONS:
                self._follow_attribute(site, owners, arg.keyword, arg.keyword.value, self.rename)

    def _modules_dict(self, site: PatchSite) -> None:
        """`patch.dict("sys.modules", {"asyncio_mqtt": fake})`, `monkeypatch.setitem(sys.modules, "x", fake)`."""
        call = site.call
        analysis = self.doubles.values.analysis
        owner = site.target_text or (next(iter(analysis.names_of(site.module, site.owner)), None)
                                     if site.owner is not None else None)
        if owner != "sys.modules":
            return
        keys: list[cst.SimpleString] = []
        if site.kind == SETITEM:
            args = [a.value for a in call.args if a.keyword is None]
            keys = [args[1]] if len(args) > 1 and isinstance(args[1], cst.SimpleString) else []
        else:
            for arg in call.args[1:2]:
                if isinstance(arg.value, cst.Dict):
                    keys = [e.key for e in arg.value.elements
                            if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)]
        for key in keys:
            name = key.evaluated_value
            if not isinstance(name, str):
                continue
            new, _, gone, _ = self.doubles.new_meaning(name)
            if new is not None and new != name and not self.doubles.meanings.service_still_imports(name) \
                    and self.free(key):
                self.replace_string(key, new)


# patch.multiple's own keywords (every other keyword names an attribute of the owner)
_MULTIPLE_OPTIONS = frozenset({"spec", "create", "spec_set", "autospec", "new_callable"})


# ----- DBL002: mocked members -------------------------------------------------------------------------

class MockedMembers(_DoublesRule):
    ID = "DBL002"
    KIND = REWRITE
    MESSAGE = "tests: mocks of migrated classes follow renamed members; removed ones are listed"
    APPLIED = "mocked member -> the member the migrated code uses ({n})"

    def check(self, parsed: ParsedModule) -> None:
        doubles = self.doubles
        values = doubles.values
        for node in parsed.of_type(cst.Attribute):
            if node.attr.value not in MOCK_API:
                base = values.value(parsed, node.value)
                if base is not None and base.anon is None:
                    self._member(parsed, node, base)
        for site in values.patches(parsed):
            if site.kind in (PATCH_OBJECT, SETATTR, DELATTR) and site.owner is not None and site.attribute_text:
                owner = values.value(parsed, site.owner)
                if owner is not None:
                    self._member_string(site, owner)
        self._accessor_aliases(parsed)

    def end_service(self) -> None:
        super().end_service()
        if self.MAP is not None and self.doubles.acts:
            self._fakes()

    def _member(self, parsed: ParsedModule, node: cst.Attribute, base: Double) -> None:
        found = self.doubles.changed_member(base, node.attr.value)
        if found is None:
            self._accessor_use(parsed, node, base)
            return
        klass, change = found
        if change.removed:
            self.list_site(node, f"a mock of {base.before} sets or checks `{format_path(change.old)}`, which the new "
                           f"version removed: {change.why}", change.suggestion)
            return
        if not change.renamed:
            return
        if len(change.old) == 1 and len(change.new) == 1:
            if self.free(node.attr):
                self.rename(node.attr, change.new[0])
            return
        instance = _instance_expression(parsed, self.doubles.values, node, base, change)
        if instance is None:
            return  # reached through an alias: _accessor_aliases rewrites where the alias is made
        if self.free(node):
            depth = _depth(node, instance)
            new_path = change.new
            self.replace(node, lambda updated: _with_path(_descend(updated, depth), new_path))

    def _accessor_use(self, parsed: ParsedModule, node: cst.Attribute, base: Double) -> None:
        """`client.write_api.assert_called_once()`: the accessor itself, which the migrated code never calls."""
        klass = self.doubles.klass(base)
        if klass is None or not self.doubles.migrated(base):
            return
        path = base.member_path + (node.attr.value,)
        if path not in self.doubles.map.member_prefixes(klass) or len(path) != 1:
            return
        parent = parsed.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value == "return_value":
                return  # a chain on to a member (rewritten there) or an alias made here
            if parent.attr.value in MOCK_API:
                moved = sorted(format_path(c.new) for c in self.doubles.map.members[klass].values()
                               if c.old[:1] == path and c.new is not None)
                self.list_site(node, f"the migrated code no longer calls {klass}.{path[0]}() "
                               f"(its members moved: {', '.join(moved) or 'none'}): this check is never reached",
                               "remove it, or check " + (" / ".join(f"client.{m}" for m in moved) or "what replaced it"))

    def _member_string(self, site: PatchSite, owner: Double) -> None:
        found = self.doubles.changed_member(owner, site.attribute_text)
        if found is None:
            return
        _, change = found
        if change.removed or len(change.new) != 1:
            self.list_site(site.call, f"patches `{site.attribute_text}` of a mock of {owner.before}: "
                           + (change.why if change.removed else f"now {format_path(change.new)}"), change.suggestion)
        elif change.renamed and self.free(site.attribute):
            self.replace_string(site.attribute, change.new[0])

    def _accessor_aliases(self, parsed: ParsedModule) -> None:
        """`client.write_api.return_value = api` / `api = client.write_api.return_value` where what the accessor
        returned moved onto the client (`write_api().write` -> `write`): the alias is re-made on the client."""
        values = self.doubles.values
        for node in parsed.of_type(cst.Return, cst.Assign):
            if isinstance(node, cst.Return) and node.value is not None:
                raw = values.raw(parsed, node.value)
                made = values.value(parsed, node.value) if not (isinstance(raw, Double) and raw.anon) else None
                if made is not None:
                    self._bound_alias(parsed, node, made)
                continue
            if not isinstance(node, cst.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0].target
            if isinstance(target, cst.Attribute):
                plugged_into = values.plugged_target(parsed, target)
                if plugged_into is None:
                    continue
                plugged_into = values.resolve(plugged_into)
                if plugged_into is None:
                    continue
                self._plugged_alias(parsed, node, target, plugged_into)
            elif isinstance(target, cst.Name):
                raw = values.raw(parsed, node.value)
                if isinstance(raw, Double) and raw.anon is not None and not raw.steps:
                    continue  # a new mock, plugged in elsewhere
                made = values.value(parsed, node.value)
                if made is not None:
                    self._bound_alias(parsed, node, made)

    def _collapsing(self, double: Double) -> tuple[str, dict[str, MemberChange]] | None:
        """(class, member -> change) when `double` is what an accessor returned and its members moved."""
        klass = self.doubles.klass(double)
        if klass is None or not double.member_path or double.member_path[-1] != CALL:
            return None
        if not self.doubles.migrated(double):
            return None
        prefix = double.member_path
        changes = {c.old[len(prefix)]: c for c in self.doubles.map.members.get(klass, {}).values()
                   if c.old[:len(prefix)] == prefix and len(c.old) == len(prefix) + 1}
        return (klass, changes) if changes else None

    def _used_members(self, double: Double) -> set[str]:
        """Members tests set or read on this double, in every test file (computed once per double)."""
        cache = self.doubles.used_members
        if double.key in cache:
            return cache[double.key]
        values = self.doubles.values
        used = cache[double.key] = set()
        for parsed in self.doubles.test_files():
            for node in parsed.of_type(cst.Attribute):
                if node.attr.value not in MOCK_API:
                    base = values.value(parsed, node.value)
                    if base is not None and base.key == double.key:
                        used.add(node.attr.value)
        return used

    def _plugged_alias(self, parsed: ParsedModule, statement: cst.Assign, target: cst.Attribute,
                       plugged_into: Double) -> None:
        found = self._collapsing(plugged_into)
        if found is None:
            return
        klass, changes = found
        alias = statement.value
        used = self._used_members(plugged_into)
        instance = _instance_expression_of_prefix(parsed, self.doubles.values, target, plugged_into)
        unmapped = sorted(m for m in used if m not in changes or changes[m].removed or len(changes[m].new) != 1)
        if instance is None or unmapped or not isinstance(alias, cst.Name):
            self.list_site(statement, f"{klass}: what {format_path(plugged_into.member_path)} returned is gone in "
                           "the new version" + (f" ({', '.join(unmapped)} has no counterpart)" if unmapped else ""),
                           "; ".join(f"{parsed.code(instance) if instance is not None else 'client'}."
                                     f"{format_path(changes[m].new)} = {parsed.code(alias)}.{m}"
                                     for m in sorted(used) if m in changes and not changes[m].removed) or None)
            return
        line = self.parsed.statement_of(statement)
        if not self.free(statement) or not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return
        owner = parsed.code(instance)
        new_lines = [f"{owner}.{changes[m].new[0]} = {alias.value}.{m}" for m in sorted(used)]
        if not new_lines:
            self.remove(line)
        else:
            self.replace_code(line, new_lines[0])
            self.insert_after(line, new_lines[1:])

    def _bound_alias(self, parsed: ParsedModule, statement: cst.Assign | cst.Return, made: Double) -> None:
        found = self._collapsing(made)
        if found is None:
            return
        klass, changes = found
        used = self._used_members(made)
        instance = _instance_expression_of_prefix(parsed, self.doubles.values, statement.value, made)
        same = all(m in changes and not changes[m].removed and changes[m].new == (m,) for m in used)
        if instance is None or not same:
            holder = (f"{parsed.code(statement.targets[0].target)} = " if isinstance(statement, cst.Assign)
                      else "return ")
            self.list_site(statement, f"{klass}: {format_path(made.member_path)} is gone in the new version; "
                           f"its members {', '.join(sorted(used)) or '(none used)'} moved onto the client",
                           f"{holder}{parsed.code(instance) if instance is not None else 'the client mock'}")
            return
        if self.free(statement.value):
            depth = _depth(statement.value, instance)
            self.replace(statement.value, lambda updated: _descend(updated, depth))

    def _fakes(self) -> None:
        for site, target, module, klass in self.doubles.values.fakes():
            old = self.doubles.map.class_of(target.before)
            if old is None or not self.doubles.migrated(target):
                continue
            members = self.doubles.map.members.get(old, {})
            for statement in klass.body.body:
                name = statement.name.value if isinstance(statement, cst.FunctionDef) else None
                change = members.get((name,)) if name else None
                if change is None or not (change.removed or change.renamed):
                    continue
                with self.at(module.path):
                    why = change.why if change.removed else f"the migrated code uses `{format_path(change.new)}`"
                    self.list_site(statement, f"{klass.name.value} stands in for {old} in {site.module.path}:"
                                   f"{site.line}; `{name}` is gone in the new version: {why}",
                                   change.suggestion or f"rename it to {format_path(change.new)}" if change.new else
                                   change.suggestion)
            init = self.doubles.map.inits.get(old)
            constructor = next((s for s in klass.body.body if isinstance(s, cst.FunctionDef)
                                and s.name.value == "__init__"), None)
            if init is not None and constructor is not None:
                renamed = [p.name.value for p in [*constructor.params.params, *constructor.params.kwonly_params]
                           if p.name.value in init.keywords or p.name.value in init.dropped]
                if renamed:
                    with self.at(module.path):
                        self.list_site(constructor, f"{klass.name.value}.__init__ stands in for {old}(), which the "
                                       f"migrated code calls without {', '.join(renamed)}",
                                       ", ".join(f"{p} -> {init.keywords[p]}" if p in init.keywords else f"drop {p}"
                                                 for p in renamed))


def _instance_expression(parsed: ParsedModule, values: DoubleValues, node: cst.Attribute, base: Double,
                         change: MemberChange) -> cst.BaseExpression | None:
    """In `m.return_value.write_api.return_value.write`, the part that is the instance (`m.return_value`)."""
    prefix = change.old[:-1]
    want = base.member_path[:len(base.member_path) - len(prefix)]
    current: cst.BaseExpression = node.value
    while True:
        found = values.value(parsed, current)
        if found is not None and found.member_path == want and found.key[:2] == base.key[:2]:
            return current
        if isinstance(current, cst.Attribute):
            current = current.value
        elif isinstance(current, cst.Call):
            current = current.func
        else:
            return None


def _instance_expression_of_prefix(parsed: ParsedModule, values: DoubleValues, expression: cst.BaseExpression,
                                   made: Double) -> cst.BaseExpression | None:
    """In `client.write_api.return_value` (what `made` is), the instance part: `client`."""
    want = made.member_path[:-2] if len(made.member_path) >= 2 else ()
    current = expression.value if isinstance(expression, cst.Attribute) else expression
    while True:
        found = values.value(parsed, current)
        if found is not None and found.member_path == want and found.before == made.before:
            return current
        if isinstance(current, cst.Attribute):
            current = current.value
        elif isinstance(current, cst.Call):
            current = current.func
        else:
            return None


def _depth(node: cst.BaseExpression, inner: cst.BaseExpression) -> int:
    depth, current = 0, node
    while current is not inner:
        current = current.value if isinstance(current, cst.Attribute) else current.func
        depth += 1
    return depth


def _descend(node: cst.BaseExpression, depth: int) -> cst.BaseExpression:
    for _ in range(depth):
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return node


def _with_path(base: cst.BaseExpression, path: tuple[str, ...]) -> cst.BaseExpression:
    for step in path:
        base = cst.Attribute(base, cst.Name("return_value" if step == CALL else step))
    return base


# ----- DBL003: call expectations --------------------------------------------------------------------

class CallExpectations(_DoublesRule):
    ID = "DBL003"
    KIND = REWRITE
    MESSAGE = ("tests: call expectations follow changed signatures (assert_called_with, call(...), call_args, "
               "call_args_list and mock_calls reads)")
    APPLIED = "call expectation -> the call the migrated code makes ({n})"

    def check(self, parsed: ParsedModule) -> None:
        values = self.doubles.values
        names = values.names(parsed)
        records = CallRecords(values)
        for node in parsed.of_type(cst.Subscript, cst.Comparison, cst.Call):
            if isinstance(node, cst.Subscript):
                self._subscript_read(parsed, records, node)
                continue
            if isinstance(node, cst.Comparison):
                self._membership_read(parsed, records, node)
                continue
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in EXPECT_CALL:
                callee = values.value(parsed, func.value)
                if callee is not None:
                    self._arguments(node, callee, f"{parsed.code(func.value)}.{func.attr.value}")
            elif (expected := _expected_member(names, func)) is not None and not _inside_chain(parsed, node):
                self._expected_call(parsed, records, node, *expected)
            elif isinstance(func, cst.Attribute) and func.attr.value == "get" and node.args \
                    and isinstance(node.args[0].value, cst.SimpleString):
                read = records.read(parsed, func.value)
                if read is not None and read.part == KWARGS:
                    self._keyword_string(read, node.args[0].value, node)

    def _arguments(self, call: cst.Call, callee: Double, what: str) -> None:
        signature = self.doubles.signature(callee)
        if signature is None or signature.is_empty():
            return
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if any(a.star for a in call.args):
            return
        problems, edits = [], []
        if positional and signature.positional:
            if len(positional) > len(signature.positional):
                problems.append(f"{len(positional)} positional arguments, the old signature has "
                                f"{len(signature.positional)}")
        for arg in call.args:
            if arg.keyword is None:
                continue
            keyword = arg.keyword.value
            if keyword in signature.unsupported:
                problems.append(f"{keyword}=: {signature.unsupported[keyword]}")
            elif keyword in signature.dropped or keyword in signature.keywords:
                edits.append(arg)
        expected = {signature.keywords.get(a.keyword.value, a.keyword.value) for a in call.args
                    if a.keyword is not None}
        added = [k for k in self.doubles.added_keywords(callee) if k not in expected]
        if problems or added:
            if added:
                problems.append(f"the migrated code also passes {', '.join(k + '=' for k in added)} (the recipe "
                                "added it)")
            suggestion = _suggested(call, signature)
            if suggestion and added:
                suggestion = suggestion[:-1] + "".join(f", {k}=..." for k in added) + ")"
            self.list_site(call, f"{what}(...) expects the old call: " + "; ".join(problems), suggestion)
            if added and not [p for p in problems if "added it" not in p] and self._arguments_free(call):
                self.replace(call, lambda updated: _migrated_call(updated, signature))
            return
        if not edits and not (positional and signature.positional) and not signature.prepend:
            return
        if not self._arguments_free(call):
            return
        self.replace(call, lambda updated: _migrated_call(updated, signature))

    def _arguments_free(self, call: cst.Call) -> bool:
        """No other rule edited the call's arguments: one that renamed only the callee's module
        (`asyncio_mqtt.Client.disconnect.assert_awaited_once_with()` -> `aiomqtt...`) keeps its edit, the rewrite
        being a function of the edited call."""
        return self.free(call, rewriting=False) and all(self.free(arg) for arg in call.args)

    def _expected_call(self, parsed: ParsedModule, records: CallRecords, call: cst.Call, path: tuple[str, ...] | None,
                       factory: cst.BaseExpression) -> None:
        """`call(...)` / `call.member(...)` / `call.a().b(...)` compared with a mock's recorded calls: its arguments
        follow the signature, a member the migration renamed is renamed (`call.connect()` -> `call.__aenter__()`,
        `call.write_api().write(bucket=b)` -> `call.write(database=b)`), one it removed is listed."""
        member = path[0] if path else None
        mock = self._compared_mock(parsed, records, call, member)
        if mock is None:
            return
        if member is None:
            self._arguments(call, mock, parsed.code(call.func))
            return
        klass = self.doubles.klass(mock)
        if klass is not None and self.doubles.migrated(mock) \
                and mock.member_path + path in self.doubles.map.member_prefixes(klass):
            moved = sorted(format_path(c.new) for c in self.doubles.map.members[klass].values()
                           if c.old[:len(mock.member_path + path)] == mock.member_path + path and c.new is not None)
            self.list_site(call, f"expects a call of `{format_path(path)}` on a mock of {klass}, which the migrated "
                           f"code no longer makes (what it returned moved: {', '.join(moved) or 'nothing'})",
                           "drop this expected call")
            return
        if len(path) > 1:
            self._expected_chain(parsed, call, mock, path, factory)
            return
        renamed = False
        found = self.doubles.changed_member(mock, member)
        if found is not None:
            klass, change = found
            if change.removed:
                self.list_site(call, f"expects a call of `{member}` on a mock of {klass}, which the new version "
                               f"removed: {change.why}", change.suggestion)
                return
            if change.renamed and (len(change.new) != 1 or not change.new[0].isidentifier()):
                self.list_site(call, f"expects a call of `{member}` on a mock of {klass}; the migrated code calls "
                               f"`{format_path(change.new)}`", f"call.{format_path(change.new)}(...)")
                return
            if change.renamed and self.free(call.func.attr):
                self.rename(call.func.attr, change.new[0], count=0)
                renamed = True
        self._arguments(call, mock.then(member), parsed.code(call.func))
        if renamed and not self.file.edits.touched(call):
            self.count()  # the member's rename is the site's only rewrite

    def _expected_chain(self, parsed: ParsedModule, call: cst.Call, mock: Double, path: tuple[str, ...],
                        factory: cst.BaseExpression) -> None:
        klass = self.doubles.klass(mock)
        if klass is None or not self.doubles.migrated(mock):
            return
        change = self.doubles.map.member_change(klass, mock.member_path + path)
        if change is None:
            return
        if change.removed:
            self.list_site(call, f"expects a call of `{format_path(path)}` on a mock of {klass}, which the new version "
                           f"removed: {change.why}", change.suggestion)
            return
        if CALL in change.new or not all(step.isidentifier() for step in change.new) or not self.free(call):
            return
        new_func = cst.parse_expression(".".join([parsed.code(factory), *change.new]))
        signature = change.signature

        def rewritten(updated: cst.Call) -> cst.Call:
            moved = updated.with_changes(func=new_func)
            return _migrated_call(moved, signature) if not signature.is_empty() else moved

        self.replace(call, rewritten)

    def _compared_mock(self, parsed: ParsedModule, records: CallRecords, call: cst.Call,
                       member: str | None) -> Double | None:
        """(mock, member) whose recorded calls a `call(...)` / `call.member(...)` is compared with: the one mock
        whose call_args / call_args_list / mock_calls / assert_has_calls (or a name holding one of its calls:
        `for c in m.call_args_list: assert c == call(...)`) the same statement reads."""
        statement = parsed.statement_of(call)
        found: dict[tuple, Double] = {}
        values = self.doubles.values
        stack = [statement]
        while stack:
            node = stack.pop()
            stack.extend(children(node))
            mock = None
            if isinstance(node, cst.Attribute) and node.attr.value in (CALL_RECORDS | MEMBER_CALL_RECORDS | EXPECT_CALLS):
                if member and node.attr.value not in (MEMBER_CALL_RECORDS | EXPECT_CALLS):
                    continue
                mock = values.value(parsed, node.value)
            elif isinstance(node, cst.Name) and member is None:
                read = records.read(parsed, node)
                mock = read.mock if read is not None and read.part == "call" and not read.mixed else None
            if mock is not None:
                found[mock.key] = mock
        return next(iter(found.values())) if len(found) == 1 else None

    # ----- reads of recorded calls ------------------------------------------------------------------

    def _subscript_read(self, parsed: ParsedModule, records: CallRecords, node: cst.Subscript) -> None:
        """`<kwargs>["k"]` (a keyword) or `<args>[i]` (a positional) of a call recorded on a migrated mock."""
        key, index = subscript_key(node), subscript_index(node)
        if key is None and index is None:
            return
        read = records.read(parsed, node.value)
        if read is None:
            return
        if key is not None and read.part == KWARGS:
            self._keyword_string(read, key, node)
        elif index is not None and read.part == ARGS:
            self._positional_read(parsed, read, node, index)

    def _membership_read(self, parsed: ParsedModule, records: CallRecords, node: cst.Comparison) -> None:
        """`"k" in c.kwargs` / `"k" not in m.call_args.kwargs`."""
        if len(node.comparisons) != 1 or not isinstance(node.left, cst.SimpleString):
            return
        target = node.comparisons[0]
        if not isinstance(target.operator, (cst.In, cst.NotIn)):
            return
        read = records.read(parsed, target.comparator)
        if read is not None and read.part == KWARGS:
            self._keyword_string(read, node.left, node)

    def _keyword_string(self, read: RecordRead, key: cst.SimpleString, site: cst.CSTNode) -> None:
        """`m.call_args.kwargs["k"]`, `c.kwargs["k"]` over `m.call_args_list`, `kwargs["k"]` after
        `_, kwargs = m.call_args`: the keyword follows a rename; a dropped one is listed."""
        keyword = key.evaluated_value
        signature = self.doubles.signature(read.mock)
        if signature is None or not isinstance(keyword, str):
            return
        if keyword in signature.keywords:
            new = signature.keywords[keyword]
            if read.mixed:
                self.list_site(site, f"reads the keyword {keyword!r} of a call in a mock's mock_calls; the migrated "
                               f"code passes it as {new!r} (that entry may be a call of a child mock, so it is not "
                               "rewritten)", self.parsed.code(site).replace(key.value, f"{key.quote}{new}{key.quote}", 1))
            elif self.free(key):
                self.replace_string(key, new)
        elif keyword in signature.dropped or keyword in signature.unsupported:
            why = signature.unsupported.get(keyword, "the migrated code no longer passes it")
            self.list_site(site, f"reads the keyword {keyword!r} of a call the migrated code makes without it: {why}",
                           "drop this check" if keyword in signature.dropped else None)

    def _positional_read(self, parsed: ParsedModule, read: RecordRead, node: cst.Subscript, index: int) -> None:
        """`c.args[0]` where the migrated code passes that parameter by keyword: `c.kwargs["<new name>"]`."""
        signature = self.doubles.signature(read.mock)
        if signature is None or not (signature.positional or signature.prepend):
            return
        if signature.prepend or index >= len(signature.positional):
            self.list_site(node, f"reads positional argument {index} of a call the migrated code makes with other "
                           "arguments" + (f" (it passes {', '.join(signature.prepend)} first)" if signature.prepend
                                          else ""), None)
            return
        old = signature.positional[index]
        if old in signature.dropped or old in signature.unsupported:
            why = signature.unsupported.get(old, "the migrated code no longer passes it")
            self.list_site(node, f"reads positional argument {index} ({old}) of a call the migrated code makes "
                           f"without it: {why}", "drop this check" if old in signature.dropped else None)
            return
        new = signature.keywords.get(old, old)
        record = read.record
        if record is None or read.mixed:
            self.list_site(node, f"reads positional argument {index} ({old}) of a call the migrated code makes with "
                           f"{new}= as a keyword", f'kwargs["{new}"]')
            return
        depth = _depth_to(node, record)
        if depth is not None and self.free(node):
            self.replace(node, lambda updated: cst.Subscript(
                cst.Attribute(_descend_to(updated, depth), cst.Name("kwargs")),
                [cst.SubscriptElement(cst.Index(cst.SimpleString(f'"{new}"')))]))


def _depth_to(node: cst.BaseExpression, inner: cst.BaseExpression) -> int | None:
    """Steps (`.x`, `[i]`) from `node` down to `inner`."""
    depth, current = 0, node
    while current is not inner:
        if isinstance(current, (cst.Attribute, cst.Subscript)):
            current = current.value
        else:
            return None
        depth += 1
    return depth


def _descend_to(node: cst.BaseExpression, depth: int) -> cst.BaseExpression:
    for _ in range(depth):
        node = node.value
    return node


def _inside_chain(parsed: ParsedModule, call: cst.Call) -> bool:
    """`call.a()` in `call.a().b(...)`: a step of the outer expected call, not one of its own."""
    parent = parsed.parent(call)
    return isinstance(parent, cst.Attribute) and parent.value is call


def _expected_member(names, func: cst.BaseExpression) -> tuple[tuple[str, ...] | None, cst.BaseExpression] | None:
    """(None, factory) for `call` / `mock.call` (unittest.mock's call factory, however imported); (member path,
    factory) for `call.m` -> ("m",) and `call.a(...).b` -> ("a", "()", "b"); None for anything else."""
    steps: list[str] = []
    current = func
    while True:
        if names.is_call_factory(current):
            return (tuple(reversed(steps)) or None), current
        if isinstance(current, cst.Attribute):
            steps.append(current.attr.value)
            current = current.value
        elif isinstance(current, cst.Call) and steps:
            steps.append(CALL)
            current = current.func
        else:
            return None


def _migrated_call(call: cst.Call, signature: Signature) -> cst.Call:
    args = [cst.Arg(cst.parse_expression(code)) for code in signature.prepend]
    keyworded = 0
    for index, arg in enumerate(call.args):
        if arg.keyword is None and signature.positional and index < len(signature.positional):
            arg = arg.with_changes(keyword=cst.Name(signature.positional[index]),
                                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            keyworded += 1
        if arg.keyword is not None:
            keyword = arg.keyword.value
            if keyword in signature.dropped:
                continue
            if keyword in signature.keywords:
                arg = arg.with_changes(keyword=cst.Name(signature.keywords[keyword]))
        args.append(arg)
    args = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(args) - 1
            and a.comma == cst.MaybeSentinel.DEFAULT else a for i, a in enumerate(args)]
    if args and call.args and len(args) != len(call.args):
        args[-1] = args[-1].with_changes(comma=call.args[-1].comma)
    return call.with_changes(args=args)


def _suggested(call: cst.Call, signature: Signature) -> str | None:
    try:
        return cst.Module([]).code_for_node(_migrated_call(call, signature))
    except Exception:  # a suggestion is a courtesy; the item stands without it
        return None


# ----- binding a recipe's map ---------------------------------------------------------------------------

def recipe_map(where: str | Path) -> MigrationMap:
    """The migration map of a recipe: `where` is its migration.toml, its folder, or a module file in it."""
    path = Path(where)
    if path.suffix == ".py":
        path = path.with_name(MIGRATION_FILE)
    elif path.is_dir():
        path = path / MIGRATION_FILE
    return load_migration_map(path)


SHARED_RULES = (PatchTargets, MockedMembers, CallExpectations)
#: the ids of the shared rules a migration map drives (the same in every recipe that binds them)
SHARED_RULE_IDS = ("DBL001", "DBL002", "DBL003", "AUD001")


def double_rules(mapping: MigrationMap | str | Path) -> tuple[type[Rule], ...]:
    """The shared rules bound to one recipe's map, to put LAST in its RULES: `*double_rules(__file__)`
    reads migration.toml beside the codemod module. Each bound rule carries examples made from the map
    (`recipes test` runs them); a rule the map gives nothing to do is left out."""
    if not isinstance(mapping, MigrationMap):
        mapping = recipe_map(mapping)
    from .doubles_examples import examples_for

    bound: list[type[Rule]] = []
    for rule in SHARED_RULES:
        examples = examples_for(rule.ID, mapping)
        if examples is None:
            continue
        valid, invalid = examples
        with_targets = ("DBL001",) if rule.ID != "DBL001" and any(r.ID == "DBL001" for r in bound) else ()
        bound.append(type(rule.__name__, (rule,), {"MAP": mapping, "VALID": valid, "INVALID": invalid,
                                                   "EXAMPLES_WITH": with_targets, "__module__": rule.__module__}))
    return tuple(bound)


def migration_rules(where: MigrationMap | str | Path) -> tuple[type[Rule], ...]:
    """Every shared rule a recipe's migration map drives, bound to it, in the order they must run (LAST in
    the recipe's RULES): the test-double rules (DBL001-DBL003), then the import audit (AUD001) when the map
    has an [audit] table. In a recipe's codemod module: `RULES = (..., *migration_rules(__file__))`."""
    mapping = where if isinstance(where, MigrationMap) else recipe_map(where)
    from .import_audit import import_audit_rule

    audit = import_audit_rule(mapping)
    return (*double_rules(mapping), *((audit,) if audit is not None else ()))


__all__ = ["CallExpectations", "Doubles", "MockedMembers", "PatchTargets", "SHARED_RULES", "SHARED_RULE_IDS",
           "TargetOutcome",
           "migration_rules", "recipe_map", "double_rules"]
