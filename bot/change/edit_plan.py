"""One file's edits: recorded by any number of rules on the ORIGINAL libcst nodes, applied in one pass.

Rules never transform trees themselves. They read the shared, never-mutated tree of bot.analysis (its
metadata resolved once for every recipe of the run) and say what changes where:

    plan.replace(node, new_node)                 a whole new node (expression, statement, anything)
    plan.replace(node, lambda updated: ...)      a function of the node as edited so far: edits inside it
                                                 (by this or other rules) are kept
    plan.replace_code(node, "client.messages")   source text, parsed as an expression or a statement
    plan.rename(name, "identifier")              a cst.Name's value
    plan.replace_string(string, "pkg.new.Name")  a string literal's value, keeping its prefix and quotes
                                                 (mock.patch("pkg.mod.Name") targets, dotted names)
    plan.remove(node)                            a statement, a small statement (`a; b`), an argument, an
                                                 import alias, a with-item, a collection element or a
                                                 decorator; commas and comments are looked after
    plan.insert_before(node, [...]) / insert_after(node, [...])
                                                 statements (nodes or source lines) around the statement
                                                 holding `node`
    plan.apply() -> cst.Module                   every edit, in one pass that visits only the paths from
                                                 the root to the edited nodes

Edits of one node compose in the order they were recorded. A whole-node replacement of a node inside
which something was already edited would silently drop that edit: it raises EditConflict instead (use the
function form). Removing a statement keeps the comment lines above it: they move to the next statement
kept in the same block (or the block's end). When every alias of an import is removed, the import goes;
when every small statement of a line goes, the line goes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection, Sequence, Union

import libcst as cst

from bot.analysis import ParsedModule

NodeResult = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]
EditFunction = Callable[[cst.CSTNode], NodeResult]
NewStatements = Sequence[Union[cst.BaseStatement, str]]

# Container node -> the field holding its comma-separated elements (removal fixes their commas).
_COMMA_LISTS = {cst.Call: "args", cst.Import: "names", cst.ImportFrom: "names", cst.With: "items",
                cst.List: "elements", cst.Tuple: "elements", cst.Set: "elements", cst.Dict: "elements"}
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
_BLOCKS = (cst.Module, cst.IndentedBlock)


class EditConflict(Exception):
    """Two edits of one file that cannot both hold; the message names the file, line and rules."""


@dataclass(frozen=True)
class _Edit:
    """One edit of a node, and the rule that made it."""

    rule: str
    function: EditFunction
    whole: bool  # a fixed new node: whatever was edited inside the old one is dropped


class EditPlan:
    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        self._edits: dict[cst.CSTNode, list[_Edit]] = {}
        self._removed: dict[cst.CSTNode, str] = {}  # node -> rule
        self._before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        self._after: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        self._late: list[tuple[str, Callable[[cst.Module], cst.Module]]] = []
        self._origins: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}  # id(new statement) -> (it, original)
        # apply()'s last tree, for as long as nothing was recorded since: a file's edited tree is asked for by the
        # import audit, the test-double rules and the result, and applying ends with the import editor's walks
        self._version = 0
        self._applied: tuple[int, cst.Module] | None = None

    def changed(self) -> None:
        """Something apply() reads changed (every recording method says so; the import editor too, whose one
        step reads what it was asked for since)."""
        self._version += 1

    # ----- recording -------------------------------------------------------------------------

    def replace(self, node: cst.CSTNode, new: cst.CSTNode | EditFunction, rule: str = "") -> None:
        self._own(node, rule)
        self.changed()
        if isinstance(new, cst.CSTNode):
            fixed = new
            self._edits.setdefault(node, []).append(_Edit(rule, lambda _updated: fixed, whole=True))
        else:
            self._edits.setdefault(node, []).append(_Edit(rule, new, whole=False))

    def replace_code(self, node: cst.CSTNode, code: str, rule: str = "") -> None:
        config = self.parsed.tree.config_for_parsing
        if isinstance(node, cst.BaseExpression):
            new: cst.CSTNode = cst.parse_expression(code, config=config)
        else:
            new = cst.parse_statement(code, config=config)
        self.replace(node, new, rule)

    def rename(self, name: cst.Name, value: str, rule: str = "") -> None:
        self.replace(name, lambda updated: updated.with_changes(value=value), rule)

    def replace_string(self, string: cst.SimpleString, value: str, rule: str = "") -> None:
        self.replace(string, lambda updated: updated.with_changes(value=string_literal(updated, value)), rule)

    def remove(self, node: cst.CSTNode, rule: str = "") -> None:
        self._own(node, rule)
        self.changed()
        self._removed.setdefault(node, rule)

    def insert_before(self, node: cst.CSTNode, statements: NewStatements, rule: str = "") -> None:
        """New statements above the statement holding `node`; they take its leading blank lines and
        comments (what stood above the statement stays above the group)."""
        self._before.setdefault(self._statement(node), []).extend(self._statements(statements))
        self.changed()

    def insert_after(self, node: cst.CSTNode, statements: NewStatements, rule: str = "") -> None:
        """New statements below the statement holding `node`, in the order recorded."""
        self._after.setdefault(self._statement(node), []).extend(self._statements(statements))
        self.changed()

    def apply_after_edits(self, function: Callable[[cst.Module], cst.Module], rule: str = "") -> None:
        """A whole-module step run after every node edit (the import editor's additions use it)."""
        self._late.append((rule, function))
        self.changed()

    def is_empty(self) -> bool:
        return not (self._edits or self._removed or self._before or self._after or self._late)

    def is_removed(self, node: cst.CSTNode) -> bool:
        return node in self._removed

    def touched(self, node: cst.CSTNode, *, within: Collection[str] | None = None) -> bool:
        """`node` already has an edit, or sits inside a node that was removed or replaced whole (a new edit
        there would conflict or be lost): a rule that only follows others' edits leaves such nodes alone.
        `within`: rule ids whose edits inside `node` do not count; an edit of a node inside `node` by any other
        rule counts too (a rewrite of `node` would redo that rule's work)."""
        if node in self._edits or node in self._removed:
            return True
        if any(ancestor in self._removed or any(e.whole for e in self._edits.get(ancestor, ()))
               for ancestor in self.parsed.ancestors(node)):
            return True
        if within is None:
            return False
        inside = [edited for edited, edits in self._edits.items() if any(e.rule not in within for e in edits)]
        inside += [removed for removed, rule in self._removed.items() if rule not in within]
        return any(node in self.parsed.ancestors(edited) for edited in inside)

    def _own(self, node: cst.CSTNode, rule: str) -> None:
        """Edits are keyed by the nodes of the file's shared tree: any other node would be silently ignored."""
        if node is not self.parsed.tree and self.parsed.parent(node) is None:
            raise ValueError(f"{self.parsed.path}: {f'rule {rule}' if rule else 'an edit'} names a node that is not "
                             f"in the file's tree (`{cst.Module([]).code_for_node(node).strip()[:60]}`): edit the "
                             "original node, with a function of the updated one")

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode:
        self._own(node, "")
        statement = self.parsed.statement_of(node)
        parent = self.parsed.parent(statement)
        if isinstance(statement, cst.If) and isinstance(parent, cst.If) and parent.orelse is statement:
            raise ValueError(f"{self.parsed.path}:{self.parsed.line(node)}: cannot insert statements around an elif")
        return statement

    def _statements(self, statements: NewStatements) -> list[cst.BaseStatement]:
        config = self.parsed.tree.config_for_parsing
        return [cst.parse_statement(s, config=config) if isinstance(s, str) else s for s in statements]

    # ----- applying --------------------------------------------------------------------------

    def origin(self, statement: cst.CSTNode) -> cst.CSTNode | None:
        """The original statement a statement of the last apply()'s tree came from: itself when untouched, the
        statement it replaced, or the one it was inserted next to; None for lines added as a whole (imports)."""
        if statement in self.parsed.parents or statement is self.parsed.tree:
            return statement
        found = self._origins.get(id(statement))
        return found[1] if found is not None and found[0] is statement else None

    def apply(self) -> cst.Module:
        """The file's tree with every edit made (the original tree when there is none)."""
        if self._applied is not None and self._applied[0] == self._version:
            return self._applied[1]
        self._origins = {}
        tree = self.parsed.tree
        if self._edits or self._removed or self._before or self._after:
            touched = {*self._edits, *self._removed, *self._before, *self._after}
            dirty: set[int] = set()
            for node in touched:
                for ancestor in self.parsed.ancestors(node, include_self=True):
                    if id(ancestor) in dirty:
                        break
                    dirty.add(id(ancestor))
            dirty.add(id(tree))
            tree = tree.visit(_Applier(self, dirty))
        for _, function in self._late:
            tree = function(tree)
        self._applied = (self._version, tree)
        return tree

    def code(self) -> str:
        return self.apply().code

    def _conflict(self, node: cst.CSTNode, edit: _Edit, why: str) -> EditConflict:
        inside = sorted({e.rule for n, edits in self._edits.items() for e in edits
                         if n is not node and self.parsed.is_inside(n, node)}
                        | {r for n, r in self._removed.items() if self.parsed.is_inside(n, node)})
        who = f"rule {edit.rule}" if edit.rule else "an edit"
        others = f" by {', '.join(r or '?' for r in inside)}" if inside else ""
        return EditConflict(f"{self.parsed.path}:{self.parsed.line(node)}: {who} replaces "
                            f"`{self.parsed.code(node)}` whole, {why}{others}; replace it with a function "
                            "of the updated node instead")


class _Applier(cst.CSTTransformer):
    def __init__(self, plan: EditPlan, dirty: set[int]) -> None:
        super().__init__()
        self.plan = plan
        self.dirty = dirty
        self._orphaned: list[list[cst.EmptyLine]] = []  # per open block: comments of removed statements
        self._elifs: set[int] = set()
        # Removed elements of comma-separated lists are dropped by their container, which fixes the commas
        # (libcst would otherwise rebuild it with a dangling comma, or empty, and refuse it).
        self._list_elements: set[cst.CSTNode] = set()
        for node in plan._removed:
            parent = plan.parsed.parent(node)
            field = _COMMA_LISTS.get(type(parent))
            if field is not None and any(node is element for element in getattr(parent, field, ()) or ()):
                self._list_elements.add(node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) not in self.dirty:
            return False  # nothing below changes: the subtree is kept as it is, unvisited
        if isinstance(node, _BLOCKS):
            self._orphaned.append([])
        elif isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
            self._elifs.add(id(node.orelse))
        return True

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> NodeResult:
        if id(original) not in self.dirty:  # unchanged; it may still get the comments of a removed statement
            if (self._orphaned and self._orphaned[-1] and isinstance(original, _STATEMENTS)
                    and id(original) not in self._elifs):
                moved = self._with_pending([updated], self._orphaned[-1])
                self.plan._origins[id(moved)] = (moved, original)
                return moved
            return updated
        result: NodeResult = self._fix_removed_elements(original, updated)
        for edit in self.plan._edits.get(original, ()):
            if not isinstance(result, cst.CSTNode):
                raise self.plan._conflict(original, edit, "after it was removed or split")
            if edit.whole and result is not original and not result.deep_equals(original):
                raise self.plan._conflict(original, edit, "dropping edits made inside it")
            result = edit.function(result)
        if original in self.plan._removed and original not in self._list_elements:
            result = cst.RemovalSentinel.REMOVE
        if isinstance(original, _STATEMENTS) and id(original) not in self._elifs:
            result = self._statement(original, result)
            for node in _flatten(result):
                self.plan._origins[id(node)] = (node, original)
        if isinstance(original, _BLOCKS):
            orphaned = self._orphaned.pop()
            if orphaned and isinstance(result, _BLOCKS):
                result = result.with_changes(footer=[*orphaned, *result.footer])
        return result

    def _fix_removed_elements(self, original: cst.CSTNode, updated: cst.CSTNode) -> NodeResult:
        field = _COMMA_LISTS.get(type(original))
        if field is None or not isinstance(getattr(original, field), (list, tuple)):
            return updated
        elements = getattr(original, field)
        removed = [element in self._list_elements for element in elements]
        if not any(removed):
            return updated
        kept = [new for new, drop in zip(getattr(updated, field), removed, strict=True) if not drop]
        if not kept:
            if isinstance(original, (cst.Import, cst.ImportFrom)):
                return cst.RemovalSentinel.REMOVE  # an import of nothing: the statement goes
            if isinstance(original, cst.With):
                raise ValueError(f"{self.plan.parsed.path}:{self.plan.parsed.line(original)}: every item of a "
                                 "with statement removed: replace the statement instead")
        elif removed[-1]:  # the new last element takes the old last one's comma (none, or a trailing one)
            last = elements[-1]
            changes = {"comma": last.comma}
            if isinstance(last, cst.Arg):
                changes["whitespace_after_arg"] = last.whitespace_after_arg
            kept[-1] = kept[-1].with_changes(**changes)
        return updated.with_changes(**{field: kept})

    def _statement(self, original: cst.CSTNode, result: NodeResult) -> NodeResult:
        nodes = _flatten(result)
        if isinstance(original, cst.SimpleStatementLine):
            nodes = [_line_without_trailing_semicolon(n, original) for n in nodes]
            nodes = [n for n in nodes if not (isinstance(n, cst.SimpleStatementLine) and not n.body)]
        before = self.plan._before.get(original, [])
        after = self.plan._after.get(original, [])
        pending = self._orphaned[-1] if self._orphaned else []
        leading = list(original.leading_lines)
        if not nodes:
            if before or after:  # what replaces the statement takes its place, blank lines included
                nodes = [*before, *after]
                nodes[0] = nodes[0].with_changes(leading_lines=[*leading, *nodes[0].leading_lines])
                return self._with_pending(nodes, pending)
            if any(line.comment is not None for line in leading):
                pending.extend(leading)
            return cst.RemovalSentinel.REMOVE
        if before:
            first = nodes[0]
            nodes[0] = first.with_changes(leading_lines=[])
            before = [before[0].with_changes(leading_lines=[*first.leading_lines, *before[0].leading_lines]),
                      *before[1:]]
        nodes = [*before, *nodes, *after]
        if len(nodes) == 1 and nodes[0] is result and not pending:
            return result
        return self._with_pending(nodes, pending)

    @staticmethod
    def _with_pending(nodes: list[cst.CSTNode], pending: list[cst.EmptyLine]) -> NodeResult:
        if pending:
            nodes[0] = nodes[0].with_changes(leading_lines=[*pending, *nodes[0].leading_lines])
            pending.clear()
        return nodes[0] if len(nodes) == 1 else cst.FlattenSentinel(nodes)


def _flatten(result: NodeResult) -> list[cst.CSTNode]:
    if isinstance(result, cst.RemovalSentinel):
        return []
    if isinstance(result, cst.FlattenSentinel):
        return list(result.nodes)
    return [result]


def _line_without_trailing_semicolon(node: cst.CSTNode, original: cst.SimpleStatementLine) -> cst.CSTNode:
    """A line whose last small statement was removed: the new last one ends the line (no `;`)."""
    if not isinstance(node, cst.SimpleStatementLine) or not node.body or len(node.body) == len(original.body):
        return node
    last = node.body[-1]
    if isinstance(last.semicolon, cst.Semicolon):
        return node.with_changes(body=[*node.body[:-1], last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
    return node


def string_literal(original: cst.SimpleString, value: str) -> str:
    """`value` as a literal written like `original` (same prefix and quotes)."""
    quote = original.quote
    if "r" not in original.prefix.lower():
        value = value.replace("\\", "\\\\")
        if len(quote) == 1:
            value = value.replace(quote, "\\" + quote)
    return f"{original.prefix}{quote}{value}{quote}"


def append_argument(call: cst.Call, new: cst.Arg) -> cst.Call:
    """`call` with `new` as its last argument, in the call's layout (laid_out_arguments)."""
    return laid_out_arguments(call, [*call.args, new])


def laid_out_arguments(call: cst.Call, new: Sequence[cst.Arg]) -> cst.Call:
    """`call` with the arguments `new` (its own kept, reordered or edited, and new ones) in the call's layout: one
    argument per line stays so, a trailing comma stays trailing, and what stood between the old last argument and
    `)` goes after the new last one. An argument keeps its comma where it stands before the old last position."""
    args = list(call.args)
    if not new:
        return call.with_changes(args=[])
    if not args:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return call.with_changes(args=[*(arg.with_changes(comma=separator) for arg in new[:-1]), new[-1]])
    last = args[-1]
    trailing = isinstance(last.comma, cst.Comma)
    if trailing and len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
        between = args[-2].comma
    elif trailing:  # one argument: the others go where it stands, after "("
        between = cst.Comma(whitespace_after=call.whitespace_before_args)
    elif (len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
          and isinstance(args[-2].comma.whitespace_after, cst.ParenthesizedWhitespace)):
        between = args[-2].comma
    else:
        between = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    closing = last.whitespace_after_arg  # without a trailing comma: what stands before `)`
    laid_out = []
    for position, arg in enumerate(new):
        if position == len(new) - 1:
            changes = {"comma": last.comma}
            if not trailing:
                changes["whitespace_after_arg"] = closing
        else:
            changes = {"comma": args[position].comma if position < len(args) - 1 else between}
            if not trailing and arg.whitespace_after_arg.deep_equals(closing):
                changes["whitespace_after_arg"] = cst.SimpleWhitespace("")
        laid_out.append(arg.with_changes(**changes))
    return call.with_changes(args=laid_out)


TIGHT_EQUAL = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))


def keyword_argument(keyword: str, value: cst.BaseExpression | str) -> cst.Arg:
    """`keyword=value` written tight, as PEP 8 wants."""
    expression = cst.parse_expression(value) if isinstance(value, str) else value
    return cst.Arg(keyword=cst.Name(keyword), value=expression, equal=TIGHT_EQUAL)
