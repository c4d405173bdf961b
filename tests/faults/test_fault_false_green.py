"""Fault 3: a service whose checks ran no test (pytest exit 5, no tests collected, every test skipped, pytest
not installed) showed **Passed** and counted green for the gate. "No tests ran" is its own verdict (and a
missing pytest, checks that could not start, is "could not validate"): labelled, explained in the PR, and the
gate does not count it green unless `untested-is-green = true`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Monorepo, run_bot
from faultkit import fault_recipes, prs, violations
from wheels import widgets_wheels

from bot.cli import main
from bot.validation.checks import DEFAULT_CHECKS, CheckRun, run_checks
from bot.validation.compare import compare
from bot.validation.verdict import NO_TESTS, NOT_VALIDATED, Verdict, judge

pytestmark = pytest.mark.fault


def _runs(service_dir: Path, python: Path):
    return run_checks(service_dir, python, DEFAULT_CHECKS)


def test_no_tests_collected_and_no_pytest_compare_as_no_change_but_are_not_passed(tmp_path):
    service = tmp_path / "svc"
    (service / "svc").mkdir(parents=True)
    (service / "svc/__init__.py").write_text("")
    empty = _runs(service, Path(sys.executable))
    assert empty[0].exit_code == 5 and compare(empty, empty).ok()  # what used to read as Passed
    assert judge(empty, empty) == Verdict(NO_TESTS, "pytest: no tests collected (exit 5)", judge(empty, empty).advice)
    bare = tmp_path / "bare-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    missing = _runs(service, bare / "bin" / "python")
    assert compare(missing, missing).ok()
    assert (judge(missing, missing).kind, judge(missing, missing).cause) == (
        NOT_VALIDATED, "pytest: pytest is not installed in the service's test environment")
    (service / "test_ok.py").write_text("import pytest\n\n\ndef test_ok():\n    pass\n\n\n"
                                        "@pytest.mark.skip\ndef test_skipped():\n    pass\n")
    ran = _runs(service, Path(sys.executable))
    assert judge(ran, ran).passed
    ran[0].outcomes = {k: o for k, o in ran[0].outcomes.items() if o.outcome == "skipped"}
    assert judge(ran, ran).cause == "pytest: every test was skipped (unconditional skip)"
    lint = CheckRun("lint", 0, False, 0.1)  # a check without per-test results that passed: it verified something
    assert judge([lint], [lint]).passed and judge([], []).cause == "no check ran"


def untested_fleet(root: Path) -> Monorepo:
    # wheels at a stable path: the envs built from them are cached across test runs
    wheels = widgets_wheels(Path.home() / ".cache" / "upgrade-bot" / "fault-suite-wheels")
    recipes = fault_recipes(root)
    config = (f'services = "services/*"\nrecipe-dirs = ["{recipes.as_posix()}"]\nenabled-recipes = ["widgets-2.0"]\n'
              '[tiers]\nempty = "low"\nskipped = "low"\nlater = "high"\n')
    files = {"upgrade-bot.toml": config}
    code = "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n"
    for name in ("empty", "skipped", "later"):
        files[f"services/{name}/requirements.txt"] = f"--find-links {wheels}\nwidgets==1.4\npytest==8.3.5\n"
        files[f"services/{name}/{name}_app.py"] = code
    files["services/skipped/test_later.py"] = "import pytest\n\n\n@pytest.mark.skip(reason='one day')\ndef test_x():\n    pass\n"
    return Monorepo(root, files)


@pytest.mark.slow
def test_untested_services_are_labelled_and_do_not_open_the_next_wave(tmp_path, capsys):
    repo = untested_fleet(tmp_path)
    assert run_bot_checked(repo, "run") == 0
    first = prs(repo)
    assert [p["head"].rsplit("/", 1)[1] for p in first] == ["empty", "skipped"]
    for pr in first:
        assert "no-tests-ran" in pr["labels"] and "checks-failing" not in pr["labels"]
        assert "**No test ran**" in pr["body"] and "**Passed**" not in pr["body"]
    assert "no tests collected (exit 5)" in first[0]["body"]
    assert "every test was skipped (one day)" in first[1]["body"]
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status"]) == 0
    assert "\n1 planned, 2 no tests ran\n" in capsys.readouterr().out  # the jobs per state, under the table
    assert run_bot(repo, "local", "merge", "1") == 0 and run_bot(repo, "local", "merge", "2") == 0
    capsys.readouterr()
    assert run_bot_checked(repo, "run") == 0
    assert len(prs(repo)) == 2  # the next wave waits: nothing says the merged base is green
    assert "no test ran on the base after the merge" in capsys.readouterr().out
    config = repo.work / "upgrade-bot.toml"
    config.write_text("untested-is-green = true\n" + config.read_text())
    assert run_bot_checked(repo, "run") == 0
    assert [p["head"].rsplit("/", 1)[1] for p in prs(repo)] == ["empty", "skipped", "later"]
    assert violations(repo) == []


def run_bot_checked(repo: Monorepo, *args: str) -> int:
    """The CLI with validation on (conftest's run_bot skips checks)."""
    return main(["--repo", str(repo.work), *args])
