"""MQ004-MQ006 and the manual findings about clients: constructor keywords, .id, removed methods, paho."""
from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from . import rules
from .clients import ClientIndex
from .consumers import DISTRIBUTOR_SUGGESTION, ConsumerSite
from .mqtt_names import CONSUMER_METHODS, REMOVED_CLIENT_METHODS
from .plan import Plan
from .source import Source

PAHO_CLIENT_NAMES = frozenset({"paho.mqtt.client.Client"})
PAHO_MESSAGE_NAMES = frozenset({"paho.mqtt.client.MQTTMessage"})
# asyncio calls that raise RuntimeError when no event loop is running (get_event_loop() does not)
LOOP_BOUND_CALLS = frozenset({"asyncio.create_task", "asyncio.get_running_loop", "asyncio.current_task"})
REMOVED_KEYWORDS = {"client_id": ("identifier", rules.CLIENT_ID), "message_retry_set": (None, rules.MESSAGE_RETRY_SET)}
CONTEXT_METHODS = {"connect": ("__aenter__", ""), "disconnect": ("__aexit__", "None, None, None")}
DISCONNECT_SUGGESTIONS = {
    "connect": "await {client}.__aenter__()  # better: async with {client}: ...",
    "disconnect": "await {client}.__aexit__(None, None, None)  # better: leave the async with block",
}


def plan_client_api(source: Source, plan: Plan) -> tuple[ClientIndex, list[ConsumerSite]]:
    """Plans everything about clients except consumers, which need the whole service (service_flow)."""
    index = ClientIndex(source)
    source.module.visit(index)
    for construction in index.constructions:
        _plan_construction(source, plan, construction)
    usages = ClientUsagePlanner(source, plan, index)
    source.module.visit(usages)
    return index, usages.consumers


def _plan_construction(source: Source, plan: Plan, call: cst.Call) -> None:
    for arg in call.args:
        if arg.star == "**":
            plan.needs_human(
                rules.CLIENT_ID, source.line(call), source.code(call),
                "Keyword arguments passed with ** are invisible to the codemod; aiomqtt 2 rejects "
                "client_id and message_retry_set with a TypeError.",
                suggestion="In that mapping rename client_id to identifier and drop message_retry_set.",
            )
        keyword = arg.keyword.value if arg.keyword else None
        if keyword not in REMOVED_KEYWORDS or not plan.wants(REMOVED_KEYWORDS[keyword][1]):
            continue
        new_keyword, rule = REMOVED_KEYWORDS[keyword]
        if new_keyword is None:
            plan.removed_args.add(arg)
        else:
            plan.renamed_names[arg.keyword] = new_keyword  # type: ignore[index]
        plan.applied(rule)
    function = source.enclosing_function(call)
    if not (isinstance(function, cst.FunctionDef) and function.asynchronous) and not _needs_running_loop_already(
        source, function
    ):
        plan.needs_human(
            rules.CLIENT_OUTSIDE_COROUTINE, source.line(call), source.statement_code(call),
            "aiomqtt 2 calls asyncio.get_running_loop() in Client.__init__ (0.16 used get_event_loop), so "
            "this raises RuntimeError unless it only ever runs while the event loop is running.",
            suggestion="Create the Client inside the coroutine that uses it (async with Client(...) as client:).",
        )


def _needs_running_loop_already(source: Source, function: cst.FunctionDef | cst.Lambda | None) -> bool:
    """A plain function that itself calls asyncio.create_task() or get_running_loop() already raises
    RuntimeError on 0.16 without a running loop: aiomqtt 2's __init__ asks nothing more of its callers."""
    if not isinstance(function, cst.FunctionDef):
        return False
    return any(
        source.enclosing_function(call) is function and source.qualified_names(call.func) & LOOP_BOUND_CALLS
        for call in m.findall(function.body, m.Call())
    )


class ClientUsagePlanner(cst.CSTVisitor):
    def __init__(self, source: Source, plan: Plan, index: ClientIndex) -> None:
        self.source = source
        self.plan = plan
        self.index = index
        self.consumers: list[ConsumerSite] = []

    def visit_With(self, node: cst.With) -> None:
        if not node.asynchronous:
            return
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and self._consumer_method(call):
                receiver = call.func.value  # type: ignore[attr-defined]
                self.consumers.append(ConsumerSite(node, item, call, self._consumer_method(call), receiver))

    def visit_Call(self, node: cst.Call) -> None:
        self._plan_paho_call(node)
        method = self._consumer_method(node)
        if method and not self._is_async_with_item(node):
            receiver = node.func.value  # type: ignore[attr-defined]
            if method != "messages" or self.index.resolve(receiver) is not None:
                self._plan_unwrapped_stream(node, method, receiver)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in REMOVED_CLIENT_METHODS:
            if self.index.resolve(node.func.value) is not None:
                self._plan_removed_method(node, node.func.attr.value)

    def _plan_unwrapped_stream(self, node: cst.Call, method: str, receiver: cst.BaseExpression) -> None:
        """A stream entered some other way (an exit stack, a manual __aenter__): listed, and when it is one of
        several streams of that client (another in the same function, or itself made in a loop), listed as such."""
        client = self.source.code(receiver)
        unwrapped = (f"{method}() is gone in aiomqtt 2 and is not used as `async with ... as stream: "
                     "async for message in stream`")
        scope = self.source.enclosing_function(node) or self.source.module
        others = [self.source.line(call) for call in m.findall(scope, m.Call(func=m.Attribute(attr=m.Name())))
                  if call is not node and self._consumer_method(call) and self.source.code(call.func.value) == client]
        in_loop = self.source.in_loop_within_function(node)
        if not others and not in_loop:
            self.plan.needs_human(
                rules.STREAM_NOT_REWRITABLE, self.source.line(node), self.source.statement_code(node),
                unwrapped + ", so the codemod cannot move its loop.",
                suggestion=f"async for message in {client}.messages: ...",
            )
            return
        why = ["it is made in a loop (one stream per iteration)"] if in_loop else []
        why += [f"`{client}` has other streams at line{'s' if len(others) > 1 else ''} "
                + ", ".join(str(line) for line in sorted(others))] if others else []
        self.plan.needs_human(
            rules.SEVERAL_CONSUMERS, self.source.line(node), self.source.statement_code(node),
            f"{unwrapped}, and {' and '.join(why)}: aiomqtt 2 has one client-wide queue, so each message would "
            "reach only one of these consumers.",
            suggestion=DISTRIBUTOR_SUGGESTION.format(client=client),
        )

    def _plan_removed_method(self, node: cst.Call, method: str) -> None:
        """connect()/disconnect() are the context manager's entry and exit (upstream migration guide)."""
        client = self.source.code(node.func.value)  # type: ignore[attr-defined]
        unknown = [arg for arg in node.args if arg.star or arg.keyword is None or arg.keyword.value != "timeout"]
        if method in CONTEXT_METHODS and not unknown and self.plan.wants(rules.CONNECT_AS_CONTEXT):
            self.plan.method_calls[node] = CONTEXT_METHODS[method]
            self.plan.applied(rules.CONNECT_AS_CONTEXT)
            if node.args:
                self.plan.needs_human(
                    rules.CONNECT_DISCONNECT, self.source.line(node), self.source.statement_code(node),
                    f"{method}() became {CONTEXT_METHODS[method][0]}(), which takes no timeout: aiomqtt 2 uses "
                    "Client(timeout=...) (default 10 s) for connecting, disconnecting and every publish/subscribe, "
                    f"so the codemod dropped `{self.source.code(node.args[0]).rstrip(',')}`.",
                    suggestion=f"Client(..., timeout={self.source.code(node.args[0].value)}) if every operation "
                    "may wait that long",
                )
            return
        template = DISCONNECT_SUGGESTIONS.get(method)
        self.plan.needs_human(
            rules.CONNECT_DISCONNECT, self.source.line(node), self.source.statement_code(node),
            f"Client.{method}() was removed in aiomqtt 2.0 and has no equivalent; a client is used as an async "
            "context manager and is reusable but not reentrant (MqttReentrantError)."
            if template is None else
            f"Client.{method}() was removed in aiomqtt 2.0 and this call passes arguments the codemod cannot map.",
            suggestion=template.format(client=client) if template else
            f"await {client}.__aexit__(None, None, None)  # graceful; aiomqtt 2 has no forced disconnect",
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attribute = node.attr.value
        if attribute not in ("id", "_client") or self.index.resolve(node.value) is None:
            return
        if attribute == "id" and self.plan.wants(rules.CLIENT_ID_ATTRIBUTE):
            self.plan.renamed_names[node.attr] = "identifier"
            self.plan.applied(rules.CLIENT_ID_ATTRIBUTE)
        elif attribute == "_client":
            self.plan.needs_human(
                rules.PAHO_INTERNALS, self.source.line(node), self.source.statement_code(node),
                "The wrapped paho client is now paho-mqtt 2.1.0 (callback_api_version, ReasonCode "
                "arguments in callbacks); code reaching into it must follow the paho 2 API.",
            )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(self.index.is_client_class(base.value) for base in node.bases):
            self.plan.needs_human(
                rules.PAHO_INTERNALS, self.source.line(node), self.source.code(node),
                "Subclasses of Client depend on its internals, which aiomqtt 2 rewrote (client-wide queue, "
                "paho 2 callbacks, no connect/disconnect).",
            )

    def _plan_paho_call(self, node: cst.Call) -> None:
        """paho's own Client changed in 2.x; its other names (MQTTMessage, Properties, ...) did not."""
        names = self.source.qualified_names(node.func)
        if names & PAHO_CLIENT_NAMES:
            first = node.args[0] if node.args else None
            if any(arg.keyword is not None and arg.keyword.value == "callback_api_version" for arg in node.args) or (
                first is not None and first.keyword is None and "CallbackAPIVersion" in self.source.code(first.value)
            ):
                return
            positional_id = first is not None and first.keyword is None and not first.star
            if isinstance(node.func, cst.Attribute) and self.plan.wants(rules.PAHO_CALLBACK_API_VERSION):
                self._pin_callback_api_version_1(node, node.func, positional_id)
                return
            self.plan.needs_human(
                rules.PAHO_INTERNALS, self.source.line(node), self.source.statement_code(node),
                "paho-mqtt moves to 2.1.0 with aiomqtt: its Client's first parameter is now callback_api_version"
                + (", so this positional client id raises ValueError" if positional_id else
                   "; without it the deprecated version-1 callback API is used (DeprecationWarning)")
                + " and version-2 callbacks receive ReasonCode/Properties arguments.",
                suggestion="mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=...) and paho 2 callback signatures",
            )
        elif names & PAHO_MESSAGE_NAMES:
            self.plan.needs_human(
                rules.PAHO_INTERNALS, self.source.line(node), self.source.statement_code(node),
                "aiomqtt 2 yields aiomqtt.Message, whose topic is a Topic (not a str): a hand-built paho MQTTMessage "
                "no longer looks like the messages the client delivers (migrated code reads message.topic.value).",
                suggestion="aiomqtt.Message(topic, payload, qos=0, retain=False, mid=0, properties=None)",
            )

    def _pin_callback_api_version_1(self, node: cst.Call, func: cst.Attribute, positional_id: bool) -> None:
        """paho 2's Client(callback_api_version, client_id, clean_session, ...) is 1.x's signature with one new
        first parameter: passing VERSION1 there keeps every positional argument and every 1.x callback."""
        module = self.source.code(func.value)
        self.plan.prepended_args[node] = cst.parse_expression(f"{module}.CallbackAPIVersion.VERSION1")
        self.plan.applied(rules.PAHO_CALLBACK_API_VERSION)
        self.plan.needs_human(
            rules.PAHO_INTERNALS, self.source.line(node), self.source.statement_code(node),
            "paho-mqtt moves to 2.1.0 with aiomqtt: its Client's new first parameter callback_api_version is now "
            f"passed as {module}.CallbackAPIVersion.VERSION1"
            + (" (the positional client id stays the client id)" if positional_id else "")
            + ", which keeps the 1.x callback signatures; paho warns (DeprecationWarning) on every such client, "
            "so a test run with warnings as errors fails until the callbacks move to VERSION2.",
            suggestion=f"{module}.Client({module}.CallbackAPIVersion.VERSION2, ...) with paho 2 callback signatures "
            "(reason codes and properties arguments)",
        )

    def _consumer_method(self, call: cst.Call) -> str | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in CONSUMER_METHODS:
            return func.attr.value
        return None

    def _is_async_with_item(self, call: cst.Call) -> bool:
        item = self.source.parents.get(call)
        statement = self.source.parents.get(item) if item is not None else None
        return isinstance(item, cst.WithItem) and isinstance(statement, cst.With) and statement.asynchronous is not None
