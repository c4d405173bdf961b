"""The Python range a pyproject.toml declares, for the lock tools that must run on a Python it allows. Pure."""
from __future__ import annotations

from tomlkit.exceptions import TOMLKitError

from bot.declared.poetry_constraint import pep440
from bot.declared.toml_data import read_toml


def project_python(pyproject: str, *, poetry: bool) -> str:
    """`requires-python` ("" when none); with poetry, Poetry's `python` dependency first, as PEP 440."""
    try:
        document = read_toml(pyproject)
    except (TOMLKitError, ValueError):
        return ""  # the tool itself says what is wrong with the file
    if poetry:
        declared = (((document.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}).get("python")
        if isinstance(declared, str) and declared.strip() not in ("", "*"):
            return pep440(declared)
    requires = (document.get("project") or {}).get("requires-python")
    return requires.strip() if isinstance(requires, str) else ""
