"""Imports: which v2 names a module binds, where they are used, and the new import lines."""
from __future__ import annotations

import libcst as cst
from libcst.metadata import ImportAssignment

from . import rules, v2_api
from .facts import FromImport, ModuleImport, NameImport


class ImportRules:
    """Mixin of ModuleAnalysis (state and bookkeeping live there)."""

    # --- imports ---------------------------------------------------------------------------

    def _find_imports(self) -> None:
        for line in self.nodes.import_lines:
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
        if not v2_api.is_v2_module(cst.helpers.get_full_name_for_node(statement.module)):
            return
        if isinstance(statement.names, cst.ImportStar):
            self._item(rules.NO_V3_EQUIVALENT, statement,
                       "A star import hides which names come from the v2 client; the codemod will not move "
                       "InfluxDBClient while Point might stay on v2 (writes would be silently dropped).",
                       "import the names explicitly, then run the recipe again", blocking=True)
            return
        if len(line.body) > 1:
            self._item(rules.NO_V3_EQUIVALENT, statement,
                       "influxdb_client import shares a line with other statements; split the line and run "
                       "the recipe again (the client never moves without Point).", blocking=True)
            return
        scope = self.ctx.scope(statement)
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
            references.sort(key=self._position)
            names.append(NameImport(alias.evaluated_name, alias, references, rebinds))
        self.from_imports.append(FromImport(line, statement, names))

    def _is_plain_target(self, name: cst.Name) -> bool:
        parent = self.ctx.parent(name)
        return isinstance(parent, (cst.AssignTarget, cst.AnnAssign)) and parent.target is name

    def _module_import(self, line: cst.SimpleStatementLine, statement: cst.Import) -> None:
        for alias in statement.names:
            if not v2_api.is_v2_module(alias.evaluated_name):
                continue
            if len(line.body) > 1:
                self._item(rules.NO_V3_EQUIVALENT, statement,
                           "influxdb_client import shares a line with other statements; split the line and "
                           "run the recipe again (the client never moves without Point).", blocking=True)
                continue
            root = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
            binding = next((b for b in self.module_imports if b.root == root), None)
            if binding is None:
                binding = ModuleImport(root, [])
                self.module_imports.append(binding)
            binding.aliases.append((line, statement, alias))

    def _module_references(self, binding: ModuleImport) -> None:
        for name in self.nodes.names:
            if name.value != binding.root or self._is_attribute_name(name):
                continue
            assignments = self.ctx.visible_assignments(name, binding.root)
            if not any(isinstance(a, ImportAssignment) and a.node in binding.statements for a in assignments):
                continue
            prefix = self._mapped_prefix(name)
            if prefix is None:
                parent = self.ctx.parent(name)
                if not isinstance(parent, cst.Attribute):
                    self._item(rules.NO_V3_EQUIVALENT, name,
                               f"The {binding.root} module object is used directly; the codemod cannot tell "
                               "which v2 names flow from it, so it will not move the client (Point must move "
                               "with it).", blocking=True)
                else:
                    binding.unmapped.append(name)
                    self._item(rules.NO_V3_EQUIVALENT, name,
                               "This v2 name has no influxdb_client_3 equivalent: the v2 import is kept for it, "
                               "so influxdb-client stays declared next to influxdb3-python until this use is "
                               "replaced.")
                continue
            attribute, v2_name = prefix
            if v2_name == v2_api.ASYNC_CLIENT:
                binding.unmapped.append(name)
                self.async_refs.append(attribute)
                continue
            binding.mapped.append((attribute, v2_api.MOVED_NAMES[v2_name], name))
            if v2_name == v2_api.CLIENT:
                self.client_refs.append(attribute)

    def _mapped_prefix(self, name: cst.Name) -> tuple[cst.Attribute, str] | None:
        node: cst.CSTNode = name
        while True:
            parent = self.ctx.parent(node)
            if not isinstance(parent, cst.Attribute) or parent.value is not node:
                return None
            attr = parent.attr.value
            if attr in v2_api.MOVED_NAMES or attr == v2_api.ASYNC_CLIENT:
                return parent, attr
            node = parent

    def _find_dynamic_imports(self) -> None:
        for call in self.nodes.calls:
            name = cst.helpers.get_full_name_for_node(call.func) or ""
            if name.split(".")[-1] not in ("import_module", "__import__") or not call.args:
                continue
            value = call.args[0].value
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                if v2_api.is_v2_module(value.evaluated_value):
                    self._item(rules.NO_V3_EQUIVALENT, call,
                               "Dynamic import of the v2 client: the codemod cannot see which names it provides "
                               "and will not move the client without Point.", blocking=True)

    # --- import lines ------------------------------------------------------------------------

    def _plan_imports(self) -> None:
        merged: list[cst.ImportAlias] = []
        merged_comments: list[cst.TrailingWhitespace] = []  # of the top-level lines merged into one
        first_top_level = None
        top_level = set(self.ctx.module.body)
        moved_count = 0
        for from_import in self.from_imports:
            moved, leftover = [], []
            elsewhere = []  # lines importing from a submodule of influxdb_client_3
            for name in from_import.names:
                v3_name = v2_api.MOVED_NAMES.get(name.v2_name)
                submodule = v2_api.MOVED_TO_SUBMODULE.get(name.v2_name)
                if submodule is not None:
                    elsewhere.append(from_line(submodule, [name.alias]))
                    continue
                if v3_name is None:
                    leftover.append(name.alias)
                    if name.v2_name != v2_api.ASYNC_CLIENT:
                        self._item(rules.NO_V3_EQUIVALENT, from_import.statement,
                                   f"{name.v2_name} has no influxdb_client_3 equivalent: its v2 import is kept, so "
                                   "influxdb-client stays declared next to influxdb3-python until it is replaced.")
                    continue
                if (name.v2_name in v2_api.WRITE_OPTION_NAMES and name.references
                        and all(ref in self.consumed for ref in name.references)):
                    continue  # only configured the write APIs that were rewritten away
                moved.append(cst.ImportAlias(name=cst.Name(v3_name), asname=name.alias.asname))
            moved_count += len(from_import.names) - len(leftover)
            if leftover:
                self.kept_v2_imports.append(from_import.statement)
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
                lines.append(from_line(v2_api.V3_PACKAGE, moved))
            lines.extend(elsewhere)
            if leftover:
                lines.append(from_line(cst.helpers.get_full_name_for_node(from_import.statement.module), leftover))
            self.plan.lines[from_import.line] = [
                line if line is None else line.with_changes(trailing_whitespace=trailing) for line in lines]
        if first_top_level is not None:
            lines = self.plan.lines[first_top_level]
            index = lines.index(None)
            if merged:
                lines[index] = from_line(v2_api.V3_PACKAGE, merged).with_changes(
                    trailing_whitespace=_joined_comments(merged_comments))
            else:
                del lines[index]
        moved_count += self._plan_module_imports()
        if moved_count:
            self._applied(rules.IMPORTS, "influxdb_client imports -> influxdb_client_3 (Point moves with the "
                                         "client)", moved_count)

    def _plan_module_imports(self) -> int:
        """`import influxdb_client...` -> `import influxdb_client_3` (kept beside it if a use has no v3 name)."""
        replaced: dict[int, list[cst.ImportAlias]] = {}  # id(old alias) -> aliases in its place
        moved = 0
        for binding in self.module_imports:
            keep_old = bool(binding.unmapped)
            if keep_old:
                self.kept_v2_imports.extend(statement for _, statement, _ in binding.aliases)
            if not binding.mapped:
                continue
            first_asname = binding.aliases[0][2].asname
            new_root = binding.root if (first_asname is not None and not keep_old) else v2_api.V3_PACKAGE
            for attribute, v3_name, _ in binding.mapped:
                self.plan.replacements[attribute] = (
                    lambda updated, r=new_root, n=v3_name: updated.with_changes(value=cst.Name(r), attr=cst.Name(n)))
            still_used = any(root not in self.consumed for _, _, root in binding.mapped)
            new_alias = cst.ImportAlias(name=cst.Name(v2_api.V3_PACKAGE),
                                        asname=first_asname if new_root == binding.root else None)
            if not still_used:
                new_alias = None  # only configured write APIs that were rewritten away
            for position, (_, _, alias) in enumerate(binding.aliases):
                replaced[id(alias)] = ([alias] if keep_old else []) + (
                    [new_alias] if position == 0 and new_alias is not None else [])
            moved += 1
        for line in {line for binding in self.module_imports for line, _, _ in binding.aliases}:
            statement = line.body[0]
            if not any(id(alias) in replaced for alias in statement.names):
                continue
            aliases = [new for alias in statement.names for new in replaced.get(id(alias), [alias])]
            if not aliases:
                self.plan.lines[line] = []
                continue
            names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
            self.plan.lines[line] = [line.with_changes(body=[statement.with_changes(names=names)])]
        return moved


def from_line(module: str, aliases: list[cst.ImportAlias]) -> cst.SimpleStatementLine:
    names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
    statement = cst.ImportFrom(module=cst.parse_expression(module), names=names)
    return cst.SimpleStatementLine(body=[statement])


def _joined_comments(trailing: list[cst.TrailingWhitespace]) -> cst.TrailingWhitespace:
    """One line's trailing comment carrying every distinct comment of the lines merged into it."""
    comments = list(dict.fromkeys(t.comment.value for t in trailing if t.comment is not None))
    if not comments:
        return cst.TrailingWhitespace()
    return cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("  ".join(comments)))
