"""Item 13 of issue 9: the command line as a user meets it (option order, folder, pipes, exit codes, umask,
progress, merge sha, help). Real CLI runs in child processes on real repositories."""
from __future__ import annotations

import argparse
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli_process import bot_env, run_cli
from conftest import TEST_RECIPES, WIDGETS_CONFIG, Monorepo, local_forge, widgets_service
from wheels import widgets_wheels

from bot.cli import _parser
from bot.config import Identity
from bot.gitops import GitRepo
from bot.demo import run_demo

CONFIG = WIDGETS_CONFIG.replace('gamma = "critical"\n', "").replace('delta = "critical"\n', "")


@pytest.fixture
def repo(tmp_path) -> Monorepo:
    return Monorepo(tmp_path, {"upgrade-bot.toml": CONFIG, **widgets_service("alpha"), **widgets_service("beta")})


@pytest.mark.parametrize("args", [
    ("status", "--repo", "{repo}"),
    ("plan", "--json", "--repo", "{repo}", "--forge", "local"),
    ("local", "show", "1", "--repo", "{repo}"),
    ("--repo", "/nonexistent", "status", "--repo", "{repo}"),  # after the subcommand wins
])
def test_global_options_are_accepted_after_the_subcommand(repo, args):
    assert run_cli("--repo", str(repo.work), "run", "--all-waves", "--skip-checks").returncode == 0
    result = run_cli(*[a.format(repo=repo.work) for a in args], cwd=repo.work.parent)
    assert result.returncode == 0, result.stderr


def test_a_subdirectory_of_the_repository_finds_its_root(repo):
    result = run_cli("plan", cwd=repo.work / "services" / "alpha" / "alpha")
    assert result.returncode == 0, result.stderr
    assert "2 jobs" in result.stdout


def _into_a_pipe_nobody_reads(*args: str) -> subprocess.CompletedProcess:
    """The CLI writing into a real pipe whose reader has gone (`| head -1` once it has its line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "bot", *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, env=bot_env(), timeout=300)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", [("status",), ("plan",), ("plan", "--json"), ("recipes", "list"), ("--version",)])
def test_a_reader_that_leaves_early_is_not_an_error(repo, command):
    """`upgrade-bot status | head -1` exits 0 (it exited 1), quietly: no traceback, no 'Exception ignored'."""
    assert run_cli("--repo", str(repo.work), "run", "--all-waves", "--skip-checks").returncode == 0
    result = _into_a_pipe_nobody_reads("--repo", str(repo.work), *command)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_run_whose_output_nobody_reads_keeps_its_exit_code(repo):
    """A broken pipe changes nothing about the outcome: a job that failed still makes `run | head` exit 1."""
    repo.commit_on_main({"services/beta/beta/core.py": "import widgets\n\ndef go(:\n"})
    result = _into_a_pipe_nobody_reads("--repo", str(repo.work), "run", "--all-waves", "--skip-checks")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


@pytest.mark.parametrize(("args", "where"), [
    (("status",), "not inside a git repository"),
    (("recipes",), "list"),
    (("local",), "merge"),
    (("run", "--no-such-option"), "unrecognized arguments"),
])
def test_usage_errors_exit_2(tmp_path, args, where):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert where in result.stderr and "Traceback" not in result.stderr


def test_bare_recipes_lists_its_commands_in_words(tmp_path):
    result = run_cli("recipes", cwd=tmp_path)
    assert "recipes_command" not in result.stderr
    assert "the recipes and their rules" in result.stderr and "run recipes' fixtures" in result.stderr


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_help_names_every_option_and_command_in_words():
    for parser in _parsers(_parser()):
        for action in parser._actions:
            assert action.help, f"{parser.prog}: {action.option_strings or action.dest} has no help"
            assert "_" not in (action.metavar or "") and "command" != action.dest, parser.prog
        assert "_command" not in parser.format_help(), parser.prog


def test_forge_files_are_created_with_the_user_s_umask(repo):
    def umask_022():
        os.umask(0o022)
    result = subprocess.run([sys.executable, "-m", "bot", "--repo", str(repo.work), "run", "--all-waves",
                             "--skip-checks"], env=bot_env(), capture_output=True, text=True, preexec_fn=umask_022)
    assert result.returncode == 0, result.stderr
    forge = repo.work / ".git/upgrade-bot/forge"
    for path in [forge / "meta.json", *sorted((forge / "prs").glob("*.json"))]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_merged_pr_shows_its_merge_sha_ready_to_copy(repo):
    assert run_cli("--repo", str(repo.work), "run", "--all-waves", "--skip-checks").returncode == 0
    merged = run_cli("--repo", str(repo.work), "local", "merge", "1")
    assert merged.returncode == 0, merged.stderr
    sha = merged.stdout.split()[-1]
    shown = run_cli("--repo", str(repo.work), "local", "show", "1").stdout
    assert f"merged as {sha}" in shown
    assert f"`git revert -m 1 {sha}`" in shown and "<merge sha>" not in shown


def test_run_prints_each_long_step_with_elapsed_time(tmp_path):
    wheels = widgets_wheels(tmp_path / "wheels")
    config = CONFIG + '\n[[checks]]\nname = "import"\ncommand = ["{python}", "-c", "import widgets"]\n'
    files = {"upgrade-bot.toml": config, **widgets_service("alpha"),
             "services/alpha/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\n"}
    repo = Monorepo(tmp_path, files)
    result = run_cli("--repo", str(repo.work), "run", "--all-waves",
                     env=bot_env(UPGRADE_BOT_CACHE=str(tmp_path / "envs")))
    assert result.returncode == 0, result.stderr
    steps = [match.group(2) for match in re.finditer(r"^\[ *(\d+\.\d)s\] (.*)$", result.stderr, re.M)]
    assert [step.split(" (")[0] for step in steps] == [
        "alpha: environment for the branch", "alpha: testing the branch",  # the branch picks the Python
        "alpha: environment for the base", "alpha: testing the base"]


def _small_fleet(tmp_path: Path) -> Path:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "upgrade-bot.toml").write_text(f'services = "services/*"\nrecipe-dirs = ["{TEST_RECIPES.as_posix()}"]\n'
                                            f'enabled-recipes = ["widgets-2.0"]\n')
    for rel, text in widgets_service("alpha").items():
        (fleet / rel).parent.mkdir(parents=True, exist_ok=True)
        (fleet / rel).write_text(text)
    return fleet


def test_the_demo_says_what_it_merges(tmp_path):
    said: list[str] = []
    run_demo(tmp_path / "demo", said.append, checks=False, fleet=_small_fleet(tmp_path))
    assert any(line.startswith("  merged #1 upgrade-bot/widgets-2.0/alpha as ") for line in said), said


def test_the_demo_works_in_a_folder_given_relative_to_the_current_one(tmp_path, monkeypatch):
    """`demo --dir demo` pushed to origin `demo/origin.git`, which git read from the clone: the push failed."""
    fleet = _small_fleet(tmp_path)
    monkeypatch.chdir(tmp_path)
    work, reports = run_demo(Path("demo"), lambda line: None, checks=False, fleet=fleet)
    assert work == tmp_path / "demo" / "monorepo" and reports[0].results[0].status == "opened"


def test_a_pr_merged_on_the_forge_gets_its_merge_sha_on_the_next_run(repo):
    assert run_cli("--repo", str(repo.work), "run", "--all-waves", "--skip-checks").returncode == 0
    forge, git_repo = local_forge(repo), GitRepo(repo.work)
    pr = forge.get_pr(1)
    git_repo.fetch()
    base, head = git_repo.remote_head("main"), git_repo.remote_head(pr.head)
    merge = git_repo.commit_tree(git_repo.merge_tree(base, head), [base, head], "Merge (the forge's button)",
                                 Identity("Dana Human", "dana@example.com"))
    git_repo.push(merge, "main", base)
    forge.mark_merged(1, merge)  # what the forge records; the body still has the placeholder
    assert "git revert -m 1 <merge sha>" in forge.get_pr(1).body
    assert run_cli("--repo", str(repo.work), "run", "--skip-checks").returncode == 0
    assert f"`git revert -m 1 {merge}`" in forge.get_pr(1).body
