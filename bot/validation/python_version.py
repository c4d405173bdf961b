"""The Python a service's tests run with, and the PR's sentence saying which ran and why.

A configured version (`python` in the check environment) or `.python-version` names one version. Otherwise
the declared range (`requires-python`, Poetry's `python`, setup.cfg/setup.py `python_requires`, narrowed by
`uv.lock`'s own `requires-python`) is tried from its lowest version up, as a CI matrix's first row would:
the interpreters on this machine that the range allows, oldest first, and when none does, the lowest one uv
can download. The environment builder tries the next candidate when one does not install (a pin without a
wheel for that Python), and the PR says plainly when the version that ran is not the declared lowest one."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import TOMLKitError

from bot.declared.python_support import setup_python_requires
from bot.validation.envs import EnvBuildError, Interpreter
from bot.validation.interpreters import (download, downloadable_minors, minor, own_interpreter,
                                         present_interpreters, version_key)
from bot.validation.poetry_deps import pep440
from bot.declared.toml_data import read_toml

MAX_ATTEMPTS = 3  # interpreters tried before the environment is declared unbuildable


@dataclass(frozen=True)
class Declared:
    """The Python version a service asks for, and where it says so."""

    request: str = ""  # ">=3.9", "3.11"; "" when nothing is declared
    source: str = ""  # the file (or setting) that says so
    exact: bool = False  # one version (.python-version, configured), not a range

    @property
    def words(self) -> str:
        return f"`{self.request}` ({self.source})"


@dataclass(frozen=True)
class PythonPlan:
    """The interpreters that may run a service's tests, in the order to try them."""

    declared: Declared
    candidates: tuple[Interpreter, ...]  # in the order to try
    lowest: str = ""  # the lowest minor version the declaration allows ("" when unknown)
    unavailable: str = ""  # why no candidate matches the declaration ("" when one does)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self, ran: Interpreter, failures: tuple[tuple[Interpreter, str], ...] = ()) -> str:
        """One paragraph for the PR: which Python ran, why, and what was not validated."""
        version = ran.version
        if not self.declared.request:
            return f"Python {version} ran the tests (the bot's own: the service declares no Python version)."
        reasons = [(minor(i.version), reason.rstrip(".")) for i, reason in failures]
        failed = reasons[0][1] if len(reasons) == 1 else "; ".join(f"on {m}, {why}" for m, why in reasons)
        if self.unavailable:
            return (f"Declared {self.declared.words}; ran {minor(version)} ({version}, the bot's own); not validated "
                    f"on {self.lowest or self.declared.request}: {self.unavailable}.")
        if self.declared.exact and _matches(version, self.declared.request):
            return f"Python {version} ran the tests, as {self.declared.words} says."
        if self.lowest and minor(version) != self.lowest:
            why = failed or "no interpreter of that version here, and none could be downloaded"
            return (f"Declared {self.declared.words}; ran {minor(version)} ({version}); not validated on "
                    f"{self.lowest}: {why}.")
        return f"Python {version} ran the tests: the lowest version {self.declared.words} allows."


# --- what the service declares ------------------------------------------------------------------------
def declared_python(service_dir: Path, configured: str = "") -> Declared:
    if configured:
        return Declared(configured, "configured", exact=_is_version(configured))
    pinned = service_dir / ".python-version"
    if pinned.is_file():
        first = next((line.strip() for line in pinned.read_text().splitlines()
                      if line.strip() and not line.startswith("#")), "")
        if first:
            return Declared(first, ".python-version", exact=_is_version(first))
    document = _toml(service_dir / "pyproject.toml")
    ranges: list[tuple[str, str]] = []
    requires = (document.get("project") or {}).get("requires-python")
    poetry_python = (((document.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}).get("python")
    if isinstance(requires, str) and requires.strip():
        ranges.append((requires.strip(), "pyproject.toml"))
    elif isinstance(poetry_python, str) and poetry_python.strip() not in ("", "*"):
        ranges.append((pep440(poetry_python), "pyproject.toml"))
    else:
        found = _setup_python_requires(service_dir)
        if found:
            ranges.append(found)
    locked = _toml(service_dir / "uv.lock").get("requires-python")
    if isinstance(locked, str) and locked.strip() and not ranges:
        ranges.append((locked.strip(), "uv.lock"))
    if not ranges:
        return Declared()
    return Declared(*ranges[0])


def _is_version(text: str) -> bool:
    return bool(re.fullmatch(r"\d+\.\d+(\.\d+)?", text.strip()))


def _toml(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        document = read_toml(path.read_text(encoding="utf-8"))
    except (TOMLKitError, UnicodeDecodeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _setup_python_requires(service_dir: Path) -> tuple[str, str] | None:
    """As planning reads it (bot.declared.python_support): a literal, or built from module-level constants."""
    files = {name: (service_dir / name).read_text(encoding="utf-8", errors="replace")
             for name in ("setup.cfg", "setup.py") if (service_dir / name).is_file()}
    return setup_python_requires(files)


# --- which interpreters to try ------------------------------------------------------------------------
def python_plan(service_dir: Path, configured: str = "", prefer: Interpreter | None = None) -> PythonPlan:
    """prefer: an interpreter to try first when the declaration allows it (the one the branch ran on, for
    the base: both sides of a comparison on one Python)."""
    return plan_for(declared_python(Path(service_dir), configured), prefer)


def interpreter_for(request: str, source: str) -> Interpreter:
    """The interpreter a tool that must run on `request` ("3.8", ">=3.12") uses, found as validation finds its
    own (bot.validation.interpreters: pyenv's versions behind shims uv cannot run, a runner's tool cache, a
    download when allowed): the lowest one the request allows. EnvBuildError saying why when there is none."""
    plan = plan_for(Declared(request, source, exact=_is_version(request)))
    if plan.unavailable:
        raise EnvBuildError(f"{plan.declared.words}: {plan.unavailable}")
    return plan.candidates[0]


def plan_for(declared: Declared, prefer: Interpreter | None = None) -> PythonPlan:
    own = own_interpreter()
    if not declared.request:
        return PythonPlan(declared, _first(prefer, (own,)))
    present = present_interpreters()
    if declared.exact:
        matching = tuple(i for i in present if _matches(i.version, declared.request))
        # `.python-version` is the version developers run, not a limit: when the environment does not install
        # there (the new package dropped it), newer ones are tried and the PR says so. A configured one is exact.
        newer = () if declared.source == "configured" else tuple(
            i for i in present if version_key(i) > Version(declared.request) and not _matches(i.version, declared.request))
        if matching:
            return PythonPlan(declared, _first(prefer, (*matching[-1:], *newer)), lowest=minor(declared.request))
        try:
            return PythonPlan(declared, (download(declared.request),), lowest=minor(declared.request))
        except EnvBuildError as error:
            return PythonPlan(declared, (own,), lowest=declared.request,
                              unavailable=f"no Python {declared.request} here, and {_lower_first(error.reason)}")
    try:
        spec = SpecifierSet(declared.request)
    except InvalidSpecifier:
        return PythonPlan(declared, (own,), unavailable=f"`{declared.request}` is not a version range pip reads")
    allowed = tuple(i for i in present if spec.contains(i.version))
    lowest = floor_minor(spec)
    if allowed and (not lowest or minor(allowed[0].version) == lowest):
        return PythonPlan(declared, _first(prefer, allowed), lowest=lowest or minor(allowed[0].version))
    wanted = lowest or next((m for m in downloadable_minors() if _minor_allowed(spec, m)), "")
    if wanted:
        try:
            fetched = download(wanted)
            return PythonPlan(declared, _first(prefer, (fetched, *allowed)), lowest=wanted)
        except EnvBuildError as error:
            if not allowed:
                return PythonPlan(declared, (own,), lowest=wanted,
                                  unavailable=f"no interpreter here that it allows, and {_lower_first(error.reason)}")
    if allowed:
        return PythonPlan(declared, _first(prefer, allowed), lowest=wanted or minor(allowed[0].version))
    return PythonPlan(declared, (own,), lowest=wanted or declared.request,
                      unavailable="no interpreter here that it allows, and none that uv can download")


def _first(prefer: Interpreter | None, candidates: tuple[Interpreter, ...]) -> tuple[Interpreter, ...]:
    if prefer is None or not any(c.key_text == prefer.key_text for c in candidates):
        return candidates
    return (prefer, *[c for c in candidates if c.key_text != prefer.key_text])


def _matches(version: str, request: str) -> bool:
    return version == request or version.startswith(request + ".")


def floor_minor(spec: SpecifierSet) -> str:
    """The lowest X.Y a range allows, from its lower bounds ("" when it has none)."""
    floors = []
    for item in spec:
        if item.operator in (">=", "~=", "==", ">", "==="):
            try:
                release = Version(item.version.rstrip(".*")).release
            except InvalidVersion:
                continue
            floors.append(release[:2] if len(release) >= 2 else (release[0], 0))
    if not floors:
        return ""
    major, low = max(floors)
    for candidate in range(low, low + 3):  # `>3.9.99` allows 3.10 first
        if _minor_allowed(spec, f"{major}.{candidate}"):
            return f"{major}.{candidate}"
    return f"{major}.{low}"


def _minor_allowed(spec: SpecifierSet, minor_version: str) -> bool:
    return any(spec.contains(f"{minor_version}.{patch}") for patch in range(0, 40))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]

