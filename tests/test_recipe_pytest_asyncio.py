"""The pytest-asyncio 0.23 -> 1.3.0 recipe: rules, config discovery, text edits, the fleet, and (slow)
proof by execution.

Every before/after fixture case runs in test_recipes_machinery.py; here are the checks that need
more than text comparison: which rules each case exercises, that the config file the codemod
edits is the one pytest really reads (asked of pytest itself), and that the fleet's suites pass on
the new versions after migration (real pytest 8.3.5 / 0.23.8 and pytest >=8.4 / 1.3.0 envs).
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import tomlkit

from bot.change.doubles import SHARED_RULE_IDS
from bot.change.fixtures import fixture_cases, read_tree
from bot.change.recipe import load_recipe
from bot.declared.requirements import edit_requirements
from bot.model import ServiceSource

ROOT = Path(__file__).resolve().parents[1]
RECIPE = load_recipe(ROOT / "recipes" / "pytest-asyncio-1.3.0")
FLEET = ROOT / "examples" / "fleet" / "services"
_package = sys.modules[RECIPE.codemod_class.__module__.rpartition(".")[0]]
config_keys = sys.modules[f"{_package.__name__}.config_keys"]
from bot.declared import ini_text  # noqa: E402
from bot.declared.pytest_config import locate  # noqa: E402

# The fleet's pytest-asyncio users ("pa" in the fleet generator) and what is special about each suite.
PA_SERVICES = {
    "automation-miner": set(), "blueprint-index": {"PA003"}, "ha-setup-service": set(),
    "ha-simulator": {"PA005"}, "ai-pattern-service": {"PA003"}, "device-intelligence-service": {"PA005"},
    "openvino-service": {"PA005"}, "proactive-agent-service": set(), "ha-ai-agent-service": {"PA003"},
    "sports-api": set(), "weather-api": {"PA003"}, "ai-query-service": set(), "ai-training-service": set(),
    "blueprint-suggestion-service": set(), "ai-core-service": set(), "ml-service": {"PA006"},
    "admin-api": {"PA003"}, "data-retention": set(), "data-api": set(), "websocket-ingestion": set(),
}
CONFIG_FILE = {"blueprint-index": "setup.cfg", "ai-query-service": "pyproject.toml", "ai-training-service": "tox.ini"}
SOURCE_SUFFIXES = (".py", ".txt", ".toml", ".ini", ".cfg")


def service_source(directory: Path, name: str) -> ServiceSource:
    files = {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8") for p in directory.rglob("*")
             if p.is_file() and p.name.endswith(SOURCE_SUFFIXES) and "__pycache__" not in p.parts}
    return ServiceSource(name, files)


def migrate(source: ServiceSource, mode: str = "strict"):
    return RECIPE.codemod({"mode": mode}).migrate(source)


# ----- rules and fixture coverage ----------------------------------------------------------------------

def test_rules_have_stable_sequential_ids():
    # in the order they run (the configuration rules last: codemod.py says why); + migration.toml's shared rules
    rules = {rule: text for rule, text in RECIPE.rules().items() if rule not in SHARED_RULE_IDS}
    assert sorted(rules) == [f"PA{n:03d}" for n in range(1, len(rules) + 1)]
    assert all(description.strip() for description in rules.values())


CASE_RULES = {
    "mark-async-tests": {"PA001"},
    "async-fixture-decorator": {"PA002"},
    "fixture-loop-scope": {"PA002", "PA003"},
    "marker-loop-scope": {"PA004"},
    "event-loop-parameter": {"PA005"},
    "event-loop-override": {"PA006"},
    "event-loop-override-function-scope": {"PA006"},
    "event-loop-override-custom": {"PA001", "PA002", "PA003", "PA008"},
    "event-loop-override-get-loop": {"PA003", "PA006"},
    "event-loop-sync-fixture": {"PA002", "PA003", "PA005", "PA006"},
    "config-addopts": {"PA007", "PA008"},
    "config-pyproject": {"PA007", "PA008"},
    "config-tox-ini": {"PA007", "PA008"},
    "config-setup-cfg": {"PA007", "PA008"},
    "config-setup-cfg-after-tox": {"PA007", "PA008"},
    "auto-mode": {"PA003", "PA004", "PA005", "PA008"},
    "shared-plugin-names": {"AUD001"},  # the import audit of migration.toml (bot/change/import_audit.py)
}


@pytest.mark.parametrize("case", sorted(CASE_RULES))
def test_fixture_case_exercises_its_rules(case):
    folder = RECIPE.folder / "fixtures" / case
    options = {}
    if (folder / "case.toml").is_file():
        options = tomlkit.parse((folder / "case.toml").read_text()).unwrap().get("options", {})
    before = folder / "before"
    files = read_tree(before)
    result = RECIPE.codemod(options).migrate(ServiceSource(case, files))
    assert CASE_RULES[case] <= {change.rule for change in result.applied}
    assert all(change.count >= 1 and change.description for change in result.applied)


def test_every_rule_has_a_fixture_case():
    exercised = set().union(*CASE_RULES.values())
    for case in fixture_cases(RECIPE):
        toml = case / "case.toml"
        if toml.is_file():
            exercised |= {m["rule"] for m in tomlkit.parse(toml.read_text()).unwrap().get("manual", [])}
    assert exercised >= set(RECIPE.rules()) - {"PA011"}


def test_auto_mode_leaves_tests_and_function_fixtures_alone():
    before = RECIPE.folder / "fixtures" / "auto-mode" / "after" / "tests"
    assert "@pytest.mark.asyncio\n" not in (before / "test_auto.py").read_text()
    assert "@pytest.fixture\nasync def per_test" in (before / "conftest.py").read_text()


def test_manual_items_quote_the_code_and_say_what_to_do():
    case = RECIPE.folder / "fixtures" / "manual-sync-event-loop" / "before"
    files = read_tree(case)
    result = migrate(ServiceSource("legacy", files))
    assert {(m.file, m.old_code) for m in result.manual} == {
        ("tests/conftest.py", "def event_loop():"),
        ("tests/test_legacy.py", "def test_run_until_complete(event_loop):"),
        ("tests/test_legacy.py", "def warmed(event_loop):"),
        ("tests/test_legacy.py", '@pytest.mark.usefixtures("event_loop")'),
    }
    for item in result.manual:
        assert files[item.file].splitlines()[item.line - 1].strip() == item.old_code
        assert item.reason and item.suggestion


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        migrate(ServiceSource("x", {"tests/test_a.py": "async def test_a():\n    pass\n"}), mode="relaxed")


PYTHON_FLOOR_CASES = {
    "requires-python below": ({"pyproject.toml": '[project]\nname = "s"\nrequires-python = ">=3.9"\n'},
                              [("pyproject.toml", 3, 'requires-python = ">=3.10"')]),
    "requires-python at the floor": ({"pyproject.toml": '[project]\nname = "s"\nrequires-python = ">=3.10"\n'}, []),
    "upper bound kept": ({"setup.cfg": "[options]\npython_requires = >=3.8,<3.13\n"},
                         [("setup.cfg", 2, "python_requires = >=3.10, <3.13")]),
    "poetry tilde": ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "~3.8"\n'},
                     [("pyproject.toml", 2, 'python = "^3.10"')]),
    "poetry alternatives, one old": ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11 || 3.9.*"\n'},
                                     [("pyproject.toml", 2, 'python = "^3.10"')]),
    "new classifiers only": ({"setup.cfg": "[metadata]\nclassifiers =\n    Programming Language :: Python :: 3.12\n"}, []),
    "python-version new": ({".python-version": "3.12.1\n"}, []),
    "python-version old": ({".python-version": "# pinned by ops\npython-3.8\n"}, [(".python-version", 2, "3.10")]),
}


@pytest.mark.parametrize("case", sorted(PYTHON_FLOOR_CASES))
def test_declared_python_below_the_floor_is_listed_once_per_declaration(case):
    files, expected = PYTHON_FLOOR_CASES[case]
    files = {**files, "pytest.ini": "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"}
    result = migrate(ServiceSource("s", files))
    got = [(m.file, m.line, m.suggestion) for m in result.manual if m.rule == "PA012"]
    assert got == expected
    assert all("pytest-asyncio 1.3.0 requires Python >= 3.10" in m.reason for m in result.manual)


@pytest.mark.parametrize("declared", ["pytest==7.4.4", "pytest>=7,<8", "pytest~=8.1.0"])
def test_pytest_older_than_8_2_is_raised_with_the_bump(declared):
    from bot.discover.services import discover
    from bot.change.apply import apply_recipe
    from bot.discover.snapshot import MemorySnapshot
    files = {"services/s/requirements.txt": f"{declared}\npytest-asyncio==0.23.8\n",
             "services/s/pytest.ini": "[pytest]\nasyncio_mode = auto\n"}
    (service,), _ = discover(MemorySnapshot(files), ("services/*",))
    change = apply_recipe(service, RECIPE)
    assert change.changed["requirements.txt"] == "pytest>=8.4,<10\npytest-asyncio==1.3.0\n"


def test_unparsable_file_becomes_a_manual_item():
    result = migrate(ServiceSource("x", {"tests/test_a.py": "async def test_a(:\n", "pytest.ini": "[pytest]\n"}))
    assert [(m.rule, m.file) for m in result.manual] == [("PA011", "tests/test_a.py")]
    assert "tests/test_a.py" not in result.changed


# ----- which config file pytest reads: asked of pytest itself --------------------------------------------

CONFIG_LAYOUTS = {
    "empty pytest.ini beats tox.ini": ({"pytest.ini": "", "tox.ini": "[pytest]\n"}, "pytest.ini"),
    "pytest.ini beats pyproject table": ({"pytest.ini": "[pytest]\n", "pyproject.toml":
                                          "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n"}, "pytest.ini"),
    "pyproject without table is skipped": ({"pyproject.toml": "[project]\nname = 'x'\n",
                                            "tox.ini": "[pytest]\n"}, "tox.ini"),
    "pyproject table beats setup.cfg": ({"pyproject.toml": "[tool.pytest.ini_options]\n",
                                         "setup.cfg": "[tool:pytest]\n"}, "pyproject.toml"),
    "tox.ini without [pytest] is skipped": ({"tox.ini": "[tox]\n", "setup.cfg": "[tool:pytest]\n"}, "setup.cfg"),
    "setup.cfg needs [tool:pytest]": ({"setup.cfg": "[metadata]\nname = x\n", "pyproject.toml":
                                       "[project]\nname = 'x'\n"}, "pyproject.toml"),
    "native [tool.pytest] table": ({"pyproject.toml": "[tool.pytest]\nminversion = '8.0'\n",
                                    "tox.ini": "[pytest]\n"}, "pyproject.toml"),
    "pytest.toml beats pytest.ini": ({"pytest.toml": "[pytest]\n", "pytest.ini": "[pytest]\n"}, "pytest.toml"),
    "no config at all": ({"setup.cfg": "[flake8]\n"}, None),
}


@pytest.mark.parametrize("layout", sorted(CONFIG_LAYOUTS))
def test_config_file_is_the_one_pytest_reads(layout, tmp_path):
    files, expected = CONFIG_LAYOUTS[layout]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider"],
                         cwd=tmp_path, capture_output=True, text=True)
    found = re.search(r"^configfile: (\S+)", run.stdout, re.MULTILINE)
    assert (found.group(1) if found else None) == expected, run.stdout
    # Without any pytest config the codemod writes to the pyproject.toml pytest fell back to, else a new pytest.ini.
    assert locate(files).path == (expected or "pytest.ini")


@pytest.mark.parametrize(("addopts", "ini", "mode"), [
    ("-ra --asyncio-mode=auto", "strict", "auto"),
    ("--asyncio-mode auto -q", None, "auto"),
    ("-ra", "auto", "auto"),
    ("--asyncio-mode=strict", "auto", "strict"),
    ("", None, "strict"),
])
def test_asyncio_mode_from_addopts_beats_the_ini_key(addopts, ini, mode):
    text = f"[pytest]\naddopts = {addopts}\n" + (f"asyncio_mode = {ini}\n" if ini else "")
    assert config_keys.asyncio_mode(locate({"pytest.ini": text}))[0] == mode


def test_addopts_form_the_bot_cannot_edit_becomes_a_manual_item():
    files = {"pytest.ini": "[pytest]\naddopts =\n    --asyncio-mode\n    auto\n",
             "tests/test_a.py": "async def test_a():\n    pass\n"}
    result = migrate(ServiceSource("x", files))
    assert [(m.rule, m.file, m.line, m.old_code) for m in result.manual] == [
        ("PA007", "pytest.ini", 3, "--asyncio-mode")]


def test_ini_edits_keep_comments_layout_and_line_endings():
    text = ("# team settings\r\n[pytest]\r\naddopts =\r\n    -ra\r\n    ; a comment inside\r\n"
            "    --asyncio-mode=auto\r\nasyncio_mode: auto\r\n\r\n[coverage:run]\r\nbranch = true\r\n")
    section = ini_text.IniSection(text, "pytest")
    section.set("asyncio_mode", "strict")
    section.set("asyncio_default_fixture_loop_scope", "function")
    assert section.substitute_in_value("addopts", re.compile(r"(--asyncio-mode=)auto"), r"\g<1>strict") == 1
    assert section.text() == ("# team settings\r\n[pytest]\r\naddopts =\r\n    -ra\r\n    ; a comment inside\r\n"
                              "    --asyncio-mode=strict\r\nasyncio_mode: strict\r\n"
                              "asyncio_default_fixture_loop_scope = function\r\n\r\n[coverage:run]\r\nbranch = true\r\n")


def test_ini_section_is_appended_when_missing():
    section = ini_text.IniSection("[tox]\nenvlist = py311", "pytest")
    section.set("asyncio_default_fixture_loop_scope", "function")
    assert section.text() == "[tox]\nenvlist = py311\n\n[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_ignored_config_is_left_alone_and_explained():
    files = {"pytest.ini": "[pytest]\n", "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
             "tests/test_a.py": "async def test_a():\n    pass\n"}
    result = migrate(ServiceSource("x", files))
    assert "pyproject.toml" not in result.changed
    assert result.changed["pytest.ini"] == "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    assert any("pyproject.toml" in note and "ignored" in note for note in result.notes)


# ----- the fleet (pure) -----------------------------------------------------------------------------------

def _event_loop_parameters(files: dict[str, str]) -> list[str]:
    """Functions that still take an `event_loop` parameter (the fixture 1.x removed)."""
    found = []
    for path, text in files.items():
        if path.endswith(".py"):
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
                    if "event_loop" in names:
                        found.append(f"{path}::{node.name}")
    return found


@pytest.mark.parametrize("service", sorted(PA_SERVICES))
def test_fleet_service_migrates_cleanly(service):
    source = service_source(FLEET / service, service)
    result = migrate(source)
    assert result.manual == []
    applied = {change.rule for change in result.applied}
    assert {"PA001", "PA002", "PA007", "PA008"} | PA_SERVICES[service] <= applied
    config = CONFIG_FILE.get(service, "pytest.ini")
    assert config in result.changed and "pytest.ini" not in set(result.changed) - {config}
    migrated = {**source.files, **result.changed}
    assert "asyncio_mode = auto" not in migrated[config] and "--asyncio-mode=auto" not in migrated[config]
    assert _event_loop_parameters(migrated) == []
    assert migrate(ServiceSource(service, migrated)).changed == {}
    assert migrate(source, mode="auto").manual == []


# ----- proof by execution (slow: real pytest / pytest-asyncio environments) ------------------------------

def _python_for(service_dir: Path, extra_lines: tuple[str, ...] = ()) -> Path:
    from bot.validation.envs import ensure_env, expand_requirements, requirement_sources

    sources = requirement_sources(service_dir)
    if not extra_lines:
        return Path(ensure_env(sources))
    # Same requirements with some pins replaced (e.g. pytest 8.3.5 next to pytest-asyncio 1.3.0).
    replaced = {line.split("=")[0] for line in extra_lines}
    kept = [line.text for line in expand_requirements(sources).requirements
            if line.package_name not in replaced]
    return Path(ensure_env(requirement_lines=[*kept, *extra_lines]))


def _outcomes(python: Path, service_dir: Path, *args: str) -> dict[str, str]:
    report = service_dir / "junit-upgrade-bot.xml"
    subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
                    f"--junitxml={report}", *args], cwd=service_dir, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed")
    report.unlink()
    return outcomes


def _bump(service_dir: Path) -> str:
    """The recipe's requirement edits, applied where the service declares its pins; returns the new texts."""
    texts = []
    for path in sorted(service_dir.glob("requirements*.txt")) + sorted(service_dir.glob("requirements/*.txt")):
        rel = path.relative_to(service_dir).as_posix()
        texts.append(edit_requirements(path.read_text(), rel, RECIPE.requirement_edits, allow_add=False).text)
        path.write_text(texts[-1])
    return "".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["strict", "auto"])
@pytest.mark.parametrize("service", sorted(PA_SERVICES))
def test_fleet_service_proven_by_execution(service, mode, tmp_path):
    directory = tmp_path / service
    shutil.copytree(FLEET / service, directory, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    old = _outcomes(_python_for(directory), directory)
    passing = {test for test, outcome in old.items() if outcome == "passed"}
    assert passing, old  # tests failing on the old pins too (a broken import) are pre-existing, not ours

    result = migrate(service_source(directory, service), mode=mode)
    for path, text in result.changed.items():
        (directory / path).write_text(text)
    assert "pytest-asyncio==1.3.0" in _bump(directory)
    new = _outcomes(_python_for(directory), directory, "-W", "error::pytest.PytestDeprecationWarning")
    assert {t for t in passing if new.get(t) != "passed"} == set(), new
    if mode == "auto":
        return
    # pytest 8.3 skips (instead of failing) an async test strict mode did not take: none may be skipped.
    floor = _outcomes(_python_for(directory, ("pytest==8.3.5",)), directory, "-W",
                      "error::pytest.PytestDeprecationWarning")
    assert {t for t in passing if floor.get(t) != "passed"} == set(), floor



# Suite-wide event_loop overrides in shapes seen in real projects, each sharing one session loop between a
# wider-scoped async fixture and the tests that talk to it; case -> manual items expected.
SHARED_LOOP_CASES = {
    # Also sets debug: the lifetime is migrated, the rest listed.
    "event-loop-override-custom": [("tests/conftest.py", "PA009")],
    # autouse + asyncio.get_event_loop(): still only a lifetime, so it is removed.
    "event-loop-override-get-loop": [],
    # A sync module fixture hands event_loop to a reader callback: it becomes async on the running loop.
    "event-loop-sync-fixture": [("tests/conftest.py", "PA005")],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SHARED_LOOP_CASES))
def test_suite_wide_override_keeps_one_shared_loop_by_execution(case, tmp_path):
    """Left as it was (or with loop_scope = the fixture's own scope), 1.x runs the fixture's server or
    worker task in a loop that is idle while each test's own loop waits for the answer."""
    _passes_before_and_after(case, tmp_path, SHARED_LOOP_CASES[case], tests=2)


# Issue 17: cases that must come out whole (no half migration, the mode in force); case -> manual items expected.
WHOLE_MIGRATION_CASES = {
    # Sync code drives the event_loop fixture 0.21 provided: a plain one is added for it (PA013), its uses listed.
    "event-loop-sync-code": [("tests/conftest.py", "PA013"), ("tests/test_ledger.py", "PA009"),
                             ("tests/test_ledger.py", "PA009"), ("tests/test_ledger.py", "PA009")],
    # Auto mode set in a conftest hook: switching that assignment (not pytest.ini) makes the suite strict.
    "mode-set-in-conftest": [],
    # An autouse sync guard on the event_loop fixture's tasks and timers becomes an async fixture on the tests' loop.
    "event-loop-autouse-guard": [("tests/conftest.py", "PA005")],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(WHOLE_MIGRATION_CASES))
def test_whole_migration_passes_on_the_new_version_by_execution(case, tmp_path):
    _passes_before_and_after(case, tmp_path, WHOLE_MIGRATION_CASES[case])


def _passes_before_and_after(case: str, tmp_path: Path, items: list[tuple[str, str]], tests: int | None = None) -> None:
    """The fixture case's tests pass on pytest-asyncio 0.21.2 as they are, and, migrated, on 1.3.0 (deprecations are
    errors), with exactly these manual items."""
    from bot.validation.envs import ensure_env

    directory = tmp_path / case
    shutil.copytree(RECIPE.folder / "fixtures" / case / "before", directory)
    old = _outcomes(Path(ensure_env(requirement_lines=["pytest==7.4.4", "pytest-asyncio==0.21.2"])), directory)
    assert set(old.values()) == {"passed"} and len(old) == (tests or len(old)) > 0, old

    new_python = Path(ensure_env(requirement_lines=["pytest>=8.4,<10", "pytest-asyncio==1.3.0"]))
    result = migrate(service_source(directory, case))
    assert [(m.file, m.rule) for m in result.manual] == items
    for path, text in result.changed.items():
        (directory / path).write_text(text)
    new = _outcomes(new_python, directory, "-W", "error::pytest.PytestDeprecationWarning")
    assert new == old, new


LEAKING_TESTS = """import asyncio

import pytest


@pytest.mark.asyncio
async def test_leaves_a_task():
    asyncio.get_running_loop().create_task(asyncio.sleep(10))


@pytest.mark.asyncio
async def test_leaves_a_timer():
    asyncio.get_running_loop().call_later(10, print)
"""


@pytest.mark.slow
def test_autouse_guard_still_catches_what_a_test_leaves_behind_by_execution(tmp_path):
    """A plain event_loop fixture added for the guard (what PA013 does for other sync code) would keep the suite
    green while the guard watches a loop no test runs on. Migrated, it still fails the tests that leave a task or a
    timer behind, as it did on 0.21 (aioesphomeapi's verify_no_lingering_tasks has this shape)."""
    from bot.validation.envs import ensure_env

    case = "event-loop-autouse-guard"
    directory = tmp_path / case
    shutil.copytree(RECIPE.folder / "fixtures" / case / "before", directory)
    (directory / "tests" / "test_leaks.py").write_text(LEAKING_TESTS)
    leaks = {"tests.test_leaks::test_leaves_a_task", "tests.test_leaks::test_leaves_a_timer"}
    old = _outcomes(Path(ensure_env(requirement_lines=["pytest==7.4.4", "pytest-asyncio==0.21.2"])), directory)
    assert {t for t, outcome in old.items() if outcome == "failed"} == leaks, old
    for path, text in migrate(service_source(directory, case)).changed.items():
        (directory / path).write_text(text)
    new = _outcomes(Path(ensure_env(requirement_lines=["pytest>=8.4,<10", "pytest-asyncio==1.3.0"])), directory,
                    "-W", "error::pytest.PytestDeprecationWarning")
    assert new == old, new


def test_sync_fixture_made_async_sees_the_loop_as_it_did_from_outside():
    """run_until_complete(x) as a statement becomes `await x`; all_tasks(loop) leaves out the fixture's own task
    (bare where the expression allows it); a signature left with no parameter closes up."""
    conftest = ("import asyncio\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\ndef guard(\n"
                "    event_loop: asyncio.AbstractEventLoop,\n) -> None:\n    before = asyncio.all_tasks(event_loop)\n"
                "    yield\n    left = asyncio.all_tasks(event_loop) - before\n"
                "    assert not asyncio.all_tasks(event_loop).difference(before)\n"
                "    event_loop.run_until_complete(asyncio.wait(left))\n")
    migrated = migrate(ServiceSource("guarded", {"pytest.ini": "[pytest]\nasyncio_mode = auto\n",
                                                 "tests/conftest.py": conftest,
                                                 "tests/test_a.py": "async def test_a():\n    pass\n"}))
    assert migrated.changed["tests/conftest.py"] == (
        "import asyncio\n\nimport pytest_asyncio\n\n\n@pytest_asyncio.fixture(autouse=True)\n"
        "async def guard() -> None:\n    event_loop = asyncio.get_running_loop()\n"
        "    before = asyncio.all_tasks(event_loop) - {asyncio.current_task()}\n    yield\n"
        "    left = asyncio.all_tasks(event_loop) - {asyncio.current_task()} - before\n"
        "    assert not (asyncio.all_tasks(event_loop) - {asyncio.current_task()}).difference(before)\n"
        "    await asyncio.wait(left)\n")
    [item] = migrated.manual
    assert (item.rule, item.line) == ("PA005", 7) and "became `await x` (1x)" in item.reason, item
    assert "own task" in item.reason and "(3x)" in item.reason, item


SYNC_FIXTURE_BODIES = {
    "hands the loop on": ("bell = Bell(event_loop)\nyield bell\nbell.close()", True),
    "schedules a callback": ("event_loop.call_soon(print)\nreturn 1", True),
    "runs a coroutine as a statement's value (await inside the loop)": (
        "return event_loop.run_until_complete(warm())", True),
    "waits for leftovers as a statement (await inside the loop)": (
        "yield\nevent_loop.run_until_complete(asyncio.wait(tasks))", True),
    "drives the loop inside an expression": ("return 1 + event_loop.run_until_complete(warm())", False),
    "drives a loop it was not given": ("other_loop.run_until_complete(warm())\nreturn 1", False),
    "drives another loop": ("loop = other()\nloop.run_forever()", False),
    "starts a loop": ("asyncio.run(warm())\nreturn 1", False),
    "closes the loop": ("yield event_loop\nevent_loop.close()", False),
    "generator returning a value": ("yield 1\nreturn 2", False),
    "yield from": ("yield from parts(event_loop)", False),
    "nested helper drives it": ("def later():\n    event_loop.run_until_complete(warm())\nreturn later", False),
    "nested generator": ("def parts():\n    yield 1\n    return 2\nreturn list(parts())", True),
}


@pytest.mark.parametrize("shape", sorted(SYNC_FIXTURE_BODIES))
def test_sync_fixture_becomes_async_only_when_its_body_can_run_inside_the_loop(shape):
    import libcst as cst

    body, expected = SYNC_FIXTURE_BODIES[shape]
    source = "def fixture(event_loop):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    func = cst.parse_module(source).body[0]
    can_become_async = sys.modules[f"{_package.__name__}.sync_fixture"].can_become_async
    # await_runs: no sync code is left that needs the event_loop fixture (suite.loop_runs_can_be_awaited)
    assert can_become_async(func, await_runs=True) is expected
    if "run_until_complete" in body:  # otherwise what it runs would be used from the plain loop PA013 adds
        assert can_become_async(func) is False


# ----- configuration above the service (issue 17.4): found as pytest finds it, never shadowed -------------------

MONOREPO_ROOT_INI = "[pytest]\nasyncio_mode = auto\naddopts = --import-mode=importlib\n"
ASYNC_TEST = "async def test_reads():\n    assert True\n"


def _discovered(files: dict[str, str], pattern: str = "services/*"):
    from bot.discover.services import discover
    from bot.discover.snapshot import MemorySnapshot
    services, _ = discover(MemorySnapshot(files), (pattern,))
    return {s.path: s for s in services}


def test_root_pytest_ini_is_not_shadowed_by_a_table_in_the_services_pyproject():
    """The monorepo's settings live in the root pytest.ini; the service's pyproject.toml has no pytest table.
    pytest reads the root file for the service, so the recipe must not add [tool.pytest.ini_options] to the
    service's pyproject.toml (pytest would read that instead and lose import mode and asyncio mode)."""
    from bot.change.apply import apply_recipe
    pyproject = '[project]\nname = "api"\nversion = "1"\ndependencies = ["pytest-asyncio==0.23.8"]\n'
    services = _discovered({"pytest.ini": MONOREPO_ROOT_INI, "services/api/pyproject.toml": pyproject,
                            "services/api/tests/test_api.py": ASYNC_TEST,
                            "services/web/requirements.txt": "pytest-asyncio==0.23.8\n",
                            "services/web/tests/test_web.py": ASYNC_TEST})
    for path in ("services/api", "services/web"):
        change = apply_recipe(services[path], RECIPE)
        assert "tool.pytest" not in change.changed.get("pyproject.toml", "")
        assert not any(p.endswith(("pytest.ini", "pytest.toml", "tox.ini", "setup.cfg")) for p in change.changed), \
            sorted(change.changed)
        assert not any("already ran in strict mode" in note for note in change.notes), change.notes
        # the root file is shared by both services: what it needs is listed, naming it, not forked
        listed = [m for m in change.manual if m.file == "../../pytest.ini"]
        assert {m.suggestion for m in listed} >= {"asyncio_default_fixture_loop_scope = function"}, change.manual
        assert all("shared" in m.reason for m in listed)


MONOREPO_LAYOUTS = {
    "root pytest.ini over a service pyproject without a table": (
        {"pytest.ini": "[pytest]\n", "services/a/pyproject.toml": "[project]\nname = 'a'\n"}, "pytest.ini"),
    "the service's own table wins over the root": (
        {"pytest.ini": "[pytest]\n", "services/a/pyproject.toml": "[tool.pytest.ini_options]\n"},
        "services/a/pyproject.toml"),
    "nearest folder wins, its first file": (
        {"pytest.ini": "[pytest]\n", "services/tox.ini": "[pytest]\n", "services/setup.cfg": "[tool:pytest]\n"},
        "services/tox.ini"),
    "a folder without pytest settings is passed": (
        {"tox.ini": "[pytest]\n", "services/tox.ini": "[tox]\n", "services/setup.cfg": "[flake8]\n"}, "tox.ini"),
    "root pyproject table": ({"pyproject.toml": "[tool.pytest.ini_options]\n", "services/a/requirements.txt": ""},
                             "pyproject.toml"),
    "nothing above, the service's pyproject is the fallback": (
        {"setup.cfg": "[flake8]\n", "services/a/pyproject.toml": "[project]\nname = 'a'\n"},
        "services/a/pyproject.toml"),
}


@pytest.mark.parametrize("layout", sorted(MONOREPO_LAYOUTS))
def test_config_above_the_service_is_found_as_pytest_finds_it(layout, tmp_path):
    """Asked of pytest itself, run in the service folder of a repository laid out this way."""
    from bot.model import repo_path
    files, expected = MONOREPO_LAYOUTS[layout]
    files = {**files, "services/a/tests/test_a.py": "def test_a():\n    pass\n"}
    files.setdefault("services/a/requirements.txt", "pytest\n")
    (tmp_path / ".git").mkdir()  # the repository's root: pytest walks further up, the bot stops here
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider"],
                         cwd=tmp_path / "services" / "a", capture_output=True, text=True)
    rootdir = re.search(r"^rootdir: (\S+)", run.stdout, re.MULTILINE)
    found = re.search(r"configfile: (\S+)", run.stdout)
    assert rootdir and found, run.stdout
    assert os.path.normpath(os.path.join(rootdir.group(1), found.group(1))) == str(tmp_path / expected)
    service = _discovered(files)["services/a"]
    assert repo_path(service.path, locate(service.files).path) == expected


def test_suite_wide_override_stays_when_the_config_is_shared():
    """Its loop lifetime would move to keys of a config other services share: listed, and the override kept."""
    from bot.change.apply import apply_recipe
    conftest = ("import asyncio\n\nimport pytest\n\n\n@pytest.fixture(scope=\"session\")\ndef event_loop():\n"
                "    loop = asyncio.new_event_loop()\n    yield loop\n    loop.close()\n")
    services = _discovered({"tox.ini": "[tox]\n\n[pytest]\nasyncio_mode = auto\n",
                            "services/api/requirements.txt": "pytest-asyncio==0.23.8\n",
                            "services/api/tests/conftest.py": conftest,
                            "services/api/tests/test_api.py": ASYNC_TEST})
    change = apply_recipe(services["services/api"], RECIPE, {"mode": "auto"})
    assert "tests/conftest.py" not in change.changed
    assert {(m.file, m.rule, m.suggestion) for m in change.manual if m.file == "../../tox.ini"} == {
        ("../../tox.ini", "PA008", "asyncio_default_fixture_loop_scope = session"),
        ("../../tox.ini", "PA006", "asyncio_default_test_loop_scope = session")}
    [kept] = [m for m in change.manual if m.file == "tests/conftest.py"]
    assert kept.rule == "PA009" and "tox.ini" in kept.reason


def test_the_services_own_config_is_edited_and_a_root_one_is_left_alone():
    from bot.change.apply import apply_recipe
    services = _discovered({"pytest.ini": MONOREPO_ROOT_INI,
                            "services/api/requirements.txt": "pytest-asyncio==0.23.8\n",
                            "services/api/pytest.ini": "[pytest]\nasyncio_mode = auto\n",
                            "services/api/tests/test_api.py": ASYNC_TEST})
    change = apply_recipe(services["services/api"], RECIPE)
    assert change.changed["pytest.ini"] == ("[pytest]\nasyncio_mode = strict\n"
                                            "asyncio_default_fixture_loop_scope = function\n")
    assert not any(m.file.startswith("../") for m in change.manual)


def test_a_change_to_the_root_config_is_a_change_of_the_service(tmp_path):
    """Job inputs (the service's content id) cover the config read from above, through the git snapshot, so the
    service's PR is recomputed when it changes, and not when an unrelated file above it changes."""
    from conftest import Monorepo
    from bot.discover.services import discover
    from bot.gitops import GitRepo
    repo = Monorepo(tmp_path, {"pytest.ini": "[pytest]\n", "services/api/requirements.txt": "pytest-asyncio==0.23.8\n",
                               "README.md": "hello\n"})
    git_repo = GitRepo(repo.work)

    def tree_at(sha: str) -> str:
        (service,), _ = discover(git_repo.snapshot(sha), ("services/*",))
        return service.tree

    first = tree_at("HEAD")
    unrelated = repo.commit_on_main({"README.md": "changed\n"})
    git_repo.repo.git.fetch("-q", "origin")
    assert tree_at(unrelated) == first
    config = repo.commit_on_main({"pytest.ini": "[pytest]\nasyncio_mode = auto\n"})
    git_repo.repo.git.fetch("-q", "origin")
    assert tree_at(config) != first


def test_test_requirements_of_a_tox_driven_package_are_its_declarations():
    """Packages run by tox pin their test tools in test-requirements.txt: the package is a service with a
    pytest-asyncio job, and the root pytest.ini it runs with is listed, not forked into its pyproject.toml."""
    from bot.change.apply import apply_recipe
    pyproject = '[project]\nname = "instr"\nversion = "1"\ndependencies = ["wrapt"]\n'
    services = _discovered({"pytest.ini": "[pytest]\naddopts = -rs -v\n", "pkgs/instr/pyproject.toml": pyproject,
                            "pkgs/instr/test-requirements.txt": "pytest==7.4.4\npytest-asyncio==0.23.5\n-e pkgs/instr\n",
                            "pkgs/instr/tests/test_a.py": "import pytest\n\n\n@pytest.mark.asyncio\n" + ASYNC_TEST},
                           "pkgs/*")
    service = services["pkgs/instr"]
    assert service.requirement_files == ["test-requirements.txt"] and service.depends_on("pytest-asyncio")
    change = apply_recipe(service, RECIPE)
    assert change.changed["test-requirements.txt"] == "pytest>=8.4,<10\npytest-asyncio==1.3.0\n-e pkgs/instr\n"
    assert "pyproject.toml" not in change.changed
    assert [m.suggestion for m in change.manual if m.file == "../../pytest.ini"] == [
        "asyncio_default_fixture_loop_scope = function"]


# ----- issue 17: the mode in force, no half migration ---------------------------------------------------------

CONFTEST_AUTO = "def pytest_configure(config):\n    config.option.asyncio_mode = \"auto\"\n"
UNMARKED = "async def test_reads():\n    assert True\n"


@pytest.mark.parametrize("hook", ["pytest_configure", "pytest_cmdline_main"])
def test_mode_set_in_a_conftest_hook_is_the_mode_the_suite_runs_in(hook):
    """`config.option.asyncio_mode = "auto"` in a conftest hook beats pytest.ini: the suite runs in auto mode. With
    mode = "auto" nothing is marked; with "strict" that assignment is what gets switched (the ini would be a no-op),
    and the PR never claims the suite already ran in strict mode."""
    conftest = CONFTEST_AUTO.replace("pytest_configure", hook)
    files = {"pytest.ini": "[pytest]\n", "tests/conftest.py": conftest, "tests/test_a.py": UNMARKED}
    kept = migrate(ServiceSource("s", files), mode="auto")
    assert "tests/test_a.py" not in kept.changed and "tests/conftest.py" not in kept.changed
    assert not any("already ran in strict mode" in note for note in kept.notes), kept.notes
    switched = migrate(ServiceSource("s", files))
    assert switched.changed["tests/conftest.py"] == conftest.replace('"auto"', '"strict"')
    assert "@pytest.mark.asyncio" in switched.changed["tests/test_a.py"]
    assert "asyncio_mode" not in switched.changed["pytest.ini"]
    assert [(c.file, c.rule) for c in switched.applied if c.rule == "PA007"] == [("tests/conftest.py", "PA007")]
    assert not any("already ran in strict mode" in note for note in switched.notes), switched.notes
    assert switched.manual == []


def test_mode_set_at_run_time_in_a_form_the_bot_cannot_read_is_listed():
    conftest = ("import os\n\n\ndef pytest_configure(config):\n"
                "    config.option.asyncio_mode = os.environ.get(\"ASYNCIO_MODE\", \"auto\")\n")
    files = {"pytest.ini": "[pytest]\nasyncio_mode = strict\n", "tests/conftest.py": conftest, "tests/test_a.py": UNMARKED}
    result = migrate(ServiceSource("s", files))
    assert [(m.rule, m.file, m.line) for m in result.manual] == [("PA007", "tests/conftest.py", 5)]
    assert "tests/conftest.py" not in result.changed
    assert not any("already ran in strict mode" in note for note in result.notes), result.notes


def test_strict_mode_is_not_switched_on_while_a_test_file_cannot_be_read():
    """No half migration: a test file libcst cannot parse keeps its unmarked async tests, which strict mode would skip
    (pytest 8.3) or fail (8.4): the suite stays in auto mode, and the file and the switch are listed."""
    files = {"pytest.ini": "[pytest]\nasyncio_mode = auto\n", "tests/test_a.py": UNMARKED,
             "tests/test_b.py": "async def test_b(:\n    pass\n"}
    result = migrate(ServiceSource("s", files))
    assert result.changed["pytest.ini"] == "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    assert sorted((m.rule, m.file) for m in result.manual) == [("PA007", "pytest.ini"), ("PA011", "tests/test_b.py")]
    assert not any("Switched pytest.ini to strict mode" in note for note in result.notes), result.notes


SYNC_LOOP_USERS = ("import asyncio\n\nimport pytest\n\n\ndef test_drives_the_loop(event_loop):\n"
                   "    assert event_loop.run_until_complete(asyncio.sleep(0, result=1)) == 1\n\n\n"
                   "async def test_async():\n    await asyncio.sleep(0)\n")


def test_sync_code_that_drives_the_loop_keeps_an_event_loop_fixture():
    """No half migration: pytest-asyncio 1.0 removed the event_loop fixture sync code used; a plain one, the fixture
    0.21 provided, goes to the tests' conftest.py (listed), so the suite keeps running while a human converts them."""
    files = {"pytest.ini": "[pytest]\nasyncio_mode = auto\n", "requirements.txt": "pytest-asyncio==0.21.2\n",
             "tests/test_legacy.py": SYNC_LOOP_USERS}
    result = migrate(ServiceSource("s", files), mode="auto")
    conftest = result.changed.get("tests/conftest.py", "")
    assert "def event_loop():" in conftest and "asyncio.new_event_loop()" in conftest, sorted(result.changed)
    assert sorted((m.rule, m.file) for m in result.manual) == [("PA009", "tests/test_legacy.py"),
                                                                ("PA013", "tests/conftest.py")]
