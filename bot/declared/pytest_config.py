"""The configuration file pytest reads for a service, found the way pytest finds it. Pure.

pytest (`_pytest.config.findpaths.locate_config`, pytest 9 order; 8.x reads the same files except the
pytest.toml family and native `[tool.pytest]`) walks from the folder it runs in up to the filesystem root
and, in each folder, takes the first of: pytest.toml, .pytest.toml (always), pytest.ini, .pytest.ini
(always, even without a `[pytest]` section), pyproject.toml (only with `[tool.pytest]` or
`[tool.pytest.ini_options]`), tox.ini (only with `[pytest]`), setup.cfg (only with `[tool:pytest]`). The
first match wins: every other file is ignored, so editing it is a no-op (fact sheet A12), and adding a
table to a file nearer the tests shadows the one that was in force. With no match anywhere, the first
pyproject.toml met on the way up becomes the (empty) configuration.

A service sees the folders above it through its files: discovery adds the configuration files of the
nearest folder above the service that has any, as `../pytest.ini`, `../../tox.ini`... (read from the same
git snapshot, never the disk; `pytest_configs_above`). Such a file is shared: every service below that
folder runs with it, so a recipe lists what it needs instead of writing it (`PytestConfig.shared`).
"""
from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import tomlkit
from tomlkit.exceptions import TOMLKitError

from bot.declared.ini_text import IniSection

INI = "ini"  # [pytest] in pytest.ini / .pytest.ini / tox.ini, [tool:pytest] in setup.cfg
TOML_INI = "toml-ini"  # [tool.pytest.ini_options] in pyproject.toml: values are strings or lists
TOML_NATIVE = "toml"  # [tool.pytest] in pyproject.toml, [pytest] in pytest.toml: native TOML types

CANDIDATES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
MAX_LEVELS = 32  # folders above a service that are looked at (deeper monorepos do not exist)


@dataclass(frozen=True)
class PytestConfig:
    """The file pytest reads its configuration from for a service, and the values it holds."""

    path: str  # service-relative ("../../pytest.ini" above the service); may not exist yet (`exists` False)
    kind: str
    section: tuple[str, ...]  # INI: (section name,); TOML: table path
    exists: bool
    values: Mapping[str, Any] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()  # files with pytest config that pytest ignores because of `path`

    @property
    def shared(self) -> bool:
        """Outside the service folder: every service below its folder runs with it."""
        return self.path.startswith("../")

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or isinstance(value, list):
            return None
        return str(value)

    def get_args(self, key: str) -> list[str]:
        """An `args`-type option (addopts, python_files...): a TOML list, or a shell-split string."""
        value = self.values.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        try:
            return shlex.split(str(value))
        except ValueError:
            return str(value).split()


def _parse_toml(text: str) -> dict[str, Any] | None:
    try:
        return tomlkit.parse(text).unwrap()
    except TOMLKitError:
        return None


def read_config(path: str, text: str) -> PytestConfig | None:
    """The config in one candidate file, or None when pytest would not take its config from it."""
    name = posixpath.basename(path)
    if name in ("pytest.toml", ".pytest.toml"):
        doc = _parse_toml(text) or {}
        return PytestConfig(path, TOML_NATIVE, ("pytest",), True, doc.get("pytest", {}))
    if name in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"):
        section = "tool:pytest" if name == "setup.cfg" else "pytest"
        ini = IniSection(text, section)
        if ini.exists() or name in ("pytest.ini", ".pytest.ini"):
            return PytestConfig(path, INI, (section,), True, ini.values())
        return None
    if name == "pyproject.toml":
        tool_pytest = ((_parse_toml(text) or {}).get("tool") or {}).get("pytest") or {}
        native = {k: v for k, v in tool_pytest.items() if k != "ini_options"}
        if native:
            return PytestConfig(path, TOML_NATIVE, ("tool", "pytest"), True, native)
        if "ini_options" in tool_pytest:
            return PytestConfig(path, TOML_INI, ("tool", "pytest", "ini_options"), True, tool_pytest["ini_options"])
    return None


def locate(files: Mapping[str, str]) -> PytestConfig:
    """The config pytest reads when run from the service folder (or, when there is none, where to create one).

    `files` are the service's (service-relative paths), with the configuration files above it that discovery
    added as `../name`, `../../name`...; only candidate names are looked up, so nothing else is read."""
    for level in range(MAX_LEVELS):
        prefix = "../" * level
        found = [cfg for name in CANDIDATES if prefix + name in files
                 for cfg in [read_config(prefix + name, files[prefix + name])] if cfg is not None]
        if found:
            first = found[0]
            return PytestConfig(first.path, first.kind, first.section, True, first.values,
                                tuple(cfg.path for cfg in found[1:]))
    # No pytest config in the service or above it: pytest falls back to the service's pyproject.toml for its
    # rootdir, so the options go there; otherwise into a new pytest.ini in the service.
    if "pyproject.toml" in files:
        return PytestConfig("pyproject.toml", TOML_INI, ("tool", "pytest", "ini_options"), False)
    return PytestConfig("pytest.ini", INI, ("pytest",), False)


def pytest_configs_above(directory: str, paths: set[str], read: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """(service-relative path, repo path) of the files holding pytest configuration in the nearest folder above
    `directory` that has any (the only folder above it pytest can read; its first file wins, the others are
    listed as ignored). `read(repo path)` gives a file's text, or None when it is not a readable text file."""
    if directory in ("", "."):
        return []
    parts = directory.strip("/").split("/")
    for up in range(1, len(parts) + 1):
        folder = "/".join(parts[:-up])
        found = []
        for name in CANDIDATES:
            repo_path = f"{folder}/{name}" if folder else name
            if repo_path not in paths:
                continue
            text = read(repo_path)
            if text is not None and read_config(name, text) is not None:
                found.append(("../" * up + name, repo_path))
        if found:
            return found
    return []

