"""INF001 (the imports move to influxdb_client_3, Point with the client) and INF111 (v2 uses with no v3
counterpart, some of which stop every change)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import libcst as cst
from libcst.helpers import get_full_name_for_node

from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from . import v2_api
from .module_facts import ModuleFacts
from .service_facts import InfluxRule

IMPORTS_NOTE = ("Point, WritePrecision and InfluxDBError moved to influxdb_client_3 together with the client: "
                "InfluxDBClient3 silently ignores a v2 Point, so they must never be split.")
BLOCKED_NOTE = ("No code was changed: some influxdb_client uses cannot be moved safely (see the checklist). "
                "InfluxDBClient3 silently drops a v2 Point and a v2 client silently drops a v3 Point, so the client "
                "and Point only move together, everywhere in the service.")


@dataclass
class ImportPlan:
    """One module's import edits: whole import lines rebuilt, `influxdb_client.X` chains renamed."""

    lines: dict[cst.SimpleStatementLine, Callable] = field(default_factory=dict)
    attributes: dict[cst.Attribute, Callable] = field(default_factory=dict)
    moved: int = 0  # names (and module imports) moved to influxdb_client_3


def import_plan(facts: ModuleFacts, consumed: set, kept: set = frozenset()) -> ImportPlan:
    """Every top-level `from influxdb_client... import` of the module becomes one
    `from influxdb_client_3 import ...` line (at the first one's place, keeping their trailing comments);
    an import inside a block is rewritten in place. A write option name (SYNCHRONOUS, WriteOptions, WriteType)
    goes when every use of it was in a write_api() call rewritten away (`consumed`); a name with no v3
    counterpart stays imported from influxdb_client; ApiException comes from its v3 submodule. InfluxDBClient
    stays imported from influxdb_client too while a construction of this module stays on v2 (`kept`: the
    class references of those constructions, rule INF112)."""
    plan = ImportPlan()
    new_lines: dict[cst.SimpleStatementLine, list] = {}
    merged: list[cst.ImportAlias] = []
    merged_comments: list[cst.TrailingWhitespace] = []  # of the top-level lines merged into one
    first_top_level = None
    top_level = set(facts.parsed.tree.body)
    for from_import in facts.from_imports:
        moved, leftover, elsewhere = [], [], []  # elsewhere: lines importing from a submodule of influxdb_client_3
        staying = 0  # names that stay on influxdb_client only
        for name in from_import.names:
            submodule = v2_api.MOVED_TO_SUBMODULE.get(name.v2_name)
            kept_here = [ref for ref in name.references if ref in kept]
            if submodule is not None:
                elsewhere.append(_from_line(submodule, [name.alias]))
                continue
            if facts.leftover(name) or kept_here:
                leftover.append(name.alias)
                if facts.leftover(name) or len(kept_here) == len(name.references):
                    staying += 1
                    continue
            if not (name.v2_name in v2_api.WRITE_OPTION_NAMES and name.references
                    and all(ref in consumed for ref in name.references)):
                moved.append(cst.ImportAlias(name=cst.Name(v2_api.MOVED_NAMES[name.v2_name]), asname=name.alias.asname))
        plan.moved += len(from_import.names) - staying
        if not moved and not elsewhere and len(leftover) == len(from_import.names):
            continue
        lines = []
        trailing = from_import.line.trailing_whitespace  # `# type: ignore`, `# noqa` apply to the new lines too
        if from_import.line in top_level:
            merged.extend(moved)
            if moved:
                merged_comments.append(trailing)
            if first_top_level is None:
                first_top_level = from_import.line
                lines.append(None)  # placeholder for the merged v3 import
        elif moved:
            lines.append(_from_line(v2_api.V3_PACKAGE, moved))
        lines.extend(elsewhere)
        if leftover:
            lines.append(_from_line(get_full_name_for_node(from_import.statement.module), leftover))
        new_lines[from_import.line] = [line if line is None else line.with_changes(trailing_whitespace=trailing)
                                       for line in lines]
    if first_top_level is not None:
        lines = new_lines[first_top_level]
        index = lines.index(None)
        if merged:
            lines[index] = _from_line(v2_api.V3_PACKAGE, merged).with_changes(
                trailing_whitespace=_joined_comments(merged_comments))
        else:
            del lines[index]
    plan.moved += _plan_module_imports(facts, consumed, kept, plan, new_lines)
    plan.lines = {line: _lines_edit(lines) for line, lines in new_lines.items()}
    return plan


def _plan_module_imports(facts: ModuleFacts, consumed: set, kept: set, plan: ImportPlan, new_lines: dict) -> int:
    """`import influxdb_client...` -> `import influxdb_client_3` (kept beside it if a use has no v3 name, or
    names a client construction that stays on v2)."""
    replaced: dict[int, list[cst.ImportAlias]] = {}  # id(old alias) -> aliases in its place
    moved = 0
    for binding in facts.module_imports:
        mapped = [use for use in binding.mapped if use[0] not in kept]
        keep_old = bool(binding.unmapped) or len(mapped) < len(binding.mapped)
        if not mapped:
            continue
        first_asname = binding.aliases[0][2].asname
        new_root = binding.root if (first_asname is not None and not keep_old) else v2_api.V3_PACKAGE
        for attribute, v3_name, _ in mapped:
            plan.attributes[attribute] = (
                lambda updated, r=new_root, n=v3_name: updated.with_changes(value=cst.Name(r), attr=cst.Name(n)))
        still_used = any(root not in consumed for _, _, root in mapped)
        new_alias = cst.ImportAlias(name=cst.Name(v2_api.V3_PACKAGE),
                                    asname=first_asname if new_root == binding.root else None)
        if not still_used:
            new_alias = None  # only configured write APIs that were rewritten away
        for position, (_, _, alias) in enumerate(binding.aliases):
            replaced[id(alias)] = ([alias] if keep_old else []) + (
                [new_alias] if position == 0 and new_alias is not None else [])
        moved += 1
    for binding in facts.module_imports:
        for line, statement, _ in binding.aliases:
            if line in new_lines or not any(id(alias) in replaced for alias in statement.names):
                continue
            aliases = [new for alias in statement.names for new in replaced.get(id(alias), [alias])]
            names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
            new_lines[line] = [line.with_changes(body=[statement.with_changes(names=names)])] if aliases else []
    return moved


def _lines_edit(lines: list[cst.SimpleStatementLine]) -> Callable:
    """The edit putting `lines` where an import line was (its blank lines and comments above stay)."""
    def edit(updated: cst.SimpleStatementLine):
        if not lines:
            return cst.RemovalSentinel.REMOVE
        return cst.FlattenSentinel([lines[0].with_changes(leading_lines=updated.leading_lines), *lines[1:]])
    return edit


def _from_line(module: str, aliases: list[cst.ImportAlias]) -> cst.SimpleStatementLine:
    names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
    return cst.SimpleStatementLine(body=[cst.ImportFrom(module=cst.parse_expression(module), names=names)])


def _joined_comments(trailing: list[cst.TrailingWhitespace]) -> cst.TrailingWhitespace:
    """One line's trailing comment carrying every distinct comment of the lines merged into it."""
    comments = list(dict.fromkeys(t.comment.value for t in trailing if t.comment is not None))
    if not comments:
        return cst.TrailingWhitespace()
    return cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("  ".join(comments)))


class MoveImports(InfluxRule):
    ID = "INF001"
    KIND = REWRITE
    MESSAGE = "influxdb_client imports move to influxdb_client_3 together (InfluxDBClient3 never without Point)"
    APPLIED = "influxdb_client imports -> influxdb_client_3 (Point moves with the client)"
    VALID = [
        Valid("from influxdb_client_3 import InfluxDBClient3, Point\n", name="already v3"),
        Valid("""
            from influxdb_client import *

            client = InfluxDBClient(url="http://localhost:8086")
            """, name="a star import blocks the move"),
    ]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient, Point  # noqa: F401
            from influxdb_client.client.write_api import SYNCHRONOUS
            from influxdb_client.rest import ApiException
            """, after="""
            from influxdb_client_3 import InfluxDBClient3, Point, SYNCHRONOUS  # noqa: F401
            from influxdb_client_3.write_client.rest import ApiException
            """, name="every line moves, into one"),
        Invalid("""
            import influxdb_client as idb

            point = idb.Point("m")
            """, after="""
            import influxdb_client_3 as idb

            point = idb.Point("m")
            """, name="a module import"),
    ]

    def begin_service(self) -> None:
        self.moved = 0

    def begin_file(self) -> None:
        self.plan = None
        if self.blocked:
            return
        writes = self.service.flow.modules.get(self.path)
        consumed = writes.consumed if writes is not None and self.enabled("INF006") else set()
        self.plan = import_plan(self.facts, consumed, self.service.kept_references(self.parsed))
        if self.plan.moved:
            self.count(self.plan.moved)
            self.moved += self.plan.moved

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if self.plan is not None and node in self.plan.lines:
            self.replace(node, self.plan.lines[node], count=0)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.plan is not None and node in self.plan.attributes:
            self.replace(node, self.plan.attributes[node], count=0)

    def end_service(self) -> None:
        if self.blocked:
            self.note(BLOCKED_NOTE)
        elif self.moved:
            self.note(IMPORTS_NOTE)


class NoV3Equivalent(InfluxRule):
    ID = "INF111"
    KIND = MANUAL
    MESSAGE = "manual: v2 name or dynamic use of influxdb_client with no v3 equivalent"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        """)]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient, BucketRetentionRules

            rules = BucketRetentionRules(every_seconds=3600)
            """, items=[1], name="a name with no v3 counterpart"),
        Invalid("""
            import importlib

            client_module = importlib.import_module("influxdb_client")
            """, items=[3], name="a dynamic import blocks the move"),
        Invalid("""
            from influxdb_client import InfluxDBClient

            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
            print(client.url)
            """, items=[4], name="a field InfluxDBClient3 keeps private"),
    ]

    def begin_service(self) -> None:
        for path, error in self.service.unparsable:
            self.report_at(path, 1, "", f"The file does not parse ({error}) and mentions influxdb_client; the client is "
                                        "not moved while Point might stay on v2 here.")

    def begin_file(self) -> None:
        facts = self.facts
        for listed in facts.listed:
            self.item(listed.node, listed.reason, listed.suggestion)
        for from_import in facts.from_imports:
            for name in from_import.names:
                if facts.leftover(name) and name.v2_name != v2_api.ASYNC_CLIENT:
                    self.item(from_import.statement,
                              f"{name.v2_name} has no influxdb_client_3 equivalent: its v2 import is kept, so "
                              "influxdb-client stays declared next to influxdb3-python until it is replaced.")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (node.attr.value in v2_api.CLIENT_FIELDS and self.code(node.value) in self.facts.client_codes
                and not _is_store(self.parsed, node)):
            self.item(node, f"InfluxDBClient3 has no public .{node.attr.value} (AttributeError): keep the value passed "
                            "to the constructor (host=, org=, token=) in your own variable or attribute.")


def _is_store(parsed, node: cst.CSTNode) -> bool:
    parent = parsed.parent(node)
    if isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.Del)):
        return True
    return isinstance(parent, cst.AnnAssign) and parent.target is node
