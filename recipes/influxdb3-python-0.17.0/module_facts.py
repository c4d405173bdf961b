"""What one module holds of the v2 client, computed once per file (`self.fact(module_facts, parsed)`):

- the names its `from influxdb_client... import` and `import influxdb_client...` lines bind, and every use
  of each (libcst scopes of the shared analysis);
- the uses that stop the client from moving (a star import, an import sharing its line, the module object
  used directly, a dynamic import: InfluxDBClient3 silently drops a v2 Point, so the client moves only
  with every v2 name of the service);
- the client's constructions, the factories called on the class, and the names that hold a client.

Also the small questions about node shapes the rules share (a method called on a receiver, the value
assigned to a target, the source a checklist item shows).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ImportAssignment

from bot.analysis import ParsedModule, walk

from . import v2_api


@dataclass(frozen=True)
class Listed:
    """A use a human must change, as the checks find it (`blocking`: nothing in the service may move)."""

    node: cst.CSTNode
    reason: str
    suggestion: str | None = None
    blocking: bool = False


@dataclass
class NameImport:
    """One name bound by `from influxdb_client... import X [as Y]`."""

    v2_name: str
    alias: cst.ImportAlias
    references: list[cst.CSTNode]
    # Other plain `NAME = ...` bindings of the same name in the same scope (`except ImportError: X = None`):
    # the references may read either one, so a renamed import renames them too.
    rebinds: list[cst.Name] = field(default_factory=list)


@dataclass
class FromImport:
    """A `from influxdb_client... import ...` statement and the names it binds."""

    line: cst.SimpleStatementLine
    statement: cst.ImportFrom
    names: list[NameImport]


@dataclass
class ModuleImport:
    """`import influxdb_client[.sub] [as alias]` statements binding one `root`; uses are chains on it."""

    root: str
    aliases: list[tuple[cst.SimpleStatementLine, cst.Import, cst.ImportAlias]]
    mapped: list[tuple[cst.Attribute, str, cst.Name]] = field(default_factory=list)  # prefix, v3 name, root
    unmapped: list[cst.CSTNode] = field(default_factory=list)

    @property
    def statements(self) -> set:
        return {statement for _, statement, _ in self.aliases}


STAR_IMPORT = ("A star import hides which names come from the v2 client; the codemod will not move "
               "InfluxDBClient while Point might stay on v2 (writes would be silently dropped).")
SHARED_IMPORT_LINE = ("influxdb_client import shares a line with other statements; split the line and run "
                      "the recipe again (the client never moves without Point).")


class ModuleFacts:
    """See the module docstring. `listed` holds the INF111 uses the imports show, in the order found."""

    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        self.calls: list[cst.Call] = parsed.of_type(cst.Call)
        self._imports: list[cst.CSTNode] = parsed.of_type(cst.Import, cst.ImportFrom)
        # the lines holding an import (not `if x: import y`, a SimpleStatementSuite), each once, in source order
        self.import_lines: list[cst.SimpleStatementLine] = list(dict.fromkeys(
            line for line in map(parsed.parent, self._imports) if isinstance(line, cst.SimpleStatementLine)))
        self.from_imports: list[FromImport] = []
        self.module_imports: list[ModuleImport] = []
        self.listed: list[Listed] = []  # INF111
        self.client_refs: list[cst.CSTNode] = []
        self.async_refs: list[cst.CSTNode] = []
        self._find_imports()
        self._find_dynamic_imports()
        self._factories: dict[str, list[cst.Call]] = {}
        self.client_renames: list[cst.Name] = []  # the client class's name where the import is renamed
        self.client_strings: list[cst.SimpleString] = []  # "InfluxDBClient" string annotations
        self._client_references()

    @cached_property
    def names(self) -> list[cst.Name]:
        """The names outside import statements, in source order."""
        in_imports = {id(inner) for statement in self._imports for inner in walk(statement)}
        return [name for name in self.parsed.of_type(cst.Name) if id(name) not in in_imports]

    # ----- imports ------------------------------------------------------------------------------------

    def _find_imports(self) -> None:
        for line in self.import_lines:
            for small in line.body:
                if isinstance(small, cst.ImportFrom):
                    self._from_import(line, small)
                elif isinstance(small, cst.Import):
                    self._module_import(line, small)
        for binding in self.module_imports:
            self._module_references(binding)

    def _from_import(self, line: cst.SimpleStatementLine, statement: cst.ImportFrom) -> None:
        if statement.relative or statement.module is None:
            return
        if not v2_api.is_v2_module(get_full_name_for_node(statement.module)):
            return
        if isinstance(statement.names, cst.ImportStar):
            self.listed.append(Listed(statement, STAR_IMPORT, "import the names explicitly, then run the recipe again",
                                      blocking=True))
            return
        if len(line.body) > 1:
            self.listed.append(Listed(statement, SHARED_IMPORT_LINE, blocking=True))
            return
        scope = self.parsed.scope(statement)
        names = []
        for alias in statement.names:
            local = alias.evaluated_alias or alias.evaluated_name
            references, rebinds = [], []
            if scope is not None:
                for assignment in scope.assignments[local]:
                    if isinstance(assignment, ImportAssignment) and assignment.node is statement:
                        references.extend(access.node for access in assignment.references)
                    elif isinstance(assignment.node, cst.Name) and self._is_plain_target(assignment.node):
                        rebinds.append(assignment.node)
            references.sort(key=self.parsed.source_order)
            names.append(NameImport(alias.evaluated_name, alias, references, rebinds))
        self.from_imports.append(FromImport(line, statement, names))

    def _is_plain_target(self, name: cst.Name) -> bool:
        parent = self.parsed.parent(name)
        return isinstance(parent, (cst.AssignTarget, cst.AnnAssign)) and parent.target is name

    def _module_import(self, line: cst.SimpleStatementLine, statement: cst.Import) -> None:
        for alias in statement.names:
            if not v2_api.is_v2_module(alias.evaluated_name):
                continue
            if len(line.body) > 1:
                self.listed.append(Listed(statement, SHARED_IMPORT_LINE, blocking=True))
                continue
            root = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
            binding = next((b for b in self.module_imports if b.root == root), None)
            if binding is None:
                binding = ModuleImport(root, [])
                self.module_imports.append(binding)
            binding.aliases.append((line, statement, alias))

    def _module_references(self, binding: ModuleImport) -> None:
        for name in self.names:
            if name.value != binding.root or self._is_attribute_name(name):
                continue
            assignments = self.parsed.visible_assignments(name, binding.root)
            if not any(isinstance(a, ImportAssignment) and a.node in binding.statements for a in assignments):
                continue
            prefix = self._mapped_prefix(name)
            if prefix is None:
                if not isinstance(self.parsed.parent(name), cst.Attribute):
                    self.listed.append(Listed(
                        name, f"The {binding.root} module object is used directly; the codemod cannot tell which v2 "
                              "names flow from it, so it will not move the client (Point must move with it).",
                        blocking=True))
                else:
                    binding.unmapped.append(name)
                    self.listed.append(Listed(
                        name, "This v2 name has no influxdb_client_3 equivalent: the v2 import is kept for it, so "
                              "influxdb-client stays declared next to influxdb3-python until this use is replaced."))
                continue
            attribute, v2_name = prefix
            if v2_name == v2_api.ASYNC_CLIENT:
                binding.unmapped.append(name)
                self.async_refs.append(attribute)
                continue
            binding.mapped.append((attribute, v2_api.MOVED_NAMES[v2_name], name))
            if v2_name == v2_api.CLIENT:
                self.client_refs.append(attribute)

    def _is_attribute_name(self, name: cst.Name) -> bool:
        parent = self.parsed.parent(name)
        return isinstance(parent, cst.Attribute) and parent.attr is name

    def _mapped_prefix(self, name: cst.Name) -> tuple[cst.Attribute, str] | None:
        node: cst.CSTNode = name
        while True:
            parent = self.parsed.parent(node)
            if not isinstance(parent, cst.Attribute) or parent.value is not node:
                return None
            attr = parent.attr.value
            if attr in v2_api.MOVED_NAMES or attr == v2_api.ASYNC_CLIENT:
                return parent, attr
            node = parent

    def _find_dynamic_imports(self) -> None:
        for call in self.calls:
            name = get_full_name_for_node(call.func) or ""
            if name.split(".")[-1] not in ("import_module", "__import__") or not call.args:
                continue
            value = call.args[0].value
            if (isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str)
                    and v2_api.is_v2_module(value.evaluated_value)):
                self.listed.append(Listed(
                    call, "Dynamic import of the v2 client: the codemod cannot see which names it provides and will "
                          "not move the client without Point.", blocking=True))

    @property
    def imports_v2(self) -> bool:
        return bool(self.from_imports or self.module_imports)

    def leftover(self, name: NameImport) -> bool:
        """A v2 name with no influxdb_client_3 counterpart: its import stays on influxdb_client."""
        return name.v2_name not in v2_api.MOVED_NAMES and name.v2_name not in v2_api.MOVED_TO_SUBMODULE

    @cached_property
    def kept_v2_imports(self) -> list[cst.CSTNode]:
        """The import statements still naming influxdb_client once the imports move (influxdb-client then
        stays declared)."""
        kept: list[cst.CSTNode] = [i.statement for i in self.from_imports if any(self.leftover(n) for n in i.names)]
        for binding in self.module_imports:
            if binding.unmapped:
                kept.extend(statement for _, statement, _ in binding.aliases)
        return kept

    # ----- the client class ---------------------------------------------------------------------------

    def _client_references(self) -> None:
        for from_import in self.from_imports:
            for name in from_import.names:
                if name.v2_name == v2_api.ASYNC_CLIENT:
                    self.async_refs.extend(name.references)
                if name.v2_name != v2_api.CLIENT:
                    continue
                renamed = name.alias.asname is None
                if renamed:
                    self.client_renames.extend(name.rebinds)
                for reference in name.references:
                    if isinstance(reference, cst.Name):
                        if renamed:
                            self.client_renames.append(reference)
                        self.client_refs.append(reference)
                    elif isinstance(reference, cst.SimpleString) and renamed:
                        self.client_strings.append(reference)
                    else:
                        self.listed.append(Listed(reference, "InfluxDBClient is referenced in a way the codemod "
                                                             "cannot rename."))

    @cached_property
    def constructors(self) -> list[cst.Call]:
        """`InfluxDBClient(...)` calls, through the imported name or the module."""
        return [parent for reference in self.client_refs
                if isinstance(parent := self.parsed.parent(reference), cst.Call) and parent.func is reference]

    def factory_calls(self, factory: str) -> list[cst.Call]:
        """`InfluxDBClient.<factory>(...)` calls (from_env_properties, from_config_file)."""
        found = self._factories.get(factory)
        if found is None:
            found = self._factories[factory] = [
                called[1] for reference in self.client_refs
                if (called := method_call(self.parsed, reference, {factory})) is not None]
        return found

    @cached_property
    def client_codes(self) -> set[str]:
        """Source of the expressions holding a client: targets of constructions and factories, parameters
        annotated with the class, and names or attributes assigned from those."""
        codes = set()
        for call in [*self.constructors, *self.factory_calls(v2_api.ENV_FACTORY)]:
            target = _target_code(self.parsed, call)
            if target is not None:
                codes.add(target)
        for reference in self.client_refs:
            annotation = self.parsed.parent(reference)
            param = self.parsed.parent(annotation) if isinstance(annotation, cst.Annotation) else None
            if isinstance(param, cst.Param):
                codes.add(param.name.value)
        for _ in range(2):  # propagate through `self._client = client`
            for name in self.names:
                holder = self.parsed.parent(name)
                if (isinstance(holder, cst.Assign) and holder.value is name and len(holder.targets) == 1
                        and name.value in codes):
                    codes.add(self.code(holder.targets[0].target))
        return codes

    @cached_property
    def async_client_codes(self) -> set[str]:
        """Targets of `InfluxDBClientAsync(...)` (its write APIs are the async client item's business)."""
        codes = set()
        for reference in self.async_refs:
            call = self.parsed.parent(reference)
            if isinstance(call, cst.Call) and call.func is reference:
                holder = self.parsed.parent(call)
                if isinstance(holder, cst.WithItem) and holder.asname is not None:
                    codes.add(self.code(holder.asname.name))
                elif isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                    codes.add(self.code(holder.targets[0].target))
        return codes

    def may_be_influx(self, receiver: cst.BaseExpression) -> bool:
        """In a module that never imports influxdb_client, only receivers named like a client count."""
        if self.imports_v2:
            return True
        code = self.code(receiver).lower()
        return "influx" in code or "client" in code

    def code(self, node: cst.CSTNode) -> str:
        return self.parsed.tree.code_for_node(node)


def module_facts(parsed: ParsedModule) -> ModuleFacts:
    return ModuleFacts(parsed)


def _target_code(parsed: ParsedModule, call: cst.Call) -> str | None:
    parent = parsed.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return parsed.tree.code_for_node(parent.targets[0].target)
    if isinstance(parent, cst.AnnAssign):
        return parsed.tree.code_for_node(parent.target)
    if isinstance(parent, cst.WithItem) and parent.asname is not None:
        return parsed.tree.code_for_node(parent.asname.name)
    return None


# ----- node shapes the rules share ------------------------------------------------------------------------

def method_call(parsed: ParsedModule, receiver: cst.CSTNode, methods) -> tuple[str, cst.Call] | None:
    """`receiver.<method>(...)` with method in `methods` -> (method, call)."""
    attribute = parsed.parent(receiver)
    if not isinstance(attribute, cst.Attribute) or attribute.value is not receiver:
        return None
    call = parsed.parent(attribute)
    if isinstance(call, cst.Call) and call.func is attribute and attribute.attr.value in methods:
        return attribute.attr.value, call
    return None


def same_binding(parsed: ParsedModule, name: str, here: cst.CSTNode, there: cst.CSTNode) -> bool:
    """`name` refers to the same assignments at both nodes (and to at least one)."""
    first = parsed.visible_assignments(here, name)
    return bool(first) and first == parsed.visible_assignments(there, name)


def chain_base(node: cst.CSTNode) -> cst.Name | None:
    """`a` of `a.b.c`."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def last_name(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def argument(call: cst.Call, keyword: str, position: int) -> cst.BaseExpression | None:
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and not arg.star and index == position:
            return arg.value
    return None
