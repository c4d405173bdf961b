"""MQ004-MQ006, MQ016-MQ018, MQ021, MQ023: the Client's constructor keywords, `.id`, connect()/disconnect(),
the paho client underneath, and where a Client may be built."""
from __future__ import annotations

import libcst as cst

from bot.analysis import walk
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from .facts import MqttRule
from .mqtt_names import PAHO_CLIENT_NAMES, PAHO_MESSAGE_NAMES, REMOVED_CLIENT_METHODS

# asyncio calls that raise RuntimeError when no event loop is running (get_event_loop() does not)
LOOP_BOUND_CALLS = frozenset({"asyncio.create_task", "asyncio.get_running_loop", "asyncio.current_task"})
AIOMQTT_DEFAULT_TIMEOUT = 10  # seconds: aiomqtt 2.4.0 Client(timeout=None), and 0.16's connect/disconnect default
CONTEXT_METHODS = {"connect": ("__aenter__", ""), "disconnect": ("__aexit__", "None, None, None")}
DISCONNECT_SUGGESTIONS = {
    "connect": "await {client}.__aenter__()  # better: async with {client}: ...",
    "disconnect": "await {client}.__aexit__(None, None, None)  # better: leave the async with block",
}


class _ClientRule(MqttRule):
    def construction(self, node: cst.Call) -> bool:
        return self.clients.is_construction(self.parsed, node)

    def removed_method(self, node: cst.Call) -> str | None:
        """connect/disconnect/force_disconnect called on a provable client."""
        func = node.func
        if (isinstance(func, cst.Attribute) and func.attr.value in REMOVED_CLIENT_METHODS
                and self.holds_client(func.value)):
            return func.attr.value
        return None


def context_rewrite(node: cst.Call, method: str) -> tuple[str, str] | None:
    """(new method, its arguments) when `client.connect(...)`/`disconnect(...)` maps onto the context manager:
    no argument but `timeout=`, which aiomqtt 2 takes in Client(timeout=...) instead."""
    if method not in CONTEXT_METHODS:
        return None
    if any(arg.star or arg.keyword is None or arg.keyword.value != "timeout" for arg in node.args):
        return None
    return CONTEXT_METHODS[method]


class ClientIdKeyword(_ClientRule):
    ID = "MQ004"
    KIND = REWRITE
    MESSAGE = "Client(client_id=...) -> Client(identifier=...)"
    VALID = [Valid("from aiomqtt import Client\n\n\nasync def main():\n    Client('b', identifier='x')\n")]
    INVALID = [
        Invalid("from asyncio_mqtt import Client\n\n\nasync def main():\n    Client('b', client_id='x')\n",
                after="from asyncio_mqtt import Client\n\n\nasync def main():\n    Client('b', identifier='x')\n"),
        Invalid("from asyncio_mqtt import Client\n\n\nasync def main(options):\n    Client('b', **options)\n",
                items=[5], name="keywords in a mapping are listed"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.construction(node):
            return
        for arg in node.args:
            if arg.star == "**":
                self.list(node, "Keyword arguments passed with ** are invisible to the codemod; aiomqtt 2 rejects "
                                "client_id, message_retry_set and (aiomqtt 1.x) max_queued_messages with a TypeError.",
                          "In that mapping rename client_id to identifier and max_queued_messages to "
                          "max_queued_outgoing_messages, and drop message_retry_set.", statement=False)
            if arg.keyword is not None and arg.keyword.value == "client_id":
                self.rename(arg.keyword, "identifier")


class _ConstructorKeyword(_ClientRule):
    """A Client() keyword aiomqtt 2 renamed (NEW) or removed (NEW None)."""

    OLD: str
    NEW: str | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if self.construction(node):
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value != self.OLD:
                    continue
                if self.NEW is None:
                    self.remove(arg)
                else:
                    self.rename(arg.keyword, self.NEW)


class MessageRetrySet(_ConstructorKeyword):
    OLD = "message_retry_set"
    ID = "MQ005"
    KIND = REWRITE
    MESSAGE = "Client(message_retry_set=...) dropped (removed in aiomqtt 2.0)"
    VALID = [Valid("from aiomqtt import Client\n\n\nasync def main():\n    Client('b')\n")]
    INVALID = [Invalid("from asyncio_mqtt import Client\n\n\nasync def main():\n    Client('b', message_retry_set=5)\n",
                       after="from asyncio_mqtt import Client\n\n\nasync def main():\n    Client('b')\n")]


class ClientIdAttribute(_ClientRule):
    ID = "MQ006"
    KIND = REWRITE
    MESSAGE = "client.id -> client.identifier"
    VALID = [Valid("def name(row):\n    return row.id\n", name="not a client")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        async def main():
            async with Client("b") as client:
                print(client.id)
        """, after="""
        from asyncio_mqtt import Client


        async def main():
            async with Client("b") as client:
                print(client.identifier)
        """)]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "id" and self.holds_client(node.value):
            self.rename(node.attr, "identifier")


class ConnectDisconnect(_ClientRule):
    ID = "MQ016"
    KIND = MANUAL
    MESSAGE = ("manual: force_disconnect() (no equivalent), or a connect()/disconnect() timeout or receiver the "
               "codemod cannot carry over")
    EXAMPLES_WITH = ("MQ021",)
    VALID = [Valid("async def main(db):\n    await db.connect(timeout=5)\n", name="not a client")]
    INVALID = [
        Invalid("""
            from asyncio_mqtt import Client


            async def main(client: Client):
                await client.force_disconnect()
            """, items=[5]),
        Invalid("""
            from asyncio_mqtt import Client


            async def main(client: Client):
                await client.connect(timeout=5)
            """, after="""
            from asyncio_mqtt import Client


            async def main(client: Client):
                await client.__aenter__()
            """, items=[5], name="a dropped timeout"),
        Invalid("""
            from asyncio_mqtt import Client


            async def main(client: Client):
                await client.connect(timeout=10)
            """, after="""
            from asyncio_mqtt import Client


            async def main(client: Client):
                await client.__aenter__()
            """, name="timeout=10 is what aiomqtt 2.4.0 waits anyway: not listed"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        method = self.removed_method(node)
        if method is None:
            return
        client = self.parsed.header_code(node.func.value)
        rewrite = context_rewrite(node, method)
        if rewrite is not None and ConnectAsContext.ID in self.enabled:
            if node.args and not self._same_wait(node, node.args[0].value):
                timeout = node.args[0]
                self.list(node, f"{method}() became {rewrite[0]}(), which takes no timeout: aiomqtt 2 uses "
                                "Client(timeout=...) (default 10 s) for connecting, disconnecting and every "
                                f"publish/subscribe, so the codemod dropped `{self.parsed.header_code(timeout).rstrip(',')}`.",
                          f"Client(..., timeout={self.parsed.header_code(timeout.value)}) if every operation may wait "
                          "that long")
            return
        template = DISCONNECT_SUGGESTIONS.get(method)
        self.list(node,
                  f"Client.{method}() was removed in aiomqtt 2.0 and has no equivalent; a client is used as an async "
                  "context manager and is reusable but not reentrant (MqttReentrantError)."
                  if template is None else
                  f"Client.{method}() was removed in aiomqtt 2.0 and this call passes arguments the codemod cannot map.",
                  template.format(client=client) if template else
                  f"await {client}.__aexit__(None, None, None)  # graceful; aiomqtt 2 has no forced disconnect")

    def _same_wait(self, call: cst.Call, timeout: cst.BaseExpression) -> bool:
        """`timeout=10`: what 0.16 waited by default, and what aiomqtt 2.4.0's __aenter__/__aexit__ wait when the
        Client sets no timeout (`if timeout is None: timeout = 10`), so dropping it changes nothing."""
        if not (isinstance(timeout, (cst.Integer, cst.Float)) and timeout.evaluated_value == AIOMQTT_DEFAULT_TIMEOUT):
            return False
        origin = self.clients.origin(self.parsed, call.func.value)
        construction = origin.construction if origin is not None else None
        return construction is None or not any(arg.star == "**" or (arg.keyword is not None and
                                                                     arg.keyword.value == "timeout")
                                                for arg in construction.args)


class PahoInternals(_ClientRule):
    ID = "MQ017"
    KIND = MANUAL
    MESSAGE = "manual: direct paho-mqtt use (client._client, paho imports, Client subclasses) must follow paho 2"
    VALID = [Valid("from paho.mqtt.client import MQTTMessage\n\n\ndef topic(message: MQTTMessage):\n"
                   "    return message.topic\n", name="paho types only")]
    INVALID = [
        Invalid("""
            from asyncio_mqtt import Client


            async def tune(client: Client):
                client._client.max_inflight_messages_set(50)
            """, items=[5]),
        Invalid("""
            from asyncio_mqtt import Client


            class Tuned(Client):
                pass
            """, items=[4], name="a Client subclass"),
        Invalid("import paho.mqtt.client as mqtt\n\nclient = mqtt.Client('id')\n", items=[3],
                name="a paho client with a positional client id"),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "_client" and self.holds_client(node.value):
            self.list(node, "The wrapped paho client is now paho-mqtt 2.1.0 (callback_api_version, ReasonCode "
                            "arguments in callbacks); code reaching into it must follow the paho 2 API.")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(self.clients.is_client_class(self.parsed, base.value) for base in node.bases):
            self.list(node, "Subclasses of Client depend on its internals, which aiomqtt 2 rewrote (client-wide "
                            "queue, paho 2 callbacks, no connect/disconnect).")

    def visit_Call(self, node: cst.Call) -> None:
        names = self.analysis.names_of(self.parsed, node.func)
        if names & PAHO_CLIENT_NAMES:
            pin = paho_client_pin(self.parsed, node)
            if pin is None:
                return
            module, positional_id = pin
            if module is not None and PahoCallbackApiVersion.ID in self.enabled:
                self.list(node, "paho-mqtt moves to 2.1.0 with aiomqtt: its Client's new first parameter "
                                f"callback_api_version is now passed as {module}.CallbackAPIVersion.VERSION1"
                                + (" (the positional client id stays the client id)" if positional_id else "")
                                + ", which keeps the 1.x callback signatures; paho warns (DeprecationWarning) on every "
                                "such client, so a test run with warnings as errors fails until the callbacks move to "
                                "VERSION2.",
                          f"{module}.Client({module}.CallbackAPIVersion.VERSION2, ...) with paho 2 callback signatures "
                          "(reason codes and properties arguments)")
                return
            self.list(node, "paho-mqtt moves to 2.1.0 with aiomqtt: its Client's first parameter is now "
                            "callback_api_version"
                            + (", so this positional client id raises ValueError" if positional_id else
                               "; without it the deprecated version-1 callback API is used (DeprecationWarning)")
                            + " and version-2 callbacks receive ReasonCode/Properties arguments.",
                      "mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=...) and paho 2 callback signatures")
        elif names & PAHO_MESSAGE_NAMES:
            self.list(node, "aiomqtt 2 yields aiomqtt.Message, whose topic is a Topic (not a str): a hand-built paho "
                            "MQTTMessage no longer looks like the messages the client delivers (migrated code reads "
                            "message.topic.value).",
                      "aiomqtt.Message(topic, payload, qos=0, retain=False, mid=0, properties=None)")


def paho_client_pin(parsed, node: cst.Call) -> tuple[str | None, bool] | None:
    """For a paho `Client(...)` call without a callback API version: (the module expression VERSION1 can be
    reached through, None when the class was imported by name; whether a client id is passed positionally).
    None when the call already passes a version."""
    first = node.args[0] if node.args else None
    if any(arg.keyword is not None and arg.keyword.value == "callback_api_version" for arg in node.args) or (
            first is not None and first.keyword is None and "CallbackAPIVersion" in parsed.header_code(first.value)):
        return None
    positional_id = first is not None and first.keyword is None and not first.star
    module = parsed.header_code(node.func.value) if isinstance(node.func, cst.Attribute) else None
    return module, positional_id


class ClientOutsideCoroutine(_ClientRule):
    ID = "MQ018"
    KIND = MANUAL
    MESSAGE = "manual: Client() outside a coroutine; aiomqtt 2 needs a running event loop in __init__"
    VALID = [
        Valid("from asyncio_mqtt import Client\n\n\nasync def main():\n    client = Client('b')\n"),
        Valid("""
            import asyncio

            from asyncio_mqtt import Client


            def start(loop_work):
                task = asyncio.create_task(loop_work())
                return Client("b"), task
            """, name="a function that already needs the running loop"),
    ]
    INVALID = [Invalid("from asyncio_mqtt import Client\n\nCLIENT = Client('b')\n", items=[3])]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.construction(node):
            return
        function = self.parsed.enclosing_function(node, lambdas=True)
        if isinstance(function, cst.FunctionDef) and function.asynchronous:
            return
        if not self._needs_running_loop_already(function):
            self.list(node, "aiomqtt 2 calls asyncio.get_running_loop() in Client.__init__ (0.16 used "
                            "get_event_loop), so this raises RuntimeError unless it only ever runs while the event "
                            "loop is running.",
                      "Create the Client inside the coroutine that uses it (async with Client(...) as client:).")

    def _needs_running_loop_already(self, function: cst.CSTNode | None) -> bool:
        """A plain function that itself calls asyncio.create_task() or get_running_loop() already raises
        RuntimeError on 0.16 without a running loop: aiomqtt 2's __init__ asks nothing more of its callers."""
        if not isinstance(function, cst.FunctionDef):
            return False
        return any(isinstance(call, cst.Call) and self.parsed.enclosing_function(call, lambdas=True) is function
                   and self.analysis.names_of(self.parsed, call.func) & LOOP_BOUND_CALLS
                   for call in walk(function.body))


class ConnectAsContext(_ClientRule):
    ID = "MQ021"
    KIND = REWRITE
    MESSAGE = ("client.connect() -> client.__aenter__(), client.disconnect() -> "
               "client.__aexit__(None, None, None)")
    VALID = [Valid("async def main(db):\n    await db.connect()\n", name="not a client")]
    INVALID = [Invalid("""
        from asyncio_mqtt import Client


        class Session:
            async def start(self, host):
                self.client = Client(host)
                await self.client.connect()

            async def stop(self):
                await self.client.disconnect()
        """, after="""
        from asyncio_mqtt import Client


        class Session:
            async def start(self, host):
                self.client = Client(host)
                await self.client.__aenter__()

            async def stop(self):
                await self.client.__aexit__(None, None, None)
        """)]

    def visit_Call(self, node: cst.Call) -> None:
        method = self.removed_method(node)
        rewrite = context_rewrite(node, method) if method else None
        if rewrite is None:
            return
        new_method, arguments = rewrite
        args = cst.parse_expression(f"_({arguments})").args
        self.replace(node, lambda updated: updated.with_changes(
            func=updated.func.with_changes(attr=cst.Name(new_method)), args=args))


class PahoCallbackApiVersion(_ClientRule):
    ID = "MQ023"
    KIND = REWRITE
    MESSAGE = ("paho mqtt.Client(...) -> mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, ...) (paho 2 signature, 1.x "
               "callbacks kept)")
    VALID = [Valid("import paho.mqtt.client as mqtt\n\nclient = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)\n")]
    INVALID = [Invalid("import paho.mqtt.client as mqtt\n\nclient = mqtt.Client('id', clean_session=True)\n",
                       after="import paho.mqtt.client as mqtt\n\n"
                             "client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, 'id', clean_session=True)\n")]

    def visit_Call(self, node: cst.Call) -> None:
        """paho 2's Client(callback_api_version, client_id, clean_session, ...) is 1.x's signature with one new
        first parameter: passing VERSION1 there keeps every positional argument and every 1.x callback."""
        if not self.analysis.names_of(self.parsed, node.func) & PAHO_CLIENT_NAMES:
            return
        pin = paho_client_pin(self.parsed, node)
        if pin is None or pin[0] is None:
            return
        version = cst.parse_expression(f"{pin[0]}.CallbackAPIVersion.VERSION1")

        def prepend(updated: cst.Call) -> cst.Call:
            args = list(updated.args)
            return updated.with_changes(args=[cst.Arg(value=version, comma=_leading_separator(args)), *args])

        self.replace(node, prepend)


def _leading_separator(args: list[cst.Arg]) -> cst.Comma | cst.MaybeSentinel:
    """The comma after a new first argument: like the one after the old first argument when that one
    breaks the line (one argument per line stays so), else `, `."""
    if not args:
        return cst.MaybeSentinel.DEFAULT
    comma = args[0].comma
    if len(args) > 1 and isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        return comma
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


class MaxQueuedMessages(_ConstructorKeyword):
    """aiomqtt 1.x's outgoing-queue bound was renamed in 2.0, when the client-wide incoming queue got its own."""

    OLD, NEW = "max_queued_messages", "max_queued_outgoing_messages"
    ID = "MQ025"
    KIND = REWRITE
    MESSAGE = "Client(max_queued_messages=N) -> Client(max_queued_outgoing_messages=N) (aiomqtt 1.x)"
    VALID = [Valid("from aiomqtt import Client\n\n\nasync def main():\n    Client('b', max_queued_outgoing_messages=5)\n")]
    INVALID = [Invalid("import aiomqtt\n\n\nasync def main():\n    aiomqtt.Client('b', max_queued_messages=5)\n",
                       after="import aiomqtt\n\n\nasync def main():\n    aiomqtt.Client('b', max_queued_outgoing_messages=5)\n")]
