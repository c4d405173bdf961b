"""MQ007-MQ015, MQ019, MQ011: message consumers, carried out from the service's consumer plan
(consumer_plan.py), and streams entered some other way than `async with`."""
from __future__ import annotations

from typing import Sequence

import libcst as cst

from bot.analysis import walk
from bot.change.edit_plan import append_argument, keyword_argument
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from . import ids
from .consumer_plan import DISTRIBUTOR_SUGGESTION, WithRewrite
from .consumers import consumer_method
from .facts import MqttRule

QUEUE_NOTE = (
    "aiomqtt 2 fills one client-wide queue from the moment the client connects: messages that arrive "
    "between subscribe() and the start of the `async for` loop are now delivered (0.16 dropped them), "
    "and the queue is unbounded unless Client(max_queued_incoming_messages=N) is set."
)
# A call that grows a line past this many characters gets one argument per line.
MAX_CALL_WIDTH = 80

SINGLE_FILTERED = """
    from asyncio_mqtt import Client


    async def run(host, sink):
        async with Client(host) as client:
            async with client.filtered_messages("a/+") as messages:
                async for message in messages:
                    sink(message.topic)
    """
TWO_FILTERED = SINGLE_FILTERED.rstrip(" ") + """\
            async with client.filtered_messages("b/+") as others:
                async for message in others:
                    sink(message.payload)
"""


class _ConsumerRewrite(MqttRule):
    """MQ007-MQ009: the consumers of one kind the plan rewrites."""

    KIND_NAME = ""

    def begin_service(self) -> None:
        self.rewritten = 0

    def visit_With(self, node: cst.With) -> None:
        for rewrite in self.consumers.rewrites.get(node, ()):
            if rewrite.site.kind != self.KIND_NAME:
                continue
            for loop, topic_filter in rewrite.loops.items():
                self._read_client(loop, rewrite.site.receiver, topic_filter)
            self.count()
            self.rewritten += 1
        statement = self.consumers.statements.get(node)
        if statement is not None and statement.owner == self.ID:
            self.replace(node, _unwrap(node, statement, self.parsed.tree.config_for_parsing), count=0)

    def _read_client(self, loop: cst.For, receiver: cst.BaseExpression, topic_filter: cst.BaseExpression | None) -> None:
        """`async for m in <stream>` -> `async for m in <client>.messages`, guarded by the filter if any."""
        messages = cst.Attribute(value=receiver.deep_clone(), attr=cst.Name("messages"))
        guard = None
        if topic_filter is not None and isinstance(loop.body, cst.IndentedBlock):
            variable = self.parsed.header_code(loop.target)
            guard = cst.parse_statement(f"if not {variable}.topic.matches({self.parsed.header_code(topic_filter)}):\n"
                                        "    continue\n")

        def read_client(updated: cst.For) -> cst.For:
            body = updated.body
            if guard is not None:
                body = body.with_changes(body=[guard, *body.body])
            return updated.with_changes(iter=messages, body=body)

        self.replace(loop, read_client, count=0)

    def end_service(self) -> None:
        if self.rewritten:
            self.note(QUEUE_NOTE)


def _unwrap(original: cst.With, rewrite: WithRewrite, config):
    """The `async with` without the rewritten consumers' items; when none is left, its body in its place."""
    streams = [cst.parse_statement(code, config=config) for code in rewrite.statements]
    removed = [item in rewrite.removed for item in original.items]

    def unwrap(updated: cst.With):
        if isinstance(updated.body, cst.IndentedBlock):
            statements = [*streams, *updated.body.body]
        else:
            statements = [*streams, cst.SimpleStatementLine(body=updated.body.body)]
        if not all(removed):
            body = (updated.body.with_changes(body=statements) if isinstance(updated.body, cst.IndentedBlock)
                    else cst.IndentedBlock(body=statements))
            return updated.with_changes(items=_without(updated.items, removed), body=body)
        # Comments and blank lines above the removed `async with` stay above what was its body.
        statements[0] = statements[0].with_changes(leading_lines=[*updated.leading_lines, *statements[0].leading_lines])
        return cst.FlattenSentinel(statements)

    return unwrap


def _without(items: Sequence[cst.WithItem], removed: Sequence[bool]) -> list[cst.WithItem]:
    """The items kept; the new last one takes the old last one's comma."""
    kept = [item for item, drop in zip(items, removed, strict=True) if not drop]
    if kept and removed[-1]:
        kept[-1] = kept[-1].with_changes(comma=items[-1].comma)
    return kept


class MessagesContext(_ConsumerRewrite):
    ID = "MQ007"
    KIND = REWRITE
    MESSAGE = "async with client.messages() as ms: async for m in ms -> async for m in client.messages"
    KIND_NAME = "messages"
    VALID = [Valid("""
        async def run(feed):
            async with feed.messages() as items:
                async for item in items:
                    print(item)
        """, name="no asyncio_mqtt in the service: some other messages()")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                async with client.messages() as messages:
                    await client.subscribe("#")
                    async for message in messages:
                        print(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                await client.subscribe("#")
                async for message in client.messages:
                    print(message.payload)
        """)]


class UnfilteredMessages(_ConsumerRewrite):
    ID = "MQ008"
    KIND = REWRITE
    MESSAGE = "client.unfiltered_messages() (single consumer) -> async for m in client.messages"
    KIND_NAME = "unfiltered_messages"
    VALID = [Valid("from asyncio_mqtt import Client\n\n\nasync def run(client: Client):\n"
                   "    async for message in client.messages:\n        print(message.payload)\n")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client, client.unfiltered_messages() as messages:
                async for message in messages:
                    print(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                async for message in client.messages:
                    print(message.payload)
        """)]


class FilteredMessages(_ConsumerRewrite):
    ID = "MQ009"
    KIND = REWRITE
    MESSAGE = "client.filtered_messages(F) (single consumer) -> client.messages + `if not m.topic.matches(F): continue`"
    KIND_NAME = "filtered_messages"
    VALID = [Valid(TWO_FILTERED, name="two consumers of one client: MQ012 lists them")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host, sink):
            async with Client(host) as client:
                async with client.filtered_messages("a/+") as messages:
                    async for message in messages:
                        sink(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host, sink):
            async with Client(host) as client:
                async for message in client.messages:
                    if not message.topic.matches("a/+"):
                        continue
                    sink(message.payload)
        """)]


class TopicAsString(MqttRule):
    ID = "MQ010"
    KIND = REWRITE
    MESSAGE = "message.topic from filtered/unfiltered_messages (a str on 0.16) -> message.topic.value"
    EXAMPLES_WITH = ("MQ009",)
    VALID = [Valid("""
        from asyncio_mqtt import Client


        async def run(client: Client):
            async for message in client.messages:
                print(message.topic.value)
        """)]
    INVALID = [Invalid(SINGLE_FILTERED, after="""
        from asyncio_mqtt import Client


        async def run(host, sink):
            async with Client(host) as client:
                async for message in client.messages:
                    if not message.topic.matches("a/+"):
                        continue
                    sink(message.topic.value)
        """)]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node in self.consumers.topics:
            self.replace(node, lambda updated: cst.Attribute(value=updated, attr=cst.Name("value")))


class QueueMaxsize(MqttRule):
    ID = "MQ011"
    KIND = REWRITE
    MESSAGE = ("messages(queue_maxsize=N) -> Client(max_queued_incoming_messages=N); aiomqtt 1.x's messages(queue_class=Q) "
               "-> Client(queue_type=Q)")
    EXAMPLES_WITH = ("MQ007",)
    VALID = [Valid("""
        from aiomqtt import Client


        async def run(host):
            async with Client(host, max_queued_incoming_messages=5) as client:
                async for message in client.messages:
                    print(message.payload)
        """)]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                async with client.messages(queue_maxsize=5) as messages:
                    async for message in messages:
                        print(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host, max_queued_incoming_messages=5) as client:
                async for message in client.messages:
                    print(message.payload)
        """)]

    def visit_With(self, node: cst.With) -> None:
        for rewrite in self.consumers.rewrites.get(node, ()):
            move = rewrite.queue
            if move is None:
                continue

            def bound(updated: cst.Call, arguments=move.arguments) -> cst.Call:
                call = updated
                for keyword, value in arguments:
                    call = append_argument(call, keyword_argument(keyword, value.deep_clone()))
                return _one_argument_per_line(call) if _widest_line(call) > MAX_CALL_WIDTH else call

            with self.at(move.module.path):
                self.replace(move.construction, bound, count=0)
            self.count()


def _widest_line(call: cst.Call) -> int:
    return max(len(line) for line in cst.Module([]).code_for_node(call).splitlines())


def _one_argument_per_line(call: cst.Call) -> cst.Call:
    def line_break(extra_indent: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(extra_indent))

    indent = "    "
    args = [arg.with_changes(comma=cst.Comma(whitespace_after=line_break(indent if i < len(call.args) - 1 else "")),
                             whitespace_after_arg=cst.SimpleWhitespace(""))
            for i, arg in enumerate(call.args)]
    return call.with_changes(whitespace_before_args=line_break(indent), args=args)


class _Planned(MqttRule):
    """A manual rule listing what the consumer plan decided for it."""

    def end_file(self) -> None:
        self.report_planned()


def unwrapped_stream(rule: MqttRule, node: cst.Call) -> tuple[str, str, str] | None:
    """(rule id, reason, suggestion) for a message stream entered some other way than `async with ... as`
    (an exit stack, a manual __aenter__): several consumers when another stream of the client is opened in the
    same function or this one in a loop, else one the codemod cannot move."""
    method = consumer_method(node)
    if method is None or _is_async_with_item(rule, node):
        return None
    receiver = node.func.value
    if method == "messages" and not rule.holds_client(receiver):
        return None
    parsed = rule.parsed
    client = parsed.header_code(receiver)
    unwrapped = (f"{method}() is gone in aiomqtt 2 and is not used as `async with ... as stream: "
                 "async for message in stream`")
    scope = parsed.enclosing_function(node, lambdas=True) or parsed.tree
    others = [parsed.line(call) for call in walk(scope) if call is not node and consumer_method(call)
              and parsed.header_code(call.func.value) == client]
    in_loop = parsed.in_loop(node)
    if not others and not in_loop:
        return (ids.STREAM_NOT_REWRITABLE, unwrapped + ", so the codemod cannot move its loop.",
                f"async for message in {client}.messages: ...")
    why = ["it is made in a loop (one stream per iteration)"] if in_loop else []
    why += [f"`{client}` has other streams at line{'s' if len(others) > 1 else ''} "
            + ", ".join(str(line) for line in sorted(others))] if others else []
    return (ids.SEVERAL_CONSUMERS, f"{unwrapped}, and {' and '.join(why)}: aiomqtt 2 has one client-wide queue, so "
                                   "each message would reach only one of these consumers.",
            DISTRIBUTOR_SUGGESTION.format(client=client))


def _is_async_with_item(rule: MqttRule, call: cst.Call) -> bool:
    item = rule.parsed.parent(call)
    statement = rule.parsed.parent(item) if item is not None else None
    return isinstance(item, cst.WithItem) and isinstance(statement, cst.With) and statement.asynchronous is not None


class _StreamRule(_Planned):
    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        found = unwrapped_stream(self, node)
        if found is not None and found[0] == self.ID:
            self.list(node, found[1], found[2])


class SeveralConsumers(_StreamRule):
    ID = "MQ012"
    KIND = MANUAL
    MESSAGE = "manual: several message consumers on one client (or one not provably alone) need a distributor"
    VALID = [Valid(SINGLE_FILTERED, name="one consumer: MQ009 rewrites it")]
    INVALID = [
        Invalid(TWO_FILTERED, items=[6, 9]),
        Invalid("""
            import contextlib

            from asyncio_mqtt import Client


            async def run(host, filters):
                async with Client(host) as client, contextlib.AsyncExitStack() as stack:
                    streams = [await stack.enter_async_context(client.filtered_messages(f)) for f in filters]
                    return streams
            """, items=[8], name="streams made in a loop on an exit stack"),
    ]


class StreamNotRewritable(_StreamRule):
    ID = "MQ013"
    KIND = MANUAL
    MESSAGE = ("manual: message stream not used as `async with ... as s: async for m in s`, or receiver not a known "
               "Client")
    EXAMPLES_WITH = ("MQ009",)
    VALID = [Valid("""
        from aiomqtt import Client


        async def run(host):
            async with Client(host) as client:
                async for message in client.messages:
                    print(message.payload)
        """, name="aiomqtt 2 already")]
    INVALID = [
        Invalid("""
            from asyncio_mqtt import Client


            async def run(host, sink):
                async with Client(host) as client:
                    async with client.filtered_messages("a/+") as messages:
                        sink(messages)
                    sink(messages)
            """, items=[6], name="the stream outlives its block"),
        Invalid("""
            from asyncio_mqtt import Client


            async def run(client):
                async with client.unfiltered_messages() as messages:
                    async for message in messages:
                        print(message.payload)
            """, items=[5], name="nothing calls run(): its client is unknown"),
    ]


class MessageLeavesLoop(_Planned):
    ID = "MQ014"
    KIND = MANUAL
    MESSAGE = "manual: a filtered/unfiltered message leaves its loop or uses paho-only attributes"
    EXAMPLES_WITH = ("MQ009",)
    VALID = [Valid("from aiomqtt import Client\n")]
    INVALID = [Invalid(SINGLE_FILTERED.replace("sink(message.topic)", "sink(message)"), after="""
        from asyncio_mqtt import Client


        async def run(host, sink):
            async with Client(host) as client:
                async for message in client.messages:
                    if not message.topic.matches("a/+"):
                        continue
                    sink(message)
        """, items=[8])]


class TopicAlreadyObject(_Planned):
    ID = "MQ015"
    KIND = MANUAL
    MESSAGE = "manual: messages() topic compared to/used as a str (already wrong on 0.16)"
    EXAMPLES_WITH = ("MQ007",)
    VALID = [Valid("from aiomqtt import Client\n")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                async with client.messages() as messages:
                    async for message in messages:
                        if message.topic == "a/b":
                            print(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host):
            async with Client(host) as client:
                async for message in client.messages:
                    if message.topic == "a/b":
                        print(message.payload)
        """, items=[8])]


class QueueMaxsizeUnplaced(_Planned):
    ID = "MQ019"
    KIND = MANUAL
    MESSAGE = "manual: queue_maxsize whose Client construction the codemod cannot see"
    EXAMPLES_WITH = ("MQ007", "MQ011")
    VALID = [Valid("from aiomqtt import Client\n")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def run(host, size):
            async with Client(host, max_queued_incoming_messages=1) as client:
                async with client.messages(queue_maxsize=size) as messages:
                    async for message in messages:
                        print(message.payload)
        """, after="""
        from asyncio_mqtt import Client


        async def run(host, size):
            async with Client(host, max_queued_incoming_messages=1) as client:
                async for message in client.messages:
                    print(message.payload)
        """, items=[6])]
