"""Call arguments rebuilt in another order or number, in the call's own layout (node builders for the
rules' edit functions: they take the arguments as edited so far)."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

TIGHT_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


@dataclass(frozen=True)
class KeepArg:
    """The call's argument at `index`, with its keyword set to `keyword` when given."""

    index: int
    keyword: str | None = None


def with_keyword(arg: cst.Arg, keyword: str) -> cst.Arg:
    """`arg` passed as `keyword=` (a positional argument gets a tight `=`)."""
    if arg.keyword is not None and arg.keyword.value == keyword:
        return arg
    equal = arg.equal if arg.keyword is not None else TIGHT_EQUAL
    return arg.with_changes(keyword=cst.Name(keyword), equal=equal)


def build_arguments(args: tuple[cst.Arg, ...] | list[cst.Arg], specs: list[KeepArg]) -> list[cst.Arg]:
    """The arguments `specs` pick from `args`, laid out like `args`."""
    built = [args[spec.index] if spec.keyword is None else with_keyword(args[spec.index], spec.keyword)
             for spec in specs]
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
