"""One parsed file of a service: its libcst tree and the metadata every recipe asks about, resolved once."""
from __future__ import annotations

import functools
import re
import textwrap
from itertools import chain
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Collection, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import (
    BatchableMetadataProvider,
    ExpressionContext,
    ExpressionContextProvider,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    Scope,
    ScopeProvider,
)

from . import resolution
from .names import SubclassTable, dotted_name, import_from_module, index, walk

_COMPOUND = (cst.With, cst.For, cst.While, cst.If, cst.Try, cst.FunctionDef, cst.ClassDef)
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(eq=False)
class ParsedModule:
    """One Python file of a service: its libcst tree and the metadata every rule reads."""

    path: str  # service-relative
    dotted: str  # absolute module name ("" for a file outside any package, e.g. a top-level script dir)
    package: str  # what relative imports are resolved against
    text: str
    tree: cst.Module
    # unsafe_skip_copy: metadata is keyed by the very nodes of `tree`, which recipes transform and key edits by.
    wrapper: MetadataWrapper = field(init=False)
    # scopes and expression contexts by bot.analysis.resolution (libcst's visitors, 5x cheaper); False: by
    # libcst's providers (tests/test_analysis_oracle.py compares the two)
    own_resolution: ClassVar[bool] = resolution.AVAILABLE
    own_lines: ClassVar[bool] = resolution.LINES_AVAILABLE  # False: lines from PositionProvider (the oracle's)

    def __post_init__(self) -> None:
        self.wrapper = MetadataWrapper(self.tree, unsafe_skip_copy=True)
        self._qualified: dict[int, Collection[QualifiedName]] = {}  # id(node) -> qualified_names(node)
        # facts other modules compute from `tree` alone, under a key of their own: made once per file and run,
        # for every recipe applied to the service (the import audit's walk, say)
        self.memo: dict = {}
        self._of_type: dict[tuple[type, ...], tuple[cst.CSTNode, ...]] = {}  # of_type's answers

    # ----- metadata ----------------------------------------------------------------------------
    # Each provider is resolved on first use only (metadata is most of a run's time, and most questions
    # need two or three providers); the wrapper keeps what it resolved, for every recipe of the run.

    def resolved(self, provider) -> Mapping:
        if provider is ParentNodeProvider:
            return self.parents  # same mapping, built without libcst's visitor machinery (2-3x faster)
        if self.own_resolution and provider not in self.wrapper._metadata and _needs_scopes(provider):
            self._resolve_scopes(with_scopes=provider is not ExpressionContextProvider)
        computed = self.wrapper._metadata
        if provider not in computed and _standalone(provider):
            # what wrapper.resolve stores, without the whole-file batched pass it also makes with no
            # batchable provider to run (for positions, that idle pass cost as much as the positions)
            computed[provider] = provider()._gen(self.wrapper)
        return self.wrapper.resolve(provider)

    def _resolve_scopes(self, with_scopes: bool) -> None:
        """Expression contexts (and scopes) by bot.analysis.resolution, stored in the wrapper as its own
        providers' results: `wrapper.resolve`/`wrapper.visit` and providers depending on them reuse them."""
        computed = self.wrapper._metadata
        if ExpressionContextProvider not in computed:
            computed[ExpressionContextProvider] = resolution.expression_contexts(self.tree, self._known_children)
        if with_scopes and ScopeProvider not in computed:
            computed[ScopeProvider] = resolution.scopes(self.tree, computed[ExpressionContextProvider],
                                                       self._known_children)

    @property
    def metadata(self) -> "_LazyMetadata":
        """metadata[provider] -> that provider's mapping, resolved on first access."""
        return _LazyMetadata(self)

    def get(self, provider, node: cst.CSTNode, default=None):
        value = self.resolved(provider).get(node, default)
        # resolve_many hands out some values as lazy thunks; no metadata value proper is callable.
        return value() if callable(value) else value

    def line(self, node: cst.CSTNode) -> int:
        """PositionProvider's start line, from a pass that counts lines only (a fifth of the positions' cost),
        unless the positions are resolved already."""
        return self.lines_of(node)[0]

    def lines_of(self, node: cst.CSTNode) -> tuple[int, int]:
        """PositionProvider's start and end line of `node`, as line() reads them."""
        if self.own_lines and PositionProvider not in self.wrapper._metadata:
            found = self._spans.get(id(node))
            if found is not None:
                return found
        position = self.get(PositionProvider, node)  # a node outside the tree fails as it always did
        return position.start.line, position.end.line

    @cached_property
    def _spans(self) -> resolution.LineSpans:
        return resolution.line_spans(self.tree)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        rank = self._parent_rank.get(id(node))
        return None if rank is None else self.nodes[rank]

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.get(ScopeProvider, node)

    def qualified_names(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        """What QualifiedNameProvider gives for `node`, computed from the node's scope when asked: the
        provider walks the whole file once more (a third of a file's metadata time) only to store, for every
        node, this same lazily computed value."""
        found = self._qualified.get(id(node))
        if found is None:
            found = self._import_only_names(node)
            if found is None:
                scope = self.scope(node)
                found = scope.get_qualified_names_for(node) if scope is not None else set()
            self._qualified[id(node)] = found
        return found

    def _import_only_names(self, node: cst.CSTNode) -> Collection[QualifiedName] | None:
        """qualified_names(node) without the file's scopes, when the file's text proves the answer: `node` is a
        name or dotted name whose head is bound nowhere in the file but by one module-level import (or nowhere
        at all: a builtin or an unknown name). Then every scope sees that one binding, and libcst's own
        GlobalScope holding it alone answers as the file's scopes would. None: ask the scopes.
        Why: scopes are a whole-file pass (~1 ms a file); a third of a first run's files on the example fleet
        ask only whether a decorator is pytest's fixture, which this answers from the file's index."""
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return None
        plain = self._plain_heads
        if plain is None or head.value not in plain[1] or id(head) in plain[2]:
            return None
        return plain[0].get_qualified_names_for(node)

    @cached_property
    def _plain_heads(self) -> tuple[GlobalScope, frozenset[str], frozenset[int]] | None:
        """(a GlobalScope holding the plain imports, the names _import_only_names answers for, ids of the
        names inside import statements), or None when the file has a star import."""
        in_imports: set[int] = set()
        bound: dict[str, list[tuple[cst.CSTNode, cst.CSTNode]]] = {}
        unsure: set[str] = set()
        for statement in self.of_type(cst.Import, cst.ImportFrom):
            if isinstance(statement.names, cst.ImportStar):
                return None
            in_imports.update(id(n) for n in walk(statement) if type(n) is cst.Name)
            line = self.parent(statement)
            module_level = isinstance(line, cst.SimpleStatementLine) and isinstance(self.parent(line), cst.Module)
            plain = module_level and (isinstance(statement, cst.Import)
                                      or (not statement.relative and statement.module is not None))
            for alias in statement.names:
                as_name = alias.asname.name if alias.asname is not None else alias.name
                local = dotted_name(as_name)
                if plain and isinstance(alias.name, cst.Name) and isinstance(as_name, cst.Name):
                    bound.setdefault(local, []).append((statement, as_name))
                else:
                    unsure.add(local.split(".")[0])
        # any other binding of a name is a Name node outside the imports; a name read only as a call's callee,
        # a decorator or the head of a dotted name binds nothing
        for name in self.of_type(cst.Name):
            if id(name) in in_imports:
                continue
            parent = self.parent(name)
            kind = type(parent)
            if not ((kind is cst.Attribute and parent.value is name) or (kind is cst.Call and parent.func is name)
                    or (kind is cst.Decorator and parent.decorator is name)):
                unsure.add(name.value)
        scope = GlobalScope()
        plain_heads = set()
        for name in {n.value for n in self.of_type(cst.Name)} - unsure:
            found = bound.get(name, ())
            if len(found) > 1:
                continue
            for statement, as_name in found:
                scope.record_import_assignment(name, statement, as_name)
            plain_heads.add(name)
        return scope, frozenset(plain_heads), frozenset(in_imports)

    def context(self, node: cst.CSTNode) -> ExpressionContext | None:
        return self.get(ExpressionContextProvider, node)

    def is_load(self, node: cst.CSTNode) -> bool:
        return self.context(node) is ExpressionContext.LOAD

    def visible_assignments(self, node: cst.CSTNode, name: str) -> frozenset:
        """libcst's assignments of `name` seen from `node`'s scope (its own, else the enclosing scopes'):
        two nodes see the same object under `name` when these are equal (and not empty)."""
        scope = self.scope(node)
        return frozenset(scope[name]) if scope is not None else frozenset()

    @property
    def scopes(self) -> Mapping[cst.CSTNode, Scope]:
        return self.resolved(ScopeProvider)

    @cached_property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        """node -> its parent, every node of the tree but the module, in source order (ParentNodeProvider's)."""
        return _ByNode(self._parent_rank, self.nodes, self.nodes[1:])

    @property
    def positions(self) -> Mapping:
        return self.resolved(PositionProvider)

    @cached_property
    def nodes(self) -> list[cst.CSTNode]:
        """Every node of the file, in source order."""
        return self._walked[0]

    @cached_property
    def _parent_rank(self) -> dict[int, int]:
        """id(node) -> its parent's rank in `nodes` (see names.index)."""
        return self._walked[1]

    @property
    def _known_children(self) -> dict[int, Sequence[cst.CSTNode]]:
        """id(node) -> children(node), as the walk read them (trivia aside), for the metadata visitors' walks.
        Nodes outside the tree (a string annotation the scope visitor parses) are not in it."""
        return self._walked[2]

    @cached_property
    def _walked(self) -> tuple[list[cst.CSTNode], dict[int, int], dict[int, Sequence[cst.CSTNode]],
                               dict[type, Sequence[int]]]:
        """nodes, _parent_rank, _known_children and _by_class, from one pre-order walk (so nodes are in source order)."""
        return index(self.tree)

    def of_type(self, *node_classes: type) -> list:
        """Every node of the file that is an instance of any of `node_classes` (libcst's classes, abstract ones
        such as cst.BaseExpression included), in source order: `[n for n in nodes if isinstance(n, node_classes)]`,
        read from an index of the nodes by class made once per file. The walk with isinstance costs a call into
        abc for every node of the file that is not of the class (libcst's classes are ABCs); here a class is
        tested once per node class, and only against the classes present in the file."""
        found = self._of_type.get(node_classes)
        if found is None:
            matching = _matching_classes(node_classes)
            by_class = self._by_class
            ranks = [by_class[kind] for kind in by_class if matching[kind]]
            indices = ranks[0] if len(ranks) == 1 else sorted(chain.from_iterable(ranks))
            found = self._of_type[node_classes] = tuple(map(self.nodes.__getitem__, indices))
        return list(found)

    def attributes_named(self, attr: str) -> list[cst.Attribute]:
        """Every `<something>.<attr>` of the file, in source order: of_type(cst.Attribute) with that attr."""
        return list(self._attributes_by_name.get(attr, ()))

    @cached_property
    def _attributes_by_name(self) -> dict[str, list[cst.Attribute]]:
        by_name: dict[str, list[cst.Attribute]] = {}
        for node in self.of_type(cst.Attribute):
            by_name.setdefault(node.attr.value, []).append(node)
        return by_name

    @property
    def _by_class(self) -> dict[type, Sequence[int]]:
        """node class -> the ranks (in `nodes`) of the file's nodes of exactly that class, ascending."""
        return self._walked[3]

    def source_order(self, node: cst.CSTNode) -> int:
        """The node's rank in `nodes`: sorting nodes by it sorts them by where they start (a parent before
        its children) without resolving positions."""
        return self._ranks[id(node)]

    @cached_property
    def _ranks(self) -> dict[int, int]:
        return {id(node): rank for rank, node in enumerate(self.nodes)}

    # ----- source text -------------------------------------------------------------------------

    def code(self, node: cst.CSTNode) -> str:
        """The node's source on one line (checklists are one line per item)."""
        return re.sub(r"\s*\n\s*", " ", self.tree.code_for_node(node).strip())

    def header_code(self, node: cst.CSTNode) -> str:
        """The node's source as written (over several lines when it spans several), but a compound statement
        shows its header with the body elided, and the comment lines above a statement are not its code."""
        if isinstance(node, _COMPOUND):
            node = node.with_changes(
                leading_lines=(), body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Expr(cst.Ellipsis())])]))
        elif isinstance(node, cst.SimpleStatementLine):
            node = node.with_changes(leading_lines=())
        return self.tree.code_for_node(node).strip()

    def statement_code(self, node: cst.CSTNode) -> str:
        """What a checklist item on `node` shows: the source of the statement holding it, from the statement's
        first line to the end of `node` (the whole statement for a simple one; a compound statement's lines up to
        `node`, so not its body), dedented. header_code(node) shows `node` itself instead."""
        statement = next((a for a in self.ancestors(node)
                          if isinstance(a, (cst.SimpleStatementLine, cst.BaseCompoundStatement))), node)
        start, statement_end = self.lines_of(statement)
        end = self.lines_of(node)[1]
        if isinstance(statement, cst.SimpleStatementLine):
            end = max(end, statement_end)
        return textwrap.dedent("\n".join(self.text.splitlines()[start - 1:end])).strip()

    # ----- tree navigation ---------------------------------------------------------------------

    def ancestors(self, node: cst.CSTNode, include_self: bool = False) -> Iterator[cst.CSTNode]:
        if include_self:
            yield node
        nodes, parent_rank = self.nodes, self._parent_rank
        rank = parent_rank.get(id(node))
        while rank is not None:
            current = nodes[rank]
            yield current
            rank = parent_rank.get(id(current))

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        for ancestor in self.ancestors(node, include_self=True):
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return ancestor
        return node

    def enclosing_function(self, node: cst.CSTNode, lambdas: bool = False) -> cst.FunctionDef | None:
        """The innermost def holding `node` (with lambdas=True: the innermost def or lambda)."""
        kinds = (cst.FunctionDef, cst.Lambda) if lambdas else cst.FunctionDef
        return next((a for a in self.ancestors(node) if isinstance(a, kinds)), None)

    def in_loop(self, node: cst.CSTNode) -> bool:
        """`node` runs in a loop or comprehension of its own function (a def or lambda), so maybe many times."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, _LOOPS):
                return True
        return False

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        return next((a for a in self.ancestors(node) if isinstance(a, cst.ClassDef)), None)

    def method_class(self, function: cst.FunctionDef | None) -> cst.ClassDef | None:
        """The class `function` is defined directly in, else None."""
        if function is None:
            return None
        block = self.parent(function)
        owner = self.parent(block) if block is not None else None
        return owner if isinstance(owner, cst.ClassDef) else None

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return any(ancestor is container for ancestor in self.ancestors(node))

    # ----- module-level facts (tree only, no metadata) -----------------------------------------

    @cached_property
    def import_bindings(self) -> dict[str, str]:
        """Top-level name bound by an import -> absolute dotted target (how re-exports are followed)."""
        bindings: dict[str, str] = {}
        for statement in self.tree.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        target = dotted_name(alias.name)
                        if alias.asname is not None:
                            bindings[dotted_name(alias.asname.name)] = target
                        else:
                            head = target.split(".")[0]
                            bindings[head] = head
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    source = import_from_module(small, self.package)
                    for alias in small.names:
                        imported = dotted_name(alias.name)
                        local = dotted_name(alias.asname.name) if alias.asname is not None else imported
                        bindings[local] = f"{source}.{imported}" if source else imported
        return bindings

    @cached_property
    def top_level(self) -> dict[str, cst.CSTNode]:
        """Names defined (not imported) at module level -> FunctionDef, ClassDef or the Assign binding them."""
        defined: dict[str, cst.CSTNode] = {}
        for statement in self.tree.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                defined[statement.name.value] = statement
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                               else [small.target] if isinstance(small, cst.AnnAssign) else [])
                    for target in targets:
                        if isinstance(target, cst.Name):
                            defined[target.value] = small
        return defined


@functools.lru_cache(maxsize=None)
def _matching_classes(classes: tuple[type, ...]) -> SubclassTable:
    return SubclassTable(classes)


@functools.lru_cache(maxsize=None)
def _needs_scopes(provider) -> bool:
    """The provider is, or depends on, ScopeProvider or ExpressionContextProvider."""
    if provider in (ScopeProvider, ExpressionContextProvider):
        return True
    return any(_needs_scopes(p) for p in getattr(provider, "METADATA_DEPENDENCIES", ()))


def _standalone(provider) -> bool:
    """libcst resolves the provider alone, in one call of its _gen (PositionProvider, ...)."""
    return (not provider.METADATA_DEPENDENCIES and not provider.gen_cache
            and not issubclass(provider, BatchableMetadataProvider))


class _ByNode(Mapping):
    """A read-only mapping keyed by nodes over a dict from their ids to ranks in `nodes` (see
    ParsedModule._parent_rank), its keys in the order of `keys`."""

    def __init__(self, by_id: dict[int, int], nodes: list[cst.CSTNode], keys: list[cst.CSTNode]) -> None:
        self._by_id, self._nodes, self._keys = by_id, nodes, keys

    def __getitem__(self, node: cst.CSTNode):
        return self._nodes[self._by_id[id(node)]]

    def get(self, node: cst.CSTNode, default=None):
        rank = self._by_id.get(id(node))
        return default if rank is None else self._nodes[rank]

    def __contains__(self, node: object) -> bool:
        return id(node) in self._by_id

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class _LazyMetadata:
    def __init__(self, parsed: ParsedModule) -> None:
        self._parsed = parsed

    def __getitem__(self, provider) -> Mapping:
        return self._parsed.resolved(provider)
