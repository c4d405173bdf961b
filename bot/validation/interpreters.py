"""The Python interpreters validation can use: those on this machine, and those uv can download.

Found on this machine: what `uv python list --only-installed` reports (uv-managed ones, PATH), pyenv's
versions (`$PYENV_ROOT/versions`, which uv does not look into when pyenv's shims are not active), a GitHub
runner's tool cache, and the bot's own. One CPython per minor version (its newest patch).

Downloads: `uv python install X.Y`, unless uv's own `UV_PYTHON_DOWNLOADS=never` says not to. A machine that
cannot download (no network) says so once per process, in uv's words, and validation then uses what is here."""
from __future__ import annotations

import functools
import glob
import json
import os
import subprocess
import sys
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from bot.validation.envs import EnvBuildError, Interpreter, _describe_interpreter, _first_uv_error, _uv_environment, find_uv

DOWNLOADS_VARIABLE = "UV_PYTHON_DOWNLOADS"
DOWNLOAD_TIMEOUT = 300  # seconds: a CPython build is ~30 MB


@dataclass
class DownloadState:
    """What this process learnt about downloading interpreters with uv."""

    failed: str = ""  # uv's reason, once a download failed: no second try in this process


_downloads = DownloadState()


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def version_key(interpreter: Interpreter) -> Version:
    try:
        return Version(interpreter.version)
    except InvalidVersion:
        return Version("0")


@functools.cache
def present_interpreters() -> tuple[Interpreter, ...]:
    """CPython interpreters on this machine, one per minor version (its newest patch), oldest first."""
    paths = [sys.executable, *_uv_listed(), *_pyenv_versions(), *_tool_cache()]
    newest: dict[str, Interpreter] = {}
    seen: set[str] = set()
    for path in paths:
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        try:
            found = _describe_interpreter(path)
        except EnvBuildError:
            continue
        if found.implementation != "cpython":
            continue
        known = newest.get(minor(found.version))
        if known is None or version_key(found) > version_key(known):
            newest[minor(found.version)] = found
    return tuple(sorted(newest.values(), key=version_key))


def own_interpreter() -> Interpreter:
    return _describe_interpreter(sys.executable)


def _uv_listed() -> list[str]:
    try:
        done = subprocess.run([find_uv(), "python", "list", "--only-installed", "--output-format", "json"],
                              capture_output=True, text=True, check=False, env=_uv_environment(), timeout=60)
        entries = json.loads(done.stdout) if done.returncode == 0 else []
    except (EnvBuildError, ValueError, OSError, subprocess.TimeoutExpired):
        return []
    return [entry["path"] for entry in entries if isinstance(entry, dict) and entry.get("path")
            and entry.get("implementation") == "cpython" and entry.get("variant", "default") == "default"]


def _pyenv_versions() -> list[str]:
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))


def _tool_cache() -> list[str]:
    root = os.environ.get("RUNNER_TOOL_CACHE")
    return sorted(glob.glob(os.path.join(root, "Python", "*", "*", "bin", "python3"))) if root else []


def downloads_allowed() -> bool:
    return os.environ.get(DOWNLOADS_VARIABLE, "automatic").lower() not in ("never", "manual", "0", "false")


def download(version: str) -> Interpreter:
    """`uv python install <version>` and the interpreter it installed; EnvBuildError in uv's words."""
    if not downloads_allowed():
        raise EnvBuildError(f"Python downloads are off ({DOWNLOADS_VARIABLE}={os.environ.get(DOWNLOADS_VARIABLE)})")
    if _downloads.failed:
        raise EnvBuildError(_downloads.failed)
    uv = find_uv()
    try:
        done = subprocess.run([uv, "python", "install", version], capture_output=True, text=True, check=False,
                              env=_uv_environment(), timeout=DOWNLOAD_TIMEOUT)
    except subprocess.TimeoutExpired:
        _downloads.failed = f"`uv python install {version}` did not finish in {DOWNLOAD_TIMEOUT} s"
        raise EnvBuildError(_downloads.failed) from None
    if done.returncode != 0:
        _downloads.failed = f"`uv python install {version}` failed: {_first_uv_error(done.stderr)}"
        raise EnvBuildError(_downloads.failed)
    found = subprocess.run([uv, "python", "find", "--python-preference", "only-managed", version],
                           capture_output=True, text=True, check=False, env=_uv_environment())
    if found.returncode != 0 or not found.stdout.strip():
        raise EnvBuildError(f"`uv python install {version}` succeeded but `uv python find` does not see it: "
                            f"{_first_uv_error(found.stderr)}")
    present_interpreters.cache_clear()
    return _describe_interpreter(found.stdout.strip())


@functools.cache
def downloadable_minors() -> tuple[str, ...]:
    """The CPython minor versions uv knows how to download here (from its own list, no network)."""
    try:
        done = subprocess.run([find_uv(), "python", "list", "--output-format", "json", "--all-versions"],
                              capture_output=True, text=True, check=False, env=_uv_environment(), timeout=60)
        entries = json.loads(done.stdout) if done.returncode == 0 else []
    except (EnvBuildError, ValueError, OSError, subprocess.TimeoutExpired):
        return ()
    minors = {minor(entry["version"]) for entry in entries if isinstance(entry, dict) and entry.get("url")
              and entry.get("implementation") == "cpython" and entry.get("variant", "default") == "default"
              and Version(entry["version"]).pre is None}
    return tuple(sorted(minors, key=Version))
