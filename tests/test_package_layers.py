"""bot/'s folders are layers: imports between them point one way (README "Layout"). Read from the import
statements (function-level ones too), so a new import that closes a cycle fails here, naming it."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, tree: ast.AST) -> set[str]:
    """Dotted modules a file imports; `from pkg import submodule` needs the submodule, not all of pkg."""
    me = _module_name(path).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            submodules = {f"{module}.{a.name}" for a in node.names
                          if (BOT.parent / f"{module}.{a.name}".replace(".", "/")).with_suffix(".py").exists()
                          or (BOT.parent / f"{module}.{a.name}".replace(".", "/")).is_dir()}
            out |= submodules if len(submodules) == len(node.names) else {module, *submodules}
    return {m for m in out if m == "bot" or m.startswith("bot.")}


def _graph(unit) -> dict[str, dict[str, list[str]]]:
    """unit(dotted module) -> graph node; edges carry the imports that make them."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(BOT.rglob("*.py")):
        me = _module_name(path)
        for target in _imported(path, ast.parse(path.read_text(encoding="utf-8"))):
            a, b = unit(me), unit(target)
            if a and b and a != b:
                edges[a][b].append(f"{me} imports {target}")
    return edges


def _cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {o for targets in edges.values() for o in targets}):
        if node not in index:
            visit(node)
    return found


def _explain(edges, cycles) -> str:
    return "\n".join(f"{a} -> {b}: {why}" for cycle in cycles for a in cycle for b in cycle
                     for why in edges.get(a, {}).get(b, []))


def _folder_or_module(dotted: str) -> str | None:
    """bot.publish.status -> "publish/"; a top-level module is a node of its own: bot.runner -> "runner"."""
    parts = dotted.split(".")
    if len(parts) < 2:
        return None
    return parts[1] + "/" if (BOT / parts[1]).is_dir() else parts[1]


def test_no_folder_imports_a_folder_that_imports_it_back():
    edges = _graph(_folder_or_module)
    assert {"discover/", "declared/", "plan/", "change/", "locking/", "validation/", "publish/", "forge/",
            "commands/"} <= set(edges) | {o for targets in edges.values() for o in targets}
    cycles = _cycles(edges)
    assert not cycles, "imports between bot/'s folders go both ways:\n" + _explain(edges, cycles)


def test_the_check_sees_a_cycle():
    edges = {"a/": {"b/": ["bot.a.x imports bot.b.y"]}, "b/": {"a/": ["bot.b.y imports bot.a.x"]}, "c": {"a/": ["."]}}
    assert _cycles(edges) == [["a/", "b/"]]
    assert "bot.b.y imports bot.a.x" in _explain(edges, _cycles(edges))
