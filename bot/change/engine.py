"""A recipe in the rule form: an ordered registry of rules, run in one dispatching traversal per file.

    class TenacityCodemod(RuleCodemod):
        MENTIONS = ("tenacity", "retry")     # files whose text mentions none of these are never parsed
        RULES = (RetryStatistics, AsyncioImports, ..., PythonFloor)   # the order rules run in

recipe.toml names the class as before (`codemod = "rules.py:TenacityCodemod"`). For each service:
every enabled rule is made (one instance per service run), begin_service() runs in RULES order, then each
file the recipe reads is walked ONCE: for every node, the visit_ methods of every rule that visits its
class run in RULES order. The trees and their metadata are bot.analysis's, shared by every recipe
applied to the service in the run (parsed once, each metadata provider resolved once per file). Edits
go to one EditPlan per file and are applied in one pass at the end; items, notes and requirement edits
are gathered in the ServiceRun. Output order does not depend on rule order: applied changes by file,
rule and description; manual items by file, line and rule (identical items once).

Where order matters (a rule reads what an earlier one decided, or two rules edit one node), the later
rule says so: `AFTER = {"INF006": "drops an import name only when every use of it was rewritten"}`;
a recipe whose RULES break that order does not load.

The option `disable = ["ID", ...]` (upgrade-bot.toml, `[recipes."<id>"]`) leaves those rules out.
"""
from __future__ import annotations

from collections import Counter
from functools import cached_property
from typing import Any, Callable, ClassVar, Mapping, Sequence

from bot.analysis import ParsedModule, ServiceAnalysis
from bot.change.recipe import DISABLE_OPTION
from bot.codemod import Codemod
from bot.model import AppliedChange, CodemodResult, ManualItem, RequirementEdit, ServiceSource

from .edit_plan import EditPlan
from .import_editor import ImportEditor, first_party_names
from .rule import Rule, RuleDefinitionError


class FileRun:
    """One file of the service as the recipe's rules see it: its parsed module and its edits."""

    def __init__(self, parsed: ParsedModule, first_party: frozenset[str]) -> None:
        self.parsed = parsed
        self.path = parsed.path
        self.edits = EditPlan(parsed)
        self.imports = ImportEditor(self.edits, first_party)


class ServiceRun:
    """One recipe applied to one service: what its rules share, and what they produce."""

    def __init__(self, codemod: "RuleCodemod", source: ServiceSource, original: ServiceSource | None = None) -> None:
        self.codemod = codemod
        self.source = source
        self.options: Mapping[str, Any] = codemod.options
        self.analysis = ServiceAnalysis.of(source)
        # The service before an earlier codemod changed it, when the rules follow one (see RuleCodemod.migrate)
        self.original_analysis = ServiceAnalysis.of(original) if original is not None else self.analysis
        self.files: dict[str, FileRun] = {}
        self.manual: list[ManualItem] = []
        self.notes: list[str] = []
        self.requirement_edits: list[RequirementEdit] = []
        self.applied: Counter[tuple[str, str, str]] = Counter()  # (path, rule, description) -> sites
        self.unparsable: list[tuple[str, str]] = []  # (path, "path:line: syntax error: reason")
        self.texts: dict[str, str] = {}  # path -> new text of a file edited as text (config files, not Python)
        self.held_back = ""  # why the service is not migrated (Rule.hold_back): nothing is changed
        self._facts: dict[tuple, Any] = {}

    def fact(self, function: Callable[..., Any], *args: Any) -> Any:
        key = (function, *args)
        if key not in self._facts:
            self._facts[key] = function(*args)
        return self._facts[key]

    @cached_property
    def first_party(self) -> frozenset[str]:
        return first_party_names(sorted(self.analysis.files))

    def file(self, path: str) -> FileRun | None:
        found = self.files.get(path)
        if found is None:
            parsed = self.analysis.module(path)
            if parsed is None:
                return None
            found = self.files[path] = FileRun(parsed, self.first_party)
        return found

    def add_item(self, item: ManualItem) -> None:
        self.manual.append(item)

    def add_note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def count(self, path: str, rule: str, description: str, n: int) -> None:
        self.applied[(path, rule, description)] += n

    def text(self, path: str) -> str | None:
        """A file's text as edited so far by set_text (else as read), None when the service has no such file."""
        return self.texts.get(path, self.source.files.get(path))

    def set_text(self, path: str, text: str) -> None:
        if path in self.analysis.files:
            raise ValueError(f"{path} is a Python file of the service: edit it through its edit plan")
        self.texts[path] = text


class RuleCodemod(Codemod):
    """A bot.codemod.Codemod made of rules (see the module docstring)."""

    #: the rules, in the order they run
    RULES: ClassVar[Sequence[type[Rule]]] = ()  # type: ignore[assignment]
    #: ids of rules an earlier release had, -> what does their work now: `disable = [ID]` in a user's configuration
    #: written for that release still loads (it disables nothing) instead of failing on an unknown rule
    RETIRED: ClassVar[Mapping[str, str]] = {}
    #: words (case-insensitive); a file whose text has none of them is never parsed. Empty: every file
    MENTIONS: ClassVar[Sequence[str]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_registry(cls.__qualname__, cls.RULES)

    @classmethod
    def rule_texts(cls) -> dict[str, str]:
        return {rule.ID: rule.MESSAGE for rule in cls.RULES}

    @classmethod
    def rule(cls, rule_id: str) -> type[Rule]:
        return next(r for r in cls.RULES if r.ID == rule_id)

    def enabled_rules(self) -> list[type[Rule]]:
        disabled = set(self.options.get(DISABLE_OPTION) or ())
        unknown = sorted(disabled - {r.ID for r in self.RULES} - set(self.RETIRED))
        if unknown:
            raise ValueError(f"option disable: no rule {unknown[0]!r} (rules: {', '.join(r.ID for r in self.RULES)})")
        return [r for r in self.RULES if r.ID not in disabled]

    # ----- the run -------------------------------------------------------------------------------

    def migrate(self, service: ServiceSource, *, original: ServiceSource | None = None) -> CodemodResult:
        """The recipe's result on `service`. `original`: the service before another codemod produced `service`
        (rules that follow a migration, bot.change.doubles, then read old names in the original)."""
        run = ServiceRun(self, service, original)
        rules = [rule_class(run) for rule_class in self.enabled_rules()]
        for rule in rules:
            rule.begin_service()
        dispatch = _dispatch_table(rules)
        for path in self.files_to_read(run):
            file = run.file(path)
            if file is None:
                run.unparsable.append((path, run.analysis.syntax_error(path) or f"{path}: cannot parse"))
                continue
            for rule in rules:
                rule.file = file
                rule.begin_file()
            # the nodes of the classes some rule visits, in source order, from the file's index (of_type):
            # not a lookup for each of the file's nodes. By exact class, as the table is (of_type also gives
            # subclasses, which no visit_ method names)
            for node in file.parsed.of_type(*dispatch):
                for handler in dispatch.get(type(node), ()):
                    handler(node)
            for rule in rules:
                rule.end_file()
        for rule in rules:
            rule.file = None
            rule.end_service()
        for path, error in run.unparsable:
            self.unparsable(run, path, error)
        try:
            return self.result(run)
        finally:
            # The run's facts are keyed by tuples holding the run itself (`run.fact(f, run, parsed)`): left as they
            # are, a finished run is cyclic garbage, and its edited trees, plans and facts wait for the collector
            # (3 MB of a first run's peak on the example fleet, and its costliest GC passes). Dropped here, they
            # go by reference counting; the result holds none of them.
            run._facts.clear()
            run.files.clear()

    def files_to_read(self, run: ServiceRun) -> list[str]:
        """The Python files the rules visit, in order: by default those whose text has one of MENTIONS
        (override for a finer prefilter: the files pytest would collect, say)."""
        return run.analysis.files_mentioning(*self.MENTIONS)

    def unparsable(self, run: ServiceRun, path: str, error: str) -> None:
        """A file the recipe would read that libcst cannot parse: said in the PR (override to list it)."""
        run.add_note(f"{path} was not changed: libcst cannot parse it ({error}).")

    def result(self, run: ServiceRun) -> CodemodResult:
        unique = list(dict.fromkeys(run.manual))
        manual = sorted(unique, key=lambda item: (item.file, item.line, item.rule))
        if run.held_back:  # the items and notes say why; no file, site or requirement edit goes out
            return CodemodResult(manual=manual, notes=list(run.notes), held_back=run.held_back)
        result = CodemodResult(notes=list(run.notes), requirement_edits=list(run.requirement_edits))
        for path, file in sorted(run.files.items()):
            if file.edits.is_empty():
                continue
            text = file.edits.code()
            if text != run.source.files[path]:
                result.changed[path] = text
        for path, text in sorted(run.texts.items()):
            if text != run.source.files.get(path):
                result.changed[path] = text
        for (path, rule, description), count in sorted(run.applied.items()):
            result.applied.append(AppliedChange(path, rule, description.replace("{n}", str(count)), count))
        result.manual = manual
        return result


def check_registry(owner: str, rules: Sequence[type[Rule]]) -> None:
    """Every rule has an id, ids are unique, and each rule comes after the rules its AFTER names."""
    seen: dict[str, type[Rule]] = {}
    for rule in rules:
        if not (isinstance(rule, type) and issubclass(rule, Rule)) or not rule.ID:
            raise RuleDefinitionError(f"{owner}.RULES: {rule!r} is not a Rule subclass with an ID")
        if rule.ID in seen:
            raise RuleDefinitionError(f"{owner}.RULES: {rule.ID} twice ({seen[rule.ID].__name__}, {rule.__name__})")
        seen[rule.ID] = rule
    ids = [rule.ID for rule in rules]
    for rule in rules:
        for earlier, why in rule.AFTER.items():
            if earlier not in seen:
                raise RuleDefinitionError(f"{owner}.RULES: {rule.ID} must come after {earlier}, which is not a rule "
                                          "of this recipe")
            if ids.index(earlier) > ids.index(rule.ID):
                raise RuleDefinitionError(f"{owner}.RULES: {rule.ID} must come after {earlier} ({why})")
        for other in rule.EXAMPLES_WITH:
            if other not in seen:
                raise RuleDefinitionError(f"{owner}.RULES: {rule.ID}.EXAMPLES_WITH names {other}, not a rule of "
                                          "this recipe")


def _dispatch_table(rules: list[Rule]) -> dict[type, list[Callable]]:
    table: dict[type, list[Callable]] = {}
    for rule in rules:
        for node_class, method in rule.VISITS.items():
            table.setdefault(node_class, []).append(getattr(rule, method))
    return table
