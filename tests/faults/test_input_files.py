"""Item 14 of issue 9: inputs that are valid but were refused (a PEP 263 encoding, symlinks, an include from a
shared folder, folder names git cannot use). Real repositories, the real CLI."""
from __future__ import annotations

import json
import os

import subprocess

import pytest
from conftest import TEST_RECIPES, WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service

from bot.change.apply import MigrationError, apply_recipe
from bot.change.recipe import load_recipe
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot

CONFIG = WIDGETS_CONFIG.split("[tiers]")[0]
BRANCH = "upgrade-bot/widgets-2.0/alpha"


def add_link(repo: Monorepo, link: str, target: str) -> None:
    path = repo.work / link
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    git(repo.work, "add", "-A")
    git(repo.work, "commit", "-qm", f"link {link}")
    git(repo.work, "push", "-q", "origin", "main")


def blob(repo: Monorepo, branch: str, path: str) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", f"{branch}:{path}"], cwd=repo.origin, check=True,
                          capture_output=True).stdout


def mode(repo: Monorepo, branch: str, path: str) -> str:
    return git(repo.origin, "ls-tree", branch, "--", path).split()[0]


@pytest.mark.parametrize(("header", "encoding"), [
    (b"# -*- coding: latin-1 -*-\n", "latin-1"),
    (b"# vim: set fileencoding=cp1252 :\n", "cp1252"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
])
def test_a_file_in_its_declared_encoding_is_migrated_and_written_back_in_it(tmp_path, header, encoding):
    text = "import widgets\n\n# café: prix en €uro\nX = widgets.old_call(2)\n" if encoding != "latin-1" else \
        "import widgets\n\n# café, naïve\nX = widgets.old_call(2)\n"
    original = header + text.encode(encoding.replace("utf-8-sig", "utf-8"))
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"),
                               "services/alpha/alpha/legacy.py": original})
    assert run_bot(repo, "run", "--all-waves") == 0
    assert blob(repo, BRANCH, "services/alpha/alpha/legacy.py") == original.replace(b"old_call", b"new_call")


def test_a_rewrite_that_the_file_s_encoding_cannot_hold_fails_with_a_reason():
    snapshot = MemorySnapshot({**widgets_service("alpha"),
                               "services/alpha/alpha/legacy.py": b"# coding: ascii\nimport widgets\nX = widgets.old_call(1)\n"})
    [alpha], _ = discover(snapshot, ("services/*",))
    alpha.files["alpha/legacy.py"] = alpha.files["alpha/legacy.py"].replace("X =", "É =")  # a codemod adding non-ASCII
    with pytest.raises(MigrationError, match="alpha/legacy.py: the rewritten file cannot be written back in its "
                                             "encoding ascii"):
        apply_recipe(alpha, load_recipe(TEST_RECIPES / "widgets-2.0"))


def test_a_symlink_to_a_file_of_the_service_is_followed_and_stays_a_symlink(tmp_path, capsys):
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha")})
    add_link(repo, "services/alpha/alpha/alias.py", "../alpha/core.py")
    assert run_bot(repo, "plan") == 0
    assert "syntax error" not in capsys.readouterr().out
    assert run_bot(repo, "run", "--all-waves") == 0
    assert b"widgets.new_call(1)" in blob(repo, BRANCH, "services/alpha/alpha/core.py")
    assert mode(repo, BRANCH, "services/alpha/alpha/alias.py") == "120000"
    assert blob(repo, BRANCH, "services/alpha/alpha/alias.py") == b"../alpha/core.py"


@pytest.mark.parametrize(("target", "reason"), [
    ("/etc/hostname", "symlink to /etc/hostname, outside the repository"),
    ("../../../../elsewhere.py", "symlink to ../../../../elsewhere.py, outside the repository"),
    ("missing.py", "symlink to missing.py, which is not a file in the repository"),
])
def test_a_symlink_the_bot_does_not_follow_is_skipped_with_a_reason(tmp_path, capsys, target, reason):
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha")})
    add_link(repo, "services/alpha/alpha/linked.py", target)
    assert run_bot(repo, "plan") == 0
    assert f"skipped file services/alpha/alpha/linked.py: {reason}" in capsys.readouterr().out
    assert run_bot(repo, "run", "--all-waves") == 0
    assert mode(repo, BRANCH, "services/alpha/alpha/linked.py") == "120000"


def test_a_symlink_to_shared_code_is_read_but_holds_the_migration_back(tmp_path, capsys):
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"),
                               "shared/widget_helpers.py": "import widgets\n\nHELPER = widgets.old_call\n"})
    add_link(repo, "services/alpha/alpha/helpers.py", "../../../shared/widget_helpers.py")
    assert run_bot(repo, "run", "--all-waves") == 1  # blocked until a human migrates the shared file
    out = capsys.readouterr().out
    assert "blocked: widgets-2.0/alpha: not migrated: shared/widget_helpers.py: a file outside the service (symlinked)" in out
    assert repo.origin_branch(BRANCH) is None and local_forge(repo).list_prs("") == []


def test_an_include_from_a_shared_folder_is_read(tmp_path, capsys):
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"),
                               "services/alpha/requirements.txt": "-r ../../shared/base.txt\nwidgets==1.4\n",
                               "shared/base.txt": "requests>=2\n"})
    assert run_bot(repo, "plan", "--json") == 0
    job = json.loads(capsys.readouterr().out)["jobs"][0]
    assert job["problems"] == [] and job["service"] == "alpha"
    assert run_bot(repo, "run", "--all-waves") == 0
    assert blob(repo, BRANCH, "services/alpha/requirements.txt") == b"-r ../../shared/base.txt\nwidgets==2.0\n"
    assert blob(repo, BRANCH, "shared/base.txt") == b"requests>=2\n"


@pytest.mark.parametrize(("folder", "why"), [
    ("bad name", "a space"), ("v1..v2", "'..'"), ("old.lock", "a part ending in '.lock'"), ("what?", "'?'"),
])
def test_a_folder_name_git_cannot_use_is_refused_at_plan(tmp_path, capsys, folder, why):
    files = {"upgrade-bot.toml": CONFIG, **widgets_service("alpha")}
    files.update({k.replace("services/alpha/", f"services/{folder}/"): v for k, v in widgets_service("alpha").items()})
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "plan") == 1
    out = capsys.readouterr().out
    assert f"broken services/{folder}: services/{folder}: the folder name cannot be part of the git branch" in out
    assert f"(it has {why}); rename the folder" in out
    assert run_bot(repo, "run", "--all-waves") == 1
    assert git(repo.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split() == ["main", BRANCH]
