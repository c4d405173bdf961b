"""An honest dashboard (issue 18 item 7): jobs per state, services closed unmigrated, merged PRs whose manual
checklist is still open, open revert PRs, and waves numbered as they run, never "every wave is finished"
while work is left. The real CLI on the local forge."""
from __future__ import annotations

import json

from conftest import TEST_RECIPES, Monorepo, run_bot, widgets_service

from bot.cli import main

CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]
default-tier = "medium"
'''


def dashboard(repo: Monorepo) -> str:
    return (repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()


def test_the_dashboard_says_what_is_left_when_every_wave_has_been_through(tmp_path, capsys):
    files = {"upgrade-bot.toml": CONFIG}
    for name in ("alpha", "beta", "gamma"):
        files.update(widgets_service(name, extra="\n\ndef mode():\n    return widgets.legacy()\n"
                                     if name == "alpha" else ""))
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "run") == 0
    first = dashboard(repo)
    assert "3 job(s) in 1 wave(s): 3 could not validate." in first  # --skip-checks: nothing validated
    assert "| 1 (medium) |" in first and "wave 2" not in first  # one wave, numbered as it runs
    assert "Current wave: **1**." in first
    assert run_bot(repo, "local", "merge", "1") == 0  # alpha, with a manual item left
    assert run_bot(repo, "local", "merge", "3") == 0  # gamma
    assert run_bot(repo, "local", "close", "2") == 0  # beta: closed unmigrated
    assert run_bot(repo, "revert", "--pr", "3") == 0  # gamma's revert PR, open
    assert run_bot(repo, "run") == 0
    text = dashboard(repo)
    assert "3 job(s) in 1 wave(s): 2 merged, 1 closed." in text
    assert "Every wave is finished" not in text and "not everything is migrated" in text
    assert "## Closed unmigrated (1)\n" in text and "- `widgets-2.0` × `beta`: [#2]" in text
    assert "## Merged, manual changes still open (1)\n" in text and "- `widgets-2.0` × `alpha`: [#1]" in text
    assert "## Open revert PRs (1)\n" in text and "- [#4]" in text
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"merged": 2, "closed": 1} and data["open_reverts"] == [4]
    assert {r["wave"] for r in data["rows"]} == {1}


def test_every_wave_is_finished_only_when_every_job_is_migrated(tmp_path):
    files = {"upgrade-bot.toml": CONFIG, **widgets_service("alpha")}
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "run") == 0 and run_bot(repo, "local", "merge", "1") == 0 and run_bot(repo, "run") == 0
    assert "Every wave is finished and every job is migrated." in dashboard(repo)


def test_refreshing_the_dashboard_runs_no_check(tmp_path, monkeypatch):
    """`dashboard` (after sharded runs) judges the rollout gate from stored results, like `status`: it used
    to build environments and run the tests of the base on the local forge just to draw a page."""
    monkeypatch.setenv("UV_OFFLINE", "1")  # the widgets world has no package: a check would fail at once
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "envs"))
    files = {"upgrade-bot.toml": CONFIG + '\n[tiers]\nalpha = "low"\nbeta = "high"\n',
             **widgets_service("alpha"), **widgets_service("beta")}
    repo = Monorepo(tmp_path, files)
    assert main(["--repo", str(repo.work), "run"]) == 0  # wave 1: alpha
    assert run_bot(repo, "local", "merge", "1") == 0
    stored = sorted(p.name for p in (repo.work / ".git/upgrade-bot").rglob("*"))
    assert main(["--repo", str(repo.work), "dashboard"]) == 0
    assert "is not checked yet; the next `upgrade-bot run` checks it" in dashboard(repo)
    assert sorted(p.name for p in (repo.work / ".git/upgrade-bot").rglob("*")
                  if p.name != "dashboard.md") == [n for n in stored if n != "dashboard.md"]
