"""Call arguments rebuilt in another order, under other keywords (node builders for the rules' edit functions: they
take the call as edited so far); the layout is the shared edit plan's (bot.change.edit_plan.laid_out_arguments)."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from bot.change.edit_plan import TIGHT_EQUAL, laid_out_arguments


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


def build_arguments(call: cst.Call, specs: list[KeepArg]) -> cst.Call:
    """`call` with the arguments `specs` pick from its own, laid out like them."""
    return laid_out_arguments(call, [call.args[spec.index] if spec.keyword is None
                                     else with_keyword(call.args[spec.index], spec.keyword) for spec in specs])
