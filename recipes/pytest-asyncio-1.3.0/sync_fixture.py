"""Whether a sync fixture that requests `event_loop` can simply become an async fixture.

Most such fixtures only hand the loop to an object (`Receiver(event_loop)`, `loop.add_reader`); as an
async fixture they get the same loop from asyncio.get_running_loop(). A body that drives or closes the
loop (run_until_complete, run_forever, asyncio.run, close, stop) cannot run inside it, and a generator
that returns a value is not valid as an async generator: those stay a manual item.
"""
from __future__ import annotations

import libcst as cst
import libcst.matchers as m

_LOOP_DRIVERS = ("run_until_complete", "run_forever", "close", "stop")


class _Blockers(cst.CSTVisitor):
    def __init__(self, loop_name: str) -> None:
        self.loop_name = loop_name
        self.blocked = False
        self.yields = False
        self.returns_value = False
        self.nested = 0  # depth inside function definitions within the fixture body

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if m.matches(func, m.Attribute(value=m.Name("asyncio"), attr=m.Name("run"))):
            self.blocked = True
        elif isinstance(func, cst.Attribute) and func.attr.value in ("run_until_complete", "run_forever"):
            self.blocked = True
        elif m.matches(func, m.Attribute(value=m.Name(self.loop_name))) and func.attr.value in _LOOP_DRIVERS:
            self.blocked = True

    def visit_Yield(self, node: cst.Yield) -> None:
        if not self.nested:
            self.yields = True
            self.blocked = self.blocked or isinstance(node.value, cst.From)

    def visit_Return(self, node: cst.Return) -> None:
        self.returns_value = self.returns_value or (not self.nested and node.value is not None)

    # A nested helper that drives a loop is refused too: it may be called while the fixture's loop runs.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.nested += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.nested -= 1


def can_become_async(func: cst.FunctionDef, loop_name: str = "event_loop") -> bool:
    if func.asynchronous is not None:
        return False
    blockers = _Blockers(loop_name)
    func.body.visit(blockers)
    return not blockers.blocked and not (blockers.yields and blockers.returns_value)
