"""tenacity 9.1 requires Python >= 3.9: flag services that still declare support for older Pythons."""
from __future__ import annotations

import configparser
from typing import Mapping

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from tomlkit.exceptions import TOMLKitError

from bot.model import ManualItem

RULE = "TEN010"
_UNSUPPORTED = ("3.6", "3.7", "3.8")


def check(files: Mapping[str, str]) -> list[ManualItem]:
    items = []
    for path, key, spec in _declared(files):
        try:
            allowed = SpecifierSet(spec)
        except InvalidSpecifier:
            continue
        old = [v for v in _UNSUPPORTED if allowed.contains(v, prereleases=True)]
        if old:
            line = _line_of(files[path], key)
            upper = [str(s) for s in sorted(allowed, key=str) if s.operator in ("<", "<=", "!=")]
            fixed = ", ".join([">=3.9", *upper])
            suggestion = f'{key} = "{fixed}"' if path == "pyproject.toml" else f"{key} = {fixed}"
            items.append(ManualItem(
                path, line, files[path].splitlines()[line - 1].strip(),
                f"declares support for Python {', '.join(old)} but tenacity 9.1 requires Python >= 3.9: "
                "the pin cannot install there", RULE, suggestion))
    return items


def _declared(files: Mapping[str, str]):
    if "pyproject.toml" in files:
        try:
            project = tomlkit.parse(files["pyproject.toml"]).unwrap().get("project", {})
        except TOMLKitError:
            project = {}
        if isinstance(project, dict) and isinstance(project.get("requires-python"), str):
            yield "pyproject.toml", "requires-python", project["requires-python"]
    if "setup.cfg" in files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(files["setup.cfg"])
        except configparser.Error:
            return
        spec = parser.get("options", "python_requires", fallback=None)
        if spec:
            yield "setup.cfg", "python_requires", spec.strip()


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(key):
            return number
    return 1
