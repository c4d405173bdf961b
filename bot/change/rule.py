"""A rule: the one unit a recipe is written in (after Fixit's LintRule and pyupgrade's plugins).

A rule is a class with a stable id, a kind, a one-line message and its own examples::

    class RetryStatistics(Rule):
        ID = "TEN001"
        KIND = REWRITE                      # REWRITE: may edit (and list); MANUAL: only lists
        MESSAGE = "fn.retry.statistics -> fn.statistics for @retry functions"   # `recipes list`, PR default
        APPLIED = ""                        # the PR's line for this rule's rewrites in a file ({n}: count);
                                            # default MESSAGE
        VALID = [Valid("x = obj.retry.statistics")]                        # no rewrite, no item
        INVALID = [Invalid('''
            from tenacity import retry
            @retry
            def f(): ...
            s = f.retry.statistics
            ''', after='''...s = f.statistics...''', items=[])]           # the rewrite and/or items (lines)

        def visit_Attribute(self, node: cst.Attribute) -> None:          # any libcst node class name
            if ...:                                                        # facts from self.analysis
                self.replace(node, lambda updated: updated.with_changes(value=updated.value.value))
            else:
                self.report(node, "why a human must look", "suggested code")

Hooks, all optional, called by the recipe's one traversal (bot.change.engine):
    begin_service()                before any file; service-wide facts (self.fact) belong here or are lazy
    begin_file()                   for each file the recipe reads (its MENTIONS prefilter), in path order
    visit_<NodeClass>(node)        every node of that exact libcst class, in source order (pre-order);
                                   there is no leave_: edits are recorded on the original nodes, so nothing
                                   waits for the children
    end_file()                     after the file's nodes
    end_service()                  after every file (service-level items: declared Python floor, pins)

What a rule sees: self.analysis (bot.analysis.ServiceAnalysis), self.parsed (the current file's
ParsedModule: tree, metadata, lines, parents), self.path, self.options (the recipe's options),
self.fact(function, *args) (memoised per service run: facts several rules share), self.files (the
service's text files, Python or not).

What a rule does, always under its own id (disable = ["ID"] in the configuration turns all of it off):
    self.report(node, reason, suggestion=None, code=None)      a manual item at the node's line
    self.report_at(path, line, old_code, reason, suggestion)   a manual item anywhere (TOML, setup.py...)
    self.replace / replace_code / rename / replace_string / remove / insert_before / insert_after
                                                               edits of the current file (bot.change.edit_plan);
                                                               each counts one rewritten site unless count=0
    self.imports                                               the file's import editor (bot.change.import_editor)
    with self.at(path): ...                                    another file as the current one (a rule deciding
                                                               for the service may edit or list in any file)
    self.set_text(path, text) / self.text(path)                a file that is not Python (a config file), as text
    self.count(n=1, description=None, path=None)               rewritten sites with no edit of their own
    self.note(text)                                            a paragraph for the PR body (once)
    self.require(requirement_edit)                             a requirement edit on top of recipe.toml's
    self.hold_back(reason)                                     migrate nothing in this service, and say why
"""
from __future__ import annotations

import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Mapping, Sequence, Union

import libcst as cst

from bot.model import ManualItem, RequirementEdit

from .edit_plan import EditFunction, NewStatements

if TYPE_CHECKING:
    from bot.analysis import ParsedModule, ServiceAnalysis

    from .engine import FileRun, ServiceRun
    from .import_editor import ImportEditor

REWRITE, MANUAL = "rewrite", "manual"
KINDS = (REWRITE, MANUAL)
_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]+$")
_HOOKS = ("begin_service", "begin_file", "end_file", "end_service")
EXAMPLE_PATH = "example.py"  # the file a one-file example is written to

Code = Union[str, Mapping[str, str]]  # one Python file, or service-relative path -> text


def example_files(code: Code) -> dict[str, str]:
    """An example's files: code is dedented, so examples can be written indented in the rule's body."""
    files = {EXAMPLE_PATH: code} if isinstance(code, str) else dict(code)
    return {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone: no rewrite and no item (from any rule the example runs)."""

    code: Code
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class Invalid:
    """Code the rule acts on: `after` is the rewritten code (None: unchanged), `items` the rule's manual
    items, exactly: a line (of the one-file example) or (path, line); `requires` the requirement edits it
    asks for (self.require), exactly, as `requirement_text` writes them ("add influxdb-client==1.50.0")."""

    code: Code
    after: Code | None = None
    items: Sequence[int | tuple[str, int]] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    requires: Sequence[str] = ()

    def expected_items(self) -> list[tuple[str, int]]:
        return sorted((EXAMPLE_PATH, i) if isinstance(i, int) else (i[0], i[1]) for i in self.items)


def requirement_text(edit: RequirementEdit) -> str:
    """"set influxdb3-python[pandas]==0.17.0": how examples name a requirement edit."""
    extras = f"[{','.join(edit.extras)}]" if edit.extras else ""
    target = f" -> {edit.new_package}" if edit.new_package else ""
    return f"{edit.action} {edit.package}{extras}{edit.spec}{target}"


class RuleDefinitionError(TypeError):
    """A rule class that cannot work (bad id, kind, message or visit_ method): raised at import."""


class Rule:
    ID: ClassVar[str] = ""
    KIND: ClassVar[str] = REWRITE
    MESSAGE: ClassVar[str] = ""
    APPLIED: ClassVar[str] = ""
    #: rule id -> why this rule must come after it in the recipe's RULES (checked when the recipe loads)
    AFTER: ClassVar[Mapping[str, str]] = {}
    #: ids of other rules left on while this rule's examples run (by default each rule runs alone)
    EXAMPLES_WITH: ClassVar[Sequence[str]] = ()
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    #: libcst node class -> the visit_ method's name (filled for each subclass)
    VISITS: ClassVar[Mapping[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        where = f"rule {cls.__qualname__}"
        cls.VISITS = _visits(cls, where)
        if not cls.ID:
            return  # a base class shared by rules; a recipe refuses a rule without an id
        if not _ID.match(cls.ID):
            raise RuleDefinitionError(f"{where}: ID must be capital letters then digits (like 'TEN001'), got {cls.ID!r}")
        if cls.KIND not in KINDS:
            raise RuleDefinitionError(f"{where}: KIND must be REWRITE or MANUAL, got {cls.KIND!r}")
        if not isinstance(cls.MESSAGE, str) or not cls.MESSAGE.strip() or "\n" in cls.MESSAGE:
            raise RuleDefinitionError(f"{where}: MESSAGE must be one non-empty line")
        for example in [*cls.VALID, *cls.INVALID]:
            if not isinstance(example, (Valid, Invalid)):
                raise RuleDefinitionError(f"{where}: VALID/INVALID hold Valid(...)/Invalid(...), got {example!r}")

    def __init__(self, run: "ServiceRun") -> None:
        self.run = run
        self.file: "FileRun | None" = None

    # ----- hooks (override what you need) --------------------------------------------------------

    def begin_service(self) -> None:
        pass

    def begin_file(self) -> None:
        pass

    def end_file(self) -> None:
        pass

    def end_service(self) -> None:
        pass

    # ----- what a rule sees ------------------------------------------------------------------------

    @property
    def analysis(self) -> "ServiceAnalysis":
        return self.run.analysis

    @property
    def options(self) -> Mapping[str, Any]:
        return self.run.options

    @property
    def files(self) -> Mapping[str, str]:
        return self.run.source.files

    @property
    def parsed(self) -> "ParsedModule":
        return self._current().parsed

    @property
    def path(self) -> str:
        return self._current().path

    @property
    def imports(self) -> "ImportEditor":
        self._may_edit()
        return _RuleImports(self._current().imports, self.ID)  # type: ignore[return-value]

    def fact(self, function: Callable[..., Any], *args: Any) -> Any:
        """function(*args), computed once per service run whichever rule asks first."""
        return self.run.fact(function, *args)

    # ----- what a rule does --------------------------------------------------------------------

    def report(self, node: cst.CSTNode, reason: str, suggestion: str | None = None, *,
               code: str | None = None) -> None:
        parsed = self.parsed
        self.run.add_item(ManualItem(parsed.path, parsed.line(node), parsed.code(node) if code is None else code,
                                     reason, self.ID, suggestion))

    def report_at(self, path: str, line: int, old_code: str, reason: str, suggestion: str | None = None) -> None:
        self.run.add_item(ManualItem(path, line, old_code, reason, self.ID, suggestion))

    def add_items(self, items: Iterable[ManualItem]) -> None:
        """Items made by a shared helper (bot.declared.python_support): they must carry
        this id."""
        for item in items:
            if item.rule != self.ID:
                raise ValueError(f"rule {self.ID} cannot list an item of rule {item.rule}")
            self.run.add_item(item)

    def replace(self, node: cst.CSTNode, new: cst.CSTNode | EditFunction, *, count: int = 1,
                description: str | None = None) -> None:
        self._edits().replace(node, new, self.ID)
        self.count(count, description)

    def replace_code(self, node: cst.CSTNode, code: str, *, count: int = 1, description: str | None = None) -> None:
        self._edits().replace_code(node, code, self.ID)
        self.count(count, description)

    def rename(self, name: cst.Name, value: str, *, count: int = 1, description: str | None = None) -> None:
        self._edits().rename(name, value, self.ID)
        self.count(count, description)

    def replace_string(self, string: cst.SimpleString, value: str, *, count: int = 1,
                       description: str | None = None) -> None:
        self._edits().replace_string(string, value, self.ID)
        self.count(count, description)

    def remove(self, node: cst.CSTNode, *, count: int = 1, description: str | None = None) -> None:
        self._edits().remove(node, self.ID)
        self.count(count, description)

    def insert_before(self, node: cst.CSTNode, statements: NewStatements, *, count: int = 0,
                      description: str | None = None) -> None:
        self._edits().insert_before(node, statements, self.ID)
        self.count(count, description)

    def insert_after(self, node: cst.CSTNode, statements: NewStatements, *, count: int = 0,
                     description: str | None = None) -> None:
        self._edits().insert_after(node, statements, self.ID)
        self.count(count, description)

    @contextmanager
    def at(self, path: str) -> Iterator[None]:
        """Makes `path` the current file inside the block: for a rule deciding for the whole service (in
        end_service, or for another file than the one visited), its edits, counts and reports go there."""
        found = self.run.file(path)
        if found is None:
            raise ValueError(f"rule {self.ID}: {path} is not a parsable Python file of the service")
        previous, self.file = self.file, found
        try:
            yield
        finally:
            self.file = previous

    def count(self, n: int = 1, description: str | None = None, path: str | None = None) -> None:
        """n more rewritten sites of this rule in `path` (default: the current file), for the PR."""
        if n:
            self._may_edit()
            self.run.count(path or self.path, self.ID, description or self.applied_description(), n)

    def set_text(self, path: str, text: str, *, count: int = 1, description: str | None = None) -> None:
        """A file that is not Python (pytest.ini, setup.cfg, pyproject.toml) gets this text; self.text(path)
        reads it back, so several rules can edit one file in turn (tomlkit/configparser for the editing)."""
        self._may_edit()
        self.run.set_text(path, text)
        self.count(count, description, path)

    def text(self, path: str) -> str | None:
        """A file's text as edited so far (set_text), else as read; None when the service has no such file."""
        return self.run.text(path)

    def note(self, text: str) -> None:
        self.run.add_note(text)

    def hold_back(self, reason: str) -> None:
        """This recipe migrates nothing in the service: no file, no rewritten site, no requirement edit goes out,
        and the job says `reason` (one line). For code the new version cannot run and the codemod cannot move,
        when the old version cannot run beside the new one for that code alone; list the blocking uses."""
        if not self.run.held_back:
            self.run.held_back = reason

    def require(self, edit: RequirementEdit) -> None:
        self._may_edit()
        self.run.requirement_edits.append(edit)

    @classmethod
    def applied_description(cls) -> str:
        return cls.APPLIED or cls.MESSAGE

    # ----- internals -------------------------------------------------------------------------------

    def _current(self) -> "FileRun":
        if self.file is None:
            raise RuntimeError(f"rule {self.ID}: no current file here (in begin_service/end_service use self.at(path))")
        return self.file

    def _edits(self):
        self._may_edit()
        return self._current().edits

    def _may_edit(self) -> None:
        if self.KIND != REWRITE:
            raise TypeError(f"rule {self.ID} is a MANUAL rule: it reports, it does not edit")


def _visits(cls: type, where: str) -> dict[type, str]:
    visits = {}
    # the hook names dir(cls) would list (the class's and its bases', sorted), without building dir()'s whole
    # list: a run defines ~100 rule classes, and dir() was most of their creation cost (~3 ms of CPU)
    hooks = {name for klass in cls.__mro__ for name in vars(klass) if name.startswith(("visit_", "leave_"))}
    for name in sorted(hooks):
        if name.startswith("visit_"):
            node_class = getattr(cst, name[len("visit_"):], None)
            if not (isinstance(node_class, type) and issubclass(node_class, cst.CSTNode)):
                raise RuleDefinitionError(f"{where}: {name}: libcst has no node class {name[6:]!r}")
            visits[node_class] = name
        elif name.startswith("leave_"):
            raise RuleDefinitionError(f"{where}: {name}: rules have no leave_ hooks (use visit_ or end_file)")
    return visits


class _RuleImports:
    """The file's ImportEditor with this rule's id on every edit."""

    def __init__(self, editor: "ImportEditor", rule: str) -> None:
        self._editor, self._rule = editor, rule

    def __getattr__(self, name: str):
        method = getattr(self._editor, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: method(*args, **{"rule": self._rule, **kwargs})
