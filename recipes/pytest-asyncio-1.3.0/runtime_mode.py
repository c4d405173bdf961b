"""The asyncio mode a conftest.py sets at run time (`config.option.asyncio_mode = "auto"` in a hook): it beats the ini
key and `--asyncio-mode` in addopts, so it is the mode the suite runs in. Tree only, no metadata."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import libcst as cst

from bot.analysis import ParsedModule

from .pytest_names import string_value

MODE_OPTION = "asyncio_mode"


@dataclass(frozen=True)
class ModeAssignment:
    """An `asyncio_mode` set from a conftest.py hook."""

    path: str
    value: cst.BaseExpression  # what is assigned
    mode: str | None  # "auto" / "strict" when that literal is set unconditionally in a function body, else None

    @property
    def literal(self) -> cst.SimpleString | None:
        return self.value if self.mode is not None and isinstance(self.value, cst.SimpleString) else None


def _option_attribute(node: cst.BaseExpression) -> bool:
    """`<config>.option`: the namespace pytest keeps command-line options in."""
    return isinstance(node, cst.Attribute) and node.attr.value == "option"


def _assigned_values(parsed: ParsedModule) -> Iterable[tuple[cst.CSTNode, cst.BaseExpression]]:
    """(statement, value) of `x.option.asyncio_mode = value` and `setattr(x.option, "asyncio_mode", value)`."""
    for node in parsed.of_type(cst.Assign, cst.Call):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                attribute = target.target
                if (isinstance(attribute, cst.Attribute) and attribute.attr.value == MODE_OPTION
                        and _option_attribute(attribute.value)):
                    yield node, node.value
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr"
              and len(node.args) == 3 and _option_attribute(node.args[0].value)
              and string_value(node.args[1].value) == MODE_OPTION):
            yield node, node.args[2].value


def _unconditional(parsed: ParsedModule, node: cst.CSTNode) -> bool:
    """Directly in a function's body: not under an if, a loop, a try or a with."""
    statement = parsed.statement_of(node)
    block = parsed.parent(statement)
    return isinstance(block, cst.IndentedBlock) and isinstance(parsed.parent(block), cst.FunctionDef)


def mode_assignments(modules: Iterable[ParsedModule]) -> tuple[ModeAssignment, ...]:
    found = []
    for parsed in modules:
        for node, value in _assigned_values(parsed):
            literal = string_value(value)
            definite = literal in ("auto", "strict") and _unconditional(parsed, node)
            found.append(ModeAssignment(parsed.path, value, literal if definite else None))
    return tuple(found)


def runtime_mode(assignments: tuple[ModeAssignment, ...]) -> str | None:
    """The mode the conftest hooks set: None when none sets one, "unknown" when the bot cannot tell which."""
    if not assignments:
        return None
    modes = {a.mode for a in assignments}
    return modes.pop() if len(modes) == 1 and None not in modes else "unknown"
