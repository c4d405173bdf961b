"""PR titles and bodies from templates/, with the hidden marker and the size guard. Pure."""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2

from bot.bundled import bundled

TEMPLATES = bundled("templates")
MAX_BODY = 65_536
MARKER_PREFIX = "<!-- upgrade-bot:"
_MARKER = re.compile(r"<!-- upgrade-bot:(\{.*?\}) -->", re.S)
_BLANK_LINES = re.compile(r"\n{3,}")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # The bundled templates do not change while the bot runs: Jinja's default stats a template's file on
    # every get_template to recompile it when edited (~140 in a first run of the example fleet).
    auto_reload=False,
    # Jinja's optimizer folds constant expressions while compiling; these templates have none worth folding
    # (everything they print comes from the context), and the pass costs ~10% of compiling them.
    optimized=False,
)
_env.filters["md_inline"] = lambda s: "`" + str(s).replace("`", "'").replace("\n", " ") + "`"


def _is_python(text: str) -> bool:
    """Suggestions that are code go in a code block; advice in prose stays prose."""
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


_env.tests["python"] = _is_python


def render(template: str, **context: Any) -> str:
    # Optional sections leave runs of blank lines behind; Markdown reads one as well as three.
    return _BLANK_LINES.sub("\n\n", _env.get_template(template).render(**context))


def marker(metadata: dict[str, Any]) -> str:
    # "--" may not appear inside an HTML comment; JSON lets us escape it.
    payload = json.dumps(metadata, sort_keys=True, separators=(",", ":")).replace("--", "-\\u002d")
    return f"{MARKER_PREFIX}{payload} -->"


def with_marker(body: str, metadata: dict[str, Any]) -> str:
    """The body with its marker holding `metadata` instead (appended when it has none)."""
    if _MARKER.search(body or ""):
        return _MARKER.sub(lambda _: marker(metadata), body, count=1)
    return f"{body}\n\n{marker(metadata)}"


def read_marker(body: str | None) -> dict[str, Any] | None:
    match = _MARKER.search(body or "")
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except json.JSONDecodeError:
        return None


@dataclass
class Body:
    """A PR body that fits the forge's limit, and the comments holding what did not."""

    text: str
    overflow: list[str]  # comment bodies carrying what did not fit


def fit_body(text: str, overflow_section: str, keep: str, limit: int = MAX_BODY) -> Body:
    """Keep `text` whole when it fits; else cut `overflow_section` out of it into comments.

    `keep` (the marker) always stays in the body, so the bot still recognises its PR.
    """
    if len(text) <= limit:
        return Body(text, [])
    notice = ("\n\n> **This description was too long for GitHub.** The rest of the manual-change "
              "checklist is in the comments below, marked *continued*.\n\n")
    room = limit - len(text) + len(overflow_section) - len(notice) - 200
    head = _cut_at_line(overflow_section, max(room, 0))
    body = text.replace(overflow_section, head + notice, 1)
    if len(body) > limit:  # the rest of the body alone is too long: keep the marker at least
        body = body[: limit - len(keep) - 64] + "\n\n…(truncated)\n\n" + keep
    rest = overflow_section[len(head):]
    chunk_size = limit - 200
    parts = []
    while rest:
        piece = _cut_at_line(rest, chunk_size) or rest[:chunk_size]
        parts.append(f"**Manual changes (continued {len(parts) + 1})**\n\n{piece}")
        rest = rest[len(piece):]
    return Body(body, parts)


def _cut_at_line(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.rfind("\n", 0, size)
    return text[: cut + 1] if cut > 0 else ""
