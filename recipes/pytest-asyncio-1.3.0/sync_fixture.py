"""Whether a sync fixture that requests `event_loop` can simply become an async fixture.

Most such fixtures only hand the loop to an object (`Receiver(event_loop)`, `loop.add_reader`); as an
async fixture they get the same loop from asyncio.get_running_loop(). Some inspect it: an autouse guard
snapshots `asyncio.all_tasks(event_loop)`, fails on tasks or timers a test left behind and runs the
leftovers with `event_loop.run_until_complete(...)`. Inside the loop that run is `await ...` (when the call
is a whole statement's value in the fixture's own body), and the fixture's own task, which the sync code
never saw, is left out of `all_tasks` (see `loop_task_sets`). A body that otherwise drives or closes the
loop (run_until_complete elsewhere, run_forever, asyncio.run, close, stop) cannot run inside it, and a
generator that returns a value is not valid as an async generator: those stay a manual item.
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


def _nested(func: cst.FunctionDef) -> set[int]:
    """ids of the nodes inside functions and lambdas defined in `func`'s body (they run when called, not here)."""
    return {id(inner) for node in walk(func.body) if isinstance(node, (cst.FunctionDef, cst.Lambda))
            for inner in walk(node)}


def loop_runs_to_await(func: cst.FunctionDef, loop_name: str = "event_loop") -> list[cst.Call]:
    """`<loop>.run_until_complete(x)` calls that are the whole value of a statement (`...`, `y = ...`,
    `return ...`) in the fixture's own body: run inside the loop, each is `await x`."""
    nested = _nested(func)
    found = []
    for node in walk(func.body):
        if id(node) in nested or not isinstance(node, (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)):
            continue
        call = node.value
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and isinstance(call.func.value, cst.Name) and call.func.value.value == loop_name
                and call.func.attr.value == "run_until_complete"
                and len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star):
            found.append(call)
    return found


def loop_task_sets(func: cst.FunctionDef, loop_name: str = "event_loop") -> list[cst.Call]:
    """`asyncio.all_tasks(<loop>)` calls in the fixture's own body. Sync code saw the loop from outside; an async
    fixture runs in a task of its own (a new one for its teardown), which those sets must leave out to mean what
    they meant: `asyncio.all_tasks(loop) - {asyncio.current_task()}`."""
    nested = _nested(func)
    return [node for node in walk(func.body)
            if id(node) not in nested and isinstance(node, cst.Call) and dotted_name(node.func) == "asyncio.all_tasks"
            and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name)
            and node.args[0].value.value == loop_name and node.args[0].keyword is None]


def can_become_async(func: cst.FunctionDef, loop_name: str = "event_loop", *, await_runs: bool = False) -> bool:
    """await_runs: `<loop>.run_until_complete(x)` statements may become `await x` (suite.loop_runs_can_be_awaited)."""
    if func.asynchronous is not None:
        return False
    # A nested helper that drives a loop is refused too (it may be called while the fixture's loop runs), but its
    # own yield or return says nothing about the fixture.
    nested = _nested(func)
    awaited = {id(call) for call in loop_runs_to_await(func, loop_name)} if await_runs else set()
    yields = returns_value = False
    for node in walk(func.body):
        if isinstance(node, cst.Call) and id(node) not in awaited and _drives_a_loop(node, loop_name):
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
