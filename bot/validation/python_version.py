"""The Python a service's tests run with: the one it declares (`.python-version`, `requires-python`,
Poetry's `python`) when uv finds such an interpreter on this machine (never downloaded), else the
bot's own, and a line for the PR that says which ran and why."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from tomlkit.exceptions import TOMLKitError

from bot.validation.envs import EnvBuildError, resolve_interpreter
from bot.validation.poetry_deps import pep440


@dataclass(frozen=True)
class PythonChoice:
    path: str | None  # None: the bot's own interpreter
    version: str
    declared: str  # "" when the service declares nothing
    source: str  # the file that declares it

    def describe(self) -> str:
        if not self.declared:
            return f"Tests ran with Python {self.version} (the bot's own; the service declares no Python version)."
        where = f"`{self.declared}` in `{self.source}`"
        if self.path is None:
            return (f"Tests ran with Python {self.version}, the bot's own: no interpreter on this machine "
                    f"matches the declared {where}.")
        return f"Tests ran with Python {self.version}, as declared ({where})."


def declared_python(service_dir: Path) -> tuple[str, str]:
    """(request for `uv python find`, file that declares it); ("", "") when nothing is declared."""
    pinned = service_dir / ".python-version"
    if pinned.is_file():
        first = next((line.strip() for line in pinned.read_text().splitlines() if line.strip()
                      and not line.startswith("#")), "")
        if first:
            return first, ".python-version"
    pyproject = service_dir / "pyproject.toml"
    if not pyproject.is_file():
        return "", ""
    try:
        document = tomlkit.parse(pyproject.read_text(encoding="utf-8")).unwrap()
    except (TOMLKitError, UnicodeDecodeError):
        return "", ""
    requires = (document.get("project") or {}).get("requires-python")
    if isinstance(requires, str) and requires.strip():
        return requires.strip(), "pyproject.toml"
    poetry_python = ((document.get("tool") or {}).get("poetry") or {}).get("dependencies", {}).get("python")
    if isinstance(poetry_python, str) and poetry_python.strip() not in ("", "*"):
        return pep440(poetry_python), "pyproject.toml"
    return "", ""


def choose_python(service_dir: Path) -> PythonChoice:
    request, source = declared_python(service_dir)
    own = resolve_interpreter(None)
    if not request:
        return PythonChoice(None, own.version, "", "")
    if _satisfies(own.version, request):  # the bot's own is as good as any: its envs are cached already
        return PythonChoice(str(own.path), own.version, request, source)
    try:
        found = resolve_interpreter(request)
    except EnvBuildError:
        return PythonChoice(None, own.version, request, source)
    return PythonChoice(str(found.path), found.version, request, source)


def _satisfies(version: str, request: str) -> bool:
    if request[:1].isdigit():  # "3.11" in .python-version: that minor, any patch
        return version == request or version.startswith(request + ".")
    try:
        return SpecifierSet(request).contains(version)
    except InvalidSpecifier:
        return False
