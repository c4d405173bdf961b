"""asyncio-mqtt 0.16 -> aiomqtt 2.4.0 (with paho-mqtt 2.1.0).

Requirements are edited by the static [[requirements]] of recipe.toml (asyncio-mqtt -> aiomqtt==2.4.0
and paho-mqtt==2.1.0 together: either alone leaves the service uninstallable or crashing). This
codemod rewrites the code; see rules.py for what each rule does and mqtt_names.py for the API tables.
"""
from __future__ import annotations

import libcst as cst

from bot.codemod import Codemod
from bot.model import AppliedChange, CodemodResult, ServiceSource

from . import rules
from .api_planner import plan_client_api
from .applier import PlanApplier
from .import_planner import ImportPlanner
from .plan import Plan
from .source import Source

# Files mentioning none of these cannot hold anything this recipe rewrites or flags.
RELEVANT_WORDS = ("asyncio_mqtt", "aiomqtt", "paho")
CONSUMER_RULES = (rules.MESSAGES_CONTEXT, rules.UNFILTERED_MESSAGES, rules.FILTERED_MESSAGES)
QUEUE_NOTE = (
    "aiomqtt 2 fills one client-wide queue from the moment the client connects: messages that arrive "
    "between subscribe() and the start of the `async for` loop are now delivered (0.16 dropped them), "
    "and the queue is unbounded unless Client(max_queued_incoming_messages=N) is set."
)


class AiomqttCodemod(Codemod):
    RULES = rules.RULES

    def migrate(self, service: ServiceSource) -> CodemodResult:
        result = CodemodResult()
        for path, text in sorted(service.python_files().items()):
            if not any(word in text for word in RELEVANT_WORDS):
                continue
            try:
                plan, new_text = migrate_file(path, text)
            except cst.ParserSyntaxError as error:
                result.notes.append(f"{path} was left unchanged: libcst cannot parse it ({error.message}).")
                continue
            if new_text != text:
                result.changed[path] = new_text
            result.applied.extend(
                AppliedChange(file=path, rule=rule, description=rules.RULES[rule], count=count)
                for rule, count in sorted(plan.counts.items())
            )
            result.manual.extend(plan.manual)
        if any(change.rule in CONSUMER_RULES for change in result.applied):
            result.notes.append(QUEUE_NOTE)
        return result


def migrate_file(path: str, text: str, skipped_rules: frozenset[str] = frozenset()) -> tuple[Plan, str]:
    source = Source(path, text)
    plan = Plan(path, skipped_rules=skipped_rules)
    source.module.visit(ImportPlanner(source, plan))
    plan_client_api(source, plan)
    plan.manual.sort(key=lambda item: (item.line, item.rule))
    return plan, source.module.visit(PlanApplier(plan)).code
