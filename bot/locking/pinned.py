"""What a regenerated lock holds for the recipe's packages, and a pyproject with them pinned exactly. Pure.

A lock holds exactly the version the PR names: a lock tool that took another one (a newer release the new
range admits) fails the job rather than ship a PR whose title, checks and lock disagree."""
from __future__ import annotations

import re
from typing import Sequence

from packaging.utils import canonicalize_name

from bot.declared.pyproject import edit_pyproject
from bot.declared.requirements import parse_requirements
from bot.declared.spec_style import exact_version
from bot.locking.model import Upgrade
from bot.model import RequirementEdit

_TOML_PACKAGE = re.compile(r'^\[\[package\]\]\s*\nname\s*=\s*"([^"]+)"\s*\nversion\s*=\s*"([^"]+)"', re.MULTILINE)


def locked_versions(output: str, text: str) -> dict[str, set[str]]:
    """name -> the versions a lock (poetry.lock, uv.lock, pdm.lock) or a compiled requirements file pins."""
    found: dict[str, set[str]] = {}
    if output.endswith(".lock"):
        pairs = _TOML_PACKAGE.findall(text)
    else:
        pairs = [(d.name, exact_version(d.spec)) for d in parse_requirements(text, output)[0]]
    for name, version in pairs:
        if version:
            found.setdefault(canonicalize_name(name), set()).add(version)
    return found


def not_as_named(output: str, text: str, upgrades: Sequence[Upgrade]) -> str:
    """"tenacity 9.9.0, not 9.1.2" for each named package the lock holds at another version ("" when none)."""
    locked = locked_versions(output, text)
    wrong = [f"{u.name} {', '.join(sorted(locked[u.name]))}, not {u.version}" for u in upgrades
             if u.version and u.name in locked and locked[u.name] != {u.version}]
    return "; ".join(wrong)


def exactly_pinned(pyproject: str, upgrades: Sequence[Upgrade]) -> str | None:
    """The pyproject with every declaration of the recipe's packages pinned to the named version (None when
    nothing changes): what Poetry locks first, so its lock holds those versions."""
    edits = [RequirementEdit("set", u.name, f"=={u.version}") for u in upgrades if u.version]
    if not edits or not pyproject:
        return None
    text = edit_pyproject(pyproject, "pyproject.toml", edits, allow_add=False).text
    return text if text != pyproject else None
