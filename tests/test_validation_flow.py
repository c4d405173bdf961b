"""Validation in PRs and gating of waves on it, with real envs built from tiny local wheels."""
from __future__ import annotations

import json

import pytest
from conftest import TEST_RECIPES, Monorepo, git
from wheels import widgets_wheels

from bot.cli import main
from bot.forge.local import LocalForge
from bot.publish.render import read_marker

CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]

[tiers]
alpha = "low"
beta = "low"
gamma = "medium"
'''


def service(name: str, wheels, code: str, tests: str) -> dict[str, str]:
    return {
        f"services/{name}/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\npytest==8.3.5\n",
        f"services/{name}/pytest.ini": "[pytest]\npythonpath = .\n",
        f"services/{name}/{name}_app.py": code,
        f"services/{name}/tests/test_app.py": tests,
    }


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "env-cache"))
    wheels = widgets_wheels(tmp_path / "wheels")
    files = {"upgrade-bot.toml": CONFIG}
    files.update(service("alpha", wheels, "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n",
                         "from alpha_app import double\n\n\ndef test_double():\n    assert double(2) == 4\n"))
    files.update(service("beta", wheels,
                         "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n\n\n"
                         "def mode():\n    return widgets.legacy()\n",
                         "from beta_app import double, mode\n\n\ndef test_double():\n    assert double(3) == 6\n\n\n"
                         "def test_mode():\n    assert mode() == 'legacy'\n"))
    files.update(service("gamma", wheels, "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n",
                         "import alembic  # the Phase 2 report's pre-existing import error\n\n\n"
                         "def test_db():\n    assert alembic\n"))
    files["services/gamma/tests/test_ok.py"] = "from gamma_app import double\n\n\ndef test_double():\n    assert double(1) == 2\n"
    return Monorepo(tmp_path, files)


def cli(repo: Monorepo, *args: str) -> int:
    return main(["--repo", str(repo.work), *args])


def status(repo: Monorepo, capsys) -> dict:
    capsys.readouterr()
    assert cli(repo, "status", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    data["states"] = {r["service"]: r["state"] for r in data["rows"]}
    return data


@pytest.mark.slow
def test_prs_show_validation_and_waves_wait_for_a_green_base(fleet, capsys):
    forge = LocalForge(fleet.work / ".git" / "upgrade-bot")
    assert cli(fleet, "run") == 0
    alpha, beta = forge.get_pr(1), forge.get_pr(2)
    assert "**Passed**" in alpha.body and "checks-failing" not in alpha.labels
    assert "| passed | 1 | 1 |" in alpha.body
    assert "checks-failing" in beta.labels and "**Newly failing (1)**" in beta.body
    assert "`tests/test_app.py::test_mode` (passed → failed)" in beta.body
    assert "AttributeError" in beta.body
    assert status(fleet, capsys)["states"] == {"alpha": "open", "beta": "failing checks", "gamma": "planned"}

    cli(fleet, "local", "merge", "1")
    cli(fleet, "local", "merge", "2")  # a maintainer merges the red PR anyway
    assert cli(fleet, "run") == 0
    assert len(forge.list_prs("upgrade-bot/")) == 2  # wave 2 must wait: main is red now
    data = status(fleet, capsys)
    assert data["states"] == {"alpha": "merged", "beta": "merged", "gamma": "planned"}
    assert any("services/beta fails on the base after the merge: tests/test_app.py::test_mode" in b
               for b in data["blocked"])
    dashboard = (fleet.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert "services/beta fails on the base after the merge" in dashboard and "| `gamma` |" in dashboard

    fleet.commit_on_main({"services/beta/beta_app.py": "import widgets\n\n\ndef double(x):\n    return widgets.new_call(x)\n\n\n"
                                                         "def mode():\n    return 'legacy'\n"}, "beta: drop legacy()")
    assert cli(fleet, "run") == 0
    gamma = forge.get_pr(3)
    assert "**Passed**" in gamma.body and "checks-failing" not in gamma.labels
    assert "Already failing on the base (1)" in gamma.body and "`tests/test_app.py`" in gamma.body
    assert status(fleet, capsys)["states"]["gamma"] == "open"


@pytest.mark.slow
def test_skip_checks_says_loudly_that_nothing_was_validated(fleet):
    assert cli(fleet, "run", "--skip-checks") == 0
    pr = LocalForge(fleet.work / ".git" / "upgrade-bot").get_pr(1)
    assert "NOTHING WAS VALIDATED" in pr.body and "not-validated" in pr.labels


@pytest.mark.slow
def test_a_second_run_reuses_cached_results_and_changes_nothing(fleet):
    assert cli(fleet, "run") == 0
    cache = fleet.work / ".git/upgrade-bot/validation"
    results = sorted(p.name for p in cache.iterdir())
    refs = fleet.origin_refs()
    assert cli(fleet, "run") == 0
    assert sorted(p.name for p in cache.iterdir()) == results and fleet.origin_refs() == refs
    # alpha and beta: the branch, and the base run on the branch's Python, also filed under the key the gate asks
    # for (the base's own choice is that Python too)
    assert len(results) == 6
    assert git(fleet.work, "worktree", "list").count("\n") == 0  # temporary checkouts are gone


@pytest.mark.slow
def test_a_maintainer_accepts_a_wave_the_bots_own_checks_find_red(fleet, capsys):
    """The local gate judges the tip with the verdicts; `accept-wave` lets the next wave go anyway."""
    forge = LocalForge(fleet.work / ".git" / "upgrade-bot")
    assert cli(fleet, "run") == 0
    cli(fleet, "local", "merge", "1")
    cli(fleet, "local", "merge", "2")  # the red one
    capsys.readouterr()
    assert cli(fleet, "run") == 0 and len(forge.list_prs("upgrade-bot/")) == 2
    out = capsys.readouterr().out
    assert "services/beta fails on the base after the merge: tests/test_app.py::test_mode: " in out
    assert "`upgrade-bot accept-wave`" in out
    assert cli(fleet, "accept-wave", "1", "--by", "dana") == 0
    assert "accepted wave 1 (recorded on #2)" in capsys.readouterr().out
    assert cli(fleet, "run") == 0
    assert [pr.head.rsplit("/", 1)[1] for pr in forge.list_prs("upgrade-bot/")] == ["alpha", "beta", "gamma"]
    assert (read_marker(forge.get_pr(2).body) or {})["accepted"]["by"] == "dana"
