"""MQ001-MQ003 and MQ020: the package rename, asyncio_mqtt.error -> aiomqtt(.exceptions), dotted strings."""
from __future__ import annotations

import re

import libcst as cst
from libcst.helpers import get_full_name_for_node

from . import rules
from .mqtt_names import (
    NEW_MODULE_NAMES,
    NEW_PACKAGE,
    OLD_PACKAGE,
    SUBMODULE_RENAMES,
    new_home_of_names,
    new_module_for,
)
from .plan import Plan
from .source import Source

# A string holding exactly a dotted path into the old package (mock.patch targets, importlib names).
DOTTED_OLD_PATH = re.compile(r"asyncio_mqtt(\.[A-Za-z_][A-Za-z0-9_]*)+")
# A half migration renamed the package but kept the 0.16 module name `error`.
HALF_MIGRATED_ERROR_MODULE = f"{NEW_PACKAGE}.error"


def old_module_of(dotted: str | None) -> str | None:
    """The asyncio-mqtt module a dotted import path means, or None when it is not one."""
    if dotted is None:
        return None
    if dotted == OLD_PACKAGE or dotted.startswith(OLD_PACKAGE + "."):
        return dotted
    if dotted == HALF_MIGRATED_ERROR_MODULE or dotted.startswith(HALF_MIGRATED_ERROR_MODULE + "."):
        return OLD_PACKAGE + dotted[len(NEW_PACKAGE):]
    return None


def dotted_expression(dotted: str) -> cst.Attribute | cst.Name:
    return cst.parse_expression(dotted)  # type: ignore[return-value]


class ImportPlanner(cst.CSTVisitor):
    def __init__(self, source: Source, plan: Plan) -> None:
        self.source = source
        self.plan = plan

    def visit_Import(self, node: cst.Import) -> bool:
        if not self.plan.wants(rules.IMPORT_RENAME):
            return False
        aliases = []
        for alias in node.names:
            old = old_module_of(get_full_name_for_node(alias.name))
            new = new_module_for(old) if old else None
            if old is None:
                aliases.append(alias)
                continue
            if new is None:
                self._no_equivalent(node, old)
                aliases.append(alias)
                continue
            # `import asyncio_mqtt as aiomqtt` was a common bridge; now the alias would only repeat the name.
            asname = None if alias.asname and get_full_name_for_node(alias.asname.name) == new else alias.asname
            aliases.append(alias.with_changes(name=dotted_expression(new), asname=asname))
            self.plan.applied(self._rule_for(old))
        if any(new is not old for new, old in zip(aliases, node.names, strict=True)):
            self.plan.replaced_statements[node] = node.with_changes(names=aliases)
        return False  # names inside an import statement are not references to rewrite

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None:
            return False
        old = old_module_of(get_full_name_for_node(node.module))
        if old is None or not self.plan.wants(self._rule_for(old)):
            return False
        if isinstance(node.names, cst.ImportStar):
            home = new_module_for(old)
            names = node.names
        elif old == OLD_PACKAGE:
            home, names = NEW_PACKAGE, [self._renamed_submodule(alias) for alias in node.names]
        else:
            home = new_home_of_names(old, [get_full_name_for_node(alias.name) or "" for alias in node.names])
            names = node.names
        if home is None:
            self._no_equivalent(node, old)
            return False
        self.plan.replaced_statements[node] = node.with_changes(module=dotted_expression(home), names=names)
        self.plan.applied(self._rule_for(old))
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value != OLD_PACKAGE or not self.plan.wants(rules.IMPORT_RENAME):
            return
        if self._bound_by_renamed_imports(node):
            self.plan.renamed_names[node] = NEW_PACKAGE
            self.plan.applied(rules.IMPORT_RENAME)

    def _bound_by_renamed_imports(self, name: cst.Name) -> bool:
        """`asyncio_mqtt` here names the package through `import asyncio_mqtt[...]` lines that all get renamed."""
        scope = self.source.scopes.get(name)
        if scope is None:
            return False
        imports = [
            referent.node
            for node in self._dotted_prefixes(name)
            for access in scope.accesses[get_full_name_for_node(node) or ""]
            if access.node is node
            for referent in access.referents
        ]
        return bool(imports) and all(
            isinstance(statement, cst.Import) and self._renames_every_alias(statement) for statement in imports
        )

    def _dotted_prefixes(self, name: cst.Name) -> list[cst.BaseExpression]:
        """`a`, `a.b`, `a.b.c` for the `a` of `a.b.c`: libcst records `import a.b` uses on `a.b`."""
        prefixes: list[cst.BaseExpression] = [name]
        parent = self.source.parents.get(name)
        while isinstance(parent, cst.Attribute) and parent.value is prefixes[-1]:
            prefixes.append(parent)
            parent = self.source.parents.get(parent)
        return prefixes

    @staticmethod
    def _renames_every_alias(statement: cst.Import) -> bool:
        for alias in statement.names:
            old = old_module_of(get_full_name_for_node(alias.name))
            if old is not None and new_module_for(old) is None:
                return False
        return True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        for qualified in self.source.qualified_names(node):
            old = old_module_of(qualified)
            if old is None:
                continue
            parts = old.split(".")
            renames_module = len(parts) == 2 and SUBMODULE_RENAMES.get(parts[1], parts[1]) != parts[1]
            if renames_module and self.plan.wants(rules.ERROR_MODULE):
                self.plan.renamed_names[node.attr] = SUBMODULE_RENAMES[parts[1]]
                self.plan.applied(rules.ERROR_MODULE)
            elif len(parts) == 3 and new_module_for(".".join(parts[:2])):
                if parts[2] not in NEW_MODULE_NAMES[new_module_for(".".join(parts[:2]))]:
                    self._no_equivalent(node, old)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if not self.plan.wants(rules.DOTTED_STRING):
            return
        if not isinstance(value, str) or not DOTTED_OLD_PATH.fullmatch(value):
            return
        parts = value.split(".")
        parts[0] = NEW_PACKAGE
        if parts[1] in SUBMODULE_RENAMES:
            parts[1] = SUBMODULE_RENAMES[parts[1]]
        self.plan.replaced_strings[node] = f"{node.prefix}{node.quote}{'.'.join(parts)}{node.quote}"
        self.plan.applied(rules.DOTTED_STRING)

    def _renamed_submodule(self, alias: cst.ImportAlias) -> cst.ImportAlias:
        """`from asyncio_mqtt import error` binds a module: import the new one under the old name."""
        name = get_full_name_for_node(alias.name)
        renamed = SUBMODULE_RENAMES.get(name or "", name)
        if renamed == name:
            return alias
        return alias.with_changes(name=cst.Name(renamed), asname=alias.asname or cst.AsName(name=cst.Name(name)))

    @staticmethod
    def _rule_for(old_module: str) -> str:
        return rules.ERROR_MODULE if old_module.split(".")[1:2] == ["error"] else rules.IMPORT_RENAME

    def _no_equivalent(self, node: cst.CSTNode, old: str) -> None:
        self.plan.needs_human(
            rules.NAME_WITHOUT_EQUIVALENT,
            self.source.line(node),
            self.source.statement_code(node),
            f"`{old}` has no single equivalent module in aiomqtt 2.4.0; import each name from where it lives now.",
            suggestion="Public names: `from aiomqtt import ...`; MqttConnectError: aiomqtt.exceptions; "
            "PayloadType and other aliases: aiomqtt.types.",
        )
