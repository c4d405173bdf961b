"""Each verdict end to end with the local forge: fixture services (written here) whose checks pass, fail,
run no test, or cannot run, through the real CLI, real environments built from tiny local wheels, and the
same verdict on the PR, in its labels, in `run`'s summary, in `status` and on the dashboard."""
from __future__ import annotations

import json

import pytest
from conftest import TEST_RECIPES, Monorepo
from wheels import build_wheel, widgets_wheels

from bot.cli import main
from bot.forge.local import LocalForge

CONFIG = f'''services = "services/*"
recipe-dirs = ["{TEST_RECIPES.as_posix()}"]
enabled-recipes = ["widgets-2.0"]
'''
APP = "import widgets\n\n\ndef double(x):\n    return widgets.old_call(x)\n"
LEGACY_APP = APP + "\n\ndef mode():\n    return widgets.legacy()\n"
TEST_DOUBLE = "from {name}_app import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
# a fixture standing for a service the tests need and this machine lacks (a broker, a database)
BROKER_TESTS = ("import pytest\n\nfrom broker_app import double\n\n\n@pytest.fixture\ndef broker():\n"
                "    raise RuntimeError('no MQTT broker on this machine: start one, or set MQTT_HOST')\n\n\n"
                "def test_double_over_the_broker(broker):\n    assert double(2) == 4\n")
PLAIN_TEST = "def test_arithmetic():\n    assert 1 + 1 == 2\n"
# the same, guarded the way suites often are: skipped whole when the broker is missing, on both sides
SKIPPED_BROKER_TESTS = ("import pytest\n\nfrom guarded_app import double\n\n"
                        "pytestmark = pytest.mark.skipif(True, reason='no MQTT broker on this machine')\n\n\n"
                        "def test_double_over_the_broker():\n    assert double(2) == 4\n")


def service(name: str, wheels, code: str, tests: dict[str, str], requirements: str = "") -> dict[str, str]:
    files = {f"services/{name}/requirements.txt": f"--find-links {wheels}\nwidgets==1.4\npytest==8.3.5\n{requirements}",
             f"services/{name}/pytest.ini": "[pytest]\npythonpath = .\n",
             f"services/{name}/{name}_app.py": code}
    files.update({f"services/{name}/tests/{path}": text for path, text in tests.items()})
    return files


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    root = tmp_path_factory.mktemp("verdicts")
    wheels = widgets_wheels(root / "wheels")
    build_wheel(wheels, "widgets-addon", "1.0", {"__init__.py": ""}, requires=("widgets>=3",))
    files = {"upgrade-bot.toml": CONFIG}
    files.update(service("steady", wheels, APP, {"test_app.py": TEST_DOUBLE.format(name="steady")}))
    files.update(service("breaks", wheels, LEGACY_APP,
                         {"test_app.py": TEST_DOUBLE.format(name="breaks")
                          + "\n\ndef test_mode():\n    assert __import__('breaks_app').mode() == 'legacy'\n"}))
    files.update(service("gauge", wheels, APP, {"conftest.py": "import gauge\n",
                                                "test_app.py": TEST_DOUBLE.format(name="gauge")}))
    files.update(service("empty", wheels, APP, {}))
    files.update(service("broker", wheels, APP, {"test_bridge.py": BROKER_TESTS, "test_plain.py": PLAIN_TEST}))
    files.update(service("guarded", wheels, APP, {"test_bridge.py": SKIPPED_BROKER_TESTS, "test_plain.py": PLAIN_TEST}))
    files.update(service("unbuildable", wheels, APP, {"test_app.py": TEST_DOUBLE.format(name="unbuildable")},
                         requirements="widgets-addon==1.0\n"))
    files.update(service("nopytest", wheels, APP, {"test_app.py": TEST_DOUBLE.format(name="nopytest")}))
    files["services/nopytest/requirements.txt"] = f"--find-links {wheels}\nwidgets==1.4\n"
    repo = Monorepo(root, files)
    lines = []
    code = main(["--repo", str(repo.work), "run"])
    prs = {pr.head.rsplit("/", 1)[1]: pr for pr in LocalForge(repo.work / ".git" / "upgrade-bot").list_prs("")}
    return repo, code, prs, lines


def status(repo, capsys) -> dict[str, str]:
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status", "--json"]) == 0
    return {r["service"]: r["state"] for r in json.loads(capsys.readouterr().out)["rows"]}


VERDICT_LABELS = {"checks-failing", "no-tests-ran", "not-validated"}
EXPECTED = {  # service: (label, what the PR says, state in status)
    "steady": (None, "**Passed**", "open"),
    "breaks": ("checks-failing", "`tests/test_app.py::test_mode` (passed → failed)", "failing checks"),
    "gauge": ("no-tests-ran", "Cause: `ModuleNotFoundError: No module named 'gauge'`", "no tests ran"),
    "empty": ("no-tests-ran", "Cause: `pytest: no tests collected (exit 5)`", "no tests ran"),
    "broker": ("not-validated", "**Could not validate**: 1 test(s) that exercise this change do not pass on the "
                                "base either: tests/test_bridge.py::test_double_over_the_broker: RuntimeError: "
                                "no MQTT broker on this machine", "could not validate"),
    "guarded": ("not-validated", "**Could not validate**: 1 test(s) that exercise this change do not pass on the "
                                 "base either: tests/test_bridge.py::test_double_over_the_broker: "
                                 "no MQTT broker on this machine", "could not validate"),
    "unbuildable": ("not-validated", "**Could not validate**: building the test environment failed",
                    "could not validate"),
    "nopytest": ("not-validated", "**Could not validate**: pytest: pytest is not installed", "could not validate"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_verdict_on_the_pr_and_in_its_labels(verdicts, name):
    _, _, prs, _ = verdicts
    label, says, _ = EXPECTED[name]
    pr = prs[name]
    assert set(pr.labels) & VERDICT_LABELS == ({label} if label else set())
    assert says in pr.body
    if name != "steady":
        assert "**Passed**" not in pr.body


@pytest.mark.slow
def test_what_to_do_is_said_for_each_verdict_that_is_not_passed(verdicts):
    _, _, prs, _ = verdicts
    assert "What to do: `gauge` is not installed where the tests run" in prs["gauge"].body
    assert "What to do: add tests to the service" in prs["empty"].body
    assert "What to do: they need something this machine does not provide" in prs["broker"].body
    assert "widgets-addon" in prs["unbuildable"].body  # the installer's own words name the conflict
    assert "What to do: declare pytest" in prs["nopytest"].body
    assert "AttributeError" in prs["breaks"].body


@pytest.mark.slow
def test_status_and_dashboard_show_the_same_verdicts(verdicts, capsys):
    repo, _, _, _ = verdicts
    assert status(repo, capsys) == {name: state for name, (_, _, state) in EXPECTED.items()}
    dashboard = (repo.work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    for name, (_, _, state) in EXPECTED.items():
        assert f"| `{name}` | `widgets-2.0` | {state} |" in dashboard
