"""Dotted names of a service's modules and of import statements (no parsing, no metadata)."""
from __future__ import annotations

import builtins
import dataclasses
import functools
import re
import types
from array import array
from typing import Callable, Iterator, Sequence

import libcst as cst


def module_name(path: str) -> tuple[str, str]:
    """(dotted module name, package used for relative imports) of a service-relative .py path.

    A `src/` layout is transparent: `src/svc/app.py` is module `svc.app`.
    """
    parts = path[:-3].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        dotted = ".".join(parts[:-1])
        return dotted, dotted
    return ".".join(parts), ".".join(parts[:-1])


def absolute(name: str, package: str) -> str:
    """`..x.y` seen from `package` -> absolute dotted name; absolute names are returned as they are."""
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    base = package.split(".") if package else []
    if level > 1:
        base = base[: max(0, len(base) - (level - 1))]
    rest = name[level:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def dotted_name(node: cst.BaseExpression | None) -> str:
    """`a.b.c` for a Name/Attribute chain, "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def import_from_module(node: cst.ImportFrom, package: str) -> str:
    """The absolute module an ImportFrom reads from (relative imports resolved against `package`)."""
    module = dotted_name(node.module) if node.module is not None else ""
    return absolute("." * len(node.relative) + module, package)


# Whitespace and comments: their fields hold strings only, so they never have children (half of a file's nodes).
TRIVIA = frozenset({cst.SimpleWhitespace, cst.Newline, cst.Comment})


def _subclasses(*bases: type) -> Iterator[type]:
    for base in bases:
        for kind in base.__subclasses__():
            yield kind
            yield from _subclasses(kind)


# Punctuation, operators and whitespace groups: their fields hold whitespace (TRIVIA or TOKENS) only.
TOKENS = frozenset({
    cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.ImportStar, cst.Asynchronous,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
    cst.RightCurlyBrace, cst.TrailingWhitespace, cst.EmptyLine, cst.ParenthesizedWhitespace,
    *(kind for kind in _subclasses(cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
      if getattr(cst, kind.__name__, None) is kind),  # libcst's own classes (not the ones its add_slots replaced)
})


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and everything under it, in source order (no metadata needed)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# node class -> (fields its _visit_and_replace_children visits, in order; the others, which hold no node when
# that order was learnt: a few classes visit a field only when it is set, e.g. an f-string's format_spec)
_FIELD_ORDER: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


class _FieldOrder(cst.CSTVisitor):
    """Records the fields a node's _visit_and_replace_children visits, in order, without descending."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False


def _holds_nodes(value: object) -> bool:
    return isinstance(value, cst.CSTNode) or (isinstance(value, (list, tuple)) and bool(value))


# Values of fields that never hold a node (Name.value, Param.star, IndentedBlock.indent, ...): checked first,
# since isinstance against CSTNode (an ABC) costs a call into abc on every field of every node.
_SCALARS = frozenset({str, bool, int, float, type(None), cst.MaybeSentinel})


def is_subclass(kind: type, bases: type | tuple[type, ...]) -> bool:
    """issubclass for libcst's classes, read from the MRO: a first issubclass against one of libcst's abstract
    classes (CSTNode, BaseExpression...) that says no walks all its subclasses in abc (milliseconds for each class
    met). libcst registers no virtual subclasses, so the answers are the same."""
    mro = kind.__mro__
    return any(base in mro for base in bases) if isinstance(bases, tuple) else bases in mro


class SubclassTable(dict):
    """class -> is it a subclass of any of `bases`, learnt on first sight (a dict lookup, not a call into abc)."""

    def __init__(self, bases: type | tuple[type, ...]) -> None:
        super().__init__()
        self.bases = bases

    def __missing__(self, kind: type) -> bool:
        self[kind] = found = is_subclass(kind, self.bases)
        return found


_IS_NODE = SubclassTable(cst.CSTNode)

# node class -> its children reader, made from _FIELD_ORDER; it returns None when a field outside the
# learnt order holds a node (the order is learnt again, with that field)
_READERS: dict[type, "Callable[[cst.CSTNode], list[cst.CSTNode] | None]"] = {}


def _reader(kind: type, order: tuple[str, ...], others: tuple[str, ...]):
    """The fields read in `order` as straight-line code: children() runs for every node of every file. The code is
    compiled once per shape (how many fields of each kind) with placeholder field names, and each class gets a copy
    naming its own fields (compiling a reader for each class met cost ~20 ms of a first run; renaming costs ~0)."""
    code = _shape(len(order), len(others))
    fields = dict(zip(_placeholders("order", len(order)), order)) | dict(zip(_placeholders("other", len(others)), others))
    code = code.replace(co_names=tuple(fields.get(name, name) for name in code.co_names),
                        co_filename=f"<children of {kind.__name__}>")  # named for profilers
    return types.FunctionType(code, _READER_GLOBALS, "read")


_READER_GLOBALS = {"__builtins__": builtins, "_SCALARS": _SCALARS, "_holds_nodes": _holds_nodes, "_IS_NODE": _IS_NODE}


def _placeholders(kind: str, count: int) -> list[str]:
    return [f"_{kind}_field_{i}" for i in range(count)]


@functools.lru_cache(maxsize=None)
def _shape(order: int, others: int) -> types.CodeType:
    """The code of a reader of `order` fields that may hold nodes, after checking `others` fields that held none."""
    lines = ["def read(node):"]
    for name in _placeholders("other", others):
        lines += [f"    value = node.{name}",
                  "    if value.__class__ not in _SCALARS and _holds_nodes(value):",
                  "        return None"]
    lines.append("    found = []")
    for name in _placeholders("order", order):
        lines += [f"    value = node.{name}",
                  "    kind = value.__class__",
                  "    if kind is tuple or kind is list:",
                  "        for item in value:",
                  "            if _IS_NODE[item.__class__]:",
                  "                found.append(item)",
                  "    elif _IS_NODE[kind]:",
                  "        found.append(value)"]
    lines.append("    return found")
    namespace: dict = {}
    exec(compile("\n".join(lines), "<children>", "exec"), _READER_GLOBALS, namespace)
    return namespace["read"].__code__


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The same list as libcst's `node.children`, in the same (source) order, 4x faster: libcst rebuilds
    the node through its visitor machinery to find them; here each class's field order is learnt from
    that same machinery (again when a node holds something in a field the order was learnt without), and
    the fields are read directly."""
    read = _READERS.get(node.__class__)
    if read is not None:
        found = read(node)
        if found is not None:
            return found
    recorder = _FieldOrder()
    node._visit_and_replace_children(recorder)
    order = tuple(dict.fromkeys(recorder.fields))
    others = tuple(f.name for f in dataclasses.fields(node) if f.name not in order)
    _FIELD_ORDER[node.__class__] = (order, others)
    read = _READERS[node.__class__] = _reader(node.__class__, order, others)
    return read(node)


# What the index below stores for a node without children: one shared empty tuple, not an empty list per node (a
# fourth of the non-trivia nodes).
NO_CHILDREN: tuple = ()


def index(root: cst.CSTNode) -> tuple[list[cst.CSTNode], dict[int, int], dict[int, Sequence[cst.CSTNode]],
                                      dict[type, array]]:
    """One pre-order walk of `root` (the nodes in source order, as `walk` gives them) and what it read on the way:
    (nodes; id(node) -> the rank in `nodes` of its parent, for every node but `root`; id(node) -> children(node) for
    every node but trivia, NO_CHILDREN when it has none; node class -> the ranks in `nodes` of the nodes of exactly
    that class, ascending).

    The index lives as long as its tree, so it is built for the cyclic GC as much as for lookups: every container it
    keeps is traversed by the collector's passes, entry by entry. Parents are ranks (a dict of ints only is never
    tracked by the GC) and ranks sit in arrays (no int object each); children lists are what the metadata visitors
    walk, so they stay lists. Keyed by id: a node's hash is a Python-level call, and every node goes in; the tree
    keeps every node alive, so no other node has the id of one of them. The loop is written for its cost too, as it
    runs for every node of every file: a node's children get their parent when the node is read, so the stack
    holds nodes only, and a class's children reader is called directly (children() is the fallback that learns it)."""
    nodes: list[cst.CSTNode] = []
    parent_of: dict[int, int] = {}
    children_of: dict[int, Sequence[cst.CSTNode]] = {}
    by_class: dict[type, array] = {}
    stack = [root]
    pop, push, append, group_of, reader_of = stack.pop, stack.extend, nodes.append, by_class.get, _READERS.get
    rank = -1
    while stack:
        node = pop()
        append(node)
        rank += 1
        kind = node.__class__
        group = group_of(kind)
        if group is None:
            by_class[kind] = array("l", (rank,))
        else:
            group.append(rank)
        if kind in TRIVIA:  # childless, and half of a file's nodes
            continue
        read = reader_of(kind)
        below = read(node) if read is not None else None
        if below is None:
            below = children(node)
        if below:
            children_of[id(node)] = below
            for child in below:
                parent_of[id(child)] = rank
            push(reversed(below))
        else:
            children_of[id(node)] = NO_CHILDREN
    return nodes, parent_of, children_of, by_class


TEST_PATH = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def is_test_path(path: str) -> bool:
    """pytest's usual places: a tests/ or test/ folder, test_*.py, *_test.py, conftest.py."""
    return TEST_PATH.search(path) is not None
