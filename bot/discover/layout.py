"""Which directories are services: the configured globs, or, with no `services` setting, the
repository root when it is a Python project and there is no services/ folder. Pure (paths in,
patterns out); says in one line why when nothing is found, never a silent empty plan."""
from __future__ import annotations

import posixpath
from typing import Iterable, Sequence

from tomlkit.exceptions import TOMLKitError

from bot.errors import ConfigError
from bot.declared.ini_text import IniSection
from bot.declared.toml_data import read_toml

ROOT = "."
DEFAULT_PATTERNS = ("services/*",)


def is_root(pattern_or_path: str) -> bool:
    return pattern_or_path.strip("/") in ("", ROOT)


def root_is_project(paths: Iterable[str], read_text) -> bool:
    """A pyproject.toml that describes a project (not only tool settings), a setup.py, a setup.cfg with project
    metadata or options (not only flake8's), or top-level requirements."""
    paths = set(paths)
    if any(_top_level_requirements(p) for p in paths) or "setup.py" in paths:
        return True
    if "setup.cfg" in paths and _setup_cfg_describes_a_project(read_text):
        return True
    if "pyproject.toml" not in paths:
        return False
    try:
        doc = read_toml(read_text("pyproject.toml"))
    except (TOMLKitError, UnicodeDecodeError):
        return True  # discovery reports the broken file
    return "project" in doc or "poetry" in doc.get("tool", {}) or "dependency-groups" in doc


def _setup_cfg_describes_a_project(read_text) -> bool:
    try:
        text = read_text("setup.cfg")
    except UnicodeDecodeError:
        return True  # discovery reports the broken file
    return any(IniSection(text, section).exists() for section in ("metadata", "options"))


def _top_level_requirements(path: str) -> bool:
    name = posixpath.basename(path)
    top = "/" not in path and name.startswith("requirements") and name.endswith(".txt")
    return top or (path.startswith("requirements/") and path.count("/") == 1 and name.endswith(".txt"))


def service_patterns(paths: Sequence[str], read_text, configured: Sequence[str] | None,
                     source: str) -> tuple[str, ...]:
    """The globs to discover with. configured=None: no `services` setting anywhere."""
    if configured is not None:
        return tuple(configured)
    root = root_is_project(paths, read_text)
    has_services_dir = any(p.startswith("services/") for p in paths)
    if root and has_services_dir:
        raise ConfigError(source or "upgrade-bot.toml", "services",
                          "mixed layout: the root is a Python project and services/ exists; set "
                          "services = \".\" (the root is the one service) or services = \"services/*\"")
    return (ROOT,) if root else DEFAULT_PATTERNS


def require_services(found: int, patterns: Sequence[str], skipped: Sequence[str],
                     paths: Sequence[str], source: str) -> None:
    """Raise the one-line reason when the patterns found no service."""
    if found:
        return
    shown = ", ".join(f'"{p}"' for p in patterns)
    if skipped:
        saw = f"matched {len(skipped)} folder(s), none a service ({', '.join(skipped[:5])})"
    else:
        tops = sorted({p.split("/")[0] + ("/" if "/" in p else "") for p in paths})
        saw = f"matched nothing; the repository's top level has: {', '.join(tops[:12]) or '(no files)'}"
    raise ConfigError(source or "(defaults)", "services", f"{shown} found no service: {saw}")
