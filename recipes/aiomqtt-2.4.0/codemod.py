"""asyncio-mqtt 0.16 -> aiomqtt 2.4.0 (with paho-mqtt 2.1.0).

Requirements are edited by the static [[requirements]] of recipe.toml (asyncio-mqtt -> aiomqtt==2.4.0
and paho-mqtt==2.1.0 together: either alone leaves the service uninstallable or crashing). This
codemod rewrites the code; see rules.py for what each rule does and mqtt_names.py for the API tables.
Files are planned one by one, except message consumers, which are counted over the whole service
(consumer_verdicts.py) because one client handed to several coroutines is several consumers.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.analysis import ServiceAnalysis
from bot.codemod import Codemod
from bot.model import AppliedChange, CodemodResult, ServiceSource

from . import rules
from .api_planner import plan_client_api
from .applier import PlanApplier
from .consumer_verdicts import judge_consumers
from .consumers import ConsumerSite, plan_consumers
from .import_planner import ImportPlanner
from .mock_planner import fixture_mock_names, plan_mock_assertions
from .mqtt_names import NEW_PACKAGE, OLD_PACKAGE
from .plan import Plan
from .service_flow import AnalysedFile, ServiceFlow
from .source import Source

# Files mentioning none of these cannot hold anything this recipe rewrites or flags.
RELEVANT_WORDS = ("asyncio_mqtt", "aiomqtt", "paho", "filtered_messages", "messages(", "client_id")
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
        planned, failures = migrate_service(service)
        result.notes.extend(failures)
        for path, (plan, text, new_text) in sorted(planned.items()):
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


@dataclass
class PlannedFile:
    analysed: AnalysedFile
    plan: Plan
    consumers: list[ConsumerSite]


def migrate_service(
    service: ServiceSource, skipped_rules: frozenset[str] = frozenset()
) -> tuple[dict[str, tuple[Plan, str, str]], list[str]]:
    """path -> (plan, old text, new text) for every relevant Python file, and notes on unparsable ones."""
    analysis = ServiceAnalysis.of(service)
    planned: dict[str, PlannedFile] = {}
    failures = []
    for path in analysis.files_mentioning(*RELEVANT_WORDS):
        parsed = analysis.module(path)
        if parsed is None:
            failures.append(f"{path} was left unchanged: libcst cannot parse it ({analysis.syntax_error(path)}).")
            continue
        source = Source(parsed, analysis)
        plan = Plan(path, skipped_rules=skipped_rules)
        source.module.visit(ImportPlanner(source, plan))
        index, consumers = plan_client_api(source, plan)
        planned[path] = PlannedFile(AnalysedFile(path, source, index), plan, consumers)
    fixtures = {name for path in planned for name in fixture_mock_names(analysis, analysis.module(path))}
    for path, planned_file in planned.items():
        plan_mock_assertions(analysis, analysis.module(path), planned_file.plan, fixtures)
    if not analysis.files_mentioning(OLD_PACKAGE, NEW_PACKAGE):
        # A service whose code never names asyncio_mqtt (nor aiomqtt) holds no client of it: `x.messages()`
        # there is some other object's method, not a message consumer to list.
        for planned_file in planned.values():
            planned_file.consumers = []
    flow = ServiceFlow(analysis, {path: p.analysed for path, p in planned.items()})
    verdicts = judge_consumers(flow, [(p.analysed, site) for p in planned.values() for site in p.consumers])
    plans = {path: (p.analysed.source, p.plan) for path, p in planned.items()}
    for planned_file in planned.values():  # before any file is rewritten: a consumer may edit another file
        source, plan = planned_file.analysed.source, planned_file.plan
        plan_consumers(source, plan, {site: verdicts[site] for site in planned_file.consumers}, plans)
    out = {}
    for path, planned_file in planned.items():
        source, plan = planned_file.analysed.source, planned_file.plan
        plan.manual.sort(key=lambda item: (item.line, item.rule))
        out[path] = (plan, analysis.files[path], source.module.visit(PlanApplier(plan)).code)
    return out, failures


def migrate_files(
    files: dict[str, str], skipped_rules: frozenset[str] = frozenset()
) -> tuple[dict[str, tuple[Plan, str, str]], list[str]]:
    return migrate_service(ServiceSource("service", files), skipped_rules)
