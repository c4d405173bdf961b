"""Test environments are built in the background from the service's files at the base commit (no checkout),
with a branch's changed files written over them, into the same cache and under the same key the validation
then uses."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from conftest import Monorepo, git
from wheels import widgets_wheels

from bot.validation.environment import service_environment
from bot.validation.prefetch import BASE, BRANCH, EnvPrefetch


def test_the_base_environment_is_ready_before_the_validation_asks(tmp_path, monkeypatch):
    cache = tmp_path / "env-cache"
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(cache))
    wheels = widgets_wheels(tmp_path / "wheels")
    repo = Monorepo(tmp_path, {
        "services/alpha/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\n",
        "services/alpha/alpha.py": "import widgets\n",
        "services/beta/requirements.txt": "-r ../../shared/base.txt\n",  # outside its folder: left to validation
        "shared/base.txt": f"--find-links {wheels}\nwidgets==2.0\n",
    })
    sha = git(repo.work, "rev-parse", "HEAD")
    prefetch = EnvPrefetch(repo.work / ".git", lambda name: None)
    prefetch.start([("alpha", "services/alpha"), ("beta", "services/beta")], sha)
    prefetch.wait()
    assert prefetch.built == [("services/alpha", BASE)]
    built = {path.name for path in cache.iterdir() if path.is_dir() and not path.name.startswith(".")}
    assert len(built) == 1
    with service_environment(repo.work / "services/alpha") as prepared:  # the same key: nothing new is built
        assert prepared.python.parent.parent.name in built
    assert {path.name for path in cache.iterdir() if path.is_dir() and not path.name.startswith(".")} == built


def test_a_branch_environment_is_built_from_its_changed_files_before_the_base(tmp_path, monkeypatch):
    cache = tmp_path / "env-cache"
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(cache))
    wheels = widgets_wheels(tmp_path / "wheels")
    repo = Monorepo(tmp_path, {
        "services/alpha/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\n",
        "services/alpha/alpha.py": "import widgets\n",
    })
    sha = git(repo.work, "rev-parse", "HEAD")
    branch_requirements = f"--find-links {wheels}\nwidgets==2.0\n"
    escape = f"escape-{uuid.uuid4().hex}.txt"  # next to the prefetch's temporary folder
    prefetch = EnvPrefetch(repo.work / ".git", lambda name: None)
    prefetch.want((0, 1), "alpha", "services/alpha", sha, BASE)
    prefetch.want((0, 0), "alpha", "services/alpha", sha, BRANCH, {"requirements.txt": branch_requirements})
    prefetch.want((0, 0), "alpha", "services/alpha", sha, BRANCH, {f"../../../{escape}": "x"})  # outside: skipped
    prefetch.start()
    prefetch.wait()
    prefetch.stop()
    assert prefetch.built == [("services/alpha", BRANCH), ("services/alpha", BASE)]
    built = {path.name for path in cache.iterdir() if path.is_dir() and not path.name.startswith(".")}
    assert len(built) == 2
    (repo.work / "services/alpha/requirements.txt").write_text(branch_requirements)  # the branch's checkout
    with service_environment(repo.work / "services/alpha") as prepared:
        assert prepared.python.parent.parent.name in built
    assert not (Path(tempfile.gettempdir()) / escape).exists()
