"""The names a library version really has: a table introspected from the version installed in a virtual
environment (`upgrade-bot recipes api-table`, bot/validation/api_table.py) and checked in beside the recipe.

    table = ApiTable.load(path)
    table.audits("aiomqtt.client")            # the module is in one of the table's packages
    table.has_module("aiomqtt.exceptions")
    table.has_name("aiomqtt", "Client")       # an attribute of the module, or a submodule
    table.missing("aiomqtt.error.MqttError")  # -> ("aiomqtt", "error"): the first part that does not exist
    table.class_members("aiomqtt.Client")     # frozenset of members, None when unknown (or open: __getattr__)
    table.modules_exporting("wait_base", "tenacity")  # ["tenacity.wait"]: where else a missing name lives

The file (JSON): {"environment": [...], "versions": {dist: version}, "packages": [top-level modules],
"modules": {module: {"names": [...], "classes": {name: home}}}, "classes": {home: [members] | ["*"]},
"unimportable": {module: reason}}. An unimportable module (an optional dependency missing) is known to
exist but its names are not: nothing is listed for it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

OPEN = "*"  # a class with __getattr__: any member may exist


@dataclass(frozen=True, eq=False)
class ApiTable:
    """The public names of the new version's modules and classes, as introspected."""

    packages: tuple[str, ...]
    modules: Mapping[str, Mapping[str, Any]]
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unimportable: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    environment: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> "ApiTable":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "ApiTable":
        return cls(tuple(data.get("packages", ())), data.get("modules", {}),
                   {k: tuple(v) for k, v in data.get("classes", {}).items()}, data.get("unimportable", {}),
                   data.get("versions", {}), tuple(data.get("environment", ())))

    def audits(self, dotted: str) -> bool:
        return any(dotted == p or dotted.startswith(p + ".") for p in self.packages)

    def has_module(self, dotted: str) -> bool:
        return dotted in self.modules or dotted in self.unimportable

    def has_name(self, module: str, name: str) -> bool:
        if module in self.unimportable or f"{module}.{name}" in self.unimportable:
            return True
        entry = self.modules.get(module)
        if entry is None:
            return False
        return name in entry.get("names", ()) or f"{module}.{name}" in self.modules

    def missing(self, dotted: str) -> tuple[str, str] | None:
        """For `a.b.c.Name.attr`: (owner, part) of the first part that does not exist, following modules then one
        name (a class's members are checked by class_members); None when it all exists or is not audited."""
        if not self.audits(dotted):
            return None
        parts = dotted.split(".")
        top = next(p for p in self.packages if parts[0] == p.split(".")[0] and (dotted == p or dotted.startswith(p + ".")))
        depth = len(top.split("."))
        module = ".".join(parts[:depth])
        if not self.has_module(module):
            return (".".join(parts[:depth - 1]), parts[depth - 1]) if depth > 1 else ("", module)
        for part in parts[depth:]:
            if module in self.unimportable:
                return None
            if f"{module}.{part}" in self.modules or f"{module}.{part}" in self.unimportable:
                module = f"{module}.{part}"
                continue
            if not self.has_name(module, part):
                return module, part
            return None
        return None

    def modules_exporting(self, name: str, package: str) -> list[str]:
        """The public modules of `package` that have `name` (shortest path first): where an import of a name
        its module lacks may look instead (`tenacity.wait_base` -> tenacity.wait)."""
        found = [module for module, entry in self.modules.items()
                 if (module == package or module.startswith(package + ".")) and name in entry.get("names", ())
                 and not any(part.startswith("_") for part in module.split("."))]
        return sorted(found, key=lambda module: (module.count("."), module))

    def class_home(self, dotted: str) -> str | None:
        module, _, name = dotted.rpartition(".")
        entry = self.modules.get(module)
        return entry.get("classes", {}).get(name) if entry else None

    def class_members(self, dotted: str) -> frozenset[str] | None:
        """Members of the class `dotted` names (through its re-exports); None when unknown or open."""
        home = self.class_home(dotted)
        members = self.classes.get(home) if home else None
        if members is None or OPEN in members:
            return None
        return frozenset(members)


def to_json(data: Mapping[str, Any]) -> str:
    """The table's file text: sorted, one name per line, so a version bump reads as a diff of names."""
    return json.dumps(data, indent=1, sort_keys=True) + "\n"
