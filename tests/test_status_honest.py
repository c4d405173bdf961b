"""`status` says what a state alone would hide, and stays read-only: a PR whose branch holds a person's commits
(the bot no longer updates it, and its verdict is for the bot's commit), and a wave gate judged from the check
results runs stored, never by building an environment or running a test. The real CLI on the local forge."""
from __future__ import annotations

import json

from conftest import WIDGETS_CONFIG, Monorepo, run_bot, widgets_service

BRANCH = "upgrade-bot/widgets-2.0/alpha"


def status(repo: Monorepo, capsys, *args: str) -> str:
    capsys.readouterr()
    assert run_bot(repo, "status", *args) == 0
    return capsys.readouterr().out


def test_a_pr_holding_human_commits_shows_the_bot_keeps_off_it(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    widgets_repo.push_commit(BRANCH, {"services/alpha/alpha/core.py": "def go():\n    return 2\n"}, "fix by hand")
    rows = {r["service"]: r for r in json.loads(status(widgets_repo, capsys, "--json"))["rows"]}
    alpha = rows["alpha"]
    assert alpha["state"] == "human commits" and alpha["pr"] == 1
    assert alpha["note"].startswith("1 commit(s) by dana@example.com: the bot no longer updates it")
    assert "its verdict, could not validate, is for the bot's commit" in alpha["note"]  # --skip-checks run
    assert "`/retry`" in alpha["note"]
    assert "human commits widgets-2.0/alpha (#1): 1 commit(s) by dana@example.com" in status(widgets_repo, capsys)
    assert run_bot(widgets_repo, "run") == 0  # the bot leaves the branch alone, and its dashboard says why
    dashboard = (widgets_repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert "| `alpha` | `widgets-2.0` | human commits |" in dashboard
    assert "- `widgets-2.0` × `alpha` ([#1]" in dashboard and "the bot no longer updates it" in dashboard


def test_status_judges_the_gate_from_stored_results_and_never_runs_a_check(widgets_repo, tmp_path, monkeypatch,
                                                                           capsys):
    cache = tmp_path / "env-cache"
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(cache))
    monkeypatch.setenv("UV_OFFLINE", "1")  # if anything tried to build an environment, it would find no package
    assert run_bot(widgets_repo, "run") == 0  # --skip-checks: no check results stored
    assert run_bot(widgets_repo, "local", "merge", "1") == 0  # wave 1 (alpha) done: the gate asks about the tip
    said = status(widgets_repo, capsys)
    assert "blocked: wave 1 (low) is merged but not green: services/alpha: the base after the merge (" in said
    assert "is not checked yet; the next `upgrade-bot run` checks it\n" in said
    assert not cache.exists()  # no environment built, nothing looked up in the cache
    validation = widgets_repo.work / ".git/upgrade-bot/validation"
    assert not validation.exists() or not any(validation.iterdir())


def test_after_the_last_wave_nothing_waits_so_the_gate_is_not_asked(tmp_path, monkeypatch, capsys):
    """Was "blocked: wave 1 (low) is merged but not green" once everything was merged, and a run or `status`
    checked the base tip after every move of the base, though no wave was left to hold back."""
    monkeypatch.setenv("UPGRADE_BOT_CACHE", str(tmp_path / "env-cache"))
    monkeypatch.setenv("UV_OFFLINE", "1")
    repo = Monorepo(tmp_path, {"upgrade-bot.toml": WIDGETS_CONFIG, **widgets_service("alpha")})
    assert run_bot(repo, "run") == 0 and run_bot(repo, "local", "merge", "1") == 0
    repo.commit_on_main({"services/alpha/NOTES.md": "the base moves on\n"})
    said = status(repo, capsys)
    assert "blocked" not in said and "1 merged" in said
    assert not (tmp_path / "env-cache").exists()
