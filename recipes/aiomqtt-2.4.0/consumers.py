"""MQ007-MQ015 and MQ019: message consumers.

0.16 let every `async with client.messages()/filtered_messages(F)/unfiltered_messages() as stream`
own a queue; aiomqtt 2 has one client-wide queue read with `async for m in client.messages`. So a
consumer is rewritten only when it is provably the client's only one: otherwise the rewrite would
split or starve messages between consumers, and a human must add a distributor.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from . import rules
from .mqtt_names import PAHO_ONLY_MESSAGE_ATTRIBUTES, STR_METHODS
from .plan import LoopRewrite, Plan
from .source import Source
from .streams import StreamUses, stream_statement, stream_uses

KIND_RULES = {
    "messages": rules.MESSAGES_CONTEXT,
    "unfiltered_messages": rules.UNFILTERED_MESSAGES,
    "filtered_messages": rules.FILTERED_MESSAGES,
}
TOPIC_AWARE_ATTRIBUTES = ("value", "matches")
DISTRIBUTOR_SUGGESTION = (
    "Iterate `async for message in {client}.messages` in ONE task and hand each message to the consumer "
    "it belongs to (message.topic.matches(filter)) through a per-consumer asyncio.Queue."
)


# The one Client() a consumer reads: the call, and the file (source, plan) where it is made.
Creation = tuple[cst.Call, Source, Plan]


@dataclass(eq=False)
class ConsumerSite:
    statement: cst.With
    item: cst.WithItem
    call: cst.Call
    kind: str
    receiver: cst.BaseExpression


@dataclass(frozen=True)
class Verdict:
    """What the service-wide count says about one consumer site."""

    rule: str | None = None  # None: the site is its client's only consumer and is rewritten
    reason: str = ""
    several: bool = False  # provably one of several consumers of one client (else: not provably alone)
    construction: cst.Call | None = None  # where the single client is created, when provably one place
    construction_path: str | None = None  # the file holding that construction


def plan_consumers(source: Source, plan: Plan, verdicts: dict[ConsumerSite, Verdict],
                   plans: dict[str, tuple[Source, Plan]]) -> None:
    """plans: every planned file of the service, for edits where a client is created in another file."""
    for site, verdict in verdicts.items():
        if verdict.several:
            _manual(source, plan, site, rules.SEVERAL_CONSUMERS, verdict.reason,
                    suggestion=DISTRIBUTOR_SUGGESTION.format(client=source.code(site.receiver)))
        elif verdict.rule is not None:
            suffix = "  # only if this is the client's single consumer" if verdict.rule == rules.SEVERAL_CONSUMERS else ""
            _manual(source, plan, site, verdict.rule, verdict.reason, suggestion=_suggested_loop(source, site) + suffix)
        elif plan.wants(KIND_RULES[site.kind]):
            creation = plans.get(verdict.construction_path) if verdict.construction is not None else None
            _rewrite_consumer(source, plan, site, (verdict.construction, *creation) if creation else None)


def _rewrite_consumer(source: Source, plan: Plan, site: ConsumerSite, creation: Creation | None) -> None:
    if site.item.asname is None or not isinstance(site.item.asname.name, cst.Name):
        _manual(source, plan, site, rules.STREAM_NOT_REWRITABLE,
                "The stream is not bound to a plain name (`as messages`), so its uses cannot be found.",
                suggestion=_suggested_loop(source, site))
        return
    uses = stream_uses(source, site.item.asname.name, site.statement)
    if isinstance(uses, str) or not (uses.loops or uses.reads or uses.others):
        reason = uses if isinstance(uses, str) else f"The stream `{site.item.asname.name.value}` is never used in its block."
        _manual(source, plan, site, rules.STREAM_NOT_REWRITABLE, reason, suggestion=_suggested_loop(source, site))
        return
    topic_filter = _topic_filter(site.call) if site.kind == "filtered_messages" else None
    if site.kind == "filtered_messages" and topic_filter is None:
        _manual(source, plan, site, rules.STREAM_NOT_REWRITABLE, "The topic filter is not a plain argument.",
                suggestion=_suggested_loop(source, site))
        return
    if _loops_read_client(source, site, uses):
        for loop in uses.loops:
            plan.loops[loop] = LoopRewrite(client=site.receiver, topic_filter=topic_filter)
    else:  # the stream itself is kept, as an object that reads the client's queue
        statement = stream_statement(source, site.item.asname.name.value, site.receiver, topic_filter,
                                     uses.generator_needed)
        plan.stream_statements.setdefault(site.statement, []).append(statement)
        _plan_handed_on(source, plan, site, uses.others)
    for loop in uses.loops:
        if isinstance(loop.target, cst.Name):
            _plan_message_uses(source, plan, site.kind, loop.target, loop)
    for variable in uses.reads:
        _plan_message_uses(source, plan, site.kind, variable, source.enclosing_function(variable) or source.module)
    plan.unwrapped_items.setdefault(site.statement, set()).add(site.item)
    plan.applied(KIND_RULES[site.kind])
    _plan_queue_maxsize(source, plan, site, creation)


def _loops_read_client(source: Source, site: ConsumerSite, uses: StreamUses) -> bool:
    """True when every use is an `async for` loop that can read `client.messages` itself (the usual shape)."""
    if uses.reads or uses.others:
        return False
    if site.kind == "filtered_messages" and not all(isinstance(loop.target, cst.Name) for loop in uses.loops):
        return False  # the guard `if not <target>.topic.matches(...)` needs a plain loop variable
    return all(source.enclosing_function(loop) is source.enclosing_function(site.statement)
               or _same_meaning(source, site.receiver, site.statement, loop) for loop in uses.loops)


def _plan_handed_on(source: Source, plan: Plan, site: ConsumerSite, others: list[cst.Name]) -> None:
    """A filtered/unfiltered stream's messages change type wherever they go: list where they are handed on."""
    if site.kind == "messages":
        return  # messages() already yielded aiomqtt-style messages whose topic is a Topic
    for use in others:
        plan.needs_human(
            rules.MESSAGE_LEAVES_LOOP, source.line(use), source.statement_code(use),
            f"The stream `{use.value}` is used here other than by `async for`; its messages are now aiomqtt.Message, "
            "whose topic is a Topic, not a str, wherever they are read.",
            suggestion="Use message.topic.value where the topic is read as a str.")


def _plan_message_uses(source: Source, plan: Plan, kind: str, variable: cst.Name, region: cst.CSTNode) -> None:
    """What a message's changed type means for each use, within `region` (its loop, or its function), of
    the variable a message is bound to."""
    scope = source.scopes.get(variable)
    if scope is None:
        return
    assignments = scope.assignments[variable.value]
    if any(a.node is not variable and source.is_inside(a.node, region) for a in assignments):
        if kind != "messages":
            statement = source.statement_of(variable)
            plan.needs_human(rules.MESSAGE_LEAVES_LOOP, source.line(statement), source.code(statement),
                             f"`{variable.value}` is reassigned, so the uses of its topic cannot be traced.")
        return
    uses = {access.node for a in assignments if a.node is variable for access in a.references}
    for use in sorted((u for u in uses if source.is_inside(u, region) and u is not variable), key=source.line):
        parent = source.parents.get(use)
        if isinstance(parent, cst.Attribute) and parent.value is use:
            if parent.attr.value == "topic":
                _plan_topic_use(source, plan, kind, parent)
            elif parent.attr.value in PAHO_ONLY_MESSAGE_ATTRIBUTES and kind != "messages":
                plan.needs_human(rules.MESSAGE_LEAVES_LOOP, source.line(use), source.statement_code(use),
                                 f"aiomqtt.Message has no `{parent.attr.value}` (it was paho's MQTTMessage).")
        elif kind != "messages":
            plan.needs_human(rules.MESSAGE_LEAVES_LOOP, source.line(use), source.statement_code(use),
                             "The message leaves the loop; its topic is now an aiomqtt Topic, not a str, wherever "
                             "it is used next.",
                             suggestion="Use message.topic.value where the topic is read as a str.")


def _plan_topic_use(source: Source, plan: Plan, kind: str, topic: cst.Attribute) -> None:
    parent = source.parents.get(topic)
    if isinstance(parent, cst.Attribute) and parent.value is topic and parent.attr.value in TOPIC_AWARE_ATTRIBUTES:
        return
    if isinstance(parent, cst.AssignTarget):
        return
    if kind != "messages":
        if not plan.wants(rules.TOPIC_AS_STRING):
            return
        plan.topic_values.add(topic)
        plan.applied(rules.TOPIC_AS_STRING)
        return
    if _used_as_str(source, topic, parent):
        plan.needs_human(rules.TOPIC_ALREADY_OBJECT, source.line(topic), source.statement_code(topic),
                         "messages() already yielded a Topic on 0.16, so this str use never matched or "
                         "raised; the migration keeps that behaviour but it is almost certainly a bug.",
                         suggestion=f"{source.code(topic)}.value")


def _used_as_str(source: Source, topic: cst.Attribute, parent: cst.CSTNode | None) -> bool:
    if isinstance(parent, cst.Attribute) and parent.value is topic:
        return parent.attr.value in STR_METHODS
    if isinstance(parent, cst.Subscript) and parent.value is topic:
        return True
    comparison = source.parents.get(parent) if isinstance(parent, cst.ComparisonTarget) else parent
    if isinstance(comparison, cst.Comparison):
        operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        return any(isinstance(o, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) for o in operands)
    return False


def _plan_queue_maxsize(source: Source, plan: Plan, site: ConsumerSite, creation: Creation | None) -> None:
    """queue_maxsize moves to the one Client() the consumer reads, in this file or (a literal bound) in another."""
    size = next((arg.value for arg in site.call.args if arg.keyword and arg.keyword.value == "queue_maxsize"), None)
    unbounded = isinstance(size, cst.Integer) and size.evaluated_value == 0  # also aiomqtt 2's default
    if size is None or unbounded or not plan.wants(rules.QUEUE_MAXSIZE):
        return
    suggestion = f"Client(..., max_queued_incoming_messages={source.code(size)})"
    reason = _unplaced_reason(source, size, creation)
    if reason is not None:
        plan.needs_human(rules.QUEUE_MAXSIZE_UNPLACED, source.line(site.call), source.code(site.call),
                         "queue_maxsize moved to the Client constructor (max_queued_incoming_messages) and now "
                         f"bounds the client-wide queue; {reason}", suggestion=suggestion)
        return
    construction, _, created_plan = creation  # type: ignore[misc]
    created_plan.added_kwargs.setdefault(construction, []).append(("max_queued_incoming_messages", size))
    plan.applied(rules.QUEUE_MAXSIZE)


def _unplaced_reason(source: Source, size: cst.BaseExpression, creation: Creation | None) -> str | None:
    """Why the bound cannot move to the client's creation, or None when it can."""
    if creation is None:
        return "the codemod cannot prove the one place where this client is created."
    construction, created_source, _ = creation
    where = f"{created_source.path}:{created_source.line(construction)}"
    if _has_keyword(construction, "max_queued_incoming_messages"):
        return f"the Client() at {where} already sets max_queued_incoming_messages."
    if created_source is source and not _visible_at(source, size, construction):
        return f"`{source.code(size)}` does not mean the same where the client is created ({where})."
    if created_source is not source and not isinstance(size, cst.Integer):
        return f"`{source.code(size)}` is not a literal, and the client is created in another file ({where})."
    return None


def _visible_at(source: Source, expression: cst.BaseExpression, construction: cst.Call) -> bool:
    """True when every name in `expression` means the same thing where the client is constructed."""
    if isinstance(expression, (cst.Integer, cst.SimpleString)):
        return True
    names = _names_in(expression)
    if not names:
        return False
    construction_scope = source.scopes.get(construction)
    for name in names:
        scope = source.scopes.get(name)
        if scope is None or construction_scope is None:
            return False
        here = set(scope[name.value])
        there = set(construction_scope[name.value])
        if not here or here != there:
            return False
        for assignment in here:
            node = getattr(assignment, "node", None)
            assigned_later = node is not None and source.line(node) >= source.line(construction)
            if assignment.scope is construction_scope and assigned_later:
                return False
    return True


def _same_meaning(source: Source, expression: cst.BaseExpression, here: cst.CSTNode, there: cst.CSTNode) -> bool:
    """Every name of `expression` resolves to the same bindings at `here` and at `there`."""
    names = _names_in(expression)
    scope_here, scope_there = source.scopes.get(here), source.scopes.get(there)
    if not names or scope_here is None or scope_there is None:
        return False
    return all(set(scope_here[name.value]) == set(scope_there[name.value]) for name in names)


def _names_in(expression: cst.BaseExpression) -> list[cst.Name]:
    """Names read by an expression made only of names and attribute chains (anything else: [])."""
    if isinstance(expression, cst.Name):
        return [expression]
    if isinstance(expression, cst.Attribute):
        return _names_in(expression.value)
    return []


def _has_keyword(call: cst.Call, keyword: str) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == keyword for arg in call.args)


def _topic_filter(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        if arg.keyword is not None and arg.keyword.value == "topic_filter":
            return arg.value
    return None


def _suggested_loop(source: Source, site: ConsumerSite) -> str:
    client = source.code(site.receiver)
    if site.kind != "filtered_messages" or _topic_filter(site.call) is None:
        return f"async for message in {client}.messages:"
    return (f"async for message in {client}.messages:\n"
            f"    if not message.topic.matches({source.code(_topic_filter(site.call))}):\n"
            "        continue")


def _manual(source: Source, plan: Plan, site: ConsumerSite, rule: str, reason: str, suggestion: str | None) -> None:
    plan.needs_human(rule, source.line(site.statement), source.code(site.statement), reason, suggestion)
