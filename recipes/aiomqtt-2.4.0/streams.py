"""How a consumer's stream (`async with client.messages() as stream`) is used, and the aiomqtt 2 object
that can stand in for it when it is used other than by `async for` loops.

aiomqtt 2.4.0's `client.messages` is a MessagesIterator: `__aiter__` returns itself and `__anext__` awaits
the next message, so `stream.__anext__()`, `anext(stream)` and handing the stream to a helper that
iterates it all work on it. A filtered stream becomes an async generator expression over it, which
filters like 0.16 did and is an async generator like 0.16's streams were.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import PositionProvider

from bot.analysis import ParsedModule, ServiceAnalysis

# Attributes a MessagesIterator has; any other (aclose(), asend(), ...) needs an async generator.
ITERATOR_ATTRIBUTES = frozenset({"__anext__", "__aiter__"})
NEXT_CALLS = frozenset({"builtins.anext"})
WAIT_CALLS = frozenset({"asyncio.wait_for", "asyncio.shield"})


@dataclass
class StreamUses:
    """How a message stream bound by `async with` is used inside its block."""

    loops: list[cst.For] = field(default_factory=list)  # `async for m in stream` inside the block
    reads: list[cst.Name] = field(default_factory=list)  # `m = await stream.__anext__()` / `anext(stream)`: m
    others: list[cst.Name] = field(default_factory=list)  # any other use of the stream name
    generator_needed: bool = False  # a use needs more than a MessagesIterator offers


def stream_uses(analysis: ServiceAnalysis, parsed: ParsedModule, target: cst.Name, block: cst.With) -> StreamUses | str:
    """The uses of the stream bound by `as <target>`, or why they cannot be carried over."""
    scope = parsed.scope(target)
    if scope is None or len(scope.assignments[target.value]) != 1:
        return f"`{target.value}` is bound more than once in this function, so its uses cannot be told apart."
    uses = StreamUses()
    for node in _in_source_order(parsed, analysis.reads_of(parsed, target)):
        if not parsed.is_inside(node, block):
            return (f"The stream `{target.value}` is used after its `async with` block (line {parsed.line(node)}), "
                    "where 0.16 had closed it.")
        parent = parsed.parent(node)
        if isinstance(parent, cst.For) and parent.asynchronous and parent.iter is node:
            uses.loops.append(parent)
            continue
        if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value not in ITERATOR_ATTRIBUTES:
            uses.generator_needed = True
        read = _message_read(analysis, parsed, node)
        if read is not None:
            uses.reads.append(read)
        else:
            uses.others.append(node)  # type: ignore[arg-type]
    return uses


def _in_source_order(parsed: ParsedModule, reads: list[cst.Name]) -> list[cst.Name]:
    """The reads by where they start. Names of the tree start in the order of their source ranks, which cost
    nothing where positions cost a codegen pass of the file; a name outside the tree (a string annotation's)
    has no rank, and fails on its position as it always did."""
    if all(read in parsed.parents for read in reads):
        return sorted(reads, key=parsed.source_order)
    return sorted(reads, key=lambda n: _place(parsed, n))


def _place(parsed: ParsedModule, node: cst.CSTNode) -> tuple[int, int]:
    start = parsed.get(PositionProvider, node).start
    return start.line, start.column


def _message_read(analysis: ServiceAnalysis, parsed: ParsedModule, stream: cst.CSTNode) -> cst.Name | None:
    """`m` in `m = await stream.__anext__()`, `m = await anext(stream)`, `m = await asyncio.wait_for(<those>, t)`."""
    parent = parsed.parent(stream)
    if isinstance(parent, cst.Attribute) and parent.attr.value == "__anext__":
        call = parsed.parent(parent)
        if not (isinstance(call, cst.Call) and call.func is parent and not call.args):
            return None
    elif isinstance(parent, cst.Arg) and parent.value is stream:
        call = parsed.parent(parent)
        if not (isinstance(call, cst.Call) and analysis.names_of(parsed, call.func) & NEXT_CALLS
                and len(call.args) == 1):
            return None
    else:
        return None
    holder = parsed.parent(call)
    if isinstance(holder, cst.Arg) and holder.keyword is None:
        waiter = parsed.parent(holder)
        if (isinstance(waiter, cst.Call) and waiter.args[0] is holder
                and analysis.names_of(parsed, waiter.func) & WAIT_CALLS):
            call, holder = waiter, parsed.parent(waiter)
    if not isinstance(holder, cst.Await):
        return None
    assign = parsed.parent(holder)
    if isinstance(assign, cst.Assign) and assign.value is holder and len(assign.targets) == 1:
        target = assign.targets[0].target
        return target if isinstance(target, cst.Name) else None
    return None


def stream_statement(parsed: ParsedModule, name: str, receiver: cst.BaseExpression,
                     topic_filter: cst.BaseExpression | None, generator: bool) -> str:
    """`stream = client.messages`, or an async generator expression over it (filtered, or when needed)."""
    client = parsed.header_code(receiver)
    if topic_filter is None and not generator:
        return f"{name} = {client}.messages\n"
    filter_code = parsed.header_code(topic_filter) if topic_filter is not None else ""
    variable = next(v for v in ("message", "msg", "received", "mqtt_message") if v not in filter_code)
    guard = f" if {variable}.topic.matches({filter_code})" if topic_filter is not None else ""
    return f"{name} = ({variable} async for {variable} in {client}.messages{guard})\n"
