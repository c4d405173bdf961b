"""Read-only checks of one file: behaviour changes of 8.3-9.x that no rewrite can settle."""
from __future__ import annotations

import libcst as cst

from bot.model import ManualItem

from . import names
from .asyncio_usage import AsyncioUsage
from .custom_wait import custom_wait, wait_leaves
from .service_index import ParsedModule, ServiceIndex

WAIT_MIN, CUSTOM_WAIT, SUBCLASS, ASYNCIO_PATCH, PARTIAL, ASYNCIO = (
    "TEN004", "TEN005", "TEN006", "TEN007", "TEN009", "TEN002")
# Methods whose override depends on the retry loop's internals (reorganised into an action list in 8.3.0).
_LOOP_INTERNALS = frozenset({"iter", "begin", "__iter__", "__call__", "__aiter__", "__anext__"})


def review(index: ServiceIndex, parsed: ParsedModule, usage: AsyncioUsage) -> list[ManualItem]:
    items: list[ManualItem] = []

    def flag(rule: str, node: cst.CSTNode, reason: str, suggestion: str | None = None) -> None:
        items.append(ManualItem(parsed.path, parsed.line(node), parsed.code(node), reason, rule, suggestion))

    for node, why in usage.unsafe_imports:
        flag(ASYNCIO, node, f"tenacity._asyncio does not exist in 9.x and this import cannot be moved as is: {why}",
             "import the names from `tenacity` (asyncio.sleep for sleep)")
    if usage.imports and not usage.rewritable and not usage.unsafe_imports:
        for node in usage.imports:
            flag(ASYNCIO, node, "not rewritten because this file patches or reads other members of tenacity._asyncio "
                 "(see TEN007): the import fails on 9.x until those uses are gone",
                 "from tenacity import AsyncRetrying (once nothing patches the module)")
    for node in usage.patches:
        flag(ASYNCIO_PATCH, _enclosing_call(parsed, node),
             "uses the tenacity._asyncio module object (patch or unsupported member); the module is gone in 9.x "
             "and 9.x looks up asyncio.sleep at call time",
             "patch asyncio.sleep instead (honoured by tenacity >= 8.4) or pass sleep= to AsyncRetrying")
    for node in usage.patch_strings:
        target = node.evaluated_value
        flag(ASYNCIO_PATCH, _enclosing_call(parsed, node),
             f"patch target {target!r} names tenacity._asyncio, which 9.x removed",
             '"asyncio.sleep"' if str(target).endswith(".sleep") else None)

    for node in parsed.nodes:
        if isinstance(node, cst.Call):
            _check_call(index, parsed, node, flag)
        elif isinstance(node, cst.ClassDef):
            _check_subclass(index, parsed, node, flag)
    return items


def _enclosing_call(parsed: ParsedModule, node: cst.CSTNode) -> cst.CSTNode:
    """The call a module object or target string is passed to (monkeypatch.setattr, mock.patch), for context."""
    parent = parsed.parent(node)
    if isinstance(parent, cst.Arg):
        call = parsed.parent(parent)
        if isinstance(call, cst.Call):
            return call
    return node


def _check_call(index: ServiceIndex, parsed: ParsedModule, call: cst.Call, flag) -> None:
    if index.refers_to(parsed, call.func, names.WAIT_RANDOM_EXPONENTIAL):
        minimum = _argument(call, "min", names.WAIT_RANDOM_EXPONENTIAL_MIN_POSITION)
        if minimum is not None and not _is_zero(minimum):
            without = call.with_changes(args=_drop_trailing_comma([a for a in call.args if a.value is not minimum]))
            flag(WAIT_MIN, call,
                 f"9.0 draws each wait from uniform(min, cap) instead of uniform(0, cap): with min="
                 f"{parsed.code(minimum)} every retry now waits at least that long (longer total back-off); "
                 "re-check latency budgets, stop_after_delay limits and client timeouts",
                 f"keep it if the floor is intended; else {parsed.tree.code_for_node(without)}")
    retrying = index.refers_to(parsed, call.func, names.RETRY_DECORATOR | names.RETRYING_CLASSES)
    if retrying or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "retry_with"):
        wait = _argument(call, "wait", None)
        found = None
        for leaf in (wait_leaves(index, parsed, wait) if wait is not None else ()):
            found = found or custom_wait(index, parsed, leaf)
        if found:
            flag(CUSTOM_WAIT, wait,
                 f"custom wait: {found}. Since 8.3.0 the wait strategy is also evaluated on the final attempt "
                 "(3 attempts: 2 calls on 8.2.3, 3 on 9.1.2), so any side effect it has (metrics, counters, "
                 "logs) runs once more per exhausted run",
                 "keep the wait pure and move the side effect to before_sleep=, which runs only before "
                 "an actual sleep")
    if _wraps_partial(index, parsed, call):
        flag(PARTIAL, call,
             "retry wraps a functools.partial: since 8.4.0 tenacity detects coroutine functions behind partials, "
             "so if it wraps an async def the result is now an awaitable retried asynchronously",
             None)


def _check_subclass(index: ServiceIndex, parsed: ParsedModule, node: cst.ClassDef, flag) -> None:
    if not any(index.names_of(parsed, base.value) & names.RETRYING_BASES for base in node.bases):
        return
    methods = [m.name.value for m in node.body.body if isinstance(m, cst.FunctionDef)]
    internals = [m for m in methods if m in _LOOP_INTERNALS or (m.startswith("_") and not m.startswith("__"))]
    if internals:
        reason = (f"overrides {', '.join(internals)}: the retry loop was reorganised in 8.3.0 (action list, wait "
                  "computed before the stop check) and these internals behave differently on 9.x")
    else:
        reason = ("subclasses a tenacity Retrying class: since 8.4.2 every decorated call runs on a copy() of the "
                  "Retrying object, so state a subclass keeps on self during a call is not kept on the original")
    flag(SUBCLASS, node.name, reason, "re-run this class's tests against tenacity 9.1.2")


def _argument(call: cst.Call, keyword: str, position: int | None) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if position is not None and len(positional) > position:
        return positional[position].value
    return None


def _drop_trailing_comma(args: list[cst.Arg]) -> list[cst.Arg]:
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return args


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.value) == 0


def _wraps_partial(index: ServiceIndex, parsed: ParsedModule, call: cst.Call) -> bool:
    decorator = call.func
    if isinstance(decorator, cst.Call):
        applies_retry = index.refers_to(parsed, decorator.func, names.RETRY_DECORATOR)
    else:
        applies_retry = index.refers_to(parsed, decorator, names.RETRY_DECORATOR)
    if not applies_retry or len(call.args) != 1:
        return False
    wrapped = call.args[0].value
    return isinstance(wrapped, cst.Call) and index.refers_to(parsed, wrapped.func, frozenset({"functools.partial"}))
