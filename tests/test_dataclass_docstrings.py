"""Every dataclass of the bot and of its bundled recipes says what it is in a docstring. Besides the reader, the
import pays for a missing one: dataclasses then writes one from inspect.signature (~0.1 ms a class, ~7 ms of the
136 a first run on the example fleet creates)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def undocumented_dataclasses(source: str) -> list[str]:
    """The names of the classes decorated with a dataclass (`@dataclass`, `@dataclass(...)`, `@dataclasses.dataclass`)
    that have no docstring."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef) or ast.get_docstring(node):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name == "dataclass":
                found.append(node.name)
    return found


def test_every_dataclass_of_the_bot_and_its_recipes_has_a_docstring():
    files = [*(ROOT / "bot").rglob("*.py"),
             *(p for p in (ROOT / "recipes").rglob("*.py") if "fixtures" not in p.relative_to(ROOT / "recipes").parts)]
    assert len(files) > 100
    missing = [f"{path.relative_to(ROOT)}: {name}" for path in sorted(files)
               for name in undocumented_dataclasses(path.read_text(encoding="utf-8"))]
    assert not missing, "dataclasses without a docstring (write one line saying what it is):\n" + "\n".join(missing)


def test_the_check_sees_a_dataclass_without_a_docstring():
    source = ("import dataclasses\nfrom dataclasses import dataclass\n\n"
              "@dataclass\nclass Bare:\n    x: int\n\n"
              "@dataclasses.dataclass(frozen=True)\nclass Qualified:\n    x: int\n\n"
              "@dataclass(eq=False)\nclass Documented:\n    '''Says what it is.'''\n\n    x: int\n\n"
              "class Plain:\n    x: int\n")
    assert undocumented_dataclasses(source) == ["Bare", "Qualified"]
