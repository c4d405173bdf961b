"""The edit plan of one module and the transformer that applies it.

The analysis decides on the original nodes; the transformer rebuilds from the *updated* nodes so
that nested edits (a renamed name inside a rewritten call) are never lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

import libcst as cst


@dataclass(frozen=True)
class KeepArg:
    """The call's argument at `index`, with its keyword set to `keyword` when given."""

    index: int
    keyword: str | None = None


@dataclass(frozen=True)
class CopyArg:
    """A new keyword argument whose value is that of the argument at `index`."""

    index: int
    keyword: str


@dataclass(frozen=True)
class NewArg:
    keyword: str
    value: cst.BaseExpression


ArgSpec = Union[KeepArg, CopyArg, NewArg]
ReceiverFactory = Callable[[cst.Call], cst.BaseExpression]


@dataclass
class CallEdit:
    arguments: list[ArgSpec] | None = None  # None: keep the arguments as they are
    receiver: ReceiverFactory | None = None  # new value of func.value (func must be an Attribute)
    func_name: str | None = None  # new attribute name (func must be an Attribute)


@dataclass
class Plan:
    renames: dict[cst.CSTNode, str] = field(default_factory=dict)  # Name -> new identifier
    calls: dict[cst.Call, CallEdit] = field(default_factory=dict)
    replacements: dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] = field(default_factory=dict)
    removed: set[cst.CSTNode] = field(default_factory=set)  # small statements to drop
    lines: dict[cst.SimpleStatementLine, list[cst.SimpleStatementLine]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.renames or self.calls or self.replacements or self.removed or self.lines)


class PlanTransformer(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        # Per open block: the comment lines of statements dropped so far, for the next statement kept
        # (a comment above a dropped statement is the author's; dropping it with the code loses it).
        self._orphaned_comments: list[list[cst.EmptyLine]] = []
        self._elifs: set[int] = set()  # an `elif` is an If in another If's orelse, not a statement of the block

    def on_visit(self, node) -> bool:
        if isinstance(node, (cst.Module, cst.IndentedBlock)):
            self._orphaned_comments.append([])
        elif isinstance(node, cst.If) and isinstance(node.orelse, cst.If):
            self._elifs.add(id(node.orelse))
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        result = self._apply(original_node, updated_node)
        if isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) \
                and id(original_node) not in self._elifs:
            return self._carry_comments(updated_node, result)
        if isinstance(original_node, (cst.Module, cst.IndentedBlock)):
            orphaned = self._orphaned_comments.pop()
            if orphaned and isinstance(result, (cst.Module, cst.IndentedBlock)):
                return result.with_changes(footer=[*orphaned, *result.footer])
        return result

    def _carry_comments(self, statement, result):
        pending = self._orphaned_comments[-1]
        if result is cst.RemovalSentinel.REMOVE:
            if any(line.comment is not None for line in statement.leading_lines):
                pending.extend(statement.leading_lines)
            return result
        if not pending:
            return result
        lines, pending[:] = list(pending), []
        if isinstance(result, cst.FlattenSentinel):
            first, *rest = result.nodes
            return cst.FlattenSentinel([first.with_changes(leading_lines=[*lines, *first.leading_lines]), *rest])
        return result.with_changes(leading_lines=[*lines, *result.leading_lines])

    def _apply(self, original_node, updated_node):
        plan = self.plan
        if original_node in plan.renames and isinstance(updated_node, cst.Name):
            updated_node = updated_node.with_changes(value=plan.renames[original_node])
        if original_node in plan.calls:
            updated_node = apply_call_edit(updated_node, plan.calls[original_node])
        if original_node in plan.replacements:
            updated_node = plan.replacements[original_node](updated_node)
        if isinstance(original_node, cst.SimpleStatementLine):
            return self._line(original_node, updated_node)
        return updated_node

    def _line(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        if original in self.plan.lines:
            new_lines = self.plan.lines[original]
            if not new_lines:
                return cst.RemovalSentinel.REMOVE
            first = new_lines[0].with_changes(leading_lines=updated.leading_lines)
            return cst.FlattenSentinel([first, *new_lines[1:]])
        kept = [new for old, new in zip(original.body, updated.body) if old not in self.plan.removed]
        if len(kept) == len(updated.body):
            return updated
        if not kept:
            return cst.RemovalSentinel.REMOVE
        last = kept[-1]
        if hasattr(last, "semicolon"):
            kept[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(body=kept)


def apply_call_edit(call: cst.Call, edit: CallEdit) -> cst.Call:
    changes = {}
    if edit.receiver is not None or edit.func_name is not None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        if edit.receiver is not None:
            func = func.with_changes(value=edit.receiver(call))
        if edit.func_name is not None:
            func = func.with_changes(attr=cst.Name(edit.func_name))
        changes["func"] = func
    if edit.arguments is not None:
        changes["args"] = build_arguments(call.args, edit.arguments)
    return call.with_changes(**changes)


def keyword_arg(keyword: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(keyword=cst.Name(keyword), value=value, equal=_tight_equal())


def build_arguments(args, specs: list[ArgSpec]) -> list[cst.Arg]:
    built = []
    for spec in specs:
        if isinstance(spec, KeepArg):
            arg = args[spec.index]
            if spec.keyword is not None and (arg.keyword is None or arg.keyword.value != spec.keyword):
                equal = arg.equal if arg.keyword is not None else _tight_equal()
                arg = arg.with_changes(keyword=cst.Name(spec.keyword), equal=equal)
            built.append(arg)
        elif isinstance(spec, CopyArg):
            built.append(keyword_arg(spec.keyword, args[spec.index].value.deep_clone()))
        else:
            built.append(keyword_arg(spec.keyword, spec.value.deep_clone()))
    return relayout(args, built)


def relayout(original, new: list[cst.Arg]) -> list[cst.Arg]:
    """Give `new` the comma/whitespace style of `original` (one line or one argument per line)."""
    if not new:
        return []
    commas = [arg.comma for arg in original]
    separator = commas[0] if len(original) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    trailing = commas[-1] if commas else cst.MaybeSentinel.DEFAULT
    laid_out = []
    for position, arg in enumerate(new):
        if position == len(new) - 1:
            comma = trailing
        elif position < len(original) - 1:
            comma = commas[position]
        else:
            comma = separator
        laid_out.append(arg.with_changes(comma=comma))
    return laid_out


def _tight_equal() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
