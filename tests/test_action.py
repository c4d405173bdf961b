"""The reusable GitHub Action (action.yml at the root): a composite action, versioned with the package, whose
inputs are checked before anything is installed (a bad one is one line naming it, exit 2), that passes
values to scripts only through env:, and that caches uv and the validation environments."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_workflows import ROOT, _expressions_in_scripts, _lint, needs_actionlint

from bot.action_inputs import COMMANDS, InputError, invocation, main

ACTION = ROOT / "action.yml"
SCHEDULE = {"GITHUB_EVENT_NAME": "schedule"}


def _action() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(ACTION.read_text())


def _steps() -> list[dict]:
    return _action()["runs"]["steps"]


# --- the inputs, as the action's first step checks them ------------------------------------
@pytest.mark.parametrize(("inputs", "args"), [
    ({}, ["run"]),
    ({"command": "run", "shard": "2/4", "dry-run": "true", "all-waves": "false", "recipes": "tenacity-9.1.2, x-1.0",
      "jobs": "2"}, ["run", "--dry-run", "--shard", "2/4", "--recipes", "tenacity-9.1.2,x-1.0", "-j", "2"]),
    ({"command": "run", "shard": "", "dry-run": "", "all-waves": "True"}, ["run", "--all-waves"]),  # schedule: empty
    ({"command": "shards", "dry-run": "false"}, ["plan", "--matrix"]),
    ({"command": "dashboard"}, ["dashboard"]),
])
def test_inputs_become_the_bots_command_line(inputs, args):
    assert invocation(inputs, SCHEDULE).args == ["--forge", "github", *args]


def test_a_comment_is_read_from_the_event_file_only():
    environ = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": "/runner/event.json"}
    assert invocation({"command": "comment"}, environ).args == ["--forge", "github", "command", "--event",
                                                                "/runner/event.json"]


@pytest.mark.parametrize(("inputs", "name", "reason"), [
    ({"command": "deploy"}, "command", "is not one of"),
    ({"shard": "5/4"}, "shard", "out of range"),
    ({"shard": "0/4"}, "shard", "out of range"),
    ({"shard": "two"}, "shard", "is not I/N"),
    ({"command": "dashboard", "shard": "1/2"}, "shard", "only 'command: run' takes it"),
    ({"command": "shards", "dry-run": "true"}, "dry-run", "only 'command: run' takes it"),
    ({"dry-run": "yes"}, "dry-run", "is not true or false"),
    ({"cache": "always"}, "cache", "is not true or false"),
    ({"jobs": "0"}, "jobs", "out of range"),
    ({"jobs": "65"}, "jobs", "out of range"),
    ({"recipes": "Tenacity 9"}, "recipes", "is not a recipe id"),
    ({"command": "comment"}, "command", "handles issue_comment events"),
    ({"app-id": "12345"}, "app-private-key", "a GitHub App token needs both"),
])
def test_a_bad_input_names_itself_and_the_reason(inputs, name, reason):
    with pytest.raises(InputError) as caught:
        invocation(inputs, SCHEDULE)
    assert str(caught.value).startswith(f"input '{name}': ") and reason in str(caught.value)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_the_action_offers_is_a_command_line_of_the_bot(command):
    from bot.cli import _parser
    environ = {"GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": "event.json"}
    args = _parser().parse_args(invocation({"command": command}, environ).args)  # exits 2 on a bad one
    assert args.handler and command in _action()["inputs"]["command"]["description"]


def test_the_check_runs_on_a_bare_python_before_the_bot_is_installed(tmp_path):
    """`python -I` from an unrelated folder: only the standard library is importable, as on a fresh runner."""
    script = ROOT / "bot" / "action_inputs.py"
    bad = subprocess.run([sys.executable, "-I", str(script), str(tmp_path / "args")], cwd=tmp_path,
                         env={"INPUT_SHARD": "3/2", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "upgrade-bot: error: input 'shard': '3/2' is out of range: I must be between 1 and N\n"
    good = subprocess.run([sys.executable, "-I", str(script), str(tmp_path / "args")], cwd=tmp_path,
                          env={"INPUT_SHARD": "1/2", "INPUT_DRY_RUN": "true", "GITHUB_OUTPUT": str(tmp_path / "out")},
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert (tmp_path / "args").read_text().split("\0") == ["--forge", "github", "run", "--dry-run", "--shard", "1/2", ""]
    assert (tmp_path / "out").read_text() == "shard-key=1-of-2\ncapture=false\n"


def test_in_actions_the_one_line_is_an_error_annotation(tmp_path, capsys):
    code = main([str(tmp_path / "args")], {"GITHUB_ACTIONS": "true", "INPUT_JOBS": "many"})
    out = capsys.readouterr().out
    assert code == 2 and out == "::error title=upgrade-bot::input 'jobs': 'many' is out of range: " \
                                "a number of worker processes from 1 to 64\n"
    assert not (tmp_path / "args").exists()


# --- action.yml ------------------------------------------------------------------------------
def test_the_action_is_composite_and_every_input_is_described_and_used():
    action = _action()
    assert action["runs"]["using"] == "composite"
    text = ACTION.read_text()
    used = set(re.findall(r"(?<![\w.])inputs\.([\w-]+)", text))
    for name, spec in action["inputs"].items():
        assert spec["description"].strip(), name
        assert name in used, f"input {name} is declared but never used"
    assert used <= set(action["inputs"]), used - set(action["inputs"])


def test_every_input_reaches_the_check_step():
    check = next(step for step in _steps() if step.get("id") == "inputs")
    passed = {key.removeprefix("INPUT_").lower().replace("_", "-") for key in check["env"]}
    assert passed == set(_action()["inputs"]) - {"token", "python-version"}  # those two are not the bot's options
    assert "action_inputs.py" in check["run"]


def test_no_expression_is_pasted_into_an_action_script():
    assert _expressions_in_scripts(ACTION.read_text()) == []


def test_the_action_installs_the_bot_from_its_own_commit():
    """Versioned with the package: `uses: owner/upgrade-bot@v0.2.0` runs upgrade-bot 0.2.0, nothing else."""
    install = next(step for step in _steps() if step.get("name") == "Install upgrade-bot")
    assert '--compile-bytecode "$GITHUB_ACTION_PATH"' in install["run"]
    assert "pip install" in install["run"] and "upgrade-bot\" --version" in install["run"]


def test_uv_and_the_validation_environments_are_cached_and_saved_only_when_new():
    steps = _steps()
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    for step in (restore, save):
        assert step["with"]["path"].split() == ["~/.cache/uv", "~/.cache/upgrade-bot/envs"]
    bot = next(s for s in steps if s.get("id") == "bot")
    assert 'UV_CACHE_DIR="$HOME/.cache/uv" UPGRADE_BOT_CACHE="$HOME/.cache/upgrade-bot/envs"' in bot["run"]
    assert "steps.inputs.outputs.shard-key" in restore["with"]["key"]  # each shard keeps its own environments
    assert save["if"] == "${{ !cancelled() && steps.envs.outputs.new == 'true' }}"


def test_the_action_uses_pinned_actions():
    for step in _steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", step["uses"]), step["uses"]


def _project_with_the_action(root: Path) -> Path:
    """A git repository holding action.yml, where actionlint resolves `uses: ./`; returns its workflows folder."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "action.yml").write_text(ACTION.read_text())
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    return workflows


@needs_actionlint
def test_actionlint_checks_the_workflows_inputs_against_action_yml(tmp_path):
    """The workflows use the action as `./`: actionlint reads action.yml and refuses an input it lacks."""
    workflows = _project_with_the_action(tmp_path)
    text = (ROOT / ".github" / "workflows" / "upgrade-bot-commands.yml").read_text()
    (workflows / "c.yml").write_text(text.replace("command: comment", "command: comment\n          shrad: 1/2"))
    problems = _lint(workflows / "c.yml", cwd=tmp_path)
    assert any('input "shrad" is not defined in action' in p["message"] for p in problems), problems


def test_the_documented_workflow_is_the_one_this_repository_lints():
    """docs/github.md shows the short workflow an adopting repository needs; tests/data keeps the same text,
    with `uses: ./`, so actionlint checks it against action.yml."""
    docs = (ROOT / "docs" / "github.md").read_text()
    block = re.search(r"^( *)```yaml\n(\1# \.github/workflows/upgrade-bot\.yml.*?)^\1```", docs, re.S | re.M)
    assert block, "docs/github.md: the adopting repository's workflow block"
    shown = textwrap.dedent(block.group(2))
    linted = (ROOT / "tests" / "data" / "adopter-workflow.yml").read_text()
    assert re.sub(r"uses: \S+/upgrade-bot@\S+.*", "uses: ./", shown) == linted


@needs_actionlint
def test_the_documented_workflow_passes_actionlint(tmp_path):
    workflows = _project_with_the_action(tmp_path)
    (workflows / "upgrade-bot.yml").write_text((ROOT / "tests" / "data" / "adopter-workflow.yml").read_text())
    problems = _lint(workflows / "upgrade-bot.yml", cwd=tmp_path)
    assert problems == [], "\n".join(f"{p['line']}:{p['column']} {p['message']}" for p in problems)


def test_the_action_and_the_package_share_one_version():
    """Nothing in action.yml names a version: the tag the workflow pins is the package's version."""
    assert not re.search(r"\d+\.\d+\.\d+", ACTION.read_text())
    assert Path(ROOT / "pyproject.toml").read_text().count("version = ") == 1
