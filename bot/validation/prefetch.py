"""Builds the base commit's test environments in the background while the run computes codemods and tests
its first jobs, so a job's validation finds its base environment ready.

Only the service's own files are read (`git archive` of its folder at the base commit): no checkout, no lock
on the repository. The same cached environment a validation would build is built here, under the same
per-environment file lock (bot.validation.envs), so a validation that needs it meanwhile waits for it rather
than building it twice. A service whose environment cannot be prepared this way (an include outside its
folder, an unbuildable set) is left to its validation, which says why."""
from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import CheckEnvSettings
from bot.validation.envs import EnvBuildError, drop_included, ensure_env
from bot.validation.python_version import MAX_ATTEMPTS, python_plan
from bot.validation.test_deps import plan_environment


class EnvPrefetch:
    def __init__(self, git_dir: Path, settings_for: Callable[[str], CheckEnvSettings | None]) -> None:
        self.git_dir, self.settings_for = Path(git_dir), settings_for
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.built: list[str] = []  # service paths whose base environment was made ready here

    def start(self, services: Sequence[tuple[str, str]], sha: str) -> None:
        """services: (name, path) in the order their jobs run."""
        if self.thread is not None or not services:
            return
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, args=(list(dict.fromkeys(services)), sha),
                                       name="upgrade-bot-env-prefetch", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Until every service's environment was tried."""
        if self.thread is not None:
            self.thread.join()

    def stop(self) -> None:
        """Finishes the environment being built (never leaves one half made) and builds no other."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        self.thread = None

    def _run(self, services: list[tuple[str, str]], sha: str) -> None:
        for name, path in services:
            if self.stopping.is_set():
                return
            try:
                self._prepare(name, path, sha)
            except Exception:  # noqa: BLE001 - a prefetch never fails a run: the validation will say why
                continue

    def _prepare(self, name: str, path: str, sha: str) -> None:
        with tempfile.TemporaryDirectory(prefix="upgrade-bot-prefetch-") as tmp:
            root = Path(tmp)
            archive = subprocess.run(["git", f"--git-dir={self.git_dir}", "archive", "--format=tar", sha, "--",
                                      path], capture_output=True, check=False)
            if archive.returncode != 0:
                return
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                try:
                    tar.extractall(root, filter="data")
                except TypeError:  # Python before 3.11.4: git's own archive of the repository is trusted
                    tar.extractall(root)
            service_dir = root / path
            settings = self.settings_for(name)
            plan = plan_environment(service_dir, settings)
            files = drop_included(plan.files)
            for interpreter in python_plan(service_dir, settings.python if settings else "").candidates[:MAX_ATTEMPTS]:
                if self.stopping.is_set():
                    return
                try:
                    ensure_env(files, python=str(interpreter.path), selection=plan.selection, inline=plan.inline)
                    self.built.append(path)
                    return
                except EnvBuildError:
                    continue
