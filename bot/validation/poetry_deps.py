"""Poetry's dependency tables as PEP 508 requirements, so a Poetry project's tests get an
environment like any other service's: `[tool.poetry.dependencies]` (without `python`), plus the
test-ish groups and the legacy dev-dependencies. Caret and tilde constraints become ranges."""
from __future__ import annotations

import re
from typing import Any, Sequence

_VERSION = re.compile(r"^\d+(\.\d+)*$")


def pep440(constraint: str) -> str:
    """A Poetry constraint as a PEP 440 specifier ("" for any version)."""
    parts = [p.strip() for p in re.split(r",|\s+(?=[<>=!~^])", constraint.strip()) if p.strip()]
    out = []
    for part in parts:
        if part in ("*", ""):
            continue
        if part.startswith("^") and _VERSION.match(part[1:]):
            out += [f">={part[1:]}", f"<{_caret_upper(part[1:])}"]
        elif part.startswith("~") and not part.startswith("~=") and _VERSION.match(part[1:]):
            release = [int(x) for x in part[1:].split(".")]
            upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
            out += [f">={part[1:]}", f"<{'.'.join(map(str, upper))}"]
        elif _VERSION.match(part) or (part.endswith(".*") and _VERSION.match(part[:-2])):
            out.append(f"=={part}")
        else:
            out.append(part)
    return ",".join(out)


def _caret_upper(version: str) -> str:
    release = [int(x) for x in version.split(".")]
    for i, number in enumerate(release):
        if number != 0 or i == len(release) - 1:
            return ".".join(map(str, release[:i] + [number + 1]))
    return version


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
