"""`install_requires` in setup.py and setup.cfg: the bot bumps requirements files and pyproject.toml, not these, so a
requirement there that excludes the new version would contradict the PR's pin (installing the package itself
fails to resolve). Pure: service files in, ManualItems out; a recipe lists them for a human."""
from __future__ import annotations

import ast
import configparser
import re
from typing import Iterator, Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bot.model import ManualItem


def pins_excluding(files: Mapping[str, str], package: str, version: str, rule: str) -> list[ManualItem]:
    """One item per `install_requires` entry for `package` whose specifier does not admit `version`."""
    items = []
    wanted = canonicalize_name(package)
    for path, line, text in _install_requires(files):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != wanted or not requirement.specifier:
            continue
        if requirement.specifier.contains(version, prereleases=True):
            continue
        operator = "==" if any(s.operator in ("==", "===") for s in requirement.specifier) else ">="
        items.append(ManualItem(
            path, line, files[path].splitlines()[line - 1].strip(),
            f"install_requires asks for `{text}`, which excludes {package} {version}: the bot bumps requirements "
            "files and pyproject.toml only, so installing this package would not resolve against the new pin",
            rule, f"{requirement.name}{operator}{version}"))
    return items


def _install_requires(files: Mapping[str, str]) -> Iterator[tuple[str, int, str]]:
    if "setup.py" in files:
        yield from _setup_py(files["setup.py"])
    if "setup.cfg" in files:
        yield from _setup_cfg(files["setup.cfg"])


def _setup_py(text: str) -> Iterator[tuple[str, int, str]]:
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(module):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call):
            values = [k.value for k in node.keywords if k.arg == "install_requires"]
        elif isinstance(node, ast.Dict):
            values = [v for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and k.value == "install_requires"]
        for value in values:
            if isinstance(value, (ast.List, ast.Tuple)):
                for element in value.elts:
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        yield "setup.py", element.lineno, element.value


def _setup_cfg(text: str) -> Iterator[tuple[str, int, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    lines = text.splitlines()
    for entry in parser.get("options", "install_requires", fallback="").splitlines():
        entry = entry.split("#", 1)[0].strip()
        if entry:
            line = next((n for n, raw in enumerate(lines, start=1) if re.search(re.escape(entry), raw)), 1)
            yield "setup.cfg", line, entry
