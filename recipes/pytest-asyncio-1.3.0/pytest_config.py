"""The configuration file pytest actually reads for a service, its values, and edits to it.

Discovery follows pytest's `locate_config` for a run started in the service directory (pytest 9
order; 8.x reads the same files except the pytest.toml family and native `[tool.pytest]`):
pytest.toml, .pytest.toml (always), pytest.ini, .pytest.ini (always, even without a `[pytest]`
section), pyproject.toml (only with `[tool.pytest]` or `[tool.pytest.ini_options]`), tox.ini (only
with `[pytest]`), setup.cfg (only with `[tool:pytest]`). The first match wins and every later file
is ignored by pytest, so editing it would be a no-op (fact sheet A12). INI files are edited as text
(see ini_text), TOML files with tomlkit.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

import tomlkit
from tomlkit.exceptions import TOMLKitError

from .ini_text import IniSection

INI = "ini"  # [pytest] in pytest.ini / .pytest.ini / tox.ini, [tool:pytest] in setup.cfg
TOML_INI = "toml-ini"  # [tool.pytest.ini_options] in pyproject.toml: values are strings or lists
TOML_NATIVE = "toml"  # [tool.pytest] in pyproject.toml, [pytest] in pytest.toml: native TOML types

_ADDOPTS_MODE = re.compile(r"(--asyncio-mode(?:=|[ \t]+))auto\b")


@dataclass(frozen=True)
class PytestConfig:
    path: str  # service-relative; may not exist yet (then `exists` is False)
    kind: str
    section: tuple[str, ...]  # INI: (section name,); TOML: table path
    exists: bool
    values: Mapping[str, Any] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()  # files with pytest config that pytest ignores because of `path`

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


def _read(name: str, text: str) -> PytestConfig | None:
    """The config in one candidate file, or None when pytest would not take its config from it."""
    if name in ("pytest.toml", ".pytest.toml"):
        doc = _parse_toml(text) or {}
        return PytestConfig(name, TOML_NATIVE, ("pytest",), True, doc.get("pytest", {}))
    if name in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"):
        section = "tool:pytest" if name == "setup.cfg" else "pytest"
        ini = IniSection(text, section)
        if ini.exists() or name in ("pytest.ini", ".pytest.ini"):
            return PytestConfig(name, INI, (section,), True, ini.values())
        return None
    if name == "pyproject.toml":
        tool_pytest = ((_parse_toml(text) or {}).get("tool") or {}).get("pytest") or {}
        native = {k: v for k, v in tool_pytest.items() if k != "ini_options"}
        if native:
            return PytestConfig(name, TOML_NATIVE, ("tool", "pytest"), True, native)
        if "ini_options" in tool_pytest:
            return PytestConfig(name, TOML_INI, ("tool", "pytest", "ini_options"), True, tool_pytest["ini_options"])
    return None


CANDIDATES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def locate(files: Mapping[str, str]) -> PytestConfig:
    """The config pytest reads when run from the service directory (or where to create one)."""
    found = [(name, cfg) for name in CANDIDATES if name in files
             for cfg in [_read(name, files[name])] if cfg is not None]
    if found:
        first = found[0][1]
        return PytestConfig(first.path, first.kind, first.section, True, first.values,
                            tuple(name for name, _ in found[1:]))
    # No pytest config anywhere: pytest falls back to a pyproject.toml for the rootdir, so put
    # the options there; otherwise create the dedicated file.
    if "pyproject.toml" in files:
        return PytestConfig("pyproject.toml", TOML_INI, ("tool", "pytest", "ini_options"), False)
    return PytestConfig("pytest.ini", INI, ("pytest",), False)


def asyncio_mode(config: PytestConfig) -> tuple[str, str]:
    """(mode, where it comes from: "addopts", "ini" or "default"); `--asyncio-mode` beats the key."""
    args, mode = config.get_args("addopts"), None
    for index, arg in enumerate(args):
        if arg.startswith("--asyncio-mode="):
            mode = arg.split("=", 1)[1]
        elif arg == "--asyncio-mode" and index + 1 < len(args):
            mode = args[index + 1]
    if mode is not None:
        return mode, "addopts"
    value = config.get("asyncio_mode")
    return (value.strip(), "ini") if value else ("strict", "default")


class ConfigEditor:
    """Edits the keys of the located config, keeping everything else in the file as written."""

    def __init__(self, files: Mapping[str, str], config: PytestConfig) -> None:
        self.config = config
        self.original = files.get(config.path, "")
        self._ini: IniSection | None = None
        self._doc: tomlkit.TOMLDocument | None = None
        if config.kind == INI:
            self._ini = IniSection(self.original, config.section[0])
        else:
            self._doc = tomlkit.parse(self.original)

    def get(self, key: str) -> str | None:
        if self._ini is not None:
            return self._ini.get(key)
        table = self._table(create=False)
        value = None if table is None else table.get(key)
        return None if value is None or isinstance(value, list) else str(value)

    def set(self, key: str, value: str) -> None:
        if self._ini is not None:
            self._ini.set(key, value)
        else:
            self._table(create=True)[key] = value

    def switch_addopts_mode(self, new_mode: str) -> int:
        """`--asyncio-mode=auto` / `--asyncio-mode auto` in addopts -> new_mode; returns the count."""
        if self._ini is not None:
            return self._ini.substitute_in_value("addopts", _ADDOPTS_MODE, rf"\g<1>{new_mode}")
        table = self._table(create=False)
        if table is None or "addopts" not in table:
            return 0
        addopts = table["addopts"]
        if isinstance(addopts, str):
            new, count = _ADDOPTS_MODE.subn(rf"\g<1>{new_mode}", str(addopts))
            if count:
                table["addopts"] = new
            return count
        count = 0
        for index, item in enumerate(list(addopts)):
            previous = str(addopts[index - 1]) if index else ""
            if str(item) == "--asyncio-mode=auto":
                addopts[index] = f"--asyncio-mode={new_mode}"
                count += 1
            elif str(item) == "auto" and previous == "--asyncio-mode":
                addopts[index] = new_mode
                count += 1
        return count

    def text(self) -> str:
        if self._ini is not None:
            return self._ini.text()
        assert self._doc is not None
        return tomlkit.dumps(self._doc)

    def _table(self, create: bool) -> Any:
        assert self._doc is not None
        node: Any = self._doc
        path = self.config.section
        for depth, key in enumerate(path):
            if key not in node:
                if not create:
                    return None
                # Intermediate tables stay implicit so the file gains one `[tool.pytest.ini_options]` header.
                node.append(key, tomlkit.table(is_super_table=depth < len(path) - 1))
            node = node[key]
        return node
