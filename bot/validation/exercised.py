"""Which test modules exercise a change: those that import, directly or through the service's own modules,
a module the change rewrote or the upgraded package, and test files the change rewrote. Pure (`ast`).

The verdict uses it to tell a pre-existing failure that has nothing to do with the migration (a test of
the database layer that no longer imports, shown apart) from tests of the migrated code that cannot run
here (they need a broker this machine lacks): those leave the change unvalidated, whatever else passed.
Over-approximates on purpose (a module is known by every dotted suffix of its path), so a test that might
exercise the change counts as one that does."""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping


def exercising_tests(files: Mapping[str, str], changed: Iterable[str], packages: Iterable[str]) -> set[str]:
    """files: service-relative path -> text (the branch's version of changed files); changed: the paths the
    change rewrote; packages: top-level import names of the upgraded library. Returns test module paths
    ("tests/test_x.py"); a module reached only through a conftest.py's fixtures as "tests/test_x.py::"
    (its tests, not its collection error: a module that does not import never reached those fixtures)."""
    python = {path: text for path, text in files.items() if path.endswith(".py")}
    names = _module_names(python)
    imports = {path: _imports(path, text) for path, text in python.items()}
    changed = set(changed)
    packages = set(packages)
    touched = {path for path in python if path in changed}
    touched |= {path for path, found in imports.items() if any(m.split(".")[0] in packages for m in found)}
    # fixed point: a module importing a touched module is touched
    importers: dict[str, set[str]] = {}
    for path, found in imports.items():
        for module in found:
            for target in _resolve(module, names):
                importers.setdefault(target, set()).add(path)
    pending = list(touched)
    while pending:
        for importer in importers.get(pending.pop(), ()):
            if importer not in touched:
                touched.add(importer)
                pending.append(importer)
    # pytest loads a conftest.py for every test below its folder: its fixtures reach them without an import
    folders = [path.rsplit("/", 1)[0] if "/" in path else "" for path in touched if path.endswith("conftest.py")]
    tests = {path for path in python if is_test_module(path)}
    return ({path for path in tests if path in touched}
            | {f"{path}::" for path in tests - touched if any(not f or path.startswith(f + "/") for f in folders)})


def is_test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _module_names(python: Mapping[str, str]) -> dict[str, set[str]]:
    """dotted name -> paths; a file is known by every suffix of its dotted path (`src/pkg/mod.py` is
    `src.pkg.mod`, `pkg.mod` and `mod`), since which folder is on sys.path depends on the layout."""
    names: dict[str, set[str]] = {}
    for path in python:
        parts = path[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            if parts[start:]:
                names.setdefault(".".join(parts[start:]), set()).add(path)
    return names


def _resolve(module: str, names: Mapping[str, set[str]]) -> set[str]:
    """The service files an import of `module` loads: the module itself and the packages on its way."""
    parts = module.split(".")
    found: set[str] = set()
    for end in range(1, len(parts) + 1):
        found |= names.get(".".join(parts[:end]), set())
    return found


def _imports(path: str, text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    package = path[:-3].split("/")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in found if name}
