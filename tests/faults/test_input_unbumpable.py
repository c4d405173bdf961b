"""Item 15 of issue 9: when the bot cannot bump a service's pin (a URL, a Poetry git source, a requirements file
shared with other services, a hash pin with no exact version to fetch hashes for), it must not rewrite the code
for the new version: the job changes nothing and lists what a human has to do. A hash pin the lock updater can
refresh is bumped, code and all. Real repositories, the real CLI, a local package index."""
from __future__ import annotations

import json

import pytest
from conftest import TEST_RECIPES, WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service
from package_index import build_simple_index, cached_wheels, serve_index

from bot.change.apply import apply_recipe, hold_back_unbumped
from bot.change.recipe import load_recipe
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.locking import LockUpdater

CONFIG = WIDGETS_CONFIG.split("[tiers]")[0]
HASH = "sha256:" + "0" * 64
UNBUMPABLE = {
    # ~= has no exact version to fetch hashes for (an exact one is bumped: see the tenacity test below)
    "hash": ({"services/alpha/requirements.txt": f"widgets~=1.4 --hash={HASH}\nrequests==2.31.0 --hash={HASH}\n"},
             "services/alpha/requirements.txt: pinned with --hash", "REQ001"),
    "url": ({"services/alpha/requirements.txt": "widgets @ https://example.invalid/widgets-1.4.tar.gz\n"},
            "services/alpha/requirements.txt: installed from a URL or path", "REQ002"),
    "poetry-git": ({"services/alpha/requirements.txt": None,
                    "services/alpha/pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
                                                     'widgets = { git = "https://example.invalid/widgets.git", tag = "1.4" }\n'},
                   "services/alpha/pyproject.toml: installed from a URL or path", "REQ002"),
    "shared": ({"services/alpha/requirements.txt": "-r ../../shared/pins.txt\nrequests>=2\n",
                "shared/pins.txt": "widgets==1.4\n"},
               "shared/pins.txt: pinned in a requirements file shared with other services", "REQ003"),
}


def fleet(tmp_path, case: str) -> Monorepo:
    files = {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"), **widgets_service("beta")}
    for path, text in UNBUMPABLE[case][0].items():
        if text is None:
            del files[path]
        else:
            files[path] = text
    return Monorepo(tmp_path, files)


@pytest.mark.parametrize("case", sorted(UNBUMPABLE))
def test_a_pin_the_bot_cannot_bump_holds_the_code_back_too(tmp_path, capsys, case):
    repo = fleet(tmp_path, case)
    assert run_bot(repo, "run", "--all-waves") == 1  # a job that cannot get a PR is never silent
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("1 ") and " alpha " in line)
    assert " blocked " in row and "not migrated: " in row
    branches = git(repo.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()
    assert branches == ["main", "upgrade-bot/widgets-2.0/beta"]  # beta, pinned plainly, is migrated
    assert [pr.head for pr in local_forge(repo).list_prs("")] == ["upgrade-bot/widgets-2.0/beta"]


@pytest.mark.parametrize("case", sorted(UNBUMPABLE))
def test_the_held_back_job_says_why_and_lists_the_pin_as_a_manual_item(tmp_path, case):
    """The decision comes after the lock updater, which may yet bump hash pins."""
    files, reason, rule = UNBUMPABLE[case]
    snapshot = {**widgets_service("alpha"), **{p: t for p, t in files.items() if t is not None}}
    if files.get("services/alpha/requirements.txt", "") is None:
        del snapshot["services/alpha/requirements.txt"]
    [alpha], _ = discover(MemorySnapshot(snapshot), ("services/*",))
    recipe = load_recipe(TEST_RECIPES / "widgets-2.0")
    change = apply_recipe(alpha, recipe)
    assert "alpha/core.py" in change.changed  # not yet decided
    LockUpdater(cache_dir=tmp_path / "locks").update(alpha, change)
    hold_back_unbumped(alpha, change, recipe)
    assert change.changed == {} and change.applied == []
    assert change.held_back.startswith(reason)
    assert change.held_back.endswith("no code is rewritten for widgets 2.0 while its pin stays old")
    assert rule in [item.rule for item in change.manual]


def test_a_vcs_requirement_is_not_a_declaration_so_nothing_is_rewritten(tmp_path, capsys):
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"),
                               "services/alpha/requirements.txt": "git+https://example.invalid/widgets.git@1.4#egg=widgets\n"})
    assert run_bot(repo, "plan", "--json") == 0
    assert json.loads(capsys.readouterr().out)["jobs"] == []
    assert run_bot(repo, "run", "--all-waves") == 0
    assert repo.origin_branch("upgrade-bot/widgets-2.0/alpha") is None


@pytest.fixture(scope="module")
def tenacity_index(tmp_path_factory):
    root = build_simple_index(tmp_path_factory.mktemp("index"), cached_wheels("tenacity==8.2.3", "tenacity==9.1.2"))
    with serve_index(root) as url:
        yield url


def test_an_exact_hash_pin_gets_new_hashes_and_the_code_is_migrated(tmp_path, tenacity_index, monkeypatch, capsys):
    monkeypatch.setenv("PIP_INDEX_URL", tenacity_index)
    pinned = ("tenacity==8.2.3 \\\n    --hash=sha256:e199a1c0b8e8ffc1e8b68d0bd1ee6e7a2b36d63f5d5fa9ed8fdea95b73d2dd5a\n")
    code = "from tenacity import retry\n\n\n@retry\ndef go():\n    return 1\n\n\ndef tries():\n    return go.retry.statistics\n"
    repo = Monorepo(tmp_path, {"services/worker/requirements.txt": pinned, "services/worker/worker.py": code})
    assert run_bot(repo, "run") == 0
    out = capsys.readouterr().out
    assert " opened " in out and "not migrated" not in out, out
    [pr] = local_forge(repo).list_prs("")
    assert "Manual changes still needed (0)" in pr.body
    branch = pr.head
    requirements = git(repo.origin, "show", f"{branch}:services/worker/requirements.txt")
    assert requirements.startswith("tenacity==9.1.2 \\\n    --hash=sha256:f77bf36710d8b73a50b2dd155c97b870017ad21afe6ab300326b0371b3b05138")
    assert git(repo.origin, "show", f"{branch}:services/worker/worker.py") != code
