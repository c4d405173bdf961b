"""Proof by execution: services written here whose tests lean on unittest.mock and pytest-mock (`mocker`),
`@pytest.fixture(name=...)`, autospec and call assertions (tests/data/doubles/) pass on the old versions, are
migrated by the bundled recipes, and then pass on the REAL new versions, apart from the tests marked
`manual_migration`, each of which holds a site the migration listed. Without the shared rules (the recipe's
own rewrites only), the same tests fail: the doubles following the migration is what makes them pass.

Two cached environments serve the four services (old versions, new versions, both with pytest-mock); the MQTT
service's end-to-end test talks to a real mosquitto on 127.0.0.1.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from bot.change.recipe import load_recipe
from bot.config import BUNDLED_RECIPES
from bot.model import ServiceSource
from bot.validation.envs import ensure_env

SERVICES = Path(__file__).parent / "data" / "doubles"
OLD = ["asyncio-mqtt==0.16.2", "paho-mqtt==1.6.1", "influxdb-client==1.50.0", "tenacity==8.2.3", "pytest==7.4.4",
       "pytest-asyncio==0.21.2", "pytest-mock==3.14.0"]
NEW = ["aiomqtt==2.4.0", "paho-mqtt==2.1.0", "influxdb3-python==0.17.0", "tenacity==9.1.2", "pytest==8.4.2",
       "pytest-asyncio==1.3.0", "pytest-mock==3.14.0"]
CASES = {
    "meter-store": "influxdb3-python-0.17.0",
    "door-events": "aiomqtt-2.4.0",
    "quote-fetcher": "tenacity-9.1.2",
    "async-cache": "pytest-asyncio-1.3.0",
}
SHARED_RULES = ["DBL001", "DBL002", "DBL003", "AUD001"]


def read_service(name: str) -> dict[str, str]:
    root = SERVICES / name
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def write_service(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def outcomes(python: Path, root: Path) -> dict[str, str]:
    """test name -> passed | failed (collection errors count as failures of the module)."""
    report = root / "junit.xml"
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                         cwd=root, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin:/usr/sbin", "PYTHONDONTWRITEBYTECODE": "1"})
    if not report.exists():  # pytest stopped before any test (a conftest that does not import)
        return {"<session>": "failed: " + (run.stdout + run.stderr)[-300:]}
    found = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        found[case.get("name") or case.get("classname")] = "failed" if failed else "passed"
    if not found:
        return {"<session>": "failed: " + (run.stdout + run.stderr)[-300:]}
    return found


def marked_tests(files: dict[str, str]) -> dict[str, str]:
    """test name -> its source, for the tests marked manual_migration."""
    found = {}
    for path, text in files.items():
        if path.startswith("tests/") and path.endswith(".py"):
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                        "manual_migration" in ast.unparse(d) for d in node.decorator_list):
                    found[node.name] = " ".join(ast.get_source_segment(text, node).split())
    return found


def migrate(name: str, shared: bool = True):
    recipe = load_recipe(BUNDLED_RECIPES / CASES[name])
    files = read_service(name)
    if shared:
        codemod = recipe.codemod()
    else:
        codemod = recipe.codemod({"disable": [r for r in SHARED_RULES if r in recipe.rules()]})
    result = codemod.migrate(ServiceSource(name, files))
    return files, {**files, **result.changed}, result


@pytest.fixture(scope="module")
def pythons():
    if shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin:/usr/bin") is None:
        pytest.fail("mosquitto is not installed: the MQTT service's end-to-end test needs a real broker")
    return {"old": ensure_env(requirement_lines=OLD), "new": ensure_env(requirement_lines=NEW)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_tests_follow_the_migration_and_pass_on_the_new_version(name, pythons, tmp_path):
    original, migrated, result = migrate(name)
    before = outcomes(pythons["old"], write_service(tmp_path / "old", original))
    assert before and set(before.values()) == {"passed"}, before

    after = outcomes(pythons["new"], write_service(tmp_path / "new", migrated))
    marked = marked_tests(original)
    failed = sorted(test for test, outcome in after.items() if outcome.startswith("failed"))
    assert set(failed) <= set(marked), f"unexpected failures on the new version: {failed}"
    assert len(after) == len(before)
    listed = [" ".join(item.old_code.split()) for item in result.manual]
    for test, source in marked.items():  # every test left to a human holds a site the PR lists
        assert any(code in source for code in listed), (test, listed)

    _, naive, _ = migrate(name, shared=False)
    without = outcomes(pythons["new"], write_service(tmp_path / "naive", naive))
    naive_failures = {t for t, o in without.items() if o.startswith("failed")} - set(marked)
    if name != "quote-fetcher":  # tenacity's own rules already keep that service's tests valid
        assert naive_failures, "the shared rules changed nothing that mattered"
