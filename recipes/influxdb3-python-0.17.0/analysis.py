"""Per-module analysis: decide every rewrite and every manual item on the ORIGINAL tree.

The rules live in mixins, one module each; this class holds their shared state and bookkeeping.
Order matters: write APIs are analysed before imports because a write-option name (SYNCHRONOUS,
WriteOptions, WriteType) is dropped from the import only when all its uses were rewritten away.
"""
from __future__ import annotations

from collections import Counter

import libcst as cst
from libcst.metadata import Assignment

from bot.model import ManualItem

from .api_rules import OtherApiRules
from .client_rules import ClientRules
from .database_rule import DatabaseRule
from .edits import Plan
from .helper_flow import HelperFlow
from .facts import FromImport, ModuleImport, NodeCollector, WriteSite
from .import_rules import ImportRules
from .module_context import ModuleContext
from .write_rules import WriteApiRules


class ModuleAnalysis(ImportRules, ClientRules, WriteApiRules, OtherApiRules, DatabaseRule):
    def __init__(self, ctx: ModuleContext, flow: HelperFlow) -> None:
        self.ctx = ctx
        self.flow = flow
        self.plan = Plan()
        self.applied: Counter = Counter()  # (rule, description) -> count
        self.manual: list[ManualItem] = []
        self.blocking: list[ManualItem] = []
        self.uses_dataframes = False
        collector = NodeCollector()
        ctx.module.visit(collector)
        self.nodes = collector
        self.from_imports: list[FromImport] = []
        self.module_imports: list[ModuleImport] = []
        self.client_refs: list[cst.CSTNode] = []
        self.kept_v2_imports: list[cst.CSTNode] = []  # import statements still naming influxdb_client
        self.async_refs: list[cst.CSTNode] = []
        self.constructors: list[cst.Call] = []
        self.client_codes: set[str] = set()
        self.consumed: set[cst.CSTNode] = set()
        self.write_sites: list[WriteSite] = []
        self.unrewritten_write_apis = 0
        # Buckets read or deleted (by normalised code; None = unknown), for the single-bucket rule.
        self.other_buckets: list[str | None] = []
        self._self_attrs = None


    def run(self) -> "ModuleAnalysis":
        self._find_imports()
        self._find_dynamic_imports()
        self._client_references()
        for call in self.constructors:
            self._constructor(call)
        self._collect_client_codes()
        self._write_apis()
        self._helper_parameters()
        self._shared_write_api_uses()
        self._other_apis()
        self._database()
        self._plan_imports()
        return self


    # --- bookkeeping -----------------------------------------------------------------------

    def _applied(self, rule: str, description: str, count: int = 1) -> None:
        self.applied[(rule, description)] += count


    def _item(self, rule: str, node: cst.CSTNode, reason: str, suggestion: str | None = None,
              blocking: bool = False) -> None:
        item = ManualItem(file=self.ctx.path, line=self.ctx.line(node), old_code=self.ctx.statement_code(node),
                          reason=reason, rule=rule, suggestion=suggestion)
        if item not in self.manual:
            self.manual.append(item)
        if blocking:
            self.blocking.append(item)


    def _position(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.ctx.position(node).start
        return start.line, start.column


    def _is_attribute_name(self, name: cst.Name) -> bool:
        parent = self.ctx.parent(name)
        return isinstance(parent, cst.Attribute) and parent.attr is name


    def _may_be_influx(self, receiver: cst.BaseExpression) -> bool:
        """In a module that never imports influxdb_client, only receivers named like a client count."""
        if self.from_imports or self.module_imports:
            return True
        code = self.ctx.code(receiver).lower()
        return "influx" in code or "client" in code


    # --- self attributes -------------------------------------------------------------------

    def _self_class(self, name: cst.Name) -> cst.ClassDef | None:
        """The class whose instance `name` is (the first parameter of one of its methods)."""
        for assignment in self.ctx.visible_assignments(name, name.value):
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Param):
                params = self.ctx.parent(assignment.node)
                function = self.ctx.parent(params) if params is not None else None
                if (isinstance(function, cst.FunctionDef) and function.params.params
                        and function.params.params[0] is assignment.node):
                    return self.ctx.method_class(function)
        return None


    def _self_name_of(self, node: cst.CSTNode) -> str | None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return node.value.value
        return self.ctx.self_name(self.ctx.enclosing_function(node))


    def _all_self_attributes(self, owner: cst.ClassDef) -> dict:
        if self._self_attrs is None:
            self._self_attrs = {}
            for attribute in self.nodes.attributes:
                if not isinstance(attribute.value, cst.Name):
                    continue
                cls = self._self_class(attribute.value)
                if cls is None:
                    continue
                stores, loads = self._self_attrs.setdefault(id(cls), {}).setdefault(attribute.attr.value, ([], []))
                (stores if self._is_store(attribute) else loads).append(attribute)
        return self._self_attrs.get(id(owner), {})


    def _self_attribute_uses(self, owner: cst.ClassDef, attr: str):
        return self._all_self_attributes(owner).get(attr, ([], []))


    def _is_store(self, node: cst.CSTNode) -> bool:
        parent = self.ctx.parent(node)
        if isinstance(parent, cst.AssignTarget) or isinstance(parent, cst.AugAssign):
            return True
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return True
        return isinstance(parent, cst.Del)

