"""What the aiomqtt rules share: the service's clients and its consumer plan (facts computed once per service
run, whichever rule asks first), and how they list a site."""
from __future__ import annotations

import libcst as cst

from bot.change.rule import Rule

from .clients import Clients
from .consumer_plan import ConsumerPlan, consumer_plan


class MqttRule(Rule):
    @property
    def clients(self) -> Clients:
        return self.fact(Clients, self.analysis)

    @property
    def enabled(self) -> frozenset[str]:
        """Ids of the recipe's rules running in this service run (`disable` leaves the others out)."""
        return self.fact(_enabled, self.run.codemod)

    @property
    def consumers(self) -> ConsumerPlan:
        return self.fact(consumer_plan, self.analysis, self.clients, self.enabled)

    def holds_client(self, expression: cst.BaseExpression) -> bool:
        return self.clients.origin(self.parsed, expression) is not None

    def list(self, node: cst.CSTNode, reason: str, suggestion: str | None = None, *,
             statement: bool = True) -> None:
        """A manual item at `node`'s line showing, as written, the statement holding it (or the node itself)."""
        shown = self.parsed.statement_of(node) if statement else node
        self.report(node, reason, suggestion, code=self.parsed.header_code(shown))

    def report_planned(self) -> None:
        """The consumer plan's items of this rule in the current file."""
        self.add_items(self.consumers.items_of(self.ID, self.path))


def _enabled(codemod) -> frozenset[str]:
    return frozenset(rule.ID for rule in codemod.enabled_rules())
