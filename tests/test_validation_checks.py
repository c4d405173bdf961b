"""run_checks on a tiny generated service, in a real env holding only pytest."""
from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from bot.validation.checks import (
    DEFAULT_CHECKS,
    CheckSpec,
    is_async_not_run,
    junit_test_id,
    parse_junit,
    run_checks,
)
from bot.validation.envs import ensure_env

SAMPLE_TESTS = '''\
import pytest


def test_passes():
    assert True


def test_fails():
    assert 1 == 2, "one is not two"


@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    pass


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture exploded")


def test_setup_error(broken_fixture):
    pass


class TestGroup:
    def test_method(self):
        pass

    @pytest.mark.parametrize("value", [1, 2])
    def test_param(self, value):
        assert value == 1


async def test_async_without_plugin():
    pass
'''


@pytest.fixture(scope="module")
def pytest_python(tmp_path_factory) -> Path:
    return ensure_env(requirement_lines=["pytest==8.3.5"], cache_dir=tmp_path_factory.mktemp("env-cache"))


@pytest.fixture
def service(tmp_path) -> Path:
    root = tmp_path / "sample-service"
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    (root / "sample_service.py").write_text("VALUE = 1\n")
    (root / "tests" / "test_sample.py").write_text(SAMPLE_TESTS)
    (root / "tests" / "unit" / "test_imports.py").write_text(
        "import sample_service\nimport no_such_module_qq\n\ndef test_never_collected():\n    pass\n"
    )
    return root


def test_pytest_outcomes_per_test_id(service, pytest_python):
    [run] = run_checks(service, pytest_python, DEFAULT_CHECKS)
    assert run.name == "pytest" and run.exit_code == 1 and not run.timed_out
    assert {test_id: outcome.outcome for test_id, outcome in run.outcomes.items()} == {
        "tests/test_sample.py::test_passes": "passed",
        "tests/test_sample.py::test_fails": "failed",
        "tests/test_sample.py::test_skipped": "skipped",
        "tests/test_sample.py::test_setup_error": "error",
        "tests/test_sample.py::TestGroup::test_method": "passed",
        "tests/test_sample.py::TestGroup::test_param[1]": "passed",
        "tests/test_sample.py::TestGroup::test_param[2]": "failed",
        "tests/test_sample.py::test_async_without_plugin": "skipped",
        "tests/unit/test_imports.py": "error",  # the collection error is an outcome too
    }
    messages = {test_id: outcome.message for test_id, outcome in run.outcomes.items()}
    assert messages["tests/test_sample.py::test_fails"].splitlines()[0] == "AssertionError: one is not two"
    assert "fixture exploded" in messages["tests/test_sample.py::test_setup_error"]
    assert "No module named 'no_such_module_qq'" in messages["tests/unit/test_imports.py"]
    assert messages["tests/test_sample.py::test_skipped"] == "not on this platform"
    assert is_async_not_run(run.outcomes["tests/test_sample.py::test_async_without_plugin"])
    assert not is_async_not_run(run.outcomes["tests/test_sample.py::test_skipped"])
    assert "failed" in run.output_tail


def test_checks_leave_no_caches_in_the_service_dir(service, pytest_python):
    files_before = sorted(path.relative_to(service) for path in service.rglob("*"))
    run_checks(service, pytest_python, DEFAULT_CHECKS)
    assert sorted(path.relative_to(service) for path in service.rglob("*")) == files_before


def test_timeout_kills_the_whole_process_group(service, pytest_python, tmp_path):
    pid_file = tmp_path / "background.pid"
    # the shell's child would survive if only the shell were killed
    hanging = CheckSpec("hangs", ["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"], timeout=2)
    started = time.monotonic()
    [run] = run_checks(service, pytest_python, [hanging])
    assert run.timed_out and run.exit_code is None
    assert 2 <= run.duration < 10 and time.monotonic() - started < 10
    assert "timed out after 2 s" in run.output_tail
    assert not running_after(int(pid_file.read_text()), seconds=5)


def running_after(pid: int, seconds: float) -> bool:
    """SIGKILL is delivered when the process is next scheduled: on a loaded machine it may still show as running
    for a moment after killpg returns."""
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return is_running(pid)


def is_running(pid: int) -> bool:
    """A killed orphan may linger as a zombie until init reaps it: that is not running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"))


def test_plain_sleep_command_times_out(service, pytest_python):
    [run] = run_checks(service, pytest_python, [CheckSpec("sleepy", ["sleep", "60"], timeout=2)])
    assert run.timed_out is True and run.duration < 10


def test_environment_is_minimal_and_runs_in_the_service_dir(service, pytest_python, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", "/bot/venv")
    monkeypatch.setenv("PYTHONPATH", "/bot/src")
    monkeypatch.setenv("UPGRADE_BOT_SECRET_TOKEN", "leak")
    probe = CheckSpec(
        "probe",
        ["{python}", "-c", "import os, sys; print(sorted(os.environ)); print(os.getcwd()); print(sys.prefix)"],
    )
    [run] = run_checks(service, pytest_python, [probe], env={"SERVICE_MODE": "test"})
    names, cwd, prefix = run.output_tail.splitlines()
    assert eval(names) == ["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "SERVICE_MODE", "TMPDIR"]
    assert Path(cwd) == service.resolve()
    assert Path(prefix) == pytest_python.parent.parent
    assert run.exit_code == 0 and run.outcomes == {}


def test_env_scripts_come_first_on_path(service, pytest_python):
    [run] = run_checks(service, pytest_python, [CheckSpec("pytest-script", ["pytest", "--version"])])
    assert run.exit_code == 0, run.output_tail
    assert "pytest 8.3.5" in run.output_tail


def test_missing_command_is_a_failed_check_not_a_crash(service, pytest_python):
    [run] = run_checks(service, pytest_python, [CheckSpec("lint", ["upgrade-bot-no-such-linter-qq"])])
    assert run.exit_code == 127 and not run.timed_out
    assert "upgrade-bot-no-such-linter-qq" in run.output_tail


def test_checks_run_in_order_with_their_own_names(service, pytest_python):
    checks = [CheckSpec("ok", ["true"]), CheckSpec("bad", ["false"])]
    assert [(run.name, run.exit_code) for run in run_checks(service, pytest_python, checks)] == [
        ("ok", 0),
        ("bad", 1),
    ]


# --- junit parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "classname, name, expected",
    [
        ("tests.test_api", "test_get", "tests/test_api.py::test_get"),
        ("tests.test_api.TestClient", "test_get[a-1]", "tests/test_api.py::TestClient::test_get[a-1]"),
        ("tests.test_api.TestClient.TestNested", "test_x", "tests/test_api.py::TestClient::TestNested::test_x"),
        ("", "tests.test_api", "tests/test_api.py"),
        ("tests.test_deleted.TestGone", "test_y", "tests/test_deleted.py::TestGone::test_y"),
    ],
)
def test_junit_classnames_map_back_to_node_ids(tmp_path, classname, name, expected):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text("")
    assert junit_test_id(classname, name, tmp_path) == expected


def test_node_ids_are_service_relative_when_pytest_rootdir_was_the_monorepo(tmp_path):
    service = tmp_path / "services" / "svc"
    (service / "tests").mkdir(parents=True)
    (service / "tests" / "test_a.py").write_text("")
    assert junit_test_id("services.svc.tests.test_a", "test_x", service) == "tests/test_a.py::test_x"


def test_truncated_junit_gives_no_outcomes(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text('<?xml version="1.0"?><testsuites><testsuite><testcase classname="a" name="b">')
    assert parse_junit(junit, tmp_path) == {}


def test_teardown_error_after_a_pass_keeps_the_worst_outcome(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    junit = tmp_path / "junit.xml"
    junit.write_text(
        textwrap.dedent(
            """\
            <testsuites><testsuite>
              <testcase classname="tests.test_a" name="test_x" />
              <testcase classname="tests.test_a" name="test_x"><error message="failed on teardown">
            E   OSError: port still in use
            </error></testcase>
            </testsuite></testsuites>
            """
        )
    )
    [outcome] = parse_junit(junit, tmp_path).values()
    assert (outcome.test_id, outcome.outcome, outcome.message) == (
        "tests/test_a.py::test_x",
        "error",
        "OSError: port still in use",
    )
