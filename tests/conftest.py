"""Shared fixtures: real git repositories in temp dirs, with a bare repository as `origin`."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# Tests use the Python interpreters on the machine; they never download one (validation would on a CI runner).
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")

TEST_RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"  # the example of docs/recipes.md
# tests/data/ holds services whose own tests the execution tests run in their envs, never in this suite
collect_ignore = ["data"]
HUMAN = {"GIT_AUTHOR_NAME": "Dana Human", "GIT_AUTHOR_EMAIL": "dana@example.com",
         "GIT_COMMITTER_NAME": "Dana Human", "GIT_COMMITTER_EMAIL": "dana@example.com"}


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                         env={**os.environ, **HUMAN, **(env or {})})
    return out.stdout.strip()


def run_bot(repo: "Monorepo", *args: str) -> int:
    """The CLI on a repo. The widgets world has no installable package, so `run` skips checks here:
    validation has tests of its own (test_validation_flow.py)."""
    from bot.cli import main
    if args and args[0] == "run":
        args = (*args, "--skip-checks")
    return main(["--repo", str(repo.work), *args])


def local_forge(repo: "Monorepo"):
    from bot.forge.local import LocalForge
    return LocalForge(repo.work / ".git" / "upgrade-bot")


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


class Monorepo:
    """A clone with `origin` pointing at a bare repository, as a user's checkout would be."""

    def __init__(self, root: Path, files: dict[str, str | bytes]) -> None:
        self.origin = root / "origin.git"
        self.work = root / "work"
        git(root, "init", "-q", "--bare", "--initial-branch=main", str(self.origin))
        git(root, "init", "-q", "--initial-branch=main", str(self.work))
        write_tree(self.work, files)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-qm", "initial")
        git(self.work, "remote", "add", "origin", str(self.origin))
        git(self.work, "push", "-q", "-u", "origin", "main")

    def push_commit(self, branch: str, files: dict[str, str], message: str = "change",
                    start: str | None = None) -> str:
        """Commits files on branch (created from `start` if given) in a second clone and pushes it,
        as another developer would; returns the new commit."""
        other = self.work.parent / "other"
        if not other.exists():
            git(self.work.parent, "clone", "-q", str(self.origin), str(other))
        git(other, "fetch", "-q", "origin")
        git(other, "checkout", "-q", "-B", branch, f"origin/{start or branch}")
        write_tree(other, files)
        git(other, "add", "-A")
        git(other, "commit", "-qm", message)
        git(other, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(other, "rev-parse", "HEAD")

    def commit_on_main(self, files: dict[str, str], message: str = "change") -> str:
        return self.push_commit("main", files, message)

    def origin_refs(self) -> str:
        return git(self.origin, "for-each-ref", "--format=%(refname) %(objectname)")

    def origin_branch(self, branch: str) -> str | None:
        out = git(self.origin, "for-each-ref", "--format=%(objectname)", f"refs/heads/{branch}")
        return out or None


WIDGETS_CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]

[tiers]
alpha = "low"
beta = "medium"
gamma = "critical"
delta = "critical"
'''


def widgets_service(name: str, extra: str = "") -> dict[str, str]:
    return {
        f"services/{name}/requirements.txt": "# runtime\nwidgets==1.4  # pinned by ops\nrequests>=2\n",
        f"services/{name}/{name}/__init__.py": "",
        f"services/{name}/{name}/core.py": f"import widgets\n\n\ndef go():\n    return widgets.old_call(1)\n{extra}",
    }


@pytest.fixture
def widgets_repo(tmp_path: Path) -> Monorepo:
    files = {"upgrade-bot.toml": WIDGETS_CONFIG, "README.md": "fleet\n"}
    for name in ("alpha", "beta", "gamma", "delta"):
        files.update(widgets_service(name))
    return Monorepo(tmp_path, files)
