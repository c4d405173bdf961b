"""Lock files kept by their own tools, end to end: real projects in temp repos, the real bot run
(validation included), then the project's own lock check on the bot's branch. Every tool resolves
against a local index on 127.0.0.1 made from real wheels fetched once (tests/package_index.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Monorepo, git
from package_index import build_simple_index, cached_wheels, serve_index

from bot.cli import main
from bot.locking.poetry import POETRY_1, POETRY_2
from bot.validation.envs import find_uv

WHEELS = ("tenacity==8.2.3", "tenacity==9.1.2", "pytest==8.3.5", "iniconfig==2.1.0", "packaging==25.0",
          "pluggy==1.6.0", "colorama==0.4.6")
POETRY = [find_uv(), "tool", "run", "--from", f"poetry=={POETRY_2}", "poetry"]
POETRY_1X = [find_uv(), "tool", "run", "--from", f"poetry=={POETRY_1}", "poetry"]
TOOL_ENV = {"UV_PYTHON_DOWNLOADS": "never", "POETRY_NO_INTERACTION": "1", "POETRY_VIRTUALENVS_CREATE": "false",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}

RETRY_CODE = '''from tenacity import retry, stop_after_attempt

calls = []


@retry(stop=stop_after_attempt(3))
def flaky():
    calls.append(1)
    if len(calls) < 2:
        raise ValueError("fails once")
    return "ok"


def attempts():
    return flaky.retry.statistics["attempt_number"]
'''
RETRY_TEST = '''from {module} import attempts, flaky


def test_counts_attempts():
    assert flaky() == "ok"
    assert attempts() == 2
'''


@pytest.fixture(scope="module")
def index_url(tmp_path_factory):
    root = build_simple_index(tmp_path_factory.mktemp("index"), cached_wheels(*WHEELS))
    with serve_index(root) as url:
        yield url


def tool(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env={**env, **TOOL_ENV})
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def committed(tmp_path: Path, files: dict[str, str], lock_in: dict[str, list[str]]) -> Monorepo:
    """A repo whose lock files were made by the real tools (lock_in: directory -> command)."""
    staging = tmp_path / "staging"
    for rel, text in files.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_text(text)
    for directory, argv in lock_in.items():
        tool(staging / directory, *argv)
    made = {str(p.relative_to(staging)): p.read_text() for p in staging.rglob("*") if p.is_file()}
    return Monorepo(tmp_path, made)


def branch_checkout(repo: Monorepo, branch: str) -> Path:
    out = repo.work.parent / ("review-" + branch.replace("/", "-"))
    git(repo.work.parent, "clone", "-q", "--branch", branch, str(repo.origin), str(out))
    return out


def pull_requests(repo: Monorepo) -> list[dict]:
    folder = repo.work / ".git" / "upgrade-bot" / "forge" / "prs"
    return [json.loads(p.read_text())["pr"] for p in sorted(folder.glob("*.json"))]


def version_recorder(record: Path) -> str:
    """A project test that appends the tenacity it ran with to `record`: which version validation tested."""
    return f'''from importlib.metadata import version


def test_records_the_tenacity_it_runs_with():
    with open({str(record)!r}, "a") as record:
        record.write(version("tenacity") + "\\n")
'''


@pytest.mark.slow
def test_single_package_uv_project_gets_its_lock_and_passes(tmp_path, index_url, capsys):
    """The range admits 8.5 on PyPI; the project locks 8.2.3, so that is what the base run tests."""
    pyproject = f'''[project]
name = "retry-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["tenacity>=8,<9"]

[dependency-groups]
dev = ["pytest>=8"]

[[tool.uv.index]]
name = "internal"
url = "{index_url}"
default = true
'''
    record = tmp_path / "tested-versions.txt"
    repo = committed(tmp_path, {"pyproject.toml": pyproject, "retry_app/__init__.py": RETRY_CODE,
                                "tests/test_retry.py": RETRY_TEST.format(module="retry_app"),
                                "tests/test_version.py": version_recorder(record)},
                     {".": [find_uv(), "lock"]})
    assert "version = \"8.2.3\"" in (repo.work / "uv.lock").read_text()

    assert main(["--repo", str(repo.work), "run"]) == 0, capsys.readouterr()

    [pr] = pull_requests(repo)
    assert pr["title"] == "chore(deps): upgrade tenacity to 9.1.2" and pr["head"] == "upgrade-bot/tenacity-9.1.2"
    assert "uv lock --upgrade-package tenacity==9.1.2" in pr["body"]
    review = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2")
    assert '"tenacity>=9.1.2,<10"' in (review / "pyproject.toml").read_text()
    lock = (review / "uv.lock").read_text()
    assert 'name = "tenacity"\nversion = "9.1.2"' in lock
    tool(review, find_uv(), "lock", "--check")

    refs = repo.origin_refs()
    assert main(["--repo", str(repo.work), "run"]) == 0
    assert repo.origin_refs() == refs  # a re-run gets the same lock text: nothing to push
    assert "**Passed**" in pr["body"] and "| failed | 0 | 0 |" in pr["body"]  # the tests pass on 8.2 and on 9.1.2
    version = ".".join(map(str, sys.version_info[:3]))
    assert f"Python {version} ran the tests: the lowest version `>=3.11` (pyproject.toml) allows." in pr["body"]
    assert "runtime dependencies from the versions locked in `uv.lock`" in pr["body"]
    assert record.read_text().split() == ["9.1.2", "8.2.3"]  # branch on 9.1.2 (tested first), base on the locked 8.2.3


def poetry_library(index_url: str) -> dict[str, str]:
    pyproject = f'''[tool.poetry]
name = "retrylib"
version = "1.0.0"
description = "Retries, packaged for other services"
authors = ["Dana Human <dana@example.com>"]
packages = [{{include = "retrylib"}}]

[tool.poetry.dependencies]
python = "^3.11"
tenacity = "^8.2"

[tool.poetry.group.test.dependencies]
pytest = "^8"

[[tool.poetry.source]]
name = "internal"
url = "{index_url}"
priority = "primary"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
'''
    return {"services/retrylib/pyproject.toml": pyproject, "services/retrylib/retrylib/__init__.py": RETRY_CODE,
            "services/retrylib/tests/test_retry.py": RETRY_TEST.format(module="retrylib")}


def pip_tools_service() -> dict[str, str]:
    return {"services/worker/requirements.in": "tenacity>=8.2,<8.3  # retries\n",
            "services/worker/requirements-dev.in": "-r requirements.in\npytest\n",
            "services/worker/worker/__init__.py": RETRY_CODE,
            "services/worker/tests/test_retry.py": RETRY_TEST.format(module="worker")}


@pytest.mark.slow
def test_poetry_library_and_hash_pinned_pip_tools_service_keep_their_locks(tmp_path, index_url, monkeypatch, capsys):
    monkeypatch.setenv("PIP_INDEX_URL", index_url)  # the index the pip-tools files were compiled against
    compile_ = [find_uv(), "pip", "compile", "--index-url", index_url, "--generate-hashes",
                "--custom-compile-command"]
    repo = committed(tmp_path, {**poetry_library(index_url), **pip_tools_service()}, {
        "services/retrylib": [*POETRY, "lock"],
        "services/worker": [*compile_, "uv pip compile requirements.in -o requirements.txt --generate-hashes",
                            "requirements.in", "-o", "requirements.txt"],
    })
    tool(repo.work / "services/worker", *compile_, "uv pip compile requirements-dev.in -o requirements-dev.txt "
         "--generate-hashes", "requirements-dev.in", "-o", "requirements-dev.txt")
    git(repo.work, "add", "-A")
    git(repo.work, "commit", "-qm", "dev lock")
    git(repo.work, "push", "-q", "origin", "main")

    assert main(["--repo", str(repo.work), "run"]) == 0, capsys.readouterr()

    prs = {pr["head"]: pr for pr in pull_requests(repo)}
    assert set(prs) == {"upgrade-bot/tenacity-9.1.2/retrylib", "upgrade-bot/tenacity-9.1.2/worker"}
    for pr in prs.values():
        assert "**Passed**" in pr["body"], pr["body"]
        assert "Manual changes still needed (0)" in pr["body"]
    assert "the lowest version `>=3.11,<4` (pyproject.toml) allows" in prs["upgrade-bot/tenacity-9.1.2/retrylib"]["body"]
    assert "versions locked in `poetry.lock`" in prs["upgrade-bot/tenacity-9.1.2/retrylib"]["body"]
    assert "versions pinned in `requirements-dev.txt`" in prs["upgrade-bot/tenacity-9.1.2/worker"]["body"]

    library = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/retrylib") / "services/retrylib"
    assert 'tenacity = "^9.1.2"' in (library / "pyproject.toml").read_text()
    assert 'name = "tenacity"\nversion = "9.1.2"' in (library / "poetry.lock").read_text()
    tool(library, *POETRY, "check", "--lock")

    worker = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/worker") / "services/worker"
    assert (worker / "requirements.in").read_text() == "tenacity>=9.1.2,<9.2  # retries\n"
    for name in ("requirements.txt", "requirements-dev.txt"):
        text = (worker / name).read_text()
        assert "tenacity==9.1.2 \\\n    --hash=sha256:f77bf367" in text and "8.2.3" not in text
        assert f"uv pip compile {name[:-4]}.in -o {name} --generate-hashes" in text  # the header is kept
    venv = tmp_path / "check-venv"
    tool(tmp_path, find_uv(), "venv", "-q", str(venv))
    tool(worker, find_uv(), "pip", "install", "--dry-run", "--require-hashes", "--index-url", index_url,
         "--python", str(venv / "bin" / "python"), "-r", "requirements-dev.txt")


@pytest.mark.slow
def test_poetry_1x_lock_keeps_its_format_and_is_validated_on_its_locked_versions(tmp_path, index_url, capsys):
    """Poetry 1.8 writes lock-version 2.0 (no group data): the bot relocks with 1.8 and validation
    walks the lock from the declared groups. `^8.2` admits 8.5 on PyPI; the lock says 8.2.3."""
    record = tmp_path / "tested-versions.txt"
    files = {**poetry_library(index_url), "services/retrylib/tests/test_version.py": version_recorder(record)}
    repo = committed(tmp_path, files, {"services/retrylib": [*POETRY_1X, "lock"]})
    assert 'lock-version = "2.0"' in (repo.work / "services/retrylib/poetry.lock").read_text()

    assert main(["--repo", str(repo.work), "run"]) == 0, capsys.readouterr()

    [pr] = pull_requests(repo)
    assert "**Passed**" in pr["body"] and "versions locked in `poetry.lock`" in pr["body"]
    assert f"poetry=={POETRY_1}" in pr["body"] or "--no-update" in pr["body"], pr["body"]
    library = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/retrylib") / "services/retrylib"
    lock = (library / "poetry.lock").read_text()
    assert 'lock-version = "2.0"' in lock and 'name = "tenacity"\nversion = "9.1.2"' in lock
    tool(library, *POETRY_1X, "check", "--lock")
    assert record.read_text().split() == ["9.1.2", "8.2.3"]  # the branch is tested first
