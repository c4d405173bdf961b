"""Runs the lock tools on a change: the service's files (with the change applied) materialised in a
temp dir, each tool isolated and pinned (`uv tool run`), against the configured index. A lock that
cannot be made fails the job with the tool's own words; a stale lock is never committed.

Results are cached by (command, input files) under <cache>/locks, so a re-run of an unchanged job
gives the same lock text without running the tool again (and so no churn in the PR)."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

from bot.discover.service_files import Overlay
from bot.errors import BotError
from bot.locking import hashes as hashing
from bot.locking import pdm, uv_lock
from bot.declared.python_support import admitted_versions, raise_floor
from bot.locking.model import LockTask, Upgrade
from bot.locking.pinned import exactly_pinned, not_as_named
from bot.locking.tasks import lock_tasks, upgrades_of
from bot.model import AppliedChange, ManualItem, repo_path

# bot.validation.envs and .python_version (uv, interpreters, the cache) are imported where a lock tool runs, not
# with this module: a service without a lock file needs neither, and a `--skip-checks` run loads no more of the
# check machinery than it uses.

TIMEOUT = 600.0
MESSAGE_LINES = 6
# Environment that keeps the tools quiet, non-interactive and out of the user's keyring and venvs.
_TOOL_ENV = {"NO_COLOR": "1", "UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never", "POETRY_NO_INTERACTION": "1",
             "POETRY_VIRTUALENVS_CREATE": "false", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
             "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


class LockError(BotError):
    """A lock file could not be regenerated; the message ends with the tool's own words."""


def index_args(environ: Mapping[str, str]) -> list[str]:
    """pip's index settings for uv, which does not read PIP_* (UV_* settings win when present)."""
    if environ.get("UV_INDEX_URL") or environ.get("UV_DEFAULT_INDEX"):
        return []
    args = []
    if environ.get("PIP_INDEX_URL"):
        args += ["--index-url", environ["PIP_INDEX_URL"]]
    for url in environ.get("PIP_EXTRA_INDEX_URL", "").split():
        args += ["--extra-index-url", url]
    return args


class LockUpdater:
    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self.timings: list[tuple[str, float]] = []  # (tool, seconds) of tools actually run

    @functools.cached_property
    def cache_dir(self) -> Path:
        from bot.validation.envs import default_cache_dir  # once a lock is made (see the imports)
        return self._cache_dir or default_cache_dir().parent / "locks"

    def update(self, service, change, recipe=None) -> None:
        """Adds the regenerated locks (and hash-pinned entries) to `change` in place."""
        if recipe is not None and recipe.python_floor:
            raise_python_floor(service, change, recipe)
        upgrades = upgrades_of(change.requirement_edits)
        after = Overlay(service.files, change.changed)
        tasks = lock_tasks(service.files, change.changed, upgrades, recipe.python_floor if recipe else "")
        for task in tasks:
            text = self._run(task, service, after, upgrades)
            wrong = not_as_named(task.output, text, upgrades)
            if wrong:
                raise LockError(f"{repo_path(service.path, task.output)}: `{task.display}` locked {wrong}: the lock "
                                "must hold the version the PR names and validates")
            change.manual = [m for m in change.manual if m.file != task.output]  # regenerated, not manual
            if task.raised_from:
                change.manual.append(compiled_for_floor(task, text, recipe))
            if text != service.files.get(task.output):
                change.changed[task.output] = text
                names = ", ".join(u.pinned for u in upgrades)
                change.applied.append(AppliedChange(task.output, "lock", f"`{task.display}` ({names})"))
            else:
                change.changed.pop(task.output, None)
        stale = pdm.manual_item(service.files, after)
        if stale is not None:
            change.manual.append(stale)
        compiled = {t.output for t in tasks}
        pins = [p for p in hashing.hashed_pins(change.manual) if p.item.file not in compiled]
        if pins:
            self._hash(pins, service, change)

    def _run(self, task: LockTask, service, after: Mapping[str, str], upgrades: Sequence[Upgrade] = ()) -> str:
        inputs = {**after, **({task.output: service.files[task.output]} if task.keep_base_output else {})}
        key = self._key(task, {**inputs, "<upgrades>": repr(sorted(u.pinned for u in upgrades))})
        cached = self.cache_dir / f"{key}.json"
        if cached.exists():
            return json.loads(cached.read_text())["text"]
        with tempfile.TemporaryDirectory(prefix="upgrade-bot-lock-") as tmp:
            root = Path(tmp)
            for rel, text in inputs.items():
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="")
            cwd = root / task.cwd if task.cwd is not None else (root / task.output).parent
            argv = list(task.argv)
            if task.tool == "uv-pip-compile":
                argv += index_args(os.environ)
            where = repo_path(service.path, task.output)
            pinned = exactly_pinned(inputs.get("pyproject.toml", ""), upgrades) if task.pin_first else None
            if pinned is not None:  # lock the recipe's versions first; then as declared, which keeps them
                (root / "pyproject.toml").write_text(pinned, encoding="utf-8", newline="")
                self._execute(task, argv, cwd, where)
                (root / "pyproject.toml").write_text(inputs["pyproject.toml"], encoding="utf-8", newline="")
            stdout = self._execute(task, argv, cwd, where)
            text = stdout if task.stdout else (root / task.output).read_text(encoding="utf-8")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({"argv": list(task.argv), "text": text}))
        return text

    def _execute(self, task: LockTask, argv: list[str], cwd: Path, where: str, stdin: str | None = None) -> str:
        from bot.validation.envs import find_uv  # a tool runs (see the imports)
        argv = with_interpreter(task, own_uv_when_same_format(task, argv), where)
        argv = [find_uv() if argv[0] == "uv" else argv[0], *argv[1:]]
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "CONDA_PREFIX")}
        started = time.monotonic()
        try:
            done = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True,
                                  timeout=TIMEOUT, env={**env, **_TOOL_ENV, **dict(task.env)})
        except subprocess.TimeoutExpired:
            raise LockError(f"{where}: `{task.display}` took more than {TIMEOUT:.0f}s") from None
        except OSError as exc:
            raise LockError(f"{where}: cannot run `{task.display}`: {exc}") from None
        self.timings.append((task.tool, time.monotonic() - started))
        if done.returncode != 0:
            raise LockError(f"{where}: `{task.display}` failed: {_tool_message(done.stderr or done.stdout)}")
        return done.stdout

    def _hash(self, pins: Sequence[hashing.HashedPin], service, change) -> None:
        requested = "\n".join(sorted({p.pinned for p in pins})) + "\n"
        task = LockTask("hashes", pins[0].item.file, ("uv", "pip", "compile", "-", "--no-deps", "--generate-hashes",
                                                       "--no-header", "--no-annotate", "--universal"))
        key = self._key(task, {"-": requested})
        cached = self.cache_dir / f"{key}.json"
        if cached.exists():
            output = json.loads(cached.read_text())["text"]
        else:
            with tempfile.TemporaryDirectory(prefix="upgrade-bot-hashes-") as tmp:
                output = self._execute(task, [*task.argv, *index_args(os.environ)], Path(tmp),
                                       repo_path(service.path, task.output), stdin=requested)
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps({"argv": list(task.argv), "text": output}))
        files = {**service.files, **change.changed}
        texts, done = hashing.apply_hashes(files, pins, hashing.parse_hashes(output))
        change.changed.update(texts)
        resolved = {id(p.item) for p in done}
        change.manual = [m for m in change.manual if id(m) not in resolved]
        for pin in done:
            change.applied.append(AppliedChange(pin.item.file, "requirements",
                                                f"{pin.pinned} with its hashes from the index (line {pin.item.line})"))

    @staticmethod
    def _key(task: LockTask, files: Mapping[str, str]) -> str:
        payload = json.dumps([dataclasses.asdict(task), index_args(os.environ),
                              {k: os.environ.get(k, "") for k in ("UV_INDEX_URL", "UV_DEFAULT_INDEX")},
                              sorted(files.items())])
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


def with_interpreter(task: LockTask, argv: list[str], where: str) -> list[str]:
    """argv running the tool on the Python the task names, found as validation finds its interpreters (uv itself
    does not look behind pyenv's shims, and the tools never download one: UV_PYTHON_DOWNLOADS=never)."""
    if not task.python:
        return argv
    from bot.validation.envs import EnvBuildError  # the tool needs a Python of its own (see the imports)
    from bot.validation.python_version import interpreter_for
    try:
        path = str(interpreter_for(task.python, f"for `{task.display}`").path)
    except EnvBuildError as error:
        raise LockError(f"{where}: `{task.display}` needs Python {task.python}: {error.reason}") from None
    if argv[:3] == ["uv", "tool", "run"] and task.tool != "uv":  # uv's own --python is the lock's, not the tool's
        return [*argv[:3], "--python", path, *argv[3:]]
    return [*argv, "--python", path]


def own_uv_when_same_format(task: LockTask, argv: list[str]) -> list[str]:
    """`uv tool run --from uv==X uv lock ...` as `uv lock ...` when the bot's uv writes the lock format X writes:
    no download for the usual case, a lock as current as the project's."""
    if task.tool != "uv" or argv[:4] != ["uv", "tool", "run", "--from"] or not argv[4].startswith("uv=="):
        return argv
    from bot.validation.envs import find_uv  # a uv lock is made (see the imports)
    revisions = {version: revision for revision, version in uv_lock.GENERATIONS.items()}
    wanted = revisions.get(argv[4].removeprefix("uv=="))
    if wanted is None or wanted != lock_revision_written_by(find_uv()):
        return argv
    return argv[5:]


@functools.lru_cache(maxsize=None)
def lock_revision_written_by(uv: str) -> int | None:
    """The uv.lock format revision this uv writes, from locking an empty project offline (None: it could not)."""
    with tempfile.TemporaryDirectory(prefix="upgrade-bot-uv-format-") as tmp:
        (Path(tmp) / "pyproject.toml").write_text('[project]\nname = "probe"\nversion = "0"\n'
                                                  'requires-python = ">=3"\ndependencies = []\n')
        try:
            done = subprocess.run([uv, "lock", "--offline", "--no-config", "--python", sys.executable], cwd=tmp,
                                  capture_output=True, text=True, timeout=60, env={**os.environ, **_TOOL_ENV})
        except (OSError, subprocess.TimeoutExpired):
            return None
        lock = Path(tmp) / uv_lock.LOCK
        return uv_lock.lock_revision(lock.read_text()) if done.returncode == 0 and lock.exists() else None


FLOOR_RULE = "LOCK002"
UNIVERSAL_LOCKS = ("uv.lock", "poetry.lock")


def raise_python_floor(service, change, recipe) -> None:
    """A universal lock is made for every Python the project declares: when the target version needs a newer
    one, no lock can be made for the old range, so the declared floor is raised with the bump, in the same
    PR, and listed for a human to confirm (the recipe's own item for that line is replaced by this one)."""
    lock = next((name for name in UNIVERSAL_LOCKS if name in service.files), None)
    if lock is None or "pyproject.toml" not in service.files:
        return
    text = change.changed.get("pyproject.toml", service.files["pyproject.toml"])
    new, raised = raise_floor(text, recipe.python_floor)
    if not raised:
        return
    change.changed["pyproject.toml"] = new
    lines = {r.line for r in raised}
    change.manual = [m for m in change.manual if not (m.file == "pyproject.toml" and m.line in lines)]
    for r in raised:
        dropped = [v for v in admitted_versions(r.old) if v not in admitted_versions(r.new)]
        change.applied.append(AppliedChange("pyproject.toml", "requirements", f"{r.key}: {r.old} -> {r.new} (line "
                                            f"{r.line}), so {lock} can be made for {recipe.target_package} {recipe.version}"))
        change.manual.append(ManualItem(
            "pyproject.toml", r.line, f"{r.key} = \"{r.old}\"", f"{recipe.target_package} {recipe.version} requires Python "
            f">= {recipe.python_floor} and {lock} is made for every Python the project declares, so this PR raises "
            f"{r.key} to {r.new}: it drops Python {', '.join(dropped) or 'below ' + recipe.python_floor}. Confirm, "
            "and drop it from the CI matrix, tox and classifiers too", FLOOR_RULE,
            "to keep supporting it instead, close this PR: the code stays on the old version"))


def compiled_for_floor(task: LockTask, text: str, recipe) -> ManualItem:
    """The checklist item of a compiled file now made for the recipe's Python floor instead of its own Python."""
    lines = text.splitlines()
    line = next((i for i, body in enumerate(lines, 1) if recipe.python_floor in body and "ython" in body), 1)
    return ManualItem(
        task.output, line, lines[line - 1].strip() if lines else "",
        f"made for Python {task.raised_from}, but {recipe.target_package} {recipe.version} requires Python >= "
        f"{recipe.python_floor}: no such file can be made for {task.raised_from}, so this PR makes it for "
        f"{recipe.python_floor}. Confirm that the service no longer runs on Python {task.raised_from} (its CI, "
        "images, tox), or close this PR", FLOOR_RULE,
        f"to keep Python {task.raised_from}, close this PR: the code stays on the old version")


def _tool_message(output: str) -> str:
    """The tool's last meaningful lines, joined into one line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return " | ".join(lines[-MESSAGE_LINES:])[:600] or "no output"
