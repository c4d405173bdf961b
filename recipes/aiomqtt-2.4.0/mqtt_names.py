"""Where each public asyncio-mqtt 0.16 name lives in aiomqtt 2.4.0 (read from the installed packages)."""
from __future__ import annotations

# Files mentioning none of these cannot hold anything the recipe rewrites or lists (case-insensitive).
RELEVANT_WORDS = ("asyncio_mqtt", "aiomqtt", "paho", "filtered_messages", "messages(", "client_id")
OLD_PACKAGE = "asyncio_mqtt"
NEW_PACKAGE = "aiomqtt"
# The half-migrated state (import renamed, API untouched) is handled too, so both roots count.
PACKAGES = (OLD_PACKAGE, NEW_PACKAGE)

SUBMODULE_RENAMES = {"error": "exceptions", "client": "client", "types": "types"}

NEW_MODULE_NAMES = {
    "aiomqtt": {
        "Client", "Message", "MessagesIterator", "MqttCodeError", "MqttError", "MqttReentrantError",
        "ProtocolVersion", "ProxySettings", "TLSParameters", "Topic", "TopicLike", "Wildcard",
        "WildcardLike", "Will", "__version__", "__version_tuple__",
    },
    "aiomqtt.exceptions": {"MqttCodeError", "MqttConnectError", "MqttError", "MqttReentrantError"},
    "aiomqtt.types": {
        "P", "PahoSocket", "PayloadType", "SocketOption", "SubscribeTopic", "T", "WebSocketHeaders",
    },
    "aiomqtt.client": {
        "Client", "Message", "MessagesIterator", "MqttCodeError", "MqttConnectError", "MqttError",
        "MqttReentrantError", "MQTT_LOGGER", "PayloadType", "ProtocolVersion", "ProxySettings",
        "SocketOption", "SubscribeTopic", "TLSParameters", "WebSocketHeaders", "Will",
    },
}

CLIENT_QUALIFIED_NAMES = frozenset(
    f"{package}{module}.Client" for package in PACKAGES for module in ("", ".client")
)
CONSUMER_METHODS = ("messages", "unfiltered_messages", "filtered_messages")
REMOVED_CLIENT_METHODS = ("connect", "disconnect", "force_disconnect")
# paho's MQTTMessage had these; aiomqtt.Message keeps only topic, payload, qos, retain, mid, properties.
PAHO_CLIENT_NAMES = frozenset({"paho.mqtt.client.Client"})
PAHO_MESSAGE_NAMES = frozenset({"paho.mqtt.client.MQTTMessage"})
PAHO_ONLY_MESSAGE_ATTRIBUTES = frozenset({"timestamp", "dup", "state", "info"})
STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_"))


def new_module_for(old_module: str) -> str | None:
    """'asyncio_mqtt.error' -> 'aiomqtt.exceptions'; None when 2.4.0 has no such module."""
    parts = old_module.split(".")
    if parts[0] != OLD_PACKAGE:
        return None
    if len(parts) == 1:
        return NEW_PACKAGE
    if len(parts) == 2 and parts[1] in SUBMODULE_RENAMES:
        return f"{NEW_PACKAGE}.{SUBMODULE_RENAMES[parts[1]]}"
    return None


def new_home_of_names(old_module: str, names: list[str]) -> str | None:
    """The one aiomqtt module that provides all `names` imported from `old_module`.

    The top-level package is preferred (its names are the documented API), then the renamed
    submodule; None when no single module has them all.
    """
    if "*" in names:
        return new_module_for(old_module)
    for candidate in (NEW_PACKAGE, new_module_for(old_module)):
        if candidate is not None and set(names) <= NEW_MODULE_NAMES[candidate]:
            return candidate
    return None
