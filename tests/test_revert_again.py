"""Issue 18 item 6: reverts both ways. A revert PR is validated like any other PR; after it merges the
migration is `reverted` and stays so, until `/retry` on the reverted PR (or a run, once the recipe or its
options changed) opens the migration again as a new PR."""
from __future__ import annotations

import json

import pytest
from conftest import TEST_RECIPES, WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service
from wheels import widgets_wheels

from bot.cli import main
from bot.publish.render import read_marker

BRANCH = "upgrade-bot/widgets-2.0/alpha"
REVERT_BRANCH = "upgrade-bot/revert/widgets-2.0/alpha"


def states(repo: Monorepo, capsys) -> dict[str, str]:
    capsys.readouterr()
    assert run_bot(repo, "status", "--json") == 0
    return {r["service"]: r["state"] for r in json.loads(capsys.readouterr().out)["rows"]}


def comment(repo: Monorepo, number: int, text: str, capsys) -> str:
    capsys.readouterr()
    assert run_bot(repo, "local", "comment", str(number), text) == 0
    return capsys.readouterr().out


def reverted(repo: Monorepo, capsys) -> None:
    """alpha migrated (#1), merged, reverted (#2), the revert merged."""
    assert run_bot(repo, "run") == 0
    assert run_bot(repo, "local", "merge", "1") == 0
    assert run_bot(repo, "revert", "--pr", "1") == 0
    assert local_forge(repo).get_pr(2).head == REVERT_BRANCH
    assert run_bot(repo, "local", "merge", "2") == 0
    assert "widgets==1.4" in git(repo.origin, "show", "main:services/alpha/requirements.txt")


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Monorepo:
    # commands validate for real: the widgets world has no package, so the env build fails at once, offline
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "envs"))
    recipes = tmp_path / "recipes"
    (recipes / "widgets-2.0").mkdir(parents=True)
    for path in (TEST_RECIPES / "widgets-2.0").rglob("*"):
        if path.is_file():
            target = recipes / "widgets-2.0" / path.relative_to(TEST_RECIPES / "widgets-2.0")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    config = WIDGETS_CONFIG.replace(TEST_RECIPES.as_posix(), recipes.as_posix())
    return Monorepo(tmp_path, {"upgrade-bot.toml": config, **widgets_service("alpha")})


def test_a_merged_revert_stays_reverted_while_nothing_changed(repo, capsys):
    reverted(repo, capsys)
    assert run_bot(repo, "run") == 0
    assert len(local_forge(repo).list_prs("")) == 2
    assert states(repo, capsys) == {"alpha": "reverted"}


def test_retry_on_the_reverted_pr_opens_the_migration_again(repo, capsys):
    reverted(repo, capsys)
    base = git(repo.origin, "rev-parse", "main")
    reply = comment(repo, 1, "/retry", capsys)
    forge = local_forge(repo)
    again = forge.get_pr(3)
    assert (again.head, again.state) == (BRANCH, "open")
    assert f"Opened #3 to migrate `alpha` again" in reply
    assert read_marker(again.body)["base"] == base and read_marker(again.body)["job"] == "widgets-2.0/alpha"
    head = repo.origin_branch(BRANCH)
    assert git(repo.origin, "rev-parse", f"{head}^") == base
    assert "widgets==2.0" in git(repo.origin, "show", f"{head}:services/alpha/requirements.txt")
    assert "Could not validate" in again.body  # validated like any migration PR (offline here: no package)
    assert states(repo, capsys) == {"alpha": "could not validate"}  # the new PR's state, no longer `reverted`
    assert run_bot(repo, "run") == 0 and len(forge.list_prs("")) == 3  # found again: no fourth PR
    assert "#3" in comment(repo, 1, "/retry", capsys)  # a second /retry points at the PR already open
    assert len(forge.list_prs("")) == 3


def test_retry_on_the_revert_pr_points_at_the_reverted_one(repo, capsys):
    reverted(repo, capsys)
    assert "This PR reverts #1: once it is merged, comment `/retry` on #1" in comment(repo, 2, "/retry", capsys)
    assert len(local_forge(repo).list_prs("")) == 2


def test_retry_before_the_revert_is_merged_says_what_to_do(repo, capsys):
    assert run_bot(repo, "run") == 0
    assert run_bot(repo, "local", "merge", "1") == 0
    assert run_bot(repo, "revert", "--pr", "1") == 0
    reply = comment(repo, 1, "/retry", capsys)
    assert "revert #2" in reply and len(local_forge(repo).list_prs("")) == 2


def test_a_run_opens_the_migration_again_once_the_recipe_options_changed(repo, capsys):
    reverted(repo, capsys)
    config = (repo.work / "upgrade-bot.toml").read_text() + '\n[recipes."widgets-2.0"]\nflag_legacy = false\n'
    repo.commit_on_main({"upgrade-bot.toml": config}, "widgets: no legacy() items")
    git(repo.work, "pull", "-q", "origin", "main")
    capsys.readouterr()
    assert run_bot(repo, "status", "--json") == 0  # planned again, and status says why
    [row] = json.loads(capsys.readouterr().out)["rows"]
    assert (row["state"], row["pr"]) == ("planned", None)
    assert row["note"] == "reverted in #1; the recipe or its options changed since, so the rollout opens it again"
    assert run_bot(repo, "run") == 0
    forge = local_forge(repo)
    assert [(p.number, p.head, p.state) for p in forge.list_prs("")][-1] == (3, BRANCH, "open")
    assert run_bot(repo, "run") == 0 and len(forge.list_prs("")) == 3


def test_a_run_opens_the_migration_again_once_the_recipe_changed(repo, tmp_path, capsys):
    reverted(repo, capsys)
    codemod = tmp_path / "recipes" / "widgets-2.0" / "codemod.py"
    codemod.write_text(codemod.read_text() + "\n# 2.0.1 of the recipe: a fix\n")
    assert run_bot(repo, "run") == 0
    assert [(p.number, p.state) for p in local_forge(repo).list_prs("")] == [(1, "merged"), (2, "merged"),
                                                                            (3, "open")]


VALIDATED_CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]

[tiers]
alpha = "low"
'''


def validated_alpha(tmp_path, monkeypatch, tests: dict[str, str]) -> Monorepo:
    """alpha on widgets 1.4 from a local wheel index, its tests (service-relative paths) run for real."""
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "env-cache"))
    wheels = widgets_wheels(tmp_path / "wheels")
    return Monorepo(tmp_path, {
        "upgrade-bot.toml": VALIDATED_CONFIG,
        "services/alpha/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\npytest==8.3.5\n",
        "services/alpha/pytest.ini": "[pytest]\npythonpath = .\n",
        "services/alpha/alpha_app.py": "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n",
        **{f"services/alpha/{rel}": text for rel, text in tests.items()},
    })


@pytest.mark.slow
def test_a_revert_pr_is_validated_like_any_other(tmp_path, monkeypatch, capsys):
    """After the migration merged, code using widgets 2.0 landed: reverting to 1.4 breaks it, and the
    revert PR says so (newly failing test, `checks-failing`) instead of waiting to be merged on trust."""
    repo = validated_alpha(tmp_path, monkeypatch, {
        "tests/test_app.py": "from alpha_app import double\n\n\ndef test_double():\n    assert double(2) == 4\n"})
    cli = lambda *args: main(["--repo", str(repo.work), *args])  # noqa: E731
    assert cli("run") == 0
    forge = local_forge(repo)
    assert "**Passed**" in forge.get_pr(1).body
    assert cli("local", "merge", "1") == 0
    repo.commit_on_main({"services/alpha/triple.py": "import widgets\n\n\ndef triple(x):\n"
                                                     "    return widgets.new_call(x) // 2 * 3\n",
                         "services/alpha/tests/test_triple.py": "from triple import triple\n\n\n"
                                                                "def test_triple():\n    assert triple(2) == 6\n"})
    assert cli("revert", "--pr", "1") == 0
    revert = forge.get_pr(2)
    assert revert.head == REVERT_BRANCH
    assert "checks-failing" in revert.labels and "revert" in revert.labels
    assert "**Newly failing (1)**" in revert.body and "tests/test_triple.py::test_triple" in revert.body
    assert read_marker(revert.body)["revert_of"] == 1  # the marker the dashboard reads, as before


@pytest.mark.slow
def test_a_revert_whose_own_tests_are_skipped_on_the_base_is_not_passed(tmp_path, monkeypatch, capsys):
    """The revert PR knows which tests exercise what it changes, like a migration PR: here the module that
    tests the reverted code is skipped on the base (it needs a broker this machine lacks) and another test
    passes. It was Passed on that other test; it is could-not-validate."""
    repo = validated_alpha(tmp_path, monkeypatch, {
        "tests/test_app.py": "import pytest\n\nfrom alpha_app import double\n\n"
                             "pytestmark = pytest.mark.skip(reason='needs the broker')\n\n\n"
                             "def test_double():\n    assert double(2) == 4\n",
        "tests/test_units.py": "def test_units():\n    assert 1 + 1 == 2\n"})
    cli = lambda *args: main(["--repo", str(repo.work), *args])  # noqa: E731
    assert cli("run") == 0
    assert cli("local", "merge", "1") == 0
    assert cli("revert", "--pr", "1") == 0
    revert = local_forge(repo).get_pr(2)
    assert revert.head == REVERT_BRANCH and "revert" in revert.labels
    assert "**Passed**" not in revert.body
    assert "not-validated" in revert.labels, revert.labels
    assert "exercise this change" in revert.body
