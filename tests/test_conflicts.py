"""What the PR says when the migrated package does not import: the distribution that raised, who requires it, the
service's pin the error names, and a constraint only when resolving and importing again with it worked (plain data:
the environment is stood in for by what its import probe reports)."""
from __future__ import annotations

from pathlib import Path

from bot.validation.conflicts import diagnose
from bot.validation.envs import EnvBuildError, expand_requirements
from bot.validation.import_probe import ProbeResult

ERROR = "ImportError: pyarrow 18.1.0 was compiled against numpy 2.x; found numpy 1.26.4"
BROKEN = ProbeResult(False, "influxdb_client_3", ERROR, ("influxdb3-python", "pyarrow"),
                     {"influxdb3-python": "0.17.0", "pyarrow": "18.1.0", "numpy": "1.26.4"},
                     {"pyarrow": ["influxdb3-python"]})


def declared(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("influxdb3-python==0.17.0\nnumpy<2\n")
    return expand_requirements([tmp_path / "requirements.txt"])


def test_a_constraint_is_suggested_only_once_checked(tmp_path):
    tried = []

    def retry(constraint: str) -> ProbeResult:
        tried.append(constraint)
        return ProbeResult(True, installed={"pyarrow": "17.0.0"})

    diagnosis = diagnose(BROKEN, ["influxdb3-python"], declared(tmp_path), retry)
    assert tried == ["pyarrow<18.1.0"]
    assert diagnosis.describe() == (
        f"**The new dependency tree does not import**: `import influxdb_client_3` (influxdb3-python 0.17.0) fails on "
        f"this branch: `{ERROR}`, raised in pyarrow 18.1.0 (required by influxdb3-python 0.17.0); on the base it was "
        "not installed; the service declares `numpy<2` (requirements.txt). Adding the constraint `pyarrow<18.1.0` "
        "fixes it: checked, the environment resolves with it (pyarrow 17.0.0) and `influxdb_client_3` imports.")


def test_a_constraint_that_does_not_help_is_reported_as_tried(tmp_path):
    def retry(constraint: str) -> ProbeResult:
        raise EnvBuildError("No solution found when resolving dependencies")

    text = diagnose(BROKEN, ["influxdb3-python"], declared(tmp_path), retry).describe()
    assert "Adding the constraint" not in text
    assert text.endswith("No single constraint fixed it (tried `pyarrow<18.1.0`: the environment does not resolve "
                         "with it (No solution found when resolving dependencies)).")


def test_an_error_raised_in_the_migrated_package_itself_suggests_nothing(tmp_path):
    own = ProbeResult(False, "influxdb_client_3", "SyntaxError: invalid syntax", ("influxdb3-python",),
                      {"influxdb3-python": "0.17.0"})
    text = diagnose(own, ["influxdb3-python"], declared(tmp_path), lambda c: ProbeResult(True)).describe()
    assert text.endswith("No constraint to suggest: the error is raised in the migrated package itself.")
