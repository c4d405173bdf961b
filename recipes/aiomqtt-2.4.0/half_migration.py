"""MQ024: no half migration.

A use of the 0.16 API that the codemod cannot move (two consumers of one client, a stream on an exit stack,
force_disconnect(), a name 2.4.0 does not have, ...) would stay in the migrated code and fail there: aiomqtt
2.4.0 has no such method or name. The object cannot keep the old package either: asyncio-mqtt and aiomqtt
install side by side, but aiomqtt 2.4.0 needs paho-mqtt 2 and asyncio-mqtt 0.16's Client() fails on it
(`'Client' object has no attribute 'message_retry_set'`). So the whole service keeps asyncio-mqtt: nothing
is rewritten, nothing is bumped, and the job lists the blocking uses. A service on aiomqtt 1.x (its code imports
aiomqtt, never asyncio_mqtt) stays at 1.x alike: one package cannot be at two versions. Fixed on 0.16 (every listed suggestion
works there too), the next run migrates the service. `disable = ["MQ024"]` migrates the rest anyway and
leaves the blocking uses to fix on the PR.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from bot.change.rule import MANUAL, Invalid, Valid

from .client_rules import ConnectAsContext, ConnectDisconnect, PahoCallbackApiVersion, context_rewrite, paho_client_pin
from .consumer_plan import KIND_RULES
from .consumer_rules import unwrapped_stream
from .facts import MqttRule
from .import_rules import NameWithoutEquivalent, attributes_without_home, from_import_without_home, imports_without_home
from .mqtt_names import OLD_PACKAGE, PAHO_CLIENT_NAMES, REMOVED_CLIENT_METHODS

HELD_BACK = ("asyncio-mqtt stays: aiomqtt 2.4.0 cannot run {count} use(s) of the 0.16 API the codemod cannot move "
             "({places}), and asyncio-mqtt 0.16 cannot run beside the paho-mqtt 2 aiomqtt 2.4.0 needs (MQ024)")
# a service on aiomqtt 1.x (recipe.toml [[also-from]]; its code imports aiomqtt only): one package, one version
HELD_BACK_1X = ("aiomqtt stays at 1.x: aiomqtt 2.4.0 cannot run {count} use(s) of the 1.x API the codemod cannot "
                "move ({places}), and one package cannot be installed at two versions (MQ024)")


@dataclass(frozen=True)
class BlockingUse:
    """A use of the 0.16 API the codemod cannot move, which blocks the service's migration (MQ024)."""

    path: str
    line: int
    code: str
    rule: str  # the rule listing it ("MQ009 disabled" when its rewrite was turned off)

    @property
    def place(self) -> str:
        return f"{self.path}:{self.line} ({self.rule})"


class NoHalfMigration(MqttRule):
    ID = "MQ024"
    KIND = MANUAL
    MESSAGE = ("manual: a use of the 0.16 API the codemod cannot move keeps the service on asyncio-mqtt (no half "
               "migration: the old package cannot run beside aiomqtt 2.4.0's paho-mqtt 2)")
    VALID = [Valid("""
        from asyncio_mqtt import Client


        async def main(host):
            async with Client(host) as client:
                await client.publish("a/b", b"1")
        """)]
    INVALID = [
        Invalid("""
            from asyncio_mqtt import Client


            async def stop(client: Client):
                await client.force_disconnect()
            """, items=[5]),
        Invalid({"svc/split.py": """
            import asyncio

            from asyncio_mqtt import Client


            async def run(host):
                async with Client(host) as client:
                    await asyncio.gather(temperatures(client), humidity(client))


            async def temperatures(client):
                async with client.filtered_messages("t/#") as messages:
                    async for message in messages:
                        print(message.payload)


            async def humidity(client):
                async with client.filtered_messages("h/#") as messages:
                    async for message in messages:
                        print(message.payload)
            """}, items=[("svc/split.py", 12)], name="two consumers of one client: the first one carries the item"),
    ]

    def begin_service(self) -> None:
        self.blocking: list[BlockingUse] = []

    def use(self, node: cst.CSTNode, rule: str) -> None:
        statement = self.parsed.statement_of(node)
        self.blocking.append(BlockingUse(self.path, self.parsed.line(node), self.parsed.header_code(statement),
                                         rule if rule in self.enabled else f"{rule} disabled"))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute):
            stream = unwrapped_stream(self, node)
            if stream is not None:
                self.use(node, stream[0])
            method = node.func.attr.value
            if method in REMOVED_CLIENT_METHODS and self.holds_client(node.func.value):
                if context_rewrite(node, method) is None or ConnectAsContext.ID not in self.enabled:
                    self.use(node, ConnectDisconnect.ID)
        if self.analysis.names_of(self.parsed, node.func) & PAHO_CLIENT_NAMES:
            pin = paho_client_pin(self.parsed, node)  # a positional client id paho 2 takes for the API version
            if pin is not None and pin[1] and (pin[0] is None or PahoCallbackApiVersion.ID not in self.enabled):
                self.use(node, "MQ017")

    def visit_Import(self, node: cst.Import) -> None:
        if imports_without_home(node):
            self.use(node, NameWithoutEquivalent.ID)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if from_import_without_home(node) is not None:
            self.use(node, NameWithoutEquivalent.ID)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if attributes_without_home(self, node):
            self.use(node, NameWithoutEquivalent.ID)

    def end_service(self) -> None:
        for site, rule in self.consumers.kept:
            parsed = site.module
            self.blocking.append(BlockingUse(parsed.path, parsed.line(site.statement),
                                             parsed.header_code(site.statement),
                                             rule or f"{KIND_RULES[site.kind]} disabled"))
        uses = sorted(set(self.blocking), key=lambda u: (u.path, u.line, u.rule))
        if not uses:
            return
        places = ", ".join(use.place for use in uses)
        first = uses[0]
        if not self.analysis.files_mentioning(OLD_PACKAGE):
            self.report_at(first.path, first.line, first.code,
                           f"The service is not migrated: aiomqtt 2.4.0 cannot run these uses of the aiomqtt 1.x API, "
                           f"which the codemod cannot move: {places}. aiomqtt cannot stay at 1.x for them alone (one "
                           "package, one version), so no client of the service moves until they are fixed.",
                           "Fix the listed uses on aiomqtt 1.x (their suggestions work there too, e.g. one consumer "
                           "per client dispatching by topic); the next run migrates the service. Or disable MQ024 to "
                           "migrate the rest and fix them on the PR.")
            self.hold_back(HELD_BACK_1X.format(count=len(uses), places=places))
            return
        self.report_at(first.path, first.line, first.code,
                       f"The service is not migrated: aiomqtt 2.4.0 cannot run these uses of the 0.16 API, which the "
                       f"codemod cannot move: {places}. asyncio-mqtt cannot stay for them alone: it installs beside "
                       "aiomqtt, but its Client() fails on the paho-mqtt 2 that aiomqtt 2.4.0 needs, so no client of "
                       "the service moves until they are fixed.",
                       "Fix the listed uses on asyncio-mqtt 0.16 (their suggestions work there too, e.g. one consumer "
                       "per client dispatching by topic); the next run migrates the service. Or disable MQ024 to "
                       "migrate the rest and fix them on the PR.")
        self.hold_back(HELD_BACK.format(count=len(uses), places=places))

