"""Why the Phase 2 migration had to be redone: its script, replayed on one fleet service, fails.

The Phase 2 script deleted `asyncio_mode = auto` from pytest.ini, put @pytest.mark.asyncio on every
`async def test_*` and pinned pytest-asyncio==1.3.0. It missed the async fixtures on plain
@pytest.fixture (strict mode hands the test a coroutine / async generator instead of the value, and
an autouse one never runs) and never raised pytest (pytest 8.3 stays, so a missed test would be
skipped, not failed). The bot's migration of the same service passes on its new pins.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import libcst as cst
import pytest

from bot.change.recipe import load_recipe
from bot.declared.requirements import edit_requirements
from bot.model import RequirementEdit, ServiceSource
from bot.validation.envs import ensure_env

ROOT = Path(__file__).resolve().parents[1]
RECIPE = load_recipe(ROOT / "recipes" / "pytest-asyncio-1.3.0")
# Async fixtures on plain @pytest.fixture, one of them autouse and checked by a sync test.
SERVICE = ROOT / "examples" / "fleet" / "services" / "ha-setup-service"


class _MarkEveryAsyncTest(cst.CSTTransformer):
    """The Phase 2 script's only code edit: the marker on each `async def test_*`, nothing else."""

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if updated_node.asynchronous is None or not updated_node.name.value.startswith("test"):
            return updated_node
        marker = cst.Decorator(cst.parse_expression("pytest.mark.asyncio"))
        return updated_node.with_changes(decorators=[marker, *updated_node.decorators])


def naive_migration(service_dir: Path) -> None:
    ini = service_dir / "pytest.ini"
    ini.write_text("".join(line for line in ini.read_text().splitlines(keepends=True)
                           if not line.replace(" ", "").startswith("asyncio_mode=auto")))
    for test_file in sorted((service_dir / "tests").glob("test_*.py")):
        module = cst.parse_module(test_file.read_text())
        marked = module.visit(_MarkEveryAsyncTest())
        if marked.code != module.code:
            code = marked.code if "import pytest\n" in marked.code else "import pytest\n" + marked.code
            test_file.write_text(code)
    bump(service_dir, [RequirementEdit("set", "pytest-asyncio", "==1.3.0")])


def bot_migration(service_dir: Path) -> None:
    files = {p.relative_to(service_dir).as_posix(): p.read_text() for p in service_dir.rglob("*")
             if p.is_file() and p.suffix in (".py", ".ini", ".toml", ".cfg", ".txt") and "__pycache__" not in p.parts}
    result = RECIPE.codemod().migrate(ServiceSource(service_dir.name, files))
    assert result.manual == []
    for path, text in result.changed.items():
        (service_dir / path).write_text(text)
    bump(service_dir, list(RECIPE.requirement_edits))


def bump(service_dir: Path, edits: list[RequirementEdit]) -> None:
    path = service_dir / "requirements-dev.txt"
    path.write_text(edit_requirements(path.read_text(), path.name, edits, allow_add=False).text)


def run_tests(service_dir: Path) -> subprocess.CompletedProcess:
    python = ensure_env([service_dir / "requirements-dev.txt"])
    return subprocess.run([str(python), "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider"], cwd=service_dir,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.slow
def test_phase2_style_migration_fails_where_the_bots_passes(tmp_path):
    original = tmp_path / "original"
    shutil.copytree(SERVICE, original, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    baseline = run_tests(original)
    assert baseline.returncode == 0, baseline.stdout[-3000:]

    naive = tmp_path / "naive"
    shutil.copytree(original, naive)
    naive_migration(naive)
    assert "pytest-asyncio==1.3.0" in (naive / "requirements-dev.txt").read_text()
    assert "asyncio_mode" not in (naive / "pytest.ini").read_text()
    naive_run = run_tests(naive)
    assert naive_run.returncode != 0, naive_run.stdout[-3000:]
    summary = naive_run.stdout.strip().splitlines()[-1]
    assert "failed" in summary, naive_run.stdout[-3000:]
    # The fixtures were never awaited: the tests got the coroutine / async generator objects...
    assert "coroutine" in naive_run.stdout or "async_generator" in naive_run.stdout, naive_run.stdout[-3000:]
    # ...and the autouse async fixture never ran, so the sync test that relies on it fails too.
    assert "FAILED tests/test_app.py::test_audit_fixture_ran_for_sync_tests_too" in naive_run.stdout

    migrated = tmp_path / "bot"
    shutil.copytree(original, migrated)
    bot_migration(migrated)
    bot_run = run_tests(migrated)
    assert bot_run.returncode == 0, bot_run.stdout[-3000:]
    summary = bot_run.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary
