"""Hand-pinned `--hash=` requirements: the new pin written with the index's hashes for it, in the
layout the old entry had (one line, or one `--hash` per continuation line). Pure; the hashes come
from bot.locking.run."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from bot.declared.requirements import HASH_RULE, parse_requirements
from bot.declared.spec_style import exact_version
from bot.model import ManualItem


@dataclass(frozen=True)
class HashedPin:
    """A `--hash=` pinned requirement the upgrade re-pins, with the index's hashes of the new version."""

    item: ManualItem  # the REQ001 item edit_requirements left for this entry
    name: str
    version: str

    @property
    def pinned(self) -> str:
        return f"{self.name}=={self.version}"


def hashed_pins(manual: Sequence[ManualItem]) -> list[HashedPin]:
    """Entries whose new pin is exact: these can get hashes; anything else stays a manual item."""
    out = []
    for item in manual:
        if item.rule != HASH_RULE or not item.old_code or not item.suggestion:
            continue
        declared = parse_requirements(item.suggestion, item.file)[0]
        version = exact_version(declared[0].spec) if declared else None
        if version:
            out.append(HashedPin(item, declared[0].name, version))
    return out


def parse_hashes(compiled: str) -> dict[str, list[str]]:
    """{name: ["sha256:...", ...]} from `uv pip compile --generate-hashes` output."""
    out: dict[str, list[str]] = {}
    current = None
    for line in compiled.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            declared = parse_requirements(line.rstrip(" \\"), "")[0]
            current = declared[0].name if declared else None
            if current:
                out.setdefault(current, [])
        for digest in re.findall(r"--hash=(\S+)", line):
            if current:
                out[current].append(digest)
    return out


def rewrite(text: str, pin: HashedPin, hashes: Sequence[str]) -> str | None:
    """text with the old entry replaced; None when the entry is not found as written."""
    old = pin.item.old_code
    eol = "\r\n" if "\r\n" in text else "\n"
    old_text = old.replace("\n", eol)
    if not hashes or text.count(old_text) != 1:
        return None
    lines = old.split("\n")
    comment = re.search(r"\s+#.*$", lines[-1])  # a trailing comment stays at the end of the entry
    if comment:
        lines[-1] = lines[-1][:comment.start()]
    if len(lines) == 1:
        new = " ".join([pin.item.suggestion, *(f"--hash={h}" for h in hashes)])
    else:
        indent = re.match(r"\s*", lines[1]).group(0) or "    "
        new = f" \\{eol}".join([pin.item.suggestion, *(f"{indent}--hash={h}" for h in hashes)])
    return text.replace(old_text, new + (comment.group(0) if comment else ""))


def apply_hashes(files: Mapping[str, str], pins: Sequence[HashedPin],
                 hashes: Mapping[str, list[str]]) -> tuple[dict[str, str], list[HashedPin]]:
    """New texts of the files whose entries got hashes, and the pins that did."""
    texts: dict[str, str] = {}
    done = []
    for pin in pins:
        current = texts.get(pin.item.file, files[pin.item.file])
        new = rewrite(current, pin, hashes.get(pin.name, []))
        if new is not None:
            texts[pin.item.file] = new
            done.append(pin)
    return texts, done
