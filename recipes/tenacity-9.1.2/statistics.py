"""TEN001 and TEN008: `fn.retry.statistics` reads (silently `{}` on 9.x for a @retry function)."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import ExpressionContext

from bot.change.rule import MANUAL, REWRITE, Invalid, Rule, Valid

from .service_index import Definition, ParsedModule, ServiceIndex, walk

STATISTICS_NOTE = (
    "`fn.retry.statistics` reads now use `fn.statistics`. On tenacity 9.x the old spelling does not fail, it "
    "returns `{}`, so logs and metrics would have gone blank; `fn.statistics` does not exist on 8.x, so these "
    "edits must ship together with the version bump, as here.")


@dataclass(frozen=True)
class StatisticsRead:
    """What one `<receiver>.retry.statistics` read is: the @retry function it reads, if any."""

    receiver: cst.BaseExpression
    definition: Definition | None  # the @retry function or method `receiver` denotes
    proven: bool  # False: matched by its name alone (the only @retry function of that name)
    stale: str | None  # why a dict captured here would stay stale ("at import time", "before the call ...")


def statistics_read(index: ServiceIndex, parsed: ParsedModule, node: cst.Attribute) -> StatisticsRead | None:
    """The read `node` is, or None when it is not `<x>.retry.statistics` loaded."""
    if not (node.attr.value == "statistics" and isinstance(node.value, cst.Attribute)
            and node.value.attr.value == "retry" and parsed.context(node) is ExpressionContext.LOAD):
        return None
    receiver = node.value.value
    definition, proven = _resolve_receiver(index, parsed, receiver)
    stale = _stale_capture(parsed, node, parsed.code(receiver)) if definition is not None else None
    return StatisticsRead(receiver, definition, proven, stale)


def _resolve_receiver(index: ServiceIndex, parsed: ParsedModule,
                      receiver: cst.BaseExpression) -> tuple[Definition | None, bool]:
    """(the @retry function `receiver` denotes, proven?). Unproven: `x.name` whose receiver's class is
    unknown, and `name` is the only @retry-decorated function or method of that name in the service."""
    analysis = index.analysis
    definition = analysis.definition_of(parsed, receiver)
    if index.is_retry_function(definition):
        return definition, True
    if definition is None and isinstance(receiver, cst.Attribute) and not analysis.receiver_known(parsed, receiver.value):
        same_name = [d for d in index.retry_functions() if d.short == receiver.attr.value]
        if len(same_name) == 1:
            return same_name[0], False
    return None, False


def _stale_capture(parsed: ParsedModule, stats: cst.Attribute, receiver_code: str) -> str | None:
    holder = parsed.parent(stats)
    if not (isinstance(holder, (cst.Assign, cst.AnnAssign)) and holder.value is stats):
        return None
    function = parsed.enclosing_function(stats)
    if function is None:
        return "at import time"
    line = parsed.line(stats)
    for node in walk(function):
        if isinstance(node, cst.Call) and parsed.line(node) > line and parsed.code(node.func) == receiver_code:
            return f"before the call at line {parsed.line(node)}"
    return None


class _StatisticsRule(Rule):
    def read(self, node: cst.Attribute) -> StatisticsRead | None:
        if node.attr.value != "statistics":
            return None  # most attributes: no need to remember anything about them
        return self.fact(statistics_read, self.fact(ServiceIndex, self.analysis), self.parsed, node)


class RetryStatistics(_StatisticsRule):
    ID = "TEN001"
    KIND = REWRITE
    MESSAGE = ("fn.retry.statistics -> fn.statistics when fn is a @retry-decorated function or method of the "
               "service (reached through instances, attribute chains, fixtures, nested scopes; a unique-name "
               "match is rewritten and listed)")
    APPLIED = ("fn.retry.statistics -> fn.statistics (9.x reports a decorated function's statistics there; "
               "fn.retry.statistics is always {})")
    VALID = [
        Valid("""
            from tenacity import Retrying
            retrying = Retrying()
            stats = retrying.statistics
            """, name="a Retrying object keeps .statistics"),
        Valid("""
            from tenacity import retry
            @retry
            def fetch():
                pass
            def speed_up():
                fetch.retry.wait = None
            """, name="patching fn.retry stays"),
    ]
    INVALID = [
        Invalid("""
            from tenacity import retry
            @retry
            def fetch():
                pass
            def report():
                fetch()
                return fetch.retry.statistics["attempt_number"]
            """, after="""
            from tenacity import retry
            @retry
            def fetch():
                pass
            def report():
                fetch()
                return fetch.statistics["attempt_number"]
            """, name="a decorated function"),
        Invalid("""
            def report(client):
                return client.send.retry.statistics
            """, items=[2], name="receiver unknown: listed"),
        Invalid("""
            from tenacity import retry
            @retry
            def fetch():
                pass
            STATS = fetch.retry.statistics
            """, items=[5], name="captured at import time: listed"),
    ]

    def begin_service(self) -> None:
        self.rewritten = 0

    def visit_Attribute(self, node: cst.Attribute) -> None:
        read = self.read(node)
        if read is None:
            return
        receiver_code = self.parsed.code(read.receiver)
        suggestion = f"{receiver_code}.statistics"
        if read.definition is None:
            found = self.analysis.names_of(self.parsed, read.receiver)
            known = self.analysis.definition(next(iter(found))) if len(found) == 1 else None
            what = (f"`{receiver_code}` is defined at {known.module.path}:{known.module.line(known.node)} without "
                    "tenacity's @retry (another decorator may apply it)" if known is not None else
                    f"`{receiver_code}` could not be proven to be a @retry-decorated function of this service")
            self.report(node, f"{what}; if it is one, fn.retry.statistics is silently {{}} on tenacity 9.x and must "
                              "become fn.statistics (which 8.x lacks)", suggestion)
            return
        if read.stale:
            self.report(node, f"the statistics dict is bound to a name {read.stale}: 8.x clears and refills one dict "
                              "in place, 9.x assigns a new dict to fn.statistics on every call, so a reference taken "
                              "before the call stays stale", f"read {receiver_code}.statistics after calling "
                                                               f"{receiver_code}")
            return
        if not read.proven:
            definition = read.definition
            self.report(node, f"rewritten by name: what `{self.parsed.code(read.receiver.value)}` holds could not be "
                              f"proven, and the only @retry-decorated `{definition.short}` of the service is "
                              f"{definition.name} ({definition.describe()}); check that this is the object read here",
                        suggestion)
        self.replace(node, lambda updated: updated.with_changes(value=updated.value.value))
        self.rewritten += 1

    def end_service(self) -> None:
        if self.rewritten:
            self.note(STATISTICS_NOTE)


class StatisticsConcurrency(_StatisticsRule):
    ID = "TEN008"
    KIND = MANUAL
    MESSAGE = "review: fn.statistics read where calls run concurrently (last call wins on 9.x)"
    VALID = [Valid("""
        from tenacity import retry
        @retry
        def fetch():
            pass
        def report():
            fetch()
            return fetch.retry.statistics
        """)]
    INVALID = [Invalid("""
        import threading
        from tenacity import retry
        @retry
        def fetch():
            pass
        def report():
            threading.Thread(target=fetch).start()
            return fetch.retry.statistics
        """, items=[8])]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        read = self.read(node)
        if read is None or read.definition is None or read.stale:
            return
        index = self.fact(ServiceIndex, self.analysis)
        reader_concurrent = index.uses_concurrency(self.parsed)
        if reader_concurrent or index.uses_concurrency(read.definition.module):
            where = self.parsed.path if reader_concurrent else read.definition.module.path
            self.report(node, f"{where} runs work concurrently: 8.x kept statistics per thread, 9.x keeps one "
                              "fn.statistics replaced at the start of every call (last call wins, no aggregation); "
                              "check that this read cannot see another call's statistics")
