"""Generates a recipe's API table (bot.analysis.api_table) by introspecting the real new version.

`upgrade-bot recipes api-table [ID or folder ...] [--check]`: for each recipe whose migration.toml has an
[audit] table, the environment it names is built (or taken from the cache: the same requirement lines the
test suite's recipe envs use share one env), every module of the audited packages is imported there, and
its names and its classes' members are written to the table file (or, with --check, compared with it).
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.analysis.api_table import to_json
from bot.analysis.migration_map import MigrationMap

from .envs import ensure_env

# Runs inside the environment: only the standard library, nothing of the bot.
INTROSPECT = r'''
import ast, importlib, importlib.metadata, inspect, json, pkgutil, sys, textwrap, warnings
warnings.simplefilter("ignore")
packages, environment = json.loads(sys.argv[1]), json.loads(sys.argv[2])
modules, classes, unimportable, sources = {}, {}, {}, {}

def assigned(klass):
    """self.<attr> = ... in the class's own source (instance attributes dir() cannot see)."""
    if klass in sources:
        return sources[klass]
    found = set()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
                    and isinstance(node.ctx, ast.Store)):
                found.add(node.attr)
    sources[klass] = found
    return found

def members(klass):
    if any("__getattr__" in vars(k) for k in klass.__mro__[:-1]):
        return ["*"]
    names = set(dir(klass))
    for base in klass.__mro__:
        annotations = vars(base).get("__annotations__")
        names |= set(annotations) if isinstance(annotations, dict) else set()
        slots = vars(base).get("__slots__", ())
        names |= {slots} if isinstance(slots, str) else set(slots) if isinstance(slots, (list, tuple)) else set()
        names |= assigned(base)
    return sorted(names)

def inside(name):
    return any(name == p or name.startswith(p + ".") for p in packages)

names = []
for package in packages:
    names.append(package)
    try:
        top = importlib.import_module(package)
    except Exception as exc:
        unimportable[package] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        continue
    if hasattr(top, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(top.__path__, package + ".", onerror=lambda name: None)]
for name in sorted(set(names)):
    if name in unimportable:
        continue
    try:
        module = importlib.import_module(name)
    except BaseException as exc:
        unimportable[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        continue
    entry = {"names": sorted(dir(module)), "classes": {}}
    for attr in entry["names"]:
        try:
            value = getattr(module, attr)
        except Exception:
            continue
        if inspect.isclass(value):
            home = f"{value.__module__}.{value.__qualname__}"
            if inside(value.__module__) and "<locals>" not in home:
                entry["classes"][attr] = home
                if home not in classes:
                    classes[home] = members(value)
    modules[name] = entry
versions = {}  # the distributions that provide the audited packages (not the whole environment)
providers = importlib.metadata.packages_distributions()
for package in packages:
    for dist in providers.get(package.split(".")[0], ()):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
print(json.dumps({"packages": packages, "environment": environment, "versions": versions, "modules": modules,
                  "classes": classes, "unimportable": unimportable}))
'''


class ApiTableError(RuntimeError):
    """The table could not be generated; one line naming the recipe and the reason."""


@dataclass(frozen=True)
class TableCheck:
    """A recipe's checked-in API table beside the one regenerated from the real version."""

    path: Path
    expected: str  # the regenerated text
    actual: str | None  # the checked-in text (None: missing)

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    def summary(self) -> str:
        if self.actual is None:
            return f"{self.path}: missing (run `upgrade-bot recipes api-table` to write it)"
        old, new = json.loads(self.actual), json.loads(self.expected)
        gone = sorted(set(old.get("modules", {})) - set(new.get("modules", {})))
        added = sorted(set(new.get("modules", {})) - set(old.get("modules", {})))
        changed = sorted(m for m in set(old.get("modules", {})) & set(new.get("modules", {}))
                         if old["modules"][m] != new["modules"][m])
        parts = [f"modules gone: {', '.join(gone)}" if gone else "", f"new modules: {', '.join(added)}" if added else "",
                 f"names changed in: {', '.join(changed[:8])}" if changed else ""]
        return f"{self.path}: differs from the installed version (" + "; ".join(p for p in parts if p) + \
            ("" if any(parts) else "versions, classes or unimportable modules differ") + ")"


def generate(mapping: MigrationMap, python: Path | None = None) -> str:
    """The table's text for a map with an [audit] table, introspected in its environment."""
    if mapping.audit is None:
        raise ApiTableError(f"{mapping.folder}: migration.toml has no [audit] table")
    return to_json(introspect(mapping.audit.packages, mapping.audit.environment, python, where=str(mapping.folder)))


def introspect(packages, environment, python: Path | None = None, where: str = "") -> dict:
    """The table's data for `packages` as installed by the requirement lines `environment` (or in `python`):
    also how a test compares an old version's names with the new table (is the migration map complete?)."""
    interpreter = python or ensure_env(requirement_lines=list(environment))
    completed = subprocess.run(
        [str(interpreter), "-c", INTROSPECT, json.dumps(list(packages)), json.dumps(list(environment))],
        capture_output=True, text=True, timeout=600, env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise ApiTableError(f"{where or ', '.join(packages)}: introspection failed: {last}")
    return json.loads(completed.stdout)


def table_path(mapping: MigrationMap) -> Path:
    assert mapping.audit is not None and mapping.folder is not None
    return mapping.folder / mapping.audit.table


def write(mapping: MigrationMap, python: Path | None = None) -> Path:
    path = table_path(mapping)
    path.write_text(generate(mapping, python), encoding="utf-8")
    return path


def check(mapping: MigrationMap, python: Path | None = None) -> TableCheck:
    path = table_path(mapping)
    actual = path.read_text(encoding="utf-8") if path.is_file() else None
    return TableCheck(path, generate(mapping, python), actual)
