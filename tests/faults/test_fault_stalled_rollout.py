"""Faults 6 and 7: a job that can never get a PR shows as blocked with its reason and the gate says
what to do (a switch decides whether later waves wait); a closed PR comes back with /retry."""
from __future__ import annotations

import json

import pytest
from conftest import git, run_bot
from faultkit import fleet, origin_branches, prs, violations

from bot.cli import main

pytestmark = pytest.mark.fault

BROKEN = {"services/beta/beta/core.py": "import widgets\n\n\ndef go(:\n    return widgets.old_call(1)\n"}


def status_json(repo, capsys) -> dict:
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_service_that_cannot_get_a_pr_is_blocked_with_its_reason(tmp_path, capsys):
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"), tiers={"alpha": "low", "beta": "low", "gamma": "high"},
                 files=BROKEN)
    assert run_bot(repo, "run") == 1  # beta fails, alone
    assert run_bot(repo, "local", "merge", "1") == 0
    assert run_bot(repo, "run") == 1
    data = status_json(repo, capsys)
    beta = next(r for r in data["rows"] if r["service"] == "beta")
    assert beta["state"] == "blocked" and "services/beta/beta/core.py:4: syntax error" in beta["reason"]
    assert any("can never get a PR until fixed on the base: widgets-2.0/beta" in b
               and "wait-for-blocked = false" in b for b in data["blocked"])
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]  # gamma waits, by default
    dashboard = (repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert "| blocked |" in dashboard and "services/beta/beta/core.py:4: syntax error" in dashboard
    assert main(["--repo", str(repo.work), "status"]) == 0
    assert "blocked job widgets-2.0/beta: services/beta/beta/core.py:4: syntax error" in capsys.readouterr().out


def test_wait_for_blocked_false_lets_later_waves_go(tmp_path, capsys):
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"), tiers={"alpha": "low", "beta": "low", "gamma": "high"},
                 files=BROKEN, extra_config="wait-for-blocked = false")
    run_bot(repo, "run")
    assert run_bot(repo, "local", "merge", "1") == 0
    capsys.readouterr()
    assert run_bot(repo, "run") == 1  # beta is still reported, alone
    assert "blocked: widgets-2.0/beta: services/beta/beta/core.py:4: syntax error" in capsys.readouterr().out
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha", "upgrade-bot/widgets-2.0/gamma"]


def test_retry_on_a_closed_pr_reopens_it_regenerated(tmp_path, capsys):
    repo = fleet(tmp_path, names=("alpha",))
    assert run_bot(repo, "run") == 0
    assert run_bot(repo, "local", "close", "1") == 0
    assert run_bot(repo, "run") == 0
    dashboard = (repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert "| closed |" in dashboard and "comment `/retry` on it to reopen it" in dashboard
    base = repo.commit_on_main({"docs/moved.md": "the base moved\n"})
    git(repo.origin, "branch", "-D", "upgrade-bot/widgets-2.0/alpha")  # a tidy human deleted it
    capsys.readouterr()
    assert run_bot(repo, "local", "comment", "1", "/retry") == 0
    assert "reopened this pull request" in capsys.readouterr().out
    assert prs(repo)[0]["state"] == "open" and len(prs(repo)) == 1
    head = origin_branches(repo)["upgrade-bot/widgets-2.0/alpha"]
    assert git(repo.origin, "rev-parse", f"{head}^") == base
    assert run_bot(repo, "run") == 0
    # /retry validates for real; the widgets world has no installable package, so it cannot be validated
    assert status_json(repo, capsys)["rows"][0]["state"] == "could not validate"
    assert prs(repo)[0]["state"] == "open" and violations(repo, jobs=1) == []


def test_retry_on_a_merged_pr_points_to_revert(tmp_path, capsys):
    repo = fleet(tmp_path, names=("alpha",))
    run_bot(repo, "run")
    run_bot(repo, "local", "merge", "1")
    capsys.readouterr()
    assert run_bot(repo, "local", "comment", "1", "/retry") == 0
    assert "this one is merged (`/revert` undoes it)" in capsys.readouterr().out
