"""Read and edit pip requirements files without disturbing anything the edit does not touch.

Pure text in, text out. An edit is spliced into the original text at the exact span of the
name, extras or specifier it changes; nothing is re-serialised from a parsed object, so
comments, options, markers, continuations, line endings and a missing final newline survive.

Where `add` appends a missing requirement: if the file's requirements are already in
alphabetical order, at its sorted place (right after the requirement that precedes it, or
before the first one); otherwise right after the last requirement line, so trailing comments
and blank lines stay at the end of the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from bot.model import ManualItem, RequirementEdit

HASH_RULE = "REQ001"
HASH_REASON = (
    "pinned with --hash; hashes cannot be recomputed offline: "
    "regenerate the lock (pip-compile --generate-hashes)"
)
UNSUPPORTED_RULE = "REQ002"
URL_REASON = "installed from a URL or path; the bot does not rewrite direct references"

EDIT_ACTIONS = ("set", "add", "replace", "remove")


@dataclass(frozen=True)
class Declaration:
    """One declared dependency."""

    file: str  # path as given by the caller
    line: int  # 1-based line where the requirement starts
    name: str  # canonical name
    raw_name: str  # as written
    extras: tuple[str, ...]
    spec: str  # as written, whitespace stripped; "" when unpinned
    marker: str  # "" when none
    hashed: bool  # has --hash options
    section: str  # "" for requirements files; the TOML table path for pyproject
    url: str = ""  # direct reference (`name @ url`, Poetry git/path/url); never edited


@dataclass
class EditOutcome:
    """A requirements file after an edit: its new text, what changed, and what is left to a human."""

    text: str  # new text (== input when nothing changed)
    applied: list[str] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)


# pip: a comment starts at "#" at the start of a line or after whitespace
_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
# pip splits the requirement from its per-requirement options at the first "-"-prefixed token
_OPTIONS_RE = re.compile(r"\s+-")
_NAME_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_REFERENCE_OPTIONS = ("-r", "--requirement", "-c", "--constraint")


@dataclass(frozen=True)
class _Logical:
    """One logical line: physical lines joined on trailing backslashes."""

    start: int  # offset of its first physical line in the text
    end: int  # offset just past its last physical line (line ending included)
    first_line: int  # 1-based
    content: str  # joined, without continuation backslashes and line endings
    offsets: tuple[
        int, ...
    ]  # text offset of every character of `content`, plus one past the end


@dataclass(frozen=True)
class _Located:
    """A requirement line with the text spans an edit may replace."""

    decl: Declaration
    logical: _Logical
    name_span: tuple[int, int]
    extras_span: tuple[int, int]  # empty (at name end) when there are no extras
    spec_span: tuple[int, int]  # empty (at extras end) when unpinned
    requirement_text: (
        str  # name, extras, spec and marker, as written, comment and options excluded
    )


def _split_physical(text: str) -> list[tuple[int, str, str]]:
    """(offset, line without ending, ending) for every physical line."""
    lines = []
    offset = 0
    for chunk in text.splitlines(keepends=True):
        body = chunk.rstrip("\r\n")
        lines.append((offset, body, chunk[len(body) :]))
        offset += len(chunk)
    return lines


def _logical_lines(text: str) -> list[_Logical]:
    physical = _split_physical(text)
    result: list[_Logical] = []
    i = 0
    while i < len(physical):
        start, first_no = physical[i][0], i + 1
        content: list[str] = []
        offsets: list[int] = []
        while True:
            offset, body, ending = physical[i]
            i += 1
            # like pip: a comment line ending in a backslash does not continue
            continues = (
                body.endswith("\\")
                and not _COMMENT_RE.match(body)
                and i < len(physical)
            )
            kept = body[:-1] if continues else body
            content.append(kept)
            offsets.extend(range(offset, offset + len(kept)))
            if not continues:
                end = offset + len(body) + len(ending)
                offsets.append(offset + len(kept))
                break
        result.append(_Logical(start, end, first_no, "".join(content), tuple(offsets)))
    return result


def _strip_comment(content: str) -> str:
    return _COMMENT_RE.sub("", content)


def _reference_target(stripped: str) -> str | None:
    """The file named by a -r/-c line, as written; None for other lines."""
    for option in _REFERENCE_OPTIONS:
        if stripped.startswith((option + "=", option + " ")):
            return stripped[len(option) + 1 :].strip()
        if option in ("-r", "-c") and stripped.startswith(option) and len(stripped) > 2:
            return stripped[2:].strip()
    return None


@functools.lru_cache(maxsize=4096)
def _requirement(text: str) -> Requirement:
    """Parsed once per process, and only read: every job of a service scans the same requirement files
    again, and packaging's parser is most of a scan."""
    return Requirement(text)


def _locate(logical: _Logical, file: str) -> _Located | None:
    """Parse one logical line as a requirement; None for options, comments, blanks and paths."""
    uncommented = _strip_comment(logical.content)
    if not uncommented.strip() or uncommented.lstrip().startswith("-"):
        return None
    options_at = _OPTIONS_RE.search(uncommented)
    requirement_part = uncommented[: options_at.start()] if options_at else uncommented
    options = uncommented[options_at.start() :] if options_at else ""
    try:
        parsed = _requirement(requirement_part.strip())
    except InvalidRequirement:
        return None  # bare paths, archive URLs, env-var references: not ours to touch

    name_match = _NAME_RE.match(requirement_part)
    if not name_match:
        return None
    name_start, name_end = name_match.span(1)
    pos = name_end
    while pos < len(requirement_part) and requirement_part[pos].isspace():
        pos += 1
    extras_start = extras_end = name_end
    if pos < len(requirement_part) and requirement_part[pos] == "[":
        close = requirement_part.index("]", pos)
        extras_start, extras_end = pos, close + 1
    marker_at = requirement_part.find(";", extras_end)
    spec_region_end = marker_at if marker_at >= 0 else len(requirement_part)
    region = requirement_part[extras_end:spec_region_end]
    if region.strip() and not parsed.url:
        spec_start = extras_end + (len(region) - len(region.lstrip()))
        spec_end = extras_end + len(region.rstrip())
    else:
        spec_start = spec_end = extras_end

    to_text = logical.offsets.__getitem__
    decl = Declaration(
        file=file,
        line=logical.first_line,
        name=canonicalize_name(parsed.name),
        raw_name=parsed.name,
        extras=tuple(sorted(parsed.extras)),
        spec=re.sub(
            r"[\s()]+", "", requirement_part[spec_start:spec_end]
        ),  # "(>=1)" is legacy for ">=1"
        marker=str(parsed.marker) if parsed.marker else "",
        hashed="--hash" in options,
        section="",
        url=parsed.url or "",
    )
    return _Located(
        decl=decl,
        logical=logical,
        name_span=(to_text(name_start), to_text(name_end)),
        extras_span=(to_text(extras_start), to_text(extras_end)),
        spec_span=(to_text(spec_start), to_text(spec_end)),
        requirement_text=requirement_part.strip(),
    )


def _scan(text: str, file: str) -> tuple[list[_Located], list[str], list[_Logical]]:
    located: list[_Located] = []
    references: list[str] = []
    logicals = _logical_lines(text)
    for logical in logicals:
        target = _reference_target(_strip_comment(logical.content).strip())
        if target is not None:
            references.append(target)
            continue
        found = _locate(logical, file)
        if found:
            located.append(found)
    return located, references, logicals


def parse_requirements(text: str, file: str) -> tuple[list[Declaration], list[str]]:
    """Declarations, and the targets of -r/--requirement and -c/--constraint lines (as written)."""
    located, references, _ = _scan(text, file)
    return [item.decl for item in located], references


# ---------------------------------------------------------------- editing


def specs_equal(left: str, right: str) -> bool:
    """Whether two specifier strings mean the same thing ("==1.0" vs "== 1.0")."""
    try:
        return SpecifierSet(left) == SpecifierSet(right)
    except InvalidSpecifier:
        return re.sub(r"\s+", "", left) == re.sub(r"\s+", "", right)


def merged_extras(existing: Sequence[str], wanted: Sequence[str]) -> tuple[str, ...]:
    """Existing extras in their order, then wanted ones not already there (by canonical name)."""
    seen = {canonicalize_name(e) for e in existing}
    extra_new = [e for e in wanted if canonicalize_name(e) not in seen]
    return tuple(existing) + tuple(dict.fromkeys(extra_new))


@dataclass
class _Target:
    """The desired state of one located declaration, accumulated over all edits."""

    raw_name: str
    extras: tuple[str, ...]
    spec: str
    removed: bool = False
    renamed: bool = False


def _written_extras(located: _Located, text: str) -> tuple[str, ...]:
    start, end = located.extras_span
    inner = text[start:end].strip()[1:-1] if end > start else ""
    return tuple(e.strip() for e in inner.split(",") if e.strip())


def _render_requirement(
    raw_name: str, extras: Sequence[str], spec: str, marker_tail: str = ""
) -> str:
    extras_text = f"[{','.join(extras)}]" if extras else ""
    return f"{raw_name}{extras_text}{spec}{marker_tail}"


def _line_ending(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _describe(decl: Declaration, target: _Target) -> str:
    before = _render_requirement(decl.raw_name, decl.extras, decl.spec)
    if target.removed:
        return f"{before} removed (line {decl.line})"
    if target.renamed:
        after = _render_requirement(target.raw_name, target.extras, target.spec)
        return f"{before} -> {after} (line {decl.line})"
    extras_note = ""
    if set(target.extras) != set(decl.extras):
        extras_note = f" [{','.join(target.extras)}]"
    return f"{decl.raw_name}: {decl.spec or '(any)'} -> {target.spec or '(any)'}{extras_note} (line {decl.line})"


def _spliced_requirement(located: _Located, target: _Target, text: str) -> str:
    """The new text of the name..spec span, keeping the original gaps between its parts."""
    (ns, ne), (es, ee), (ss, se) = (
        located.name_span,
        located.extras_span,
        located.spec_span,
    )
    old_extras = _written_extras(located, text)
    name = target.raw_name if target.renamed else text[ns:ne]
    if tuple(target.extras) == old_extras:
        extras = text[es:ee]
    else:
        extras = f"[{','.join(target.extras)}]" if target.extras else ""
    spec = (
        text[ss:se]
        if specs_equal(text[ss:se], target.spec) and not target.renamed
        else _comma_style(text[ss:se], target.spec)
    )
    return name + text[ne:es] + extras + text[ee:ss] + spec


def _comma_style(written: str, spec: str) -> str:
    """`spec` with its clauses separated as `written` separated them (`>=8.1.0, <9` -> `>=9.1.2, <10`)."""
    if ", " in written and "," in spec and ", " not in spec:
        return ", ".join(part.strip() for part in spec.split(","))
    return spec


def _suggestion(located: _Located, target: _Target, text: str) -> str:
    """The whole requirement (marker included) as it should read, without options or hashes."""
    if target.removed:
        return f"remove {located.decl.raw_name} from the lock"
    if located.decl.url:  # a version specifier cannot sit next to a direct reference
        marker = f"; {located.decl.marker}" if located.decl.marker else ""
        return _render_requirement(target.raw_name, target.extras, target.spec, marker)
    new_head = _spliced_requirement(located, target, text)
    (ns, _), (_, se) = located.name_span, located.spec_span
    logical = located.logical
    content_start = logical.offsets.index(ns)
    content_end = logical.offsets.index(se)
    old_head = logical.content[content_start:content_end]
    rest = located.requirement_text[
        located.requirement_text.index(old_head) + len(old_head) :
    ]
    return (new_head + rest).strip()


def _original_lines(text: str, logical: _Logical) -> str:
    return "\n".join(
        line.rstrip("\r")
        for line in text[logical.start : logical.end].rstrip("\r\n").split("\n")
    )


def edit_requirements(
    text: str, file: str, edits: Sequence[RequirementEdit], *, allow_add: bool
) -> EditOutcome:
    located, _, logicals = _scan(text, file)
    targets = {
        id(item): _Target(
            item.decl.raw_name, _written_extras(item, text), item.decl.spec
        )
        for item in located
    }
    additions: dict[str, _Target] = {}  # canonical name -> requirement to append

    def live(name: str) -> list[_Located]:
        return [
            i
            for i in located
            if canonicalize_name(targets[id(i)].raw_name) == name
            and not targets[id(i)].removed
        ]

    for edit in edits:
        if edit.action not in EDIT_ACTIONS:
            raise ValueError(f"unknown requirement edit action {edit.action!r}")
        package = canonicalize_name(edit.package)
        spec = edit.spec.strip()
        current = live(package)
        if edit.action == "remove":
            for item in current:
                targets[id(item)].removed = True
            additions.pop(package, None)
        elif edit.action in ("set", "add"):
            for item in current:
                target = targets[id(item)]
                target.spec = spec
                target.extras = merged_extras(target.extras, edit.extras)
            if package in additions:
                additions[package].spec = spec
                additions[package].extras = merged_extras(
                    additions[package].extras, edit.extras
                )
            elif not current and edit.action == "add" and allow_add:
                additions[package] = _Target(edit.package, tuple(edit.extras), spec)
        elif edit.action == "replace":
            new_name = canonicalize_name(edit.new_package)
            already = live(new_name) if new_name != package else []
            for item in current:
                target = targets[id(item)]
                if already:
                    target.removed = (
                        True  # the new package is declared: don't declare it twice
                    )
                else:
                    target.raw_name, target.renamed = edit.new_package, True
                    target.extras, target.spec = tuple(edit.extras), spec
            for item in already if current else []:
                targets[id(item)].spec = spec
                targets[id(item)].extras = merged_extras(
                    targets[id(item)].extras, edit.extras
                )

    outcome = EditOutcome(text=text)
    splices: list[tuple[int, int, str]] = []
    for item in located:
        decl, target = item.decl, targets[id(item)]
        unchanged = (
            not target.removed
            and not target.renamed
            and specs_equal(decl.spec, target.spec)
            and set(target.extras) == set(_written_extras(item, text))
        )
        if unchanged:
            continue
        if decl.hashed or (decl.url and not target.removed):
            outcome.manual.append(
                ManualItem(
                    file=file,
                    line=decl.line,
                    old_code=_original_lines(text, item.logical),
                    reason=HASH_REASON if decl.hashed else URL_REASON,
                    rule=HASH_RULE if decl.hashed else UNSUPPORTED_RULE,
                    suggestion=_suggestion(item, target, text),
                )
            )
            continue
        if target.removed:
            splices.append((item.logical.start, item.logical.end, ""))
        else:
            splices.append(
                (
                    item.name_span[0],
                    item.spec_span[1],
                    _spliced_requirement(item, target, text),
                )
            )
        outcome.applied.append(_describe(decl, target))

    if additions:
        _plan_additions(text, file, located, logicals, additions, splices, outcome)

    outcome.text = _apply_splices(text, splices)
    return outcome


def _apply_splices(text: str, splices: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) splices; insertions at one spot keep their order and
    come before a replacement starting there (a line added before a line that is also edited)."""
    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(splices, key=lambda s: (s[0], s[1])):  # stable
        if start > cursor:
            pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    return "".join(pieces)


def _plan_additions(
    text: str,
    file: str,
    located: list[_Located],
    logicals: list[_Logical],
    additions: dict[str, _Target],
    splices: list[tuple[int, int, str]],
    outcome: EditOutcome,
) -> None:
    eol = _line_ending(text)
    names = [item.decl.name for item in located]
    is_sorted = len(names) >= 2 and names == sorted(names)
    already_inserted: dict[int, int] = {}  # position -> lines inserted there so far
    for name, target in sorted(additions.items()):
        line_text = _render_requirement(target.raw_name, target.extras, target.spec)
        anchor = _insertion_anchor(name, located, is_sorted)
        if anchor is None:  # no requirement at all: append at the end of the file
            position = len(text)
            line_no = len(logicals) + 1
            needs_break = (
                text
                and not text.endswith(("\n", "\r"))
                and position not in already_inserted
            )
            insert = (eol if needs_break else "") + line_text + eol
        elif anchor[1] == "before":
            position, line_no = anchor[0].logical.start, anchor[0].decl.line
            insert = line_text + eol
        else:
            logical = anchor[0].logical
            position = logical.end
            line_no = (
                logical.first_line
                + text[logical.start : logical.end].rstrip("\r\n").count("\n")
                + 1
            )
            ends_with_newline = text[logical.start : logical.end].endswith(("\n", "\r"))
            insert = (line_text + eol) if ends_with_newline else (eol + line_text)
        if any(item.decl.hashed for item in located):
            # one hash in a file turns on pip's hash-checking mode for all of it
            outcome.manual.append(
                ManualItem(
                    file=file,
                    line=line_no,
                    old_code="",
                    reason=HASH_REASON,
                    rule=HASH_RULE,
                    suggestion=line_text,
                )
            )
            continue
        line_no += already_inserted.get(position, 0)
        already_inserted[position] = already_inserted.get(position, 0) + 1
        splices.append((position, position, insert))
        outcome.applied.append(f"{line_text} added (line {line_no})")


def _insertion_anchor(
    name: str, located: list[_Located], is_sorted: bool
) -> tuple[_Located, str] | None:
    if not located:
        return None
    if is_sorted:
        preceding = [item for item in located if item.decl.name < name]
        if not preceding:
            return located[0], "before"
        return preceding[-1], "after"
    return located[-1], "after"
