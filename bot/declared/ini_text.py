"""Read and edit one section of an INI file as text, keeping every other byte.

configparser would drop comments and reflow the file, so this works on lines, following the
parsing rules of iniconfig (the parser pytest uses): `#`/`;` lines are comments, `[name]` starts a
section, a line starting with whitespace continues the previous value, `key = value` and
`key: value` both define keys, inline comments are part of the value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT_CHARS = "#;"


@dataclass(frozen=True)
class _Entry:
    """Where one key of an INI section sits in the file's lines."""

    key: str
    first: int  # index of the key line
    last: int  # index of its last continuation line
    value_start: int  # column where the value starts on the key line


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped[0] in _COMMENT_CHARS


def _section_name(line: str) -> str | None:
    if _is_blank_or_comment(line) or line[0] != "[":
        return None
    head = line.rstrip()
    for char in _COMMENT_CHARS:
        head = head.split(char)[0].rstrip()
    return head[1:-1] if head.endswith("]") else None


def _key_of(line: str) -> tuple[str, int] | None:
    """(key, column where the value starts) for a key line, else None."""
    if _is_blank_or_comment(line) or line[0].isspace() or line[0] == "[":
        return None
    equals, colon = line.find("="), line.find(":")
    if equals >= 0 and ":" not in line[:equals]:
        sep = equals
    elif colon >= 0:
        sep = colon
    else:
        return None
    start = sep + 1
    while start < len(line) and line[start] in " \t":
        start += 1
    return line[:sep].strip(), start


class IniSection:
    """One `[section]` of an INI text; edits return nothing and are read back with `text()`."""

    def __init__(self, text: str, section: str) -> None:
        self._newline = "\r\n" if "\r\n" in text else "\n"
        self._lines = text.splitlines(keepends=True)
        self.section = section

    # ------------------------------------------------------------------ reading
    def exists(self) -> bool:
        return self._bounds() is not None

    def get(self, key: str) -> str | None:
        entry = self._entries().get(key)
        if entry is None:
            return None
        first = self._lines[entry.first].rstrip("\r\n")[entry.value_start:].rstrip()
        rest = [self._lines[i].strip() for i in range(entry.first + 1, entry.last + 1)]
        return "\n".join([first, *[r for r in rest if r and r[0] not in _COMMENT_CHARS]]).strip()

    def values(self) -> dict[str, str]:
        return {key: self.get(key) or "" for key in self._entries()}

    def entry(self, key: str) -> tuple[int, int, int] | None:
        """(index of the key line, index of its last continuation line, column where its value starts)."""
        entry = self._entries().get(key)
        return (entry.first, entry.last, entry.value_start) if entry else None

    def line_of(self, key: str) -> int | None:
        """1-based line of the key, for manual items."""
        entry = self._entries().get(key)
        return entry.first + 1 if entry else None

    def text(self) -> str:
        return "".join(self._lines)

    # ------------------------------------------------------------------ editing
    def set(self, key: str, value: str) -> None:
        """Replace the key's value (keeping `key = ` as written) or add `key = value` to the section."""
        entries = self._entries()
        if key in entries:
            entry = entries[key]
            prefix = self._lines[entry.first][: entry.value_start]
            self._lines[entry.first: entry.last + 1] = [prefix + value + self._line_end(entry.last)]
            return
        bounds = self._bounds()
        if bounds is None:
            self._append_section({key: value})
            return
        header, _ = bounds
        insert_at = max([e.last for e in entries.values()], default=header) + 1
        self._ensure_line_end(insert_at - 1)
        self._lines.insert(insert_at, f"{key} = {value}{self._newline}")

    def substitute_in_value(self, key: str, pattern: re.Pattern[str], replacement: str) -> int:
        """re.sub inside the key's value lines only; returns how many substitutions were made."""
        entry = self._entries().get(key)
        if entry is None:
            return 0
        count = 0
        for index in range(entry.first, entry.last + 1):
            line = self._lines[index]
            start = entry.value_start if index == entry.first else 0
            tail, found = pattern.subn(replacement, line[start:])
            self._lines[index] = line[:start] + tail
            count += found
        return count

    # ------------------------------------------------------------------ internals
    def _bounds(self) -> tuple[int, int] | None:
        """(header index, index after the section's last line)."""
        header = None
        for index, line in enumerate(self._lines):
            name = _section_name(line)
            if name is None:
                continue
            if header is not None:
                return header, index
            if name == self.section:
                header = index
        return (header, len(self._lines)) if header is not None else None

    def _entries(self) -> dict[str, _Entry]:
        bounds = self._bounds()
        if bounds is None:
            return {}
        header, end = bounds
        entries: dict[str, _Entry] = {}
        current: _Entry | None = None
        for index in range(header + 1, end):
            line = self._lines[index]
            key = _key_of(line)
            if key is not None:
                current = _Entry(key[0], index, index, key[1])
                entries[current.key] = current
            elif current is not None and not _is_blank_or_comment(line) and line[0].isspace():
                current = _Entry(current.key, current.first, index, current.value_start)
                entries[current.key] = current
        return entries

    def _line_end(self, index: int) -> str:
        line = self._lines[index]
        return line[len(line.rstrip("\r\n")):] or self._newline

    def _ensure_line_end(self, index: int) -> None:
        if 0 <= index < len(self._lines) and not self._lines[index].endswith(("\n", "\r")):
            self._lines[index] += self._newline

    def _append_section(self, values: dict[str, str]) -> None:
        if self._lines:
            self._ensure_line_end(len(self._lines) - 1)
            if self._lines[-1].strip():
                self._lines.append(self._newline)
        self._lines.append(f"[{self.section}]{self._newline}")
        self._lines += [f"{k} = {v}{self._newline}" for k, v in values.items()]
