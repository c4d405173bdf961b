"""Makes every planned edit in one pass over the original tree."""
from __future__ import annotations

from typing import Sequence, TypeVar

import libcst as cst

from .plan import Plan

Element = TypeVar("Element", cst.Arg, cst.WithItem)
# A call that grows a line past this many characters gets one argument per line.
MAX_CALL_WIDTH = 80


class PlanApplier(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new_value = self.plan.renamed_names.get(original_node)
        return updated_node.with_changes(value=new_value) if new_value else updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        new_code = self.plan.replaced_strings.get(original_node)
        return updated_node.with_changes(value=new_code) if new_code else updated_node

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        return self.plan.replaced_statements.get(original_node, updated_node)  # type: ignore[return-value]

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        return self.plan.replaced_statements.get(original_node, updated_node)  # type: ignore[return-value]

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if original_node in self.plan.topic_values:
            return cst.Attribute(value=updated_node, attr=cst.Name("value"))
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if original_node in self.plan.method_calls and isinstance(updated_node.func, cst.Attribute):
            method, arguments = self.plan.method_calls[original_node]
            template = cst.parse_expression(f"_({arguments})")
            return updated_node.with_changes(
                func=updated_node.func.with_changes(attr=cst.Name(method)), args=template.args  # type: ignore[attr-defined]
            )
        removed = [o in self.plan.removed_args for o in original_node.args]
        added = self.plan.added_kwargs.get(original_node, [])
        first = self.plan.prepended_args.get(original_node)
        if not any(removed) and not added and first is None:
            return updated_node
        args = _without(updated_node.args, removed)
        if first is not None:
            separator = _leading_separator(args)
            args = [cst.Arg(value=first.deep_clone(), comma=separator), *args]
        for keyword, value in added:
            args = _appended(args, cst.Arg(value=value.deep_clone(), keyword=cst.Name(keyword),
                                           equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
        call = updated_node.with_changes(args=args)
        if added and _widest_line(call) > MAX_CALL_WIDTH:
            call = _one_argument_per_line(call)
        return call

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        rewrite = self.plan.loops.get(original_node)
        if rewrite is None:
            return updated_node
        messages = cst.Attribute(value=rewrite.client.deep_clone(), attr=cst.Name("messages"))
        body = updated_node.body
        if rewrite.topic_filter is not None and isinstance(body, cst.IndentedBlock):
            variable = cst.Module([]).code_for_node(updated_node.target)
            topic_filter = cst.Module([]).code_for_node(rewrite.topic_filter)
            guard = cst.parse_statement(f"if not {variable}.topic.matches({topic_filter}):\n    continue\n")
            body = body.with_changes(body=[guard, *body.body])
        return updated_node.with_changes(iter=messages, body=body)

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        unwrapped = self.plan.unwrapped_items.get(original_node)
        if not unwrapped:
            return updated_node
        statements = list(updated_node.body.body) if isinstance(updated_node.body, cst.IndentedBlock) else [
            cst.SimpleStatementLine(body=updated_node.body.body)
        ]
        statements = [*self.plan.stream_statements.get(original_node, []), *statements]
        removed = [item in unwrapped for item in original_node.items]
        if not all(removed):
            body = cst.IndentedBlock(body=statements) if not isinstance(updated_node.body, cst.IndentedBlock) \
                else updated_node.body.with_changes(body=statements)
            return updated_node.with_changes(items=_without(updated_node.items, removed), body=body)
        # Comments and blank lines above the removed `async with` stay above what was its body.
        statements[0] = statements[0].with_changes(
            leading_lines=[*updated_node.leading_lines, *statements[0].leading_lines]
        )
        return cst.FlattenSentinel(statements)


def _without(elements: Sequence[Element], removed: Sequence[bool]) -> list[Element]:
    """Drops elements keeping the layout: the new last one takes the old last's comma and trailing space."""
    kept = [element for element, drop in zip(elements, removed, strict=True) if not drop]
    if kept and removed[-1]:
        last = elements[-1]
        trailing = {"whitespace_after_arg": last.whitespace_after_arg} if isinstance(last, cst.Arg) else {}
        kept[-1] = kept[-1].with_changes(comma=last.comma, **trailing)
    return kept


def _leading_separator(args: list[cst.Arg]) -> cst.Comma | cst.MaybeSentinel:
    """The comma after a new first argument: like the one after the old first argument when that one
    breaks the line (one argument per line stays so), else `, `."""
    if not args:
        return cst.MaybeSentinel.DEFAULT
    comma = args[0].comma
    if len(args) > 1 and isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        return comma
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _appended(args: list[cst.Arg], new_arg: cst.Arg) -> list[cst.Arg]:
    if not args:
        return [new_arg]
    last = args[-1]
    separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else cst.Comma(
        whitespace_after=cst.SimpleWhitespace(" ")
    )
    # The last argument's trailing comma and whitespace (the line break before `)`) move to the new one.
    moved_last = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    appended = new_arg.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
    return [*args[:-1], moved_last, appended]


def _widest_line(call: cst.Call) -> int:
    return max(len(line) for line in cst.Module([]).code_for_node(call).splitlines())


def _one_argument_per_line(call: cst.Call) -> cst.Call:
    def line_break(extra_indent: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(extra_indent))

    indent = "    "
    args = [
        arg.with_changes(comma=cst.Comma(whitespace_after=line_break(indent if i < len(call.args) - 1 else "")),
                         whitespace_after_arg=cst.SimpleWhitespace(""))
        for i, arg in enumerate(call.args)
    ]
    return call.with_changes(whitespace_before_args=line_break(indent), args=args)
