"""Items 11-12 of issue 9: bad files and failing git end in one line naming the file and what to do, never a
traceback. Each case runs the real CLI in a child process on a real repository."""
from __future__ import annotations

import json

import pytest
from cli_process import bot_env, one_line, run_cli
from conftest import WIDGETS_CONFIG, Monorepo, git, widgets_service

WIDGETS = {"upgrade-bot.toml": WIDGETS_CONFIG, **widgets_service("alpha"), **widgets_service("beta")}


@pytest.fixture
def repo(tmp_path) -> Monorepo:
    return Monorepo(tmp_path, {**WIDGETS, "upgrade-bot.toml": WIDGETS_CONFIG.replace('gamma = "critical"\n', "")
                               .replace('delta = "critical"\n', "")})


def test_an_unusable_environment_cache_is_one_line_naming_it(repo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    result = run_cli("--repo", str(repo.work), "run", "--all-waves", env=bot_env(UPGRADE_BOT_CACHE=str(blocker / "envs")))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert str(blocker / "envs") in line and "unusable as the environment cache" in line
    assert repo.origin_branch("upgrade-bot/widgets-2.0/alpha") is None


@pytest.mark.parametrize("garbage", ["{not json", "[1, 2]", "", '{"pr": {"number": 1}}', '{"comments": []}'])
def test_a_corrupt_local_forge_file_is_one_line_naming_it(repo, garbage):
    assert run_cli("--repo", str(repo.work), "run", "--all-waves", "--skip-checks").returncode == 0
    pr_file = repo.work / ".git/upgrade-bot/forge/prs/1.json"
    pr_file.write_text(garbage)
    result = run_cli("--repo", str(repo.work), "status")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert str(pr_file) in line and "restore it or delete it" in line


@pytest.mark.parametrize("payload", [
    [],
    "a string",
    {"action": "created", "issue": ["not", "an", "object"], "comment": {"id": 1}},
    {"action": "created", "issue": {"number": "seven", "pull_request": {"url": "u"}}, "comment": {"id": 1, "body": "/help"}},
    {"action": "created", "issue": {"pull_request": {"url": "u"}}, "comment": {"id": 1, "body": "/help"}},
    {"action": "created", "issue": {"number": 1, "pull_request": {"url": "u"}}, "comment": {"id": 2, "user": "dana"}},
])
def test_a_malformed_event_payload_is_one_line_naming_the_file(repo, tmp_path, payload):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    result = run_cli("--repo", str(repo.work), "command", "--event", str(event))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert str(event) in line and "malformed event payload" in line


@pytest.mark.parametrize(("pyproject", "key"), [
    ("tool = 1\n", "tool: must be a table"),
    ('[tool]\nupgrade-bot = "services/*"\n', "tool.upgrade-bot: must be a table"),
])
def test_a_root_pyproject_whose_tool_is_not_a_table_is_one_line(tmp_path, pyproject, key):
    files = {**widgets_service("alpha"), "pyproject.toml": pyproject}
    repo = Monorepo(tmp_path, files)
    result = run_cli("--repo", str(repo.work), "plan")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"upgrade-bot: error: pyproject.toml: {key}")


def test_a_service_pyproject_whose_tool_is_not_a_table_still_plans(tmp_path):
    files = {"upgrade-bot.toml": WIDGETS_CONFIG.split("[tiers]")[0],
             "services/alpha/pyproject.toml": 'tool = 1\n[project]\nname = "alpha"\ndependencies = ["widgets==1.4"]\n',
             "services/alpha/alpha.py": "import widgets\n"}
    repo = Monorepo(tmp_path, files)
    result = run_cli("--repo", str(repo.work), "plan")
    assert result.returncode == 0, result.stderr
    assert "widgets-2.0" in result.stdout and "Traceback" not in result.stderr


def test_demo_dir_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x\n")
    result = run_cli("demo", "--dir", str(blocker / "demo"), "--skip-checks")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert str(blocker / "demo") in line and "Not a directory" in line


def test_no_origin_says_to_add_one(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "--initial-branch=main")
    result = run_cli("--repo", str(work), "plan")
    assert result.returncode == 2
    assert "no remote 'origin': add one with `git remote add origin <url>`" in one_line(result.stderr)


def test_a_git_failure_shows_git_s_whole_message_and_what_to_do(repo, tmp_path):
    git(repo.work, "remote", "set-url", "origin", str(tmp_path / "moved-away.git"))
    result = run_cli("--repo", str(repo.work), "plan")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "does not appear to be a git repository" in line  # git's first line ...
    assert "Could not read from remote repository" in line and "the repository exists" in line  # ... and the rest
    assert "check the remote's URL (`git remote -v`)" in line
