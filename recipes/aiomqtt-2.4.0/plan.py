"""The edits planned for one file, keyed by the original libcst nodes they replace.

Planners read the original tree (with metadata, so lines are those of the original text) and fill a
Plan; the applier then makes every edit in one transformation pass.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from bot.model import ManualItem


@dataclass(frozen=True)
class LoopRewrite:
    """`async for m in <stream>` becomes `async for m in <client>.messages`, optionally guarded."""

    client: cst.BaseExpression
    topic_filter: cst.BaseExpression | None = None


@dataclass
class Plan:
    path: str
    # Rules left out on purpose; tests use this to show that each rewrite is needed.
    skipped_rules: frozenset[str] = frozenset()
    renamed_names: dict[cst.Name, str] = field(default_factory=dict)
    replaced_statements: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    replaced_strings: dict[cst.SimpleString, str] = field(default_factory=dict)
    removed_args: set[cst.Arg] = field(default_factory=set)
    added_kwargs: dict[cst.Call, list[tuple[str, cst.BaseExpression]]] = field(default_factory=dict)
    # call -> a first positional argument put before the others: paho's callback_api_version
    prepended_args: dict[cst.Call, cst.BaseExpression] = field(default_factory=dict)
    unwrapped_items: dict[cst.With, set[cst.WithItem]] = field(default_factory=dict)
    # statements that open a `with` block's body: `stream = client.messages` for an unwrapped stream item
    stream_statements: dict[cst.With, list[cst.BaseStatement]] = field(default_factory=dict)
    loops: dict[cst.For, LoopRewrite] = field(default_factory=dict)
    topic_values: set[cst.Attribute] = field(default_factory=set)
    # call -> (new method name, new argument list as code): `c.connect(timeout=5)` -> `c.__aenter__()`
    method_calls: dict[cst.Call, tuple[str, str]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    manual: list[ManualItem] = field(default_factory=list)

    def wants(self, rule: str) -> bool:
        return rule not in self.skipped_rules

    def applied(self, rule: str, count: int = 1) -> None:
        self.counts[rule] += count

    def needs_human(self, rule: str, line: int, old_code: str, reason: str, suggestion: str | None = None) -> None:
        item = ManualItem(
            file=self.path, line=line, old_code=old_code, reason=reason, rule=rule, suggestion=suggestion
        )
        if item not in self.manual:
            self.manual.append(item)
