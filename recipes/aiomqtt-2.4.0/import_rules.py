"""MQ001-MQ003 and MQ020: the package rename, asyncio_mqtt.error -> aiomqtt(.exceptions), dotted strings, and
the names 2.4.0 has no single home for."""
from __future__ import annotations

import re

import libcst as cst

from bot.analysis import ParsedModule, dotted_name
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from .facts import MqttRule
from .mqtt_names import NEW_MODULE_NAMES, NEW_PACKAGE, OLD_PACKAGE, SUBMODULE_RENAMES, new_home_of_names, new_module_for

# A string holding exactly a dotted path into the old package (mock.patch targets, importlib names).
DOTTED_OLD_PATH = re.compile(r"asyncio_mqtt(\.[A-Za-z_][A-Za-z0-9_]*)+")
# A half migration renamed the package but kept the 0.16 module name `error`.
HALF_MIGRATED_ERROR_MODULE = f"{NEW_PACKAGE}.error"
IMPORT_RENAME, ERROR_MODULE = "MQ001", "MQ002"


def old_module_of(dotted: str | None) -> str | None:
    """The asyncio-mqtt module a dotted import path means, or None when it is not one."""
    if not dotted:
        return None
    if dotted == OLD_PACKAGE or dotted.startswith(OLD_PACKAGE + "."):
        return dotted
    if dotted == HALF_MIGRATED_ERROR_MODULE or dotted.startswith(HALF_MIGRATED_ERROR_MODULE + "."):
        return OLD_PACKAGE + dotted[len(NEW_PACKAGE):]
    return None


def rule_for(old_module: str) -> str:
    """The rule moving an import of `old_module`: MQ002 for the error module, MQ001 for the rest."""
    return ERROR_MODULE if old_module.split(".")[1:2] == ["error"] else IMPORT_RENAME


def from_import_move(node: cst.ImportFrom) -> tuple[str, str | None] | None:
    """(old module, its new home or None when 2.4.0 has none) for `from <asyncio_mqtt...> import ...`."""
    if node.relative or node.module is None:
        return None
    old = old_module_of(dotted_name(node.module))
    if old is None:
        return None
    if isinstance(node.names, cst.ImportStar):
        return old, new_module_for(old)
    if old == OLD_PACKAGE:
        return old, NEW_PACKAGE
    return old, new_home_of_names(old, [dotted_name(alias.name) for alias in node.names])


def in_import(parsed: ParsedModule, node: cst.CSTNode) -> bool:
    """Names inside an import statement are what it imports, not references to rewrite."""
    for ancestor in parsed.ancestors(node):
        if isinstance(ancestor, (cst.Import, cst.ImportFrom)):
            return True
        if isinstance(ancestor, (cst.BaseStatement, cst.BaseSmallStatement)):
            return False
    return False


class _ImportMove(MqttRule):
    """MQ001 and MQ002 move the imports of the modules they own (rule_for)."""

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            old = old_module_of(dotted_name(alias.name))
            new = new_module_for(old) if old else None
            if new is None or rule_for(old) != self.ID:
                continue
            self.imports.rename(alias, new)
            if alias.asname is not None and dotted_name(alias.asname.name) == new:
                # `import asyncio_mqtt as aiomqtt` was a common bridge; now the alias would only repeat the name.
                self.replace(alias, lambda updated: updated.with_changes(asname=None), count=0)
            self.count()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        move = from_import_move(node)
        if move is None or move[1] is None or rule_for(move[0]) != self.ID:
            return
        old, home = move
        self.imports.set_module(node, home)
        if old == OLD_PACKAGE and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:  # `from asyncio_mqtt import error` binds a module: the new one, as `error`
                name = dotted_name(alias.name)
                renamed = SUBMODULE_RENAMES.get(name, name)
                if renamed != name:
                    self.imports.rename(alias, renamed)
                    if alias.asname is None:
                        self.replace(alias, lambda updated, name=name: updated.with_changes(
                            asname=cst.AsName(name=cst.Name(name))), count=0)
        self.count()


class ImportRename(_ImportMove):
    ID = "MQ001"
    KIND = REWRITE
    MESSAGE = "asyncio_mqtt imports and module references -> aiomqtt"
    VALID = [Valid("import aiomqtt\nclient = aiomqtt.Client('broker')\n", name="already aiomqtt"),
             Valid("asyncio_mqtt = None\n", name="a variable of that name")]
    INVALID = [
        Invalid("import asyncio_mqtt\n\n\nasync def main():\n    async with asyncio_mqtt.Client('b') as c:\n        pass\n",
                after="import aiomqtt\n\n\nasync def main():\n    async with aiomqtt.Client('b') as c:\n        pass\n"),
        Invalid("from asyncio_mqtt import Client, MqttError\n", after="from aiomqtt import Client, MqttError\n",
                name="from-import"),
        Invalid("import asyncio_mqtt as aiomqtt\n", after="import aiomqtt\n", name="the bridge alias goes"),
        Invalid("from asyncio_mqtt import error\n", after="from aiomqtt import exceptions as error\n",
                name="a submodule imported by name keeps its local name"),
    ]

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == OLD_PACKAGE and not in_import(self.parsed, node) and self._bound_by_renamed_imports(node):
            self.rename(node, NEW_PACKAGE)

    def _bound_by_renamed_imports(self, name: cst.Name) -> bool:
        """`asyncio_mqtt` here names the package through `import asyncio_mqtt[...]` lines that all get renamed."""
        scope = self.parsed.scope(name)
        if scope is None:
            return False
        prefixes: list[cst.BaseExpression] = [name]  # `a`, `a.b`, `a.b.c`: libcst records `import a.b` uses on `a.b`
        parent = self.parsed.parent(name)
        while isinstance(parent, cst.Attribute) and parent.value is prefixes[-1]:
            prefixes.append(parent)
            parent = self.parsed.parent(parent)
        imports = [referent.node for prefix in prefixes for access in scope.accesses[dotted_name(prefix)]
                   if access.node is prefix for referent in access.referents]
        return bool(imports) and all(isinstance(statement, cst.Import) and _renames_every_alias(statement)
                                     for statement in imports)


class ErrorModule(_ImportMove):
    ID = "MQ002"
    KIND = REWRITE
    MESSAGE = "asyncio_mqtt.error -> aiomqtt (top-level names) or aiomqtt.exceptions"
    VALID = [Valid("from aiomqtt.exceptions import MqttCodeError\n")]
    INVALID = [
        Invalid("from asyncio_mqtt.error import MqttError\n", after="from aiomqtt import MqttError\n"),
        Invalid("from asyncio_mqtt.error import MqttConnectError\n",
                after="from aiomqtt.exceptions import MqttConnectError\n", name="a name only exceptions has"),
        Invalid("import asyncio_mqtt.error\n\nERRORS = (asyncio_mqtt.error.MqttError,)\n",
                after="import aiomqtt.exceptions\n\nERRORS = (asyncio_mqtt.exceptions.MqttError,)\n",
                name="module attribute (MQ001 renames the package)"),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if in_import(self.parsed, node):
            return
        for name in self.analysis.names_of(self.parsed, node):
            parts = (old_module_of(name) or "").split(".")
            if len(parts) == 2 and SUBMODULE_RENAMES.get(parts[1], parts[1]) != parts[1]:
                self.rename(node.attr, SUBMODULE_RENAMES[parts[1]])


class DottedStrings(MqttRule):
    ID = "MQ003"
    KIND = REWRITE
    MESSAGE = "dotted 'asyncio_mqtt.X' strings such as mock.patch targets -> 'aiomqtt.X'"
    VALID = [Valid("TARGET = 'asyncio_mqtt'\nNOTE = 'see asyncio_mqtt.Client docs'\n")]
    INVALID = [
        Invalid("from unittest import mock\n\nPATCH = mock.patch('asyncio_mqtt.Client')\n",
                after="from unittest import mock\n\nPATCH = mock.patch('aiomqtt.Client')\n"),
        Invalid('TARGET = "asyncio_mqtt.error.MqttError"\n', after='TARGET = "aiomqtt.exceptions.MqttError"\n',
                name="the error module"),
    ]

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if not isinstance(value, str) or not DOTTED_OLD_PATH.fullmatch(value):
            return
        parts = value.split(".")
        parts[0] = NEW_PACKAGE
        parts[1] = SUBMODULE_RENAMES.get(parts[1], parts[1])
        self.replace_string(node, ".".join(parts))


class NameWithoutEquivalent(MqttRule):
    ID = "MQ020"
    KIND = MANUAL
    MESSAGE = "manual: asyncio_mqtt name with no single aiomqtt 2.4.0 home"
    VALID = [Valid("from asyncio_mqtt.error import MqttError\n")]
    INVALID = [
        Invalid("from asyncio_mqtt.error import MqttError, PayloadType\n", items=[1], name="names in two modules"),
        Invalid("import asyncio_mqtt.utils\n", items=[1], name="a module 2.4.0 does not have"),
        Invalid("import asyncio_mqtt\n\nERROR = asyncio_mqtt.client.Gone\n", items=[3], name="a missing attribute"),
    ]

    def visit_Import(self, node: cst.Import) -> None:
        for old in imports_without_home(node):
            self._no_equivalent(node, old)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        old = from_import_without_home(node)
        if old is not None:
            self._no_equivalent(node, old)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        for old in attributes_without_home(self, node):
            self._no_equivalent(node, old)

    def _no_equivalent(self, node: cst.CSTNode, old: str) -> None:
        self.list(node, f"`{old}` has no single equivalent module in aiomqtt 2.4.0; import each name from where it "
                        "lives now.",
                  "Public names: `from aiomqtt import ...`; MqttConnectError: aiomqtt.exceptions; "
                  "PayloadType and other aliases: aiomqtt.types.")


def imports_without_home(node: cst.Import) -> list[str]:
    """The asyncio-mqtt modules `import ...` names that aiomqtt 2.4.0 has no module for."""
    found = []
    for alias in node.names:
        old = old_module_of(dotted_name(alias.name))
        if old is not None and new_module_for(old) is None:
            found.append(old)
    return found


def from_import_without_home(node: cst.ImportFrom) -> str | None:
    """The asyncio-mqtt module of `from ... import names` when no aiomqtt 2.4.0 module has all the names."""
    move = from_import_move(node)
    return move[0] if move is not None and move[1] is None else None


def attributes_without_home(rule: MqttRule, node: cst.Attribute) -> list[str]:
    """`asyncio_mqtt.<module>.<name>` read in code, where 2.4.0's module of that name lacks it."""
    if in_import(rule.parsed, node):
        return []
    found = []
    for name in rule.analysis.names_of(rule.parsed, node):
        old = old_module_of(name)
        parts = old.split(".") if old else []
        module = new_module_for(".".join(parts[:2])) if len(parts) == 3 else None
        if module is not None and parts[2] not in NEW_MODULE_NAMES[module]:
            found.append(old)
    return found


def _renames_every_alias(statement: cst.Import) -> bool:
    for alias in statement.names:
        old = old_module_of(dotted_name(alias.name))
        if old is not None and new_module_for(old) is None:
            return False
    return True
