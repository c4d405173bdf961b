"""Nothing stalls silently (issue 18 item 4): a job that cannot get a PR (a pin in a file shared by services, a
URL pin, a lock tool that fails) is `blocked` with its reason in `status`, on the dashboard, in the gate's
message and in `run`'s exit code, and `wait-for-blocked` decides whether later waves wait. A pin someone else
bumped leaves a code-only job, so the code is still migrated. Real repositories, the real CLI, local forge."""
from __future__ import annotations

import json

import pytest
from conftest import TEST_RECIPES, Monorepo, git, local_forge, run_bot, widgets_service
from package_index import build_simple_index, serve_index
from wheels import widgets_wheels

from bot.cli import main
from bot.locking.run import lock_revision_written_by
from bot.validation.envs import find_uv

CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]
{{extra}}
[tiers]
alpha = "low"
beta = "low"
gamma = "high"
'''
SHARED = {"services/alpha/requirements.txt": "-r ../../shared/pins.txt\nrequests>=2\n",
          "shared/pins.txt": "widgets==1.4\n"}
SHARED_REASON = "not migrated: shared/pins.txt: pinned in a requirements file shared with other services"


def fleet(tmp_path, files: dict, extra: str = "") -> Monorepo:
    tree = {"upgrade-bot.toml": CONFIG.format(extra=extra)}
    for name in ("alpha", "beta", "gamma"):
        tree.update(widgets_service(name))
    tree.update(files)
    return Monorepo(tmp_path, {path: text for path, text in tree.items() if text is not None})


def status(repo, capsys) -> dict:
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def row(data: dict, service: str) -> dict:
    return next(r for r in data["rows"] if r["service"] == service)


def test_a_shared_pin_is_blocked_everywhere_even_before_a_run(tmp_path, capsys):
    repo = fleet(tmp_path, SHARED)
    alpha = row(status(repo, capsys), "alpha")  # nothing ran yet: the pin alone says it
    assert alpha["state"] == "blocked" and alpha["reason"].startswith(SHARED_REASON)
    assert run_bot(repo, "run") == 1  # beta gets its PR; alpha never can: the run says so in its exit code
    out = capsys.readouterr().out
    assert f"blocked: widgets-2.0/alpha: {SHARED_REASON}" in out
    assert "waiting: 1 job(s) can never get a PR until fixed on the base: widgets-2.0/alpha (" + SHARED_REASON in out
    assert run_bot(repo, "local", "merge", "1") == 0 and run_bot(repo, "run") == 1
    data = status(repo, capsys)
    assert row(data, "alpha")["state"] == "blocked" and row(data, "gamma")["state"] == "planned"  # gamma waits
    assert any("widgets-2.0/alpha" in line and "wait-for-blocked = false" in line for line in data["blocked"])
    dashboard = (repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert "| `alpha` | `widgets-2.0` | blocked |" in dashboard and SHARED_REASON in dashboard
    assert "1 blocked" in dashboard.splitlines()[2]


def test_wait_for_blocked_false_lets_the_next_wave_open_without_the_blocked_job(tmp_path, capsys):
    repo = fleet(tmp_path, SHARED, extra="wait-for-blocked = false\n")
    assert run_bot(repo, "run") == 1
    assert run_bot(repo, "local", "merge", "1") == 0
    assert run_bot(repo, "run") == 1  # alpha is still reported, and gamma opens
    assert [p.head for p in local_forge(repo).list_prs("")] == ["upgrade-bot/widgets-2.0/beta",
                                                               "upgrade-bot/widgets-2.0/gamma"]


@pytest.fixture(scope="module")
def old_widgets_index(tmp_path_factory):
    """An index that has widgets 1.4 only: locking 2.0 against it fails."""
    wheels = widgets_wheels(tmp_path_factory.mktemp("wheels"))
    index = build_simple_index(tmp_path_factory.mktemp("index"), [wheels / "widgets-1.4-py3-none-any.whl"])
    with serve_index(index) as url:
        yield url


def test_a_lock_tool_that_fails_blocks_the_job_with_its_words_until_the_service_changes(
        tmp_path, capsys, old_widgets_index):
    pyproject = (f'[project]\nname = "alpha"\nversion = "1"\nrequires-python = ">=3.9"\n'
                 f'dependencies = ["widgets==1.4"]\n\n[[tool.uv.index]]\nname = "internal"\n'
                 f'url = "{old_widgets_index}"\ndefault = true\n')
    repo = fleet(tmp_path, {"services/alpha/requirements.txt": None, "services/alpha/pyproject.toml": pyproject,
                            "services/alpha/uv.lock": f'version = 1\nrevision = {lock_revision_written_by(find_uv())}\n'
                                                      'requires-python = ">=3.9"\n'})  # the bot's own uv runs
    assert run_bot(repo, "run") == 1
    assert "blocked: widgets-2.0/alpha: services/alpha/uv.lock: `uv lock" in capsys.readouterr().out
    alpha = row(status(repo, capsys), "alpha")
    assert alpha["state"] == "blocked" and "`uv lock --upgrade-package widgets==2.0` failed: " in alpha["reason"]
    repo.commit_on_main({"services/alpha/NOTES.md": "someone works on it\n"})
    assert row(status(repo, capsys), "alpha")["state"] == "planned"  # stale: the next run tries again


def test_a_pin_someone_else_bumped_leaves_a_code_only_job(tmp_path, capsys):
    bumped = {"services/alpha/requirements.txt": "# runtime\nwidgets==2.0\nrequests>=2\n",  # code still old_call
              "services/beta/requirements.txt": "# runtime\nwidgets==2.0\nrequests>=2\n",
              "services/beta/beta/core.py": "import widgets\n\n\ndef go():\n    return widgets.new_call(1)\n"}
    repo = fleet(tmp_path, bumped)
    assert run_bot(repo, "plan", "--json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert [j["service"] for j in plan["jobs"]] == ["alpha", "gamma"]
    assert {"path": "services/beta", "reason": "widgets-2.0: already at 2.0"} in plan["skipped"]
    assert run_bot(repo, "run") == 0
    [pr] = local_forge(repo).list_prs("")
    assert pr.head == "upgrade-bot/widgets-2.0/alpha"
    changed = git(repo.origin, "diff", "--name-only", "main", pr.head).split()
    assert changed == ["services/alpha/alpha/core.py"]  # the code, and no requirement edit
