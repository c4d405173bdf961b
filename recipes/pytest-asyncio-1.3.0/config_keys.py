"""pytest-asyncio's keys in the configuration pytest reads for a service (found by bot.declared.pytest_config, the way
pytest finds it, also above the service), and edits to them. INI files are edited as text (bot.declared.ini_text), TOML
files with tomlkit; the rules hand the result to the engine with `set_text`. A configuration shared with other
services (above the service folder) is never written: the edits it needs are listed instead (ConfigEditor.edits).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import tomlkit

from bot.declared.ini_text import IniSection
from bot.declared.pytest_config import INI, PytestConfig

FIXTURE_SCOPE_KEY = "asyncio_default_fixture_loop_scope"
TEST_SCOPE_KEY = "asyncio_default_test_loop_scope"
_ADDOPTS_MODE = re.compile(r"(--asyncio-mode(?:=|[ \t]+))auto\b")


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
        self.edits: list[tuple[str, str]] = []  # (key, what it should read), in order: listed when shared
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
        self.edits.append((key, f"{key} = {value}"))
        if self._ini is not None:
            self._ini.set(key, value)
        else:
            self._table(create=True)[key] = value

    def switch_addopts_mode(self, new_mode: str) -> int:
        """`--asyncio-mode=auto` / `--asyncio-mode auto` in addopts -> new_mode; returns the count."""
        count = self._switch_addopts_mode(new_mode)
        if count:
            self.edits.append(("addopts", f"--asyncio-mode={new_mode} in addopts"))
        return count

    def line_of(self, key: str) -> int:
        """1-based line of the key in the original file (of the section header when the key is not there)."""
        lines = self.original.splitlines()
        header = "[" + (self.config.section[0] if self._ini is not None else ".".join(self.config.section)) + "]"
        in_section, header_line = False, 1
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_section = stripped.split("#")[0].strip() == header
                header_line = number if in_section else header_line
            elif in_section and stripped.split("=")[0].split(":")[0].strip() == key:
                return number
        return header_line

    def _switch_addopts_mode(self, new_mode: str) -> int:
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
