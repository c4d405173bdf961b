"""libcst's scope and expression-context metadata of a module, computed without libcst's traversal machinery.

The answers are libcst's own: the visitors below ARE libcst's ScopeVisitor and ExpressionContextVisitor
(the Scope, Assignment and Access objects, the accesses inferred, every quirk), only driven differently:

- `CSTNode.visit` rebuilds every node it passes (`_visit_and_replace_children` constructs and validates
  a copy even for a read-only visitor); here a visitor's `on_visit` walks the children itself, read from
  the node's fields (`names.children`, or the parent map's lists), and tells libcst not to descend;
- `MetadataWrapper.resolve` adds a whole-file batched pass per provider around each visitor, which
  only calls the provider's `visit_Module`;
- dispatch to `visit_<Node>`/`leave_<Node>` is looked up once per node class, skipping libcst's no-op stubs.

On the example fleet (166 files) scopes with expression contexts cost 0.5 s instead of 2.7 s.
tests/test_analysis_oracle.py compares every answer with libcst's own providers (ScopeProvider,
ExpressionContextProvider, QualifiedNameProvider) over every Python file of the example fleets and recipe
fixtures; if libcst's internals move (a later libcst), `AVAILABLE` is False and ParsedModule falls back to
libcst's providers.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from types import MappingProxyType
from typing import Callable, ClassVar, Iterator, Mapping, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._typed_visitor import CSTTypedVisitorFunctions
from libcst.metadata import ExpressionContext, Scope

from .names import TOKENS, TRIVIA, children, is_subclass

try:
    from libcst.metadata import expression_context_provider as _context_module
    from libcst.metadata.expression_context_provider import ExpressionContextVisitor
    from libcst.metadata.scope_provider import _ASSIGNMENT_LIKE_NODES, ScopeVisitor
    AVAILABLE = hasattr(ScopeVisitor, "infer_accesses")
except ImportError:  # pragma: no cover - a libcst that reorganised its providers
    _context_module = None
    ExpressionContextVisitor = ScopeVisitor = object  # type: ignore[misc,assignment]
    _ASSIGNMENT_LIKE_NODES = ()
    AVAILABLE = False
# start lines by libcst's own codegen with a state that counts lines only (see `lines`)
LINES_AVAILABLE = hasattr(CodegenState, "record_syntactic_position") and hasattr(CodegenState, "before_codegen")

_UNSET = object()


class _Collected:
    """What the visitors report to in place of a metadata provider: set_metadata, and the expression
    contexts the scope visitor asks for."""

    def __init__(self, contexts: Mapping[cst.CSTNode, ExpressionContext] | None = None) -> None:
        self.values: dict[cst.CSTNode, object] = {}
        self.contexts = contexts or {}

    def set_metadata(self, node: cst.CSTNode, value: object) -> None:
        self.values[node] = value

    def get_metadata(self, key, node: cst.CSTNode, default=None):
        return self.contexts.get(node, default)


def _hook(visitor: type, kind: type, prefix: str):
    """The visitor's own `visit_<Node>`/`leave_<Node>` for this node class; None for libcst's no-op stub."""
    name = f"{prefix}{kind.__name__}"
    found = getattr(visitor, name, None)
    return None if found is None or found is getattr(CSTTypedVisitorFunctions, name, None) else found


class _Driven:
    """Makes a libcst CSTVisitor walk children itself: on_visit runs the visitor's visit_<Node> and, unless
    it returned False, each child's on_visit/on_leave in libcst's order, then returns False so that
    CSTNode.visit (still used by the visitor's own `node.x.visit(self)` calls) never rebuilds the node.
    Trivia (whitespace and comments, half of a file's nodes) and tokens (punctuation, operators: whitespace
    inside) have no hooks in libcst's visitors: the walk steps over them without visiting them, and records
    for them what on_leave would (the scope visitor their scope), in the same order."""

    _visits: ClassVar[dict[type, object]]
    _leaves: ClassVar[dict[type, object]]
    _trivia: ClassVar[frozenset[type]]
    _tokens: ClassVar[frozenset[type]]
    known_children: Mapping[int, Sequence[cst.CSTNode]] = MappingProxyType({})  # id(node) -> children(node), read already
    # set_metadata, for a visitor whose on_leave records every node (the scope visitor)
    record: Callable[[cst.CSTNode, object], None] | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._visits, cls._leaves = {}, {}
        cls._trivia, cls._tokens = (
            frozenset(k for k in kinds if _hook(cls, k, "visit_") is None and _hook(cls, k, "leave_") is None)
            for kinds in (TRIVIA, TOKENS))

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = node.__class__
        visit = self._visits.get(kind, _UNSET)
        if visit is _UNSET:
            visit = self._visits[kind] = _hook(type(self), kind, "visit_")
        if visit is None or visit(self, node) is not False:
            below = self.known_children.get(id(node))
            if below is None:
                below = children(node)
            on_visit, on_leave, trivia, tokens, record = (
                self.on_visit, self.on_leave, self._trivia, self._tokens, self.record)
            for child in below:
                kind = child.__class__
                if kind in trivia:
                    if record is not None:
                        record(child, self.scope)
                elif kind in tokens:
                    if record is not None:
                        self._record_token(child)
                else:
                    on_visit(child)
                    on_leave(child)
        return False

    def _record_token(self, node: cst.CSTNode) -> None:
        """What visiting a token would record: its whitespace's, then its own."""
        below = self.known_children.get(id(node))
        for child in children(node) if below is None else below:
            if child.__class__ in self._trivia:
                self.record(child, self.scope)
            else:
                self._record_token(child)
        self.record(node, self.scope)

    def on_leave(self, node: cst.CSTNode) -> None:
        kind = node.__class__
        leave = self._leaves.get(kind, _UNSET)
        if leave is _UNSET:
            leave = self._leaves[kind] = _hook(type(self), kind, "leave_")
        if leave is not None:
            leave(self, node)


class _ContextVisitor(_Driven, ExpressionContextVisitor):
    pass


class _ScopeVisitor(_Driven, ScopeVisitor):
    # node class -> (is it assignment-like, its leave_<Node> hook): ScopeVisitor.on_leave's class test, made once
    # per class (isinstance against libcst's ABC-based classes costs a call into abc for every node)
    _leaving: ClassVar[dict[type, tuple[bool, object]]] = {}

    def on_leave(self, node: cst.CSTNode) -> None:
        scope = self.scope
        self.record(node, scope)  # the provider's set_metadata
        kind = node.__class__
        found = self._leaving.get(kind)
        if found is None:
            found = self._leaving[kind] = (is_subclass(kind, _ASSIGNMENT_LIKE_NODES), _hook(type(self), kind, "leave_"))
        like, leave = found
        if like:
            scope._assignment_count += 1
        if leave is not None:
            leave(self, node)


def expression_contexts(module: cst.Module, known_children: Mapping[int, Sequence[cst.CSTNode]] = MappingProxyType({})
                        ) -> Mapping[cst.CSTNode, ExpressionContext]:
    """What ExpressionContextProvider gives for `module` (known_children: id(node) -> children(node) for nodes
    whose children were read already)."""
    collected = _Collected()

    def driven(provider, context: ExpressionContext) -> _ContextVisitor:
        visitor = _ContextVisitor(provider, context)
        visitor.known_children = known_children
        return visitor

    # libcst's hooks make a new ExpressionContextVisitor (by its module-level name) for every assignment target,
    # attribute receiver and subscript, which walks with libcst's node-rebuilding traversal: half of this pass.
    # For the pass that name makes our driven visitor (the same class, the same answers); nothing resolves
    # expression contexts on another thread meanwhile.
    with _rebound(_context_module, "ExpressionContextVisitor", driven):
        module.visit(driven(collected, ExpressionContext.LOAD))
    return MappingProxyType(collected.values)


@contextmanager
def _rebound(module, name: str, value: object) -> Iterator[None]:
    before = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, before)


def scopes(module: cst.Module, contexts: Mapping[cst.CSTNode, ExpressionContext],
           known_children: Mapping[int, Sequence[cst.CSTNode]] = MappingProxyType({})) -> Mapping[cst.CSTNode, Scope]:
    """What ScopeProvider gives for `module`, given its expression contexts."""
    collected = _Collected(contexts)
    visitor = _ScopeVisitor(collected)
    visitor.known_children = known_children
    visitor.record = collected.values.__setitem__
    module.visit(visitor)
    visitor.infer_accesses()
    return MappingProxyType(collected.values)


_NEWLINES = re.compile(r"\r\n?|\n")  # what libcst's position state counts as a line break


class _LineState(CodegenState):
    """libcst's PositionProvidingCodegenState reduced to lines: the same hooks, the same rule that a syntactic
    position (recorded inside a node's codegen, its start or end hoisted from a start_node or end_node) wins over
    the whole node's, but no columns, CodePosition or CodeRange objects, nor a regex split of every token (5x
    cheaper on the example fleet). Spans are keyed by id(node) (CSTNode.__hash__ is a Python-level call, made
    twice per node here)."""

    def __init__(self, module: cst.Module, spans: "LineSpans") -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.starts: list[int] = []
        self.start_of, self.end_of = spans.starts, spans.ends

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\r" in value:
            self.line += len(_NEWLINES.findall(value))
        elif "\n" in value:
            self.line += value.count("\n")

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append(self.line)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start, key = self.starts.pop(), id(node)
        if key not in self.start_of:  # a syntactic position, recorded inside the node's codegen, wins
            self.start_of[key] = start
            self.end_of[key] = self.line

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> "_SyntacticSpan":
        return _SyntacticSpan(self, node, start_node, end_node)


class _SyntacticSpan:
    """The context record_syntactic_position gives: a class, not a @contextmanager generator (a codegen enters one
    for every expression)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _LineState, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = self.state.line

    def __exit__(self, *exc_info) -> bool:
        state = self.state
        key = id(self.node)
        state.start_of[key] = self.start if self.start_node is None else state.start_of[id(self.start_node)]
        state.end_of[key] = state.line if self.end_node is None else state.end_of[id(self.end_node)]
        return False


class LineSpans(Mapping):
    """id(node) -> (start line, end line), kept as two dicts of ints: a dict holding ints only is never tracked by
    the cyclic GC, where a (start, end) tuple for every node of the file (kept for the whole run) made the
    collector pass more often."""

    def __init__(self) -> None:
        self.starts: dict[int, int] = {}
        self.ends: dict[int, int] = {}

    def __getitem__(self, key: int) -> tuple[int, int]:
        return self.starts[key], self.ends[key]

    def get(self, key: int, default=None):
        start = self.starts.get(key)
        return default if start is None else (start, self.ends[key])

    def __iter__(self) -> Iterator[int]:
        return iter(self.starts)

    def __len__(self) -> int:
        return len(self.starts)


def line_spans(module: cst.Module) -> LineSpans:
    """id(node) -> (`.start.line`, `.end.line`) of PositionProvider's position, for every node of `module`, in the
    order positions are recorded."""
    found = LineSpans()
    module._codegen(_LineState(module, found))
    return found
