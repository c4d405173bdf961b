"""Stable rule ids of the aiomqtt recipe. Ids are never reused or renumbered: PRs and dashboards cite them."""
from __future__ import annotations

IMPORT_RENAME = "MQ001"
ERROR_MODULE = "MQ002"
DOTTED_STRING = "MQ003"
CLIENT_ID = "MQ004"
MESSAGE_RETRY_SET = "MQ005"
CLIENT_ID_ATTRIBUTE = "MQ006"
MESSAGES_CONTEXT = "MQ007"
UNFILTERED_MESSAGES = "MQ008"
FILTERED_MESSAGES = "MQ009"
TOPIC_AS_STRING = "MQ010"
QUEUE_MAXSIZE = "MQ011"
SEVERAL_CONSUMERS = "MQ012"
STREAM_NOT_REWRITABLE = "MQ013"
MESSAGE_LEAVES_LOOP = "MQ014"
TOPIC_ALREADY_OBJECT = "MQ015"
CONNECT_DISCONNECT = "MQ016"
PAHO_INTERNALS = "MQ017"
CLIENT_OUTSIDE_COROUTINE = "MQ018"
QUEUE_MAXSIZE_UNPLACED = "MQ019"
NAME_WITHOUT_EQUIVALENT = "MQ020"
CONNECT_AS_CONTEXT = "MQ021"
MOCKED_CLIENT_KEYWORDS = "MQ022"
PAHO_CALLBACK_API_VERSION = "MQ023"

RULES = {
    IMPORT_RENAME: "asyncio_mqtt imports and module references -> aiomqtt",
    ERROR_MODULE: "asyncio_mqtt.error -> aiomqtt (top-level names) or aiomqtt.exceptions",
    DOTTED_STRING: "dotted 'asyncio_mqtt.X' strings such as mock.patch targets -> 'aiomqtt.X'",
    CLIENT_ID: "Client(client_id=...) -> Client(identifier=...)",
    MESSAGE_RETRY_SET: "Client(message_retry_set=...) dropped (removed in aiomqtt 2.0)",
    CLIENT_ID_ATTRIBUTE: "client.id -> client.identifier",
    MESSAGES_CONTEXT: "async with client.messages() as ms: async for m in ms -> async for m in client.messages",
    UNFILTERED_MESSAGES: "client.unfiltered_messages() (single consumer) -> async for m in client.messages",
    FILTERED_MESSAGES: "client.filtered_messages(F) (single consumer) -> client.messages"
    " + `if not m.topic.matches(F): continue`",
    TOPIC_AS_STRING: "message.topic from filtered/unfiltered_messages (a str on 0.16) -> message.topic.value",
    QUEUE_MAXSIZE: "messages(queue_maxsize=N) -> Client(max_queued_incoming_messages=N)",
    SEVERAL_CONSUMERS: "manual: several message consumers on one client (or one not provably alone) need a distributor",
    STREAM_NOT_REWRITABLE: "manual: message stream not used as `async with ... as s: async for m in s`,"
    " or receiver not a known Client",
    MESSAGE_LEAVES_LOOP: "manual: a filtered/unfiltered message leaves its loop or uses paho-only attributes",
    TOPIC_ALREADY_OBJECT: "manual: messages() topic compared to/used as a str (already wrong on 0.16)",
    CONNECT_DISCONNECT: "manual: force_disconnect() (no equivalent), or a connect()/disconnect() timeout or"
    " receiver the codemod cannot carry over",
    PAHO_INTERNALS: "manual: direct paho-mqtt use (client._client, paho imports, Client subclasses) must follow paho 2",
    CLIENT_OUTSIDE_COROUTINE: "manual: Client() outside a coroutine; aiomqtt 2 needs a running event loop in __init__",
    QUEUE_MAXSIZE_UNPLACED: "manual: queue_maxsize whose Client construction the codemod cannot see",
    NAME_WITHOUT_EQUIVALENT: "manual: asyncio_mqtt name with no single aiomqtt 2.4.0 home",
    CONNECT_AS_CONTEXT: "client.connect() -> client.__aenter__(), client.disconnect() -> client.__aexit__(None, None, None)",
    MOCKED_CLIENT_KEYWORDS: "tests asserting a mocked Client's constructor keywords: client_id= -> identifier=",
    PAHO_CALLBACK_API_VERSION: "paho mqtt.Client(...) -> mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, ...)"
    " (paho 2 signature, 1.x callbacks kept)",
}

MANUAL_RULES = frozenset(rule for rule, text in RULES.items() if text.startswith("manual:"))
