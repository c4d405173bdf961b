"""asyncio-mqtt 0.16 -> aiomqtt 2.4.0 (with paho-mqtt 2.1.0); facts: shared reference, libraries.md section 4.

Requirements are edited by the static [[requirements]] of recipe.toml (asyncio-mqtt -> aiomqtt==2.4.0
and paho-mqtt==2.1.0 together: either alone leaves the service uninstallable or crashing). The rules
rewrite the code, on the service analysis (bot.analysis): import_rules.py (the package and its error
module), client_rules.py (the Client's keywords, `.id`, connect/disconnect, paho), consumer_rules.py
(message streams), mock_rules.py (tests asserting a mocked Client's keywords); mqtt_names.py holds the
API tables.

Message consumers are decided for the whole service at once (consumer_plan.py, a fact): one client handed
to several coroutines is several consumers of aiomqtt 2's one client-wide queue, so they are listed, and a
consumer that is its client's only one is rewritten by the rule of its kind (MQ007-MQ009), its messages'
topics by MQ010 and its queue bound by MQ011, each carrying out its part of that one decision.

Every rule reads the original tree and the facts, and no two rules edit one node except the consumer rules
on one `async with` (the plan names the one rule that rewrites the statement), so the order below is the
ids' order and only sets the order of the PR's notes.
"""
from __future__ import annotations

from bot.change.doubles import migration_rules
from bot.change.engine import RuleCodemod, ServiceRun

from .client_rules import (
    ClientIdAttribute,
    ClientIdKeyword,
    ClientOutsideCoroutine,
    ConnectAsContext,
    ConnectDisconnect,
    MaxQueuedMessages,
    MessageRetrySet,
    PahoCallbackApiVersion,
    PahoInternals,
)
from .consumer_rules import (
    FilteredMessages,
    MessageLeavesLoop,
    MessagesContext,
    QueueMaxsize,
    QueueMaxsizeUnplaced,
    SeveralConsumers,
    StreamNotRewritable,
    TopicAlreadyObject,
    TopicAsString,
    UnfilteredMessages,
)
from .half_migration import NoHalfMigration
from .import_rules import DottedStrings, ErrorModule, ImportRename, NameWithoutEquivalent
from .mock_rules import MockedClientKeywords
from .mqtt_names import RELEVANT_WORDS


class AiomqttCodemod(RuleCodemod):
    MENTIONS = RELEVANT_WORDS
    RULES = (
        ImportRename,            # MQ001
        ErrorModule,             # MQ002
        DottedStrings,           # MQ003
        ClientIdKeyword,         # MQ004
        MessageRetrySet,         # MQ005
        ClientIdAttribute,       # MQ006
        MessagesContext,         # MQ007
        UnfilteredMessages,      # MQ008
        FilteredMessages,        # MQ009
        TopicAsString,           # MQ010
        QueueMaxsize,            # MQ011
        SeveralConsumers,        # MQ012
        StreamNotRewritable,     # MQ013
        MessageLeavesLoop,       # MQ014
        TopicAlreadyObject,      # MQ015
        ConnectDisconnect,       # MQ016
        PahoInternals,           # MQ017
        ClientOutsideCoroutine,  # MQ018
        QueueMaxsizeUnplaced,    # MQ019
        NameWithoutEquivalent,   # MQ020
        ConnectAsContext,        # MQ021
        MockedClientKeywords,    # MQ022
        PahoCallbackApiVersion,  # MQ023
        NoHalfMigration,         # MQ024
        MaxQueuedMessages,       # MQ025
        *migration_rules(__file__),  # tests follow migration.toml (DBL001-DBL003), import audit (AUD001): last
    )

    def unparsable(self, run: ServiceRun, path: str, error: str) -> None:
        # The files left unread come first in the PR's notes, before what the migration says it did.
        unread = sum(1 for note in run.notes if UNREAD in note)
        run.notes.insert(unread, f"{path}{UNREAD}({error}).")


UNREAD = " was left unchanged: libcst cannot parse it "
