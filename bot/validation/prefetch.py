"""Builds the test environments a run's validations will ask for, in the background, in the order they will ask:
each job's branch environment (its change is known once its codemod and locks are done, one job ahead of its
validation: bot.runner) and its base environment, while the earlier jobs' tests run.

Only the service's own files are read (`git archive` of its folder at the base commit, with the branch's changed
files written over them): no checkout, no lock on the repository. The same cached environment a validation would
build is built here, under the same per-environment file lock (bot.validation.envs), so a validation that needs
it meanwhile waits for it rather than building it twice. A service whose environment cannot be prepared this way
(an include outside its folder, an unbuildable set) is left to its validation, which says why."""
from __future__ import annotations

import heapq
import io
import itertools
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import CheckEnvSettings
from bot.validation.envs import EnvBuildError, drop_included, ensure_env
from bot.validation.python_version import MAX_ATTEMPTS, python_plan
from bot.validation.test_deps import plan_environment

BASE, BRANCH = "base", "branch"


@dataclass(frozen=True, order=True)
class Wanted:
    """An environment a validation will ask for: the earliest rank first."""

    rank: tuple[int, int]  # (the job's place in the run, 0 for its branch and 1 for its base: the branch runs first)
    seq: int  # ties: first asked, first built
    name: str = field(compare=False)
    path: str = field(compare=False)  # the service's folder in the repository
    sha: str = field(compare=False)
    side: str = field(compare=False)  # BASE | BRANCH
    changed: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # service-relative path, text


class EnvPrefetch:
    def __init__(self, git_dir: Path, settings_for: Callable[[str], CheckEnvSettings | None]) -> None:
        self.git_dir, self.settings_for = Path(git_dir), settings_for
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.pending: list[Wanted] = []  # a heap
        self.busy = False
        self.changes = threading.Condition()
        self.seq = itertools.count()
        self.built: list[tuple[str, str]] = []  # (service path, BASE or BRANCH) made ready here

    def want(self, rank: tuple[int, int], name: str, path: str, sha: str, side: str = BASE,
             changed: Mapping[str, str] | None = None) -> None:
        """changed: the branch's files that differ from sha's (service-relative path -> text)."""
        with self.changes:
            heapq.heappush(self.pending, Wanted(rank, next(self.seq), name, path, sha, side,
                                                tuple(sorted((changed or {}).items()))))
            self.changes.notify_all()

    def start(self, services: Sequence[tuple[str, str]] = (), sha: str = "") -> None:
        """Builds what is wanted from now on, and the base environment of services: (name, path) of each job, in
        the order the jobs run. Not before the codemod workers are forked: a fork must not copy a thread."""
        seen: set[tuple[str, str]] = set()
        for place, service in enumerate(services):
            if service not in seen:
                seen.add(service)
                self.want((place, 1), *service, sha)
        if self.thread is not None:
            return
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="upgrade-bot-env-prefetch", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Until everything wanted so far was tried."""
        with self.changes:
            self.changes.wait_for(lambda: (not self.pending and not self.busy) or self.thread is None)

    def stop(self) -> None:
        """Finishes the environment being built (never leaves one half made) and builds no other."""
        self.stopping.set()
        with self.changes:
            self.pending.clear()
            self.changes.notify_all()
        if self.thread is not None:
            self.thread.join()
        self.thread = None

    def _run(self) -> None:
        while True:
            with self.changes:
                self.changes.wait_for(lambda: self.pending or self.stopping.is_set())
                if self.stopping.is_set():
                    return
                wanted = heapq.heappop(self.pending)
                self.busy = True
            try:
                self._prepare(wanted)
            except Exception:  # noqa: BLE001 - a prefetch never fails a run: the validation will say why
                pass
            finally:
                with self.changes:
                    self.busy = False
                    self.changes.notify_all()

    def _prepare(self, wanted: Wanted) -> None:
        with tempfile.TemporaryDirectory(prefix="upgrade-bot-prefetch-") as tmp:
            root = Path(tmp)
            archive = subprocess.run(["git", f"--git-dir={self.git_dir}", "archive", "--format=tar", wanted.sha, "--",
                                      wanted.path], capture_output=True, check=False)
            if archive.returncode != 0:
                return
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                try:
                    tar.extractall(root, filter="data")
                except TypeError:  # Python before 3.11.4: git's own archive of the repository is trusted
                    tar.extractall(root)
            service_dir = root / wanted.path
            for rel, text in wanted.changed:
                target = service_dir / rel
                if root not in target.resolve().parents:
                    return  # a path leaving the service: left to the validation
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8", newline="")
            settings = self.settings_for(wanted.name)
            plan = plan_environment(service_dir, settings)
            files = drop_included(plan.files)
            for interpreter in python_plan(service_dir, settings.python if settings else "").candidates[:MAX_ATTEMPTS]:
                if self.stopping.is_set():
                    return
                try:
                    ensure_env(files, python=str(interpreter.path), selection=plan.selection, inline=plan.inline)
                    self.built.append((wanted.path, wanted.side))
                    return
                except EnvBuildError:
                    continue
