"""Whether a sync fixture that requests `event_loop` can simply become an async fixture.

Most such fixtures only hand the loop to an object (`Receiver(event_loop)`, `loop.add_reader`); as an
async fixture they get the same loop from asyncio.get_running_loop(). A body that drives or closes the
loop (run_until_complete, run_forever, asyncio.run, close, stop) cannot run inside it, and a generator
that returns a value is not valid as an async generator: those stay a manual item.
"""
from __future__ import annotations

import libcst as cst

from bot.analysis import dotted_name, walk

_LOOP_DRIVERS = ("run_until_complete", "run_forever", "close", "stop")


def _drives_a_loop(call: cst.Call, loop_name: str) -> bool:
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if dotted_name(func) == "asyncio.run" or func.attr.value in ("run_until_complete", "run_forever"):
        return True
    return isinstance(func.value, cst.Name) and func.value.value == loop_name and func.attr.value in _LOOP_DRIVERS


def can_become_async(func: cst.FunctionDef, loop_name: str = "event_loop") -> bool:
    if func.asynchronous is not None:
        return False
    # A nested helper that drives a loop is refused too (it may be called while the fixture's loop runs), but its
    # own yield or return says nothing about the fixture.
    nested = {id(inner) for node in walk(func.body) if isinstance(node, cst.FunctionDef)
              for inner in walk(node)}
    yields = returns_value = False
    for node in walk(func.body):
        if isinstance(node, cst.Call) and _drives_a_loop(node, loop_name):
            return False
        if id(node) in nested:
            continue
        if isinstance(node, cst.Yield):
            if isinstance(node.value, cst.From):
                return False
            yields = True
        elif isinstance(node, cst.Return) and node.value is not None:
            returns_value = True
    return not (yields and returns_value)
