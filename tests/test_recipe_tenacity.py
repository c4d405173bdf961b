"""The tenacity 8.x -> 9.1.2 recipe: its fixtures, its PR texts, and (slow) proof by execution on the fleet.

The slow tests build real environments (tenacity 8.2.3 and 9.1.2 from PyPI, cached by
bot.validation.envs) and run each tenacity service's own tests/test_retrying.py:
passes on the old pin, fails on the new pin before migration, passes on the new pin after it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import tomlkit

from bot.change.doubles import SHARED_RULE_IDS
from bot.change.fixtures import fixture_cases, read_tree
from bot.change.recipe import load_recipe
from bot.declared.requirements import edit_requirements
from bot.model import ServiceSource

ROOT = Path(__file__).resolve().parents[1]
RECIPE = load_recipe(ROOT / "recipes" / "tenacity-9.1.2")
FLEET = ROOT / "examples" / "fleet" / "services"
# The fleet's tenacity users ("ten" in the fleet generator) and the review items their code must raise.
TENACITY_SERVICES = {
    "rag-service": set(),
    "ai-automation-service-new": set(),
    "ai-pattern-service": set(),
    "device-intelligence-service": set(),
    "openvino-service": {("TEN004", "openvino_service/retrying.py"), ("TEN008", "openvino_service/retrying.py")},
    "proactive-agent-service": set(),
    "ha-ai-agent-service": {("TEN005", "ha_ai_agent_service/retrying.py")},
    "ai-core-service": set(),
    "ml-service": {("TEN006", "ml_service/retrying.py")},
    "api-automation-edge": set(),
}
SERVICE_FILE_NAMES = ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")


def service_source(root: Path, name: str) -> ServiceSource:
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or "__pycache__" in rel.parts or ".pytest_cache" in rel.parts:
            continue
        if path.suffix == ".py" or path.name in SERVICE_FILE_NAMES or path.name.startswith("requirements") \
                or rel.parts[0] == "requirements":
            files[rel.as_posix()] = path.read_text(encoding="utf-8")
    return ServiceSource(name, files)


def migrate(source: ServiceSource, **options):
    return RECIPE.codemod(options or None).migrate(source)


def case_source(case: str, tree: str = "before") -> ServiceSource:
    root = RECIPE.folder / "fixtures" / case / tree
    return ServiceSource(case, read_tree(root))


# ----- recipe metadata and fixtures ---------------------------------------------------------------

def test_recipe_metadata_rules_and_default_options():
    assert RECIPE.package == "tenacity" and RECIPE.version == "9.1.2"
    assert sorted(set(RECIPE.rules()) - set(SHARED_RULE_IDS)) == [f"TEN{n:03d}" for n in range(1, 12)]
    assert RECIPE.default_options == {"add_reraise": False}
    [bump] = RECIPE.requirement_edits
    assert (bump.action, bump.package, bump.spec) == ("set", "tenacity", "==9.1.2")


# Every fixture case (before/after, unchanged, idempotency) runs in test_recipes_machinery.py.


def test_every_rule_is_exercised_by_a_fixture():
    seen = set()
    for case in fixture_cases(RECIPE):
        settings = tomlkit.parse((case / "case.toml").read_text()).unwrap() if (case / "case.toml").is_file() else {}
        result = migrate(case_source(case.name), **settings.get("options", {}))
        seen |= {a.rule for a in result.applied} | {m["rule"] for m in settings.get("manual", [])}
    assert seen == set(RECIPE.rules())


def test_fixture_inventory_has_rewrites_unchanged_and_manual_cases():
    cases = fixture_cases(RECIPE)
    with_after = [c.name for c in cases if (c / "after").is_dir()]
    unchanged = [c.name for c in cases if not (c / "after").is_dir()]
    assert {"statistics-same-module", "statistics-cross-module", "asyncio-import-from", "asyncio-module-import",
            "iscoroutinefunction", "add-reraise-added"} <= set(with_after)
    assert {"unchanged-retrying-instance-statistics", "unchanged-retry-wait-patch", "add-reraise-refused"} <= set(unchanged)


# ----- behaviour the fixtures do not spell out -------------------------------------------------------

def test_applied_changes_are_reported_per_file_and_rule_with_counts():
    result = migrate(case_source("statistics-cross-module"))
    assert {(a.file, a.rule, a.count) for a in result.applied} == {
        ("svc/metrics.py", "TEN001", 2), ("svc/sub/report.py", "TEN001", 3),
        ("tests/check_fetch.py", "TEN001", 1), ("src/lib/status.py", "TEN001", 1),
    }
    assert set(result.changed) == {a.file for a in result.applied}


def test_manual_items_point_at_the_original_line_and_code():
    source = case_source("manual-unprovable-statistics")
    result = migrate(source)
    assert len(result.manual) == 5
    for item in result.manual:
        line = source.files[item.file].splitlines()[item.line - 1]
        assert item.old_code in line and item.reason and item.suggestion
    by_line = {m.line: m for m in result.manual}
    assert "at import time" in by_line[18].reason
    assert "before the call at line 27" in by_line[26].reason
    assert "svc/stats.py:14 without tenacity's @retry" in by_line[32].reason


def test_retry_patches_and_retrying_instances_are_left_alone():
    for case in ("unchanged-retry-wait-patch", "unchanged-retrying-instance-statistics"):
        result = migrate(case_source(case))
        assert result.changed == {} and result.manual == []


def test_reraise_note_by_default_explains_why_it_was_not_added():
    result = migrate(case_source("statistics-same-module"))
    [note] = [n for n in result.notes if "reraise=True" in n]
    assert "not added" in note and "does not require it" in note and "add_reraise" in note


def test_reraise_refused_names_what_depends_on_retry_error():
    result = migrate(case_source("add-reraise-refused"), add_reraise=True)
    assert result.changed == {}
    assert {m.rule for m in result.manual} == {"TEN011"}
    assert all("svc/handler.py:9" in m.reason for m in result.manual)
    [note] = [n for n in result.notes if "reraise=True" in n]
    assert "a reference to RetryError at svc/handler.py:9" in note and "a read of .last_attempt" in note


def test_reraise_added_is_announced_and_refused_per_site_for_result_retries():
    result = migrate(case_source("add-reraise-added"), add_reraise=True)
    assert [a.count for a in result.applied if a.rule == "TEN011"] == [5]
    [refused] = result.manual
    assert "retry_if_result" in refused.reason and refused.line == 35
    assert any("was added to 5 retry site(s)" in n for n in result.notes)


def test_unparsable_file_is_reported_not_fatal():
    files = {"svc/ok.py": "from tenacity import retry\n\n@retry\ndef f():\n    pass\n\nX = f.retry.statistics\n",
             "svc/legacy.py": "import tenacity\nprint 'python 2'\n", "svc/other.py": "print 'python 2'\n"}
    result = migrate(ServiceSource("svc", files))
    assert any("svc/legacy.py was not migrated" in n for n in result.notes)
    assert not any("svc/other.py" in n for n in result.notes)  # cannot use tenacity: never parsed
    assert [m.rule for m in result.manual] == ["TEN001"]


def test_every_wait_callable_that_is_not_tenacitys_is_reviewed_with_what_it_does():
    """The factory shape (a function wrapping a built-in wait in a closure that counts back-offs) was missed."""
    result = migrate(case_source("manual-custom-wait-callables"))
    by_line = {m.line: m.reason for m in result.manual if m.rule == "TEN005"}
    assert sorted(by_line) == [10, 15, 22, 32, 38]  # not the built-in sum (line 48) nor the pure lambda (52)
    assert "factory `counted`" in by_line[10] and 'BACKOFFS["count"] += 1' in by_line[10]
    assert "functools.partial" in by_line[15]
    assert "__call__" in by_line[22] and "self.seen.append" in by_line[22]
    assert "`logging_wait` has a side effect" in by_line[32]
    assert by_line[38].startswith("custom wait: passed for `wait` at svc/jobs.py:44")


def test_a_wait_held_in_a_settings_object_is_reviewed_by_what_the_field_can_hold():
    """Issue 17: `@retry(wait=POLICY.wait)` where POLICY is a NamedTuple holding wait_exponential(...) was listed
    as a custom wait ("is not a tenacity wait"): main listed lines 7, 12 and 17 too, and missed line 32 (a
    parameter's field, filled by a caller with a side-effecting callable)."""
    result = migrate(case_source("manual-settings-held-waits"))
    by_line = {m.line: m.reason for m in result.manual if m.rule == "TEN005"}
    assert sorted(by_line) == [22, 32]
    assert by_line[22].startswith("custom wait: `REPORTS.wait` can hold `observed_wait` has a side effect")
    assert "passed for `wait` at svc/jobs.py:36" in by_line[32]


@pytest.mark.parametrize("construction, listed", [
    ("RetryPolicy(3, custom)", True),          # by position, in field order
    ("RetryPolicy(wait=custom)", True),
    ("RetryPolicy(**options)", True),          # unknown: reviewed as before
    ("RetryPolicy(3, wait_fixed(1))", False),
])
def test_a_settings_field_is_custom_when_any_construction_of_that_instance_can_fill_it_with_a_custom_wait(
        construction, listed):
    files = {"svc/__init__.py": "", "svc/jobs.py": textwrap.dedent(f"""
        from typing import Any, NamedTuple

        from tenacity import retry, wait_fixed

        SEEN = []


        def custom(state):
            SEEN.append(state)
            return 1


        class RetryPolicy(NamedTuple):
            attempts: int = 3
            wait: Any = wait_fixed(2)


        POLICY = {construction}


        @retry(wait=POLICY.wait)
        def job():
            pass
        """)}
    result = migrate(ServiceSource("svc", files))
    assert [m.line for m in result.manual if m.rule == "TEN005"] == ([22] if listed else [])


SETUP_PY_FLOORS = {
    "keyword literal": ('from setuptools import setup\nsetup(name="s", python_requires=">=3.8, <4")\n',
                        [(2, 'python_requires=">=3.9, <4"')]),
    "dict value from a constant": ('V = "3.7"\nINFO = {\n    "name": "s",\n    "python_requires": f">={V}",\n}\n',
                                   [(4, '"python_requires": ">=3.9"  # or raise V, which it is built from')]),
    "already new enough": ('from setuptools import setup\nsetup(python_requires=">=3.10")\n', []),
    "computed at run time": ('from setuptools import setup\nsetup(python_requires=read_floor())\n', []),
}


@pytest.mark.parametrize("text, expected", SETUP_PY_FLOORS.values(), ids=SETUP_PY_FLOORS.keys())
def test_setup_py_python_requires_below_the_floor_is_listed(text, expected):
    result = migrate(ServiceSource("svc", {"setup.py": text, "svc.py": "import tenacity\n"}))
    assert [(m.line, m.suggestion) for m in result.manual if m.rule == "TEN010"] == expected


def test_statistics_of_methods_are_rewritten_wherever_the_object_comes_from():
    result = migrate(case_source("statistics-methods"))
    assert {(a.file, a.count) for a in result.applied if a.rule == "TEN001"} == {
        ("svc/client.py", 1), ("svc/service.py", 4), ("tests/test_stats.py", 2)}
    [by_name] = result.manual
    assert by_name.line == 34 and "rewritten by name" in by_name.reason and "InventoryClient.fetch" in by_name.reason


# ----- the fleet (fast: codemod only) ----------------------------------------------------------------

@pytest.mark.parametrize("service", sorted(TENACITY_SERVICES))
def test_fleet_service_migrates_idempotently_with_the_expected_review_items(service):
    source = service_source(FLEET / service, service)
    result = migrate(source)
    assert result.changed, "every tenacity service of the fleet needs an edit"
    assert {(m.rule, m.file) for m in result.manual} == TENACITY_SERVICES[service]
    migrated = ServiceSource(service, {**source.files, **result.changed})
    assert migrate(migrated).changed == {}


# ----- proof by execution (slow: real tenacity 8.2.3 / 9.1.2 environments) ----------------------------

def _env_python(requirements_dev: Path) -> Path:
    from bot.validation.envs import ensure_env
    return Path(ensure_env([requirements_dev]))


def _run_tests(python: Path, service_dir: Path) -> subprocess.CompletedProcess:
    # Only this recipe's test file: other modules of these services are written by other recipes' owners.
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_retrying.py"],
                         cwd=service_dir, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    # A skipped async test (pytest-asyncio missing) would make a green run prove nothing.
    assert "skipped" not in run.stdout.strip().splitlines()[-1], run.stdout[-2000:]
    return run


def _bump_requirements(service_dir: Path) -> None:
    path = service_dir / "requirements.txt"
    outcome = edit_requirements(path.read_text(), "requirements.txt", RECIPE.requirement_edits, allow_add=False)
    assert "tenacity==9.1.2" in outcome.text
    path.write_text(outcome.text)


@pytest.mark.slow
@pytest.mark.parametrize("service", sorted(TENACITY_SERVICES))
def test_fleet_service_proven_by_execution(service, tmp_path):
    before = tmp_path / "before"
    shutil.copytree(FLEET / service, before, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    old_python = _env_python(before / "requirements-dev.txt")
    old_run = _run_tests(old_python, before)
    assert old_run.returncode == 0, old_run.stdout[-3000:]

    after = tmp_path / "after"
    shutil.copytree(before, after)
    _bump_requirements(after)
    new_python = _env_python(after / "requirements-dev.txt")
    unmigrated = _run_tests(new_python, before)
    assert unmigrated.returncode != 0, f"tests cannot tell an unmigrated {service} on tenacity 9.1.2"

    result = migrate(service_source(after, service))
    for path, text in result.changed.items():
        (after / path).write_text(text)
    migrated = _run_tests(new_python, after)
    assert migrated.returncode == 0, migrated.stdout[-3000:]


@pytest.mark.slow
def test_asyncio_import_rewrites_import_on_old_and_new_tenacity(tmp_path):
    """`from tenacity import ...` was chosen over tenacity.asyncio because it works on both pins."""
    pins = tmp_path / "pins"
    pins.mkdir()
    (pins / "old.txt").write_text("tenacity==8.2.3\n")
    (pins / "new.txt").write_text("tenacity==9.1.2\n")
    pythons = {version: _env_python(pins / f"{version}.txt") for version in ("old", "new")}
    script = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    for case in ("asyncio-import-from", "asyncio-module-import", "iscoroutinefunction"):
        for tree, version, should_import in [("after", "old", True), ("after", "new", True), ("before", "new", False)]:
            root = RECIPE.folder / "fixtures" / case / tree
            modules = [p.relative_to(root).with_suffix("").as_posix().replace("/", ".") for p in root.rglob("*.py")]
            run = subprocess.run([str(pythons[version]), "-c", script, *modules], cwd=root, capture_output=True,
                                 text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            assert (run.returncode == 0) == should_import, (case, tree, version, run.stderr[-2000:])


@pytest.mark.slow
@pytest.mark.parametrize("case, rewrites", [("statistics-methods", True), ("statistics-stacked-decorators", True),
                                             ("statistics-read-during-the-call", True),
                                             ("manual-custom-wait-callables", False)])
def test_fixture_case_proven_by_execution(case, rewrites, tmp_path):
    """Methods reached through instances, attribute chains, fixtures and nested scopes: their tests pass on
    8.2.3, and after migration on 9.1.2 (before migration they fail there: the old spelling reads {})."""
    from bot.validation.envs import ensure_env

    pythons = {pin: Path(ensure_env(requirement_lines=[f"tenacity=={pin}", "pytest==8.3.5"]))
               for pin in ("8.2.3", "9.1.2")}
    before = tmp_path / "before"
    shutil.copytree(RECIPE.folder / "fixtures" / case / "before", before)
    after = tmp_path / "after"
    shutil.copytree(before, after)
    for path, text in migrate(case_source(case)).changed.items():
        (after / path).write_text(text)

    def tests_pass(python: Path, root: Path) -> bool:
        run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=root,
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert "passed" in run.stdout or "failed" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
        return run.returncode == 0

    assert tests_pass(pythons["8.2.3"], before)
    assert tests_pass(pythons["9.1.2"], before) is not rewrites
    assert tests_pass(pythons["9.1.2"], after)
