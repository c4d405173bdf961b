"""The versions a project locks, as pinned requirement lines, so validation tests what the project
actually runs: a range such as `tenacity>=8,<9` resolves to whatever is newest today, the lock says
which one the project ships.

uv.lock is read by uv itself (`uv export --frozen`: offline, no resolution). poetry.lock is read here:
Poetry's own export is a plugin Poetry 2 no longer bundles, and the file is plain TOML. Its packages
are walked from what the project declares for its runtime and its test groups/extras (the same
selection as for an unlocked pyproject), so an unrelated group (docs, lint) is never installed."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bot.validation.extra_markers import decide_extras

try:  # Python 3.11+: the standard library's reader, fast on a large lock file
    from tomllib import TOMLDecodeError, loads as _toml_loads
except ModuleNotFoundError:  # Python 3.10 (pyproject.toml admits it): tomlkit, a dependency already
    from tomlkit import parse as _tomlkit_parse
    from tomlkit.exceptions import ParseError as TOMLDecodeError

    def _toml_loads(text: str) -> dict:
        return _tomlkit_parse(text).unwrap()

UV_LOCK = "uv.lock"
POETRY_LOCK = "poetry.lock"
LOCK_FILES = (UV_LOCK, POETRY_LOCK)


class LockReadError(ValueError):
    """A lock file that cannot be turned into pins; the message is one line."""


@dataclass(frozen=True)
class LockedPin:
    """One line exported from a lock file, as a requirement or an index option."""

    text: str  # a requirements.txt line: "name==1.2.3 ; marker", or an index option
    name: str | None  # canonical package name; None for an option line


def lock_file(service_dir: Path) -> Path | None:
    """The service's lock file, when it has one next to the pyproject.toml it locks."""
    if not (service_dir / "pyproject.toml").is_file():
        return None
    return next((service_dir / name for name in LOCK_FILES if (service_dir / name).is_file()), None)


def pinned_by(sources: Sequence[Path], compiled: Sequence[Path] = ()) -> str:
    """The PR's sentence on where the environment's versions come from ("" when from ranges)."""
    if sources and sources[0].name in LOCK_FILES:
        return f"The test environment holds the versions locked in `{sources[0].name}`."
    if compiled:
        names = ", ".join(f"`{path.name}`" for path in compiled)
        return f"The test environment holds the versions pinned in {names} (compiled by pip-compile/uv)."
    return ""


# ---------------------------------------------------------------------------------------------------
# uv.lock


def uv_export_command(uv: str, pyproject: dict, extras: Sequence[str], groups: Sequence[str]) -> list[str]:
    """`uv export` of the runtime dependencies plus the chosen extras and groups the project has, without
    the project itself (installed apart when it is a package: bot.validation.project_install)."""
    have_extras = {canonicalize_name(name) for name in (pyproject.get("project", {}).get("optional-dependencies") or {})}
    have_groups = {canonicalize_name(name) for name in (pyproject.get("dependency-groups") or {})}
    if ((pyproject.get("tool") or {}).get("uv") or {}).get("dev-dependencies"):
        have_groups.add("dev")  # uv's legacy dev-dependencies are its `dev` group
    command = [uv, "export", "--frozen", "--format", "requirements-txt", "--no-hashes", "--no-header",
               "--no-annotate", "--no-emit-project", "--emit-index-url", "--no-default-groups"]
    for name in extras:
        if canonicalize_name(name) in have_extras:
            command += ["--extra", name]
    for name in groups:
        if canonicalize_name(name) in have_groups:
            command += ["--group", name]
    return command


def uv_locked_pins(service_dir: Path, command: list[str], environment: dict[str, str]) -> list[LockedPin]:
    done = subprocess.run(command, cwd=service_dir, capture_output=True, text=True, check=False, env=environment)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise LockReadError(f"`uv export --frozen` failed: {lines[0] if lines else done.returncode}")
    return [_pin_from_line(line) for line in _requirement_lines(done.stdout)]


def _requirement_lines(text: str) -> Iterable[str]:
    """uv's export without header, annotations and hashes: one requirement or option a line."""
    return (line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _pin_from_line(line: str) -> LockedPin:
    if line.startswith("-"):
        return LockedPin(line, None)
    try:
        return LockedPin(line, canonicalize_name(Requirement(line.split(" --", 1)[0]).name))
    except InvalidRequirement:
        return LockedPin(line, None)


# ---------------------------------------------------------------------------------------------------
# poetry.lock


def poetry_locked_pins(lock_text: str, declared: Sequence[str], lock_dir: Path) -> list[LockedPin]:
    """Pins for the packages reachable from the declared requirements (PEP 508 strings), with the
    markers of the paths that reach them. Works for lock-version 2.0 (Poetry 1.x, no group data)
    and 2.1 (Poetry 2.x) alike, since both keep each package's own dependencies."""
    try:
        document = _toml_loads(lock_text)
    except TOMLDecodeError as error:
        raise LockReadError(f"invalid TOML: {error}") from error
    packages: dict[str, dict] = {}
    for package in document.get("package", []):
        name = canonicalize_name(package["name"])
        if name not in packages or _version(package) > _version(packages[name]):
            packages[name] = package  # several versions (split by Python): the newest one
    markers: dict[str, set[str]] = {}  # name -> markers reaching it; "" = unconditionally
    pending: list[tuple[str, frozenset[str], str]] = []
    for spec in declared:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as error:
            raise LockReadError(f"cannot read declared requirement {spec!r}") from error
        pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras),
                        str(requirement.marker) if requirement.marker else ""))
    expanded: set[tuple[str, frozenset[str], str]] = set()
    while pending:
        name, extras, marker = pending.pop()
        if (name, extras, marker) in expanded:
            continue
        expanded.add((name, extras, marker))
        package = packages.get(name)
        if package is None:
            raise LockReadError(f"{name} is declared but not locked (is poetry.lock stale?)")
        markers.setdefault(name, set()).add(marker)
        wanted_optional = _extra_members(package, extras)
        for child, value in (package.get("dependencies") or {}).items():
            for constraint in value if isinstance(value, list) else [value]:
                details = constraint if isinstance(constraint, dict) else {}
                if details.get("optional") and canonicalize_name(child) not in wanted_optional:
                    continue
                own = decide_extras(details.get("markers", ""), extras)
                if own is None:
                    continue  # an extra of this package nobody asked for
                edge = _and(marker, own)
                pending.append((canonicalize_name(child), frozenset(details.get("extras", ())), edge))
    indexes = sorted({p["source"]["url"] for n, p in packages.items() if n in markers
                      and (p.get("source") or {}).get("type") == "legacy"})
    pins = [LockedPin(f"--extra-index-url {url}", None) for url in indexes]
    for name in sorted(markers):
        pins.append(LockedPin(_poetry_pin(packages[name], lock_dir) + _or(markers[name]), name))
    return pins


def _version(package: dict) -> Version:
    try:
        return Version(str(package.get("version", "0")))
    except InvalidVersion:
        return Version("0")


def _extra_members(package: dict, extras: frozenset[str]) -> set[str]:
    members: set[str] = set()
    for extra, entries in (package.get("extras") or {}).items():
        if canonicalize_name(extra) in {canonicalize_name(e) for e in extras}:
            members |= {canonicalize_name(re.split(r"[\s(\[;<>=!~]", entry.strip(), maxsplit=1)[0]) for entry in entries}
    return members


def _poetry_pin(package: dict, lock_dir: Path) -> str:
    name, version = package["name"], package["version"]
    source = package.get("source") or {}
    kind = source.get("type")
    if kind == "git":
        return f"{name} @ git+{source['url']}@{source.get('resolved_reference') or source.get('reference')}"
    if kind in ("directory", "file"):
        return f"{name} @ {(lock_dir / source['url']).resolve().as_uri()}"
    if kind == "url":
        return f"{name} @ {source['url']}"
    return f"{name}=={version}"


def _and(left: str, right: str) -> str:
    if not left or not right:
        return left or right
    return f"({left}) and ({right})"


def _or(markers: set[str]) -> str:
    if "" in markers:
        return ""
    ordered = sorted(markers)
    return " ; " + (ordered[0] if len(ordered) == 1 else " or ".join(f"({m})" for m in ordered))
