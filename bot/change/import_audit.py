"""Shared rule AUD001: every name the migrated service takes from the new version exists in that version.

Checked on each file as the recipe's edits leave it, against the recipe's API table (the real modules of the
new version, introspected by `upgrade-bot recipes api-table`, bot.analysis.api_table): `from X import Y`,
`import X.Y`, `X.Y` attribute chains through an imported module, and string patch targets into X (a class
member too: `patch("aiomqtt.Client.connect")`). This catches what no rule anticipated: `from
pytest_asyncio.plugin import SubRequest` (in 0.21, gone in 1.3.0) stops a whole suite at collection.

A missing name with a known replacement in the recipe's migration map is rewritten (`from` imports, through
the import editor, on the edited file); any other is listed with the line, the name, and the version.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Callable, Iterator

import libcst as cst

from bot.analysis import dotted_name, is_test_path
from bot.analysis.names import TOKENS, TRIVIA, children
from bot.analysis.parsed import ParsedModule
from bot.analysis.api_table import ApiTable
from bot.analysis.doubles import Meanings
from bot.analysis.migration_map import MigrationMap

from .rule import REWRITE, Invalid, Rule, Valid

_PATCHERS = ("patch", "patch.object", "setattr", "delattr")
_PATCHER_ENDS = frozenset(p.rsplit(".", 1)[-1] for p in _PATCHERS)  # the last name of a patcher's dotted name
_PATCHER_WORDS = ("patch", "setattr", "delattr")  # what a file's text holds when _is_patcher can match in it
_TABLES: dict[int, tuple[MigrationMap, ApiTable | None]] = {}


def audit_table(mapping: MigrationMap) -> ApiTable | None:
    """The map's API table (loaded once per process), None when the map declares none or it is not there."""
    found = _TABLES.get(id(mapping))
    if found is None or found[0] is not mapping:
        table = None
        if mapping.audit is not None and mapping.folder is not None:
            path = mapping.folder / mapping.audit.table
            table = ApiTable.load(path) if path.is_file() else None
        found = _TABLES[id(mapping)] = (mapping, table)
    return found[1]


@dataclass(frozen=True)
class Missing:
    """A name the edited code uses that the new version does not have."""

    statement: cst.CSTNode  # in the edited tree
    name: str  # the full dotted name used
    owner: str  # the module (or class) that lacks it
    part: str
    import_from: tuple[str, str] | None = None  # (module, name) of a `from module import name`
    spelled: str | None = None  # a patch target through a service module that means `name`
    call: cst.Call | None = None  # the patcher call naming it (in the edited tree), for its own line


class ImportAudit(Rule):
    ID = "AUD001"
    KIND = REWRITE
    MESSAGE = "every name taken from the new version exists in it (checked against its real modules)"
    APPLIED = "import of a name the new version moved -> its new place ({n})"
    MAP: MigrationMap | None = None

    def end_service(self) -> None:
        table = audit_table(self.MAP) if self.MAP is not None else None
        if table is None:
            return
        words = {p.split(".")[0] for p in table.packages} | set(self.MAP.old_modules)
        # test files too: `patch("pkg.transport.mqtt.base62")` reaches paho through the service's own module
        paths = sorted({*self.analysis.files_mentioning(*words), *(p for p in self.analysis.files if is_test_path(p)
                                                                    and p.endswith(".py"))})
        # A test file the recipe left alone that names no audited package and calls no patcher has nothing to
        # check (only those spellings reach the audit's questions): skipped before it is parsed or read.
        mentioning = {*self.analysis.files_mentioning(*words), *self.analysis.files_mentioning(*_PATCHER_WORDS)}
        self._trees: dict[str, cst.Module] = {}
        meanings = Meanings(self.analysis, edited=self._edited, original=self.run.original_analysis)
        for path in paths:
            if path not in mentioning and (path not in self.run.files or self.run.files[path].edits.is_empty()):
                continue
            file = self.run.file(path)
            if file is None:
                continue
            try:
                # every recipe of the run audits this tree, or an edited copy sharing most of its statements
                known = file.parsed.memo.get(_walk)
                if known is None:
                    known = file.parsed.memo[_walk] = _learn(file.parsed)
                tree = self._edited(path) or file.parsed.tree
                walked = _walk(tree, known)
                for missing in _missing_names(tree, table, file.parsed.package, meanings.after, file.parsed.dotted,
                                               walked):
                    self._act(file, missing, table)
            except Exception as exc:  # a file the audit cannot read never fails the service's PR
                self.note(f"{self.ID} could not check the imports of {path} ({type(exc).__name__}: {exc}).")

    def _edited(self, path: str) -> cst.Module | None:
        """The file as the run's edits leave it, applied once: a second apply() (following a patch target through
        the file's own imports while its statements are being checked) would make a new tree, and the plan's
        origin() of the statements being checked would be lost (items on line 1)."""
        file = self.run.files.get(path)
        if file is None or file.edits.is_empty():
            return None
        tree = self._trees.get(path)
        if tree is None:
            tree = self._trees[path] = file.edits.apply()
        return tree

    def _act(self, file, missing: Missing, table: ApiTable) -> None:
        replacement = self.MAP.replacement_for(missing.name)
        if replacement is not None and table.audits(replacement) and table.missing(replacement) is not None:
            replacement = None  # the map's replacement is not in the real version either
        with self.at(file.path):
            if replacement is not None and missing.import_from is not None and "." in replacement:
                module, name = replacement.rsplit(".", 1)
                self.imports.move_name(missing.import_from[0], missing.import_from[1], module, name)
                self.count()
                return
            origin = file.edits.origin(missing.statement) if not file.edits.is_empty() else missing.statement
            line = file.parsed.line(_decorator_of(origin, missing) or origin) if origin is not None else 1
            if any(item.file == file.path and item.line == line and item.rule != self.ID for item in self.run.manual):
                return  # another rule of the recipe already lists this line
            version = ", ".join(f"{d} {v}" for d, v in sorted(table.versions.items()))
            gone = self.MAP.gone_reason(missing.name)
            elsewhere = _elsewhere(table, missing) if replacement is None and gone is None else None
            self.report_at(file.path, line, _code(missing.statement),
                           f"{missing.owner} has no {missing.part!r} in {version or 'the new version'} "
                           f"(its real modules, checked): `{missing.spelled or missing.name}` "
                           + (f"(that is `{missing.name}`) " if missing.spelled else "")
                           + "fails at import or when used"
                           + (f"; {gone.why}" if gone is not None else "")
                           + (f"; the version has it in {elsewhere[0]}" if elsewhere else ""),
                           replacement or (gone.suggestion if gone is not None else None)
                           or (elsewhere[1] if elsewhere else None))


def _decorator_of(origin: cst.CSTNode, missing: Missing) -> cst.CSTNode | None:
    """A patcher used as a decorator (`@patch.object(Client, "connect")`): the original decorator at the same place,
    whose line is the item's (the statement's own is the `def` below the decorators)."""
    edited = missing.statement
    if missing.call is None or not isinstance(edited, (cst.FunctionDef, cst.ClassDef)) \
            or not isinstance(origin, (cst.FunctionDef, cst.ClassDef)) or len(origin.decorators) != len(edited.decorators):
        return None
    index = next((i for i, d in enumerate(edited.decorators) if d.decorator is missing.call), None)
    return origin.decorators[index] if index is not None else None


def _elsewhere(table: ApiTable, missing: Missing) -> tuple[str, str] | None:
    """(module, suggested import) when the name a `from X import name` lacks is in one other public module of
    the same package. Only suggested: the two modules' names may not be the same object."""
    if missing.import_from is None:
        return None
    module, name = missing.import_from
    package = next((p for p in table.packages if module == p or module.startswith(p + ".")), None)
    homes = [m for m in table.modules_exporting(name, package) if m != module] if package else []
    return (homes[0], f"from {homes[0]} import {name}") if homes else None


def _code(node: cst.CSTNode) -> str:
    text = cst.Module([]).code_for_node(node).strip()
    return " ".join(text.split())


def _missing_names(tree: cst.Module, table: ApiTable, package: str,
                   resolve: Callable[[str], str | None] = lambda name: None, here: str = "",
                   walked: "_Walked | None" = None) -> Iterator[Missing]:
    """`walked`: what _walk found in `tree` (the same facts for every recipe's audit of an unedited file)."""
    walked = walked or _walk(tree)
    modules: dict[str, str] = {}  # local name -> the audited module it is bound to
    for statement, node in walked.imports:
        if isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
            module = dotted_name(node.module)
            if not table.audits(module):
                continue
            gap = table.missing(module)
            if gap is not None:
                if isinstance(node.names, cst.ImportStar):
                    yield Missing(statement, module, *gap)
                else:  # each name may have a replacement of its own
                    for alias in node.names:
                        name = dotted_name(alias.name)
                        yield Missing(statement, f"{module}.{name}", *gap, (module, name))
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                name = dotted_name(alias.name)
                local = dotted_name(alias.asname.name) if alias.asname is not None else name
                if not table.has_name(module, name):
                    yield Missing(statement, f"{module}.{name}", module, name, (module, name))
                elif table.has_module(f"{module}.{name}") and statement in tree.body:
                    modules[local] = f"{module}.{name}"
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = dotted_name(alias.name)
                if not table.audits(name):
                    continue
                gap = table.missing(name)
                if gap is not None:
                    yield Missing(statement, name, *gap)
                elif statement in tree.body:
                    if alias.asname is not None:
                        modules[dotted_name(alias.asname.name)] = name
                    else:
                        modules[name.split(".")[0]] = name.split(".")[0]
    for local in walked.other_bindings:
        modules.pop(local, None)
    yield from _missing_uses(walked, table, modules, resolve, here)


@dataclass(frozen=True)
class _Walked:
    """What the audit reads of a tree, found in one walk (a file's tree is walked once per run, not once per
    recipe and question)."""

    imports: list[tuple[cst.CSTNode, cst.CSTNode]]  # (statement, Import/ImportFrom), in source order
    other_bindings: set[str]  # names bound by anything but an import (assignments, parameters, defs, ...)
    # outside imports, in source order: (statement, dotted chain) for every outermost `a.b.c` Attribute chain,
    # (statement, None, call) for every `patch(...)`-like call with arguments
    uses: list[tuple]


_IMPORT_KINDS = (cst.Import, cst.ImportFrom)
_STATEMENT_KINDS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
_BINDING_KINDS = (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr)
_BOUND_KINDS = (cst.FunctionDef, cst.ClassDef, cst.Param, cst.WithItem, cst.ExceptHandler, *_BINDING_KINDS)
_WALKED_KINDS = (*_IMPORT_KINDS, *_STATEMENT_KINDS, *_BOUND_KINDS, cst.Attribute, cst.Call)  # what _Kinds marks


class _Kinds(dict):
    """node class -> what the walk does with it, learnt on first sight (isinstance against libcst's ABC-based
    classes costs a call into abc for every node)."""

    def __missing__(self, kind: type) -> int:
        found = self[kind] = (
            1 if issubclass(kind, _IMPORT_KINDS) else
            2 if issubclass(kind, _STATEMENT_KINDS) else 0) | (
            4 if issubclass(kind, _BOUND_KINDS) else 0) | (
            8 if issubclass(kind, cst.Attribute) else 16 if issubclass(kind, cst.Call) else 0)
        return found


_KINDS = _Kinds()
# whitespace, comments, punctuation, and names and literals (whose only children are parentheses): no import,
# binding, chain or call is inside them
_NO_FACTS = TRIVIA | TOKENS | {cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis}


def _walk(tree: cst.Module, known: _Learnt | None = None) -> _Walked:
    """`known`: the facts of the file's original tree (_learn): an edited tree keeps every statement no edit touched,
    and those are read, not walked (inside an edited statement too)."""
    imports: list[tuple[cst.CSTNode, cst.CSTNode]] = []
    bound: set[str] = set()
    uses: list[tuple] = []
    first = last = None  # a run of original statements whose facts follow each other: read at once
    for top in tree.body:
        span = known.spans.get(id(top)) if known is not None else None
        if span is not None and span.statement is top:
            if first is not None and last.end != span.start:  # not the next statement's facts
                known.read(first, last, imports, bound, uses)
                first = None
            first, last = first or span, span
            continue
        if first is not None:
            known.read(first, last, imports, bound, uses)
            first = None
        _walk_statement(top, known, imports, bound, uses)
    if first is not None:
        known.read(first, last, imports, bound, uses)
    return _Walked(imports, bound, uses)


def _walk_statement(top: cst.CSTNode, known: _Learnt | None = None, imports: list | None = None,
                    bound: set[str] | None = None, uses: list | None = None) -> tuple[list, set[str], list]:
    """What the audit reads in `top` (added to `imports`, `bound` and `uses` when given). `known` as _walk's: an
    edited statement is mostly original statements (the methods of a class one decorator was added to): their
    facts are read, not walked."""
    imports = [] if imports is None else imports
    bound = set() if bound is None else bound
    uses = [] if uses is None else uses
    spans = known.spans if known is not None else {}
    kinds = _KINDS
    stack: list[tuple[cst.CSTNode, cst.CSTNode]] = [(top, top)]
    while stack:
        node, statement = stack.pop()
        kind = kinds[node.__class__]
        if kind & 1:  # nothing inside an import binds a name other than by the import itself
            if statement is not node and isinstance(statement, cst.SimpleStatementLine):
                imports.append((statement, node))
            continue
        if kind & 2:
            span = spans.get(id(node))
            if span is not None and span.statement is node:  # an original statement: its facts do not depend on where
                known.read(span, span, imports, bound, uses)
                continue
            statement = node
        if kind & 4:
            _add_bound(node, bound.add)
        if kind & 8:
            chain = dotted_name(node)
            if chain:  # its own parts are read once, as a whole
                uses.append((statement, chain))
                continue
        elif kind & 16 and node.args and _is_patcher(node):
            uses.append((statement, None, node))
        # what holds no import, binding, chain or call is not pushed (more than half the nodes)
        stack.extend(zip(reversed([c for c in children(node) if c.__class__ not in _NO_FACTS]), repeat(statement)))
    return imports, bound, uses


class _Span:
    """A statement of a file's own tree and where its facts sit in _Learnt's lists: from `start` to `end`, each an
    (imports, bound, uses) offset; `depth`: how many statements hold it."""

    __slots__ = ("statement", "depth", "start", "end")

    def __init__(self, statement: cst.CSTNode, depth: int, start: tuple[int, int, int]) -> None:
        self.statement, self.depth, self.start, self.end = statement, depth, start, start


class _Learnt:
    """What _walk_statement finds in the statements of a file's own tree: the facts of the whole file, in source
    order, and for every statement (nested ones too) the slices of them found inside it (a statement's facts follow
    each other in source order)."""

    __slots__ = ("imports", "bound", "uses", "spans")

    def __init__(self) -> None:
        self.imports: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        self.bound: list[str] = []  # the names bound, one per binding
        self.uses: list[tuple] = []
        self.spans: dict[int, _Span] = {}  # id(statement) -> its span, in source order

    def read(self, first: _Span, last: _Span, imports: list, bound: set[str], uses: list) -> None:
        """The facts of the statements from `first` to `last` (spans that follow each other), added to the lists."""
        imports += self.imports[first.start[0]:last.end[0]]
        bound.update(self.bound[first.start[1]:last.end[1]])
        uses += self.uses[first.start[2]:last.end[2]]

    def facts(self, statement: cst.CSTNode) -> tuple[list, set[str], list]:
        """The facts found in `statement` (an original one), as _walk_statement gives them."""
        span = self.spans[id(statement)]
        found: tuple[list, set[str], list] = ([], set(), [])
        self.read(span, span, *found)
        return found


def _learn(parsed: ParsedModule) -> _Learnt:
    """What _walk_statement finds in each statement of the file's own tree (nested ones too), from the file's
    nodes of the kinds the walk reads (the index of_type keeps, in source order) instead of a walk of every
    subtree (a third of the cost). What the walk prunes is read from the parent instead: an import's insides, and
    the inner links of an `a.b.c` chain (recorded whole); nothing else an import or a chain holds is a binding, a
    chain or a call."""
    kinds = _KINDS
    tree = parsed.tree
    parent = parsed.parent
    learnt = _Learnt()
    imports, bound, uses, spans = learnt.imports, learnt.bound, learnt.uses, learnt.spans
    # id(node) -> the span of its innermost statement, for every node read so far: a node takes its nearest read
    # ancestor's (a climb of a step or two, not one to its statement)
    holding: dict[int, _Span | None] = {}
    open_spans: list[_Span] = []  # the statements holding the current node, outermost first

    def close(depth: int) -> None:  # the statements deeper than `depth` end here: their facts are all recorded
        while len(open_spans) > depth:
            open_spans.pop().end = len(imports), len(bound), len(uses)

    for node in parsed.of_type(*_WALKED_KINDS):  # a statement comes before what it holds
        kind = kinds[node.__class__]
        up = parent(node)
        if kind & 1:
            if up.__class__ is cst.SimpleStatementLine:  # not `if x: import y` (the walk leaves those out)
                depth = holding[id(up)].depth + 1
                if len(open_spans) > depth:
                    close(depth)
                imports.append((up, node))
            continue
        if kind & 8 and ((up.__class__ is cst.Attribute and up.value is node) or up.__class__ in _IMPORT_PARTS):
            continue
        if up is tree:  # a top-level statement (nothing else the walk reads is a child of the module)
            span = None
        else:
            span = holding.get(id(up))
            while span is None:
                up = parent(up)
                span = holding.get(id(up))
        depth = span.depth + 1 if span is not None else 0  # how many statements hold the node
        if len(open_spans) > depth:  # the deeper ones end before it (the nodes come in source order)
            close(depth)
        if kind & 2:
            span = spans[id(node)] = _Span(node, depth, (len(imports), len(bound), len(uses)))
            open_spans.append(span)
        holding[id(node)] = span
        if kind & 4:
            _add_bound(node, bound.append)
        if kind & 8:
            chain = dotted_name(node)
            if chain:
                uses.append((span.statement, chain))
        elif kind & 16 and node.args and _is_patcher(node):
            uses.append((span.statement, None, node))
    close(0)
    return learnt


_IMPORT_PARTS = frozenset({cst.ImportAlias, cst.ImportFrom})  # where an attribute chain names a module being imported
_NAMED_BINDERS = frozenset({cst.FunctionDef, cst.ClassDef, cst.Param})  # what binds its own `name`
_TARGET_BINDERS = frozenset(_BINDING_KINDS)  # what binds the names of its `target`


def _add_bound(node: cst.CSTNode, add: Callable[[str], None]) -> None:
    """Each name `node` binds, when it is a def, class, parameter or an assignment-like node, given to `add`.
    libcst's node classes have no subclasses: comparing the class is the isinstance test without its call into abc."""
    kind = node.__class__
    if kind in _NAMED_BINDERS:
        add(node.name.value)
        return
    if kind is cst.WithItem:
        target = node.asname.name if node.asname is not None else None
    elif kind is cst.ExceptHandler:
        target = node.name.name if node.name is not None else None
    else:
        target = node.target if kind in _TARGET_BINDERS else None
    if target is not None:
        for name in _names(target):
            add(name.value)


def _names(node: cst.CSTNode) -> Iterator[cst.Name]:
    kind = node.__class__
    if kind is cst.Name:
        yield node
    elif kind is cst.Tuple or kind is cst.List:
        for element in node.elements:
            yield from _names(element.value)
    elif kind is cst.StarredElement:
        yield from _names(node.value)


def _missing_uses(walked: _Walked, table: ApiTable, modules: dict[str, str],
                  resolve: Callable[[str], str | None], here: str = "") -> Iterator[Missing]:
    """`alias.Name...` chains through audited modules, and string patch targets into audited packages, also
    through the service's own modules (`resolve`: what a dotted name means once the run's edits are made)."""
    for use in walked.uses:
        statement, chain = use[0], use[1]
        if chain is not None:
            root = chain.split(".")[0]
            if root in modules:
                full = modules[root] + chain[len(root):]
                found = _gap(table, full)
                if found is not None:
                    yield Missing(statement, full, *found)
            continue
        node = use[2]
        first = node.args[0].value
        owner_form = _object_target(node, modules, here)
        if owner_form is not None:
            target, spelled = owner_form
            meaning = target if spelled is None else resolve(target)
            found = _gap(table, meaning) if meaning and table.audits(meaning) else None
            if found is not None:
                yield Missing(statement, meaning, *found, spelled=spelled, call=node)
        elif isinstance(first, cst.SimpleString) and isinstance(first.evaluated_value, str):
            target = first.evaluated_value
            if table.audits(target):
                found = _gap(table, target)
                if found is not None:
                    yield Missing(statement, target, *found, call=node)
            else:
                meaning = resolve(target) if "." in target else None
                found = _gap(table, meaning) if meaning and meaning != target and table.audits(meaning) else None
                if found is not None:
                    yield Missing(statement, meaning, *found, spelled=target, call=node)


def _gap(table: ApiTable, full: str) -> tuple[str, str] | None:
    found = table.missing(full)
    if found is not None:
        return found
    parts = full.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # a class member: aiomqtt.Client.connect
        members = table.class_members(".".join(parts[:cut]))
        if members is not None:
            if cut < len(parts) and parts[cut] not in members:
                return ".".join(parts[:cut]), parts[cut]
            return None
    return None


def _is_patcher(call: cst.Call) -> bool:
    func = call.func
    last = func.attr.value if func.__class__ is cst.Attribute else func.value if func.__class__ is cst.Name else None
    if last not in _PATCHER_ENDS:  # most calls: their dotted name is not built
        return False
    name = dotted_name(func)
    return bool(name) and any(name == p or name.endswith("." + p) for p in _PATCHERS)


def _object_target(call: cst.Call, modules: dict[str, str], here: str) -> tuple[str, str | None] | None:
    """`patch.object(owner, "name")`, `monkeypatch.setattr(owner, "name", value)`, `mocker.patch.object(...)`,
    `monkeypatch.delattr(owner, "name")` with `owner` a dotted expression: (the full name, None) when owner goes
    through a module of the audited packages the file imports (`newlib.sub`), else (the name in `module`'s
    namespace (`here`: the file's module), its spelling) for the caller to resolve (`adapter.sub` -> pkg.adapter's
    `sub`). None for the
    string form, a non-dotted owner, or a patch that may create the attribute (create=True, raising=False)."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if len(positional) < 2 or isinstance(positional[0], cst.SimpleString):
        return None
    if not isinstance(positional[1], cst.SimpleString) or not isinstance(positional[1].evaluated_value, str):
        return None
    if any(isinstance(keywords.get(k), cst.Name) and keywords[k].value == v
           for k, v in (("create", "True"), ("raising", "False"))):
        return None
    owner = dotted_name(positional[0])
    if not owner:
        return None
    name = positional[1].evaluated_value
    root = owner.split(".")[0]
    if root in modules:
        return f"{modules[root]}{owner[len(root):]}.{name}", None
    return (f"{here}.{owner}.{name}", f"{owner}.{name}") if here else None


# ----- binding a recipe's map --------------------------------------------------------------------------

def import_audit_rule(mapping: MigrationMap) -> type[Rule] | None:
    """AUD001 bound to the map's API table, with examples made from the table; None without a table."""
    table = audit_table(mapping)
    if table is None or not table.packages:
        return None
    package = table.packages[0]
    entry = table.modules.get(package, {})
    real = next((n for n in entry.get("names", ()) if not n.startswith("_")), None)
    valid = [Valid({"svc/app.py": f"from {package} import {real}\n"}, name="a name the version has")] if real else []
    invalid = [Invalid({"svc/app.py": f"from {package} import NotInThisVersion\n"}, items=[("svc/app.py", 1)],
                       name="a name the version does not have")]
    for old, new in mapping.names.items():
        if table.audits(old) and table.missing(old) is not None and "." in new:
            module, name = old.rsplit(".", 1)
            new_module, new_name = new.rsplit(".", 1)
            alias = f" as {name}" if new_name != name else ""
            invalid.append(Invalid({"svc/app.py": f"from {module} import {name}\n"},
                                   after={"svc/app.py": f"from {new_module} import {new_name}{alias}\n"},
                                   name=f"{old} -> {new} (the map's replacement)"))
            break
    return type("ImportAudit", (ImportAudit,), {"MAP": mapping, "VALID": valid, "INVALID": invalid,
                                                "__module__": ImportAudit.__module__})
