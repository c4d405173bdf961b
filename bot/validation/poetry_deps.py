"""Poetry's dependency tables as PEP 508 requirements, so a Poetry project's tests get an
environment like any other service's: `[tool.poetry.dependencies]` (without `python`), plus the
test-ish groups and the legacy dev-dependencies. Caret and tilde constraints become ranges."""
from __future__ import annotations

from typing import Any, Sequence

from bot.declared.poetry_constraint import pep440  # also imported from here by others

__all__ = ["pep440", "poetry_requirements"]


def poetry_requirements(document: dict[str, Any], groups: Sequence[str]) -> list[str]:
    poetry = document.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    for name in groups:
        tables.append((poetry.get("group", {}).get(name) or {}).get("dependencies") or {})
    out = []
    for table in tables:
        for name, value in table.items():
            if name.lower() == "python":
                continue
            requirement = _requirement(name, value)
            if requirement:
                out.append(requirement)
    return out


def _requirement(name: str, value: Any) -> str | None:
    if isinstance(value, str):
        return f"{name}{pep440(value)}"
    if isinstance(value, dict) and not any(k in value for k in ("git", "path", "url", "file")):
        extras = f"[{','.join(value['extras'])}]" if value.get("extras") else ""
        marker = f"; {value['markers']}" if value.get("markers") else ""
        return f"{name}{extras}{pep440(str(value.get('version', '*')))}{marker}"
    return None
