"""What becomes of each message consumer of the service: a fact computed once per service run, which the
consumer rules (MQ007-MQ015, MQ019, MQ011) carry out, each its own part.

A consumer that is its client's only one (consumers.py) becomes `async for m in client.messages` (a filtered
one with `if not m.topic.matches(F): continue`), or `stream = client.messages` when its stream is read
other than by loops. Its messages change type with it (0.16's filtered/unfiltered streams yielded paho
messages whose topic was a str): where the topic is read as a str it becomes `topic.value`, and where a
message leaves the loop it is listed. `queue_maxsize=` moves to the one Client() the consumer reads.

The plan depends on which rules run (`disable`): a consumer whose kind's rule (MQ007, MQ008, MQ009) is off
stays as it is, and so do its messages' topics; with MQ010 off the consumer is rewritten but its topics are
not; with MQ011 off its queue bound neither moves nor is listed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis
from bot.model import ManualItem

from . import ids
from .clients import Clients
from .consumers import SEVERAL, UNKNOWN, ConsumerSite, ServiceFlow, Verdict, consumer_sites, judge_consumers
from .mqtt_names import NEW_PACKAGE, OLD_PACKAGE, PAHO_ONLY_MESSAGE_ATTRIBUTES, RELEVANT_WORDS, STR_METHODS
from .streams import StreamUses, stream_statement, stream_uses

KIND_RULES = {"messages": ids.MESSAGES_CONTEXT, "unfiltered_messages": ids.UNFILTERED_MESSAGES,
              "filtered_messages": ids.FILTERED_MESSAGES}
TOPIC_AWARE_ATTRIBUTES = ("value", "matches")
DISTRIBUTOR_SUGGESTION = (
    "Iterate `async for message in {client}.messages` in ONE task and hand each message to the consumer "
    "it belongs to (message.topic.matches(filter)) through a per-consumer asyncio.Queue."
)


# a consumer's queue settings and the Client() keywords they become: 0.16/1.x `queue_maxsize`, 1.x `queue_class`
QUEUE_KEYWORDS = {"queue_maxsize": "max_queued_incoming_messages", "queue_class": "queue_type"}


@dataclass(frozen=True)
class QueueMove:
    """`messages(queue_maxsize=size, queue_class=Q)` of a consumer goes to
    `Client(..., max_queued_incoming_messages=size, queue_type=Q)`."""

    module: ParsedModule  # where the client is created
    construction: cst.Call
    arguments: tuple[tuple[str, cst.BaseExpression], ...]  # (Client keyword, value)


@dataclass
class SiteRewrite:
    """How one consumer site is rewritten: its loops' topic filters and queue."""

    site: ConsumerSite
    loops: dict[cst.For, cst.BaseExpression | None] = field(default_factory=dict)  # loop -> topic filter
    queue: QueueMove | None = None


@dataclass
class WithRewrite:
    """The `async with` holding rewritten consumers: those items go, stream statements open its body.
    One rule makes the edit (the statement is one node), the others count their own sites."""

    owner: str
    removed: list[cst.WithItem] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)


@dataclass
class ConsumerPlan:
    """The consumer rewrites of a service, and the consumers it leaves as they are."""

    items: list[ManualItem] = field(default_factory=list)
    rewrites: dict[cst.With, list[SiteRewrite]] = field(default_factory=dict)
    statements: dict[cst.With, WithRewrite] = field(default_factory=dict)
    topics: set[cst.Attribute] = field(default_factory=set)
    # consumers left as they are, with the rule listing each (None: its kind's rule is disabled): aiomqtt
    # 2.4.0 has no such method, so each one blocks the migration of the service (MQ024)
    kept: list[tuple[ConsumerSite, str | None]] = field(default_factory=list)

    def items_of(self, rule: str, path: str) -> list[ManualItem]:
        return [item for item in self.items if item.rule == rule and item.file == path]


def consumer_plan(analysis: ServiceAnalysis, clients: Clients, enabled: frozenset[str]) -> ConsumerPlan:
    plan = ConsumerPlan()
    if not analysis.files_mentioning(OLD_PACKAGE, NEW_PACKAGE):
        # A service whose code never names asyncio_mqtt (nor aiomqtt) holds no client of it: `x.messages()`
        # there is some other object's method, not a message consumer to list.
        return plan
    relevant = analysis.files_mentioning(*RELEVANT_WORDS)
    sites = [site for parsed in analysis.modules(relevant) for site in consumer_sites(parsed)]
    verdicts = judge_consumers(ServiceFlow(analysis, clients), sites)
    planner = _Planner(analysis, plan, enabled, frozenset(relevant))
    for site, verdict in verdicts.items():
        planner.site(site, verdict)
    return plan


class _Planner:
    def __init__(self, analysis: ServiceAnalysis, plan: ConsumerPlan, enabled: frozenset[str],
                 relevant: frozenset[str]) -> None:
        self.analysis, self.plan, self.enabled, self.relevant = analysis, plan, enabled, relevant

    def list(self, rule: str, parsed: ParsedModule, node: cst.CSTNode, code: str, reason: str,
             suggestion: str | None = None) -> None:
        item = ManualItem(parsed.path, parsed.line(node), code, reason, rule, suggestion)
        if item not in self.plan.items:
            self.plan.items.append(item)

    def site(self, site: ConsumerSite, verdict: Verdict) -> None:
        parsed = site.module
        if verdict.status == SEVERAL:
            self._manual(site, ids.SEVERAL_CONSUMERS, verdict.reason,
                         DISTRIBUTOR_SUGGESTION.format(client=parsed.header_code(site.receiver)))
        elif verdict.status is not None:
            rule = ids.STREAM_NOT_REWRITABLE if verdict.status == UNKNOWN else ids.SEVERAL_CONSUMERS
            suffix = "" if verdict.status == UNKNOWN else "  # only if this is the client's single consumer"
            self._manual(site, rule, verdict.reason, suggested_loop(site) + suffix)
        elif KIND_RULES[site.kind] in self.enabled:
            self._rewrite(site, verdict)
        else:
            self.plan.kept.append((site, None))

    def _manual(self, site: ConsumerSite, rule: str, reason: str, suggestion: str | None) -> None:
        """The consumer stays as it is, and `rule` lists it."""
        self.list(rule, site.module, site.statement, site.module.header_code(site.statement), reason, suggestion)
        self.plan.kept.append((site, rule))

    def _rewrite(self, site: ConsumerSite, verdict: Verdict) -> None:
        parsed = site.module
        if site.item.asname is None or not isinstance(site.item.asname.name, cst.Name):
            self._manual(site, ids.STREAM_NOT_REWRITABLE,
                         "The stream is not bound to a plain name (`as messages`), so its uses cannot be found.",
                         suggested_loop(site))
            return
        name = site.item.asname.name
        uses = stream_uses(self.analysis, parsed, name, site.statement)
        if isinstance(uses, str) or not (uses.loops or uses.reads or uses.others):
            reason = uses if isinstance(uses, str) else f"The stream `{name.value}` is never used in its block."
            self._manual(site, ids.STREAM_NOT_REWRITABLE, reason, suggested_loop(site))
            return
        topic_filter = topic_filter_of(site.call) if site.kind == "filtered_messages" else None
        if site.kind == "filtered_messages" and topic_filter is None:
            self._manual(site, ids.STREAM_NOT_REWRITABLE, "The topic filter is not a plain argument.",
                         suggested_loop(site))
            return
        rewrite = SiteRewrite(site)
        statement = self.plan.statements.setdefault(site.statement, WithRewrite(owner=KIND_RULES[site.kind]))
        if self._loops_read_client(site, uses):
            rewrite.loops = {loop: topic_filter for loop in uses.loops}
        else:  # the stream itself is kept, as an object that reads the client's queue
            statement.statements.append(stream_statement(parsed, name.value, site.receiver, topic_filter,
                                                         uses.generator_needed))
            self._handed_on(site, uses.others)
        for loop in uses.loops:
            if isinstance(loop.target, cst.Name):
                self._message_uses(site, loop.target, loop)
        for variable in uses.reads:
            self._message_uses(site, variable, parsed.enclosing_function(variable, lambdas=True) or parsed.tree)
        statement.removed.append(site.item)
        rewrite.queue = self._queue_maxsize(site, verdict)
        self.plan.rewrites.setdefault(site.statement, []).append(rewrite)

    def _loops_read_client(self, site: ConsumerSite, uses: StreamUses) -> bool:
        """True when every use is an `async for` loop that can read `client.messages` itself (the usual shape)."""
        parsed = site.module
        if uses.reads or uses.others:
            return False
        if site.kind == "filtered_messages" and not all(isinstance(loop.target, cst.Name) for loop in uses.loops):
            return False  # the guard `if not <target>.topic.matches(...)` needs a plain loop variable
        here = parsed.enclosing_function(site.statement, lambdas=True)
        return all(parsed.enclosing_function(loop, lambdas=True) is here
                   or _same_meaning(parsed, site.receiver, site.statement, loop) for loop in uses.loops)

    def _handed_on(self, site: ConsumerSite, others: list[cst.Name]) -> None:
        """A filtered/unfiltered stream's messages change type wherever they go: listed where they are handed on."""
        if site.kind == "messages":
            return  # messages() already yielded aiomqtt-style messages whose topic is a Topic
        parsed = site.module
        for use in others:
            self.list(ids.MESSAGE_LEAVES_LOOP, parsed, use, _statement_code(parsed, use),
                      f"The stream `{use.value}` is used here other than by `async for`; its messages are now "
                      "aiomqtt.Message, whose topic is a Topic, not a str, wherever they are read.",
                      "Use message.topic.value where the topic is read as a str.")

    def _message_uses(self, site: ConsumerSite, variable: cst.Name, region: cst.CSTNode) -> None:
        """What a message's changed type means for each use, within `region` (its loop, or its function), of
        the variable a message is bound to."""
        parsed, kind = site.module, site.kind
        scope = parsed.scope(variable)
        if scope is None:
            return
        if any(a.node is not variable and parsed.is_inside(a.node, region) for a in scope.assignments[variable.value]):
            if kind != "messages":
                statement = parsed.statement_of(variable)
                self.list(ids.MESSAGE_LEAVES_LOOP, parsed, statement, parsed.header_code(statement),
                          f"`{variable.value}` is reassigned, so the uses of its topic cannot be traced.")
            return
        uses = [u for u in self.analysis.reads_of(parsed, variable) if u is not variable and parsed.is_inside(u, region)]
        for use in sorted(uses, key=parsed.line):
            parent = parsed.parent(use)
            if isinstance(parent, cst.Attribute) and parent.value is use:
                if parent.attr.value == "topic":
                    self._topic_use(site, parent)
                elif parent.attr.value in PAHO_ONLY_MESSAGE_ATTRIBUTES and kind != "messages":
                    self.list(ids.MESSAGE_LEAVES_LOOP, parsed, use, _statement_code(parsed, use),
                              f"aiomqtt.Message has no `{parent.attr.value}` (it was paho's MQTTMessage).")
            elif kind != "messages":
                self.list(ids.MESSAGE_LEAVES_LOOP, parsed, use, _statement_code(parsed, use),
                          "The message leaves the loop; its topic is now an aiomqtt Topic, not a str, wherever "
                          "it is used next.", "Use message.topic.value where the topic is read as a str.")

    def _topic_use(self, site: ConsumerSite, topic: cst.Attribute) -> None:
        parsed = site.module
        parent = parsed.parent(topic)
        if isinstance(parent, cst.Attribute) and parent.value is topic and parent.attr.value in TOPIC_AWARE_ATTRIBUTES:
            return
        if isinstance(parent, cst.AssignTarget):
            return
        if site.kind != "messages":
            if ids.TOPIC_AS_STRING in self.enabled:
                self.plan.topics.add(topic)
            return
        if _used_as_str(parsed, topic, parent):
            self.list(ids.TOPIC_ALREADY_OBJECT, parsed, topic, _statement_code(parsed, topic),
                      "messages() already yielded a Topic on 0.16, so this str use never matched or "
                      "raised; the migration keeps that behaviour but it is almost certainly a bug.",
                      f"{parsed.header_code(topic)}.value")

    def _queue_maxsize(self, site: ConsumerSite, verdict: Verdict) -> QueueMove | None:
        """queue_maxsize (and 1.x's queue_class) move to the one Client() the consumer reads, in this file or (a
        literal bound) in another."""
        parsed, call = site.module, site.call
        given = {arg.keyword.value: arg.value for arg in call.args
                 if arg.keyword is not None and arg.keyword.value in QUEUE_KEYWORDS}
        size = given.get("queue_maxsize")
        if isinstance(size, cst.Integer) and size.evaluated_value == 0:  # also aiomqtt 2's default
            del given["queue_maxsize"]
        if not given or ids.QUEUE_MAXSIZE not in self.enabled:
            return None
        creation = verdict.construction_module if verdict.construction is not None else None
        if creation is not None and creation.path not in self.relevant:
            creation = None
        arguments = tuple((QUEUE_KEYWORDS[old], value) for old, value in given.items())
        reason = next(filter(None, (_unplaced_reason(parsed, keyword, value, creation, verdict.construction)
                                    for keyword, value in arguments)), None)
        if reason is not None:
            moved = ", ".join(f"{keyword}={parsed.header_code(value)}" for keyword, value in arguments)
            self.list(ids.QUEUE_MAXSIZE_UNPLACED, parsed, call, parsed.header_code(call),
                      f"{' and '.join(given)} moved to the Client constructor "
                      f"({', '.join(keyword for keyword, _ in arguments)}) and now applies to the client-wide "
                      f"queue; {reason}",
                      f"Client(..., {moved})")
            return None
        return QueueMove(creation, verdict.construction, arguments)


def _unplaced_reason(parsed: ParsedModule, keyword: str, size: cst.BaseExpression, creation: ParsedModule | None,
                     construction: cst.Call | None) -> str | None:
    """Why the setting cannot move to the client's creation as `keyword`, or None when it can."""
    if creation is None:
        return "the codemod cannot prove the one place where this client is created."
    where = f"{creation.path}:{creation.line(construction)}"
    if any(arg.keyword is not None and arg.keyword.value == keyword for arg in construction.args):
        return f"the Client() at {where} already sets {keyword}."
    if creation is parsed and not _visible_at(parsed, size, construction):
        return f"`{parsed.header_code(size)}` does not mean the same where the client is created ({where})."
    if creation is not parsed and not isinstance(size, cst.Integer):
        return f"`{parsed.header_code(size)}` is not a literal, and the client is created in another file ({where})."
    return None


def _visible_at(parsed: ParsedModule, expression: cst.BaseExpression, construction: cst.Call) -> bool:
    """True when every name in `expression` means the same thing where the client is constructed."""
    if isinstance(expression, (cst.Integer, cst.SimpleString)):
        return True
    names = _names_in(expression)
    if not names:
        return False
    construction_scope = parsed.scope(construction)
    for name in names:
        scope = parsed.scope(name)
        if scope is None or construction_scope is None:
            return False
        here = set(scope[name.value])
        there = set(construction_scope[name.value])
        if not here or here != there:
            return False
        for assignment in here:
            node = getattr(assignment, "node", None)
            assigned_later = node is not None and parsed.line(node) >= parsed.line(construction)
            if assignment.scope is construction_scope and assigned_later:
                return False
    return True


def _same_meaning(parsed: ParsedModule, expression: cst.BaseExpression, here: cst.CSTNode, there: cst.CSTNode) -> bool:
    """Every name of `expression` resolves to the same bindings at `here` and at `there`."""
    names = _names_in(expression)
    scope_here, scope_there = parsed.scope(here), parsed.scope(there)
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


def _used_as_str(parsed: ParsedModule, topic: cst.Attribute, parent: cst.CSTNode | None) -> bool:
    if isinstance(parent, cst.Attribute) and parent.value is topic:
        return parent.attr.value in STR_METHODS
    if isinstance(parent, cst.Subscript) and parent.value is topic:
        return True
    comparison = parsed.parent(parent) if isinstance(parent, cst.ComparisonTarget) else parent
    if isinstance(comparison, cst.Comparison):
        operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        return any(isinstance(o, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) for o in operands)
    return False


def _statement_code(parsed: ParsedModule, node: cst.CSTNode) -> str:
    return parsed.header_code(parsed.statement_of(node))


def topic_filter_of(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
        if arg.keyword is not None and arg.keyword.value == "topic_filter":
            return arg.value
    return None


def suggested_loop(site: ConsumerSite) -> str:
    parsed = site.module
    client = parsed.header_code(site.receiver)
    topic_filter = topic_filter_of(site.call)
    if site.kind != "filtered_messages" or topic_filter is None:
        return f"async for message in {client}.messages:"
    return (f"async for message in {client}.messages:\n"
            f"    if not message.topic.matches({parsed.header_code(topic_filter)}):\n"
            "        continue")
