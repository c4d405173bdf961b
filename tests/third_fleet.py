"""The third fleet (examples/third-fleet/): single-package projects, each its own repository, and what the tests
need to roll them out offline-shaped: a local index on 127.0.0.1 with every package their locks and compiled
files resolve to, each project made into a repository (a bare `origin`) whose lock resolves against it, and the
rollout of projects (`python tests/third_fleet.py OUT.json REPO=RECIPE,RECIPE ...`: two such at once, one
per core).

A project's committed `poetry.lock` / `uv.lock` was made against PyPI, as its users' would be. Lock tools resolve
here against the local index only: the repository's copy declares the index as its package source (what a company
mirror looks like: `[[tool.poetry.source]]` primary, `[[tool.uv.index]]` default) and its lock is made again
against it before the first commit. pip-compile output needs nothing: its pins are in the index, and pip-compile
reads the index from PIP_INDEX_URL (`isolated_pip_index`)."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tomlkit
from package_index import build_simple_index, built_wheels, cached_wheels

from bot.demo import create_fleet_repo
from bot.locking.poetry import POETRY_2
from bot.validation.envs import find_uv

ROOT = Path(__file__).resolve().parent.parent
THIRD_FLEET = ROOT / "examples" / "third-fleet"

# Every distribution the projects' locks and compiled files resolve to, old and new versions.
INDEX_WHEELS = (
    "pytest==8.3.5", "pytest==8.4.2", "pluggy==1.5.0", "iniconfig==2.0.0", "packaging==24.2", "colorama==0.4.6",
    "exceptiongroup==1.2.2", "tomli==2.0.1", "pygments==2.19.1", "typing-extensions==4.12.2",
    "backports-asyncio-runner==1.2.0", "pytest-asyncio==0.21.2", "pytest-asyncio==0.23.8", "pytest-asyncio==1.3.0",
    "pytest-mock==3.14.1", "tenacity==8.2.3", "tenacity==9.1.2",
    "asyncio-mqtt==0.16.2", "aiomqtt==1.2.1", "aiomqtt==2.4.0", "paho-mqtt==2.1.0",
    "hatchling==1.27.0", "editables==0.5", "pathspec==0.12.1", "trove-classifiers==2025.5.9.12", "poetry-core==2.1.2",
)
INDEX_SDIST_ONLY = ("paho-mqtt==1.6.1",)  # published as an sdist only: built into a wheel once
TOOL_ENV = {"UV_PYTHON_DOWNLOADS": "never", "POETRY_NO_INTERACTION": "1", "POETRY_VIRTUALENVS_CREATE": "false",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "NO_COLOR": "1"}
MARKER_REASON = re.compile(r"^(?P<rule>[A-Z]+\d+)(?: \((?P<recipe>[\w.-]+)\))?:")


def projects() -> list[str]:
    return sorted(p.name for p in THIRD_FLEET.iterdir() if p.is_dir() and (p / "README.md").is_file())


def build_fleet_index(root: Path) -> Path:
    return build_simple_index(root, cached_wheels(*INDEX_WHEELS) + built_wheels(*INDEX_SDIST_ONLY))


def isolated_pip_index(index_url: str) -> dict[str, str | None]:
    """pip (pip-compile) reads only the local index, whatever this machine's pip configuration says."""
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": index_url, "PIP_FIND_LINKS": None,
            "PIP_EXTRA_INDEX_URL": None}


def project_repository(name: str, target: Path, index_url: str) -> Path:
    """target/monorepo: the project committed (its lock made against the local index), with a bare origin."""
    staging = target.parent / f"{target.name}-staging"
    shutil.copytree(THIRD_FLEET / name, staging, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    relock_against(staging, index_url)
    work = create_fleet_repo(target, staging)
    shutil.rmtree(staging)
    return work


def relock_against(project: Path, index_url: str) -> None:
    pyproject_path = project / "pyproject.toml"
    if (project / "poetry.lock").is_file():
        pyproject = tomlkit.parse(pyproject_path.read_text())
        source = tomlkit.aot()
        source.append(tomlkit.table().add("name", "mirror").add("url", index_url).add("priority", "primary"))
        pyproject["tool"]["poetry"]["source"] = source
        pyproject_path.write_text(tomlkit.dumps(pyproject))
        (project / "poetry.lock").unlink()  # its PyPI versions need not be in the local index
        _tool(project, find_uv(), "tool", "run", "--from", f"poetry=={POETRY_2}", "poetry", "lock")
    if (project / "uv.lock").is_file():
        pyproject = tomlkit.parse(pyproject_path.read_text())
        index = tomlkit.aot()
        index.append(tomlkit.table().add("name", "mirror").add("url", index_url).add("default", True))
        pyproject.setdefault("tool", tomlkit.table()).setdefault("uv", tomlkit.table())["index"] = index
        pyproject_path.write_text(tomlkit.dumps(pyproject))
        (project / "uv.lock").unlink()  # its PyPI versions need not be in the local index
        _tool(project, find_uv(), "lock", "--quiet")


def _tool(cwd: Path, *argv: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env={**env, **TOOL_ENV})
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:6])} failed in {cwd.name}: {done.stderr[-1500:]}")


def marked_tests(project_dir: Path) -> dict[str, tuple[str, str | None]]:
    """Test id (file::[Class::]name) -> (rule, recipe or None) of each test marked manual_migration.

    The marker's reason starts with the rule the PR must list: "TEN005: why", or, for a rule every recipe
    shares (DBL..., AUD...), "DBL002 (aiomqtt-2.4.0): why"."""
    marked = {}
    for path in sorted((project_dir / "tests").rglob("test_*.py")):
        rel = path.relative_to(project_dir).as_posix()
        tree = ast.parse(path.read_text())
        for parent in [tree, *[n for n in tree.body if isinstance(n, ast.ClassDef)]]:
            prefix = f"{rel}::" if parent is tree else f"{rel}::{parent.name}::"
            for node in parent.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("manual_migration"):
                        reason = next(k.value.value for k in decorator.keywords if k.arg == "reason")
                        match = MARKER_REASON.match(reason)
                        assert match, f"{rel}::{node.name}: reason must start with 'RULE:' or 'RULE (recipe):'"
                        marked[prefix + node.name] = (match["rule"], match["recipe"])
    return marked


def roll_out(work: Path, recipes: list[str]) -> dict:
    """The bot's run on the project (validation included); then, for a project with several recipes, every recipe
    applied in turn (locks regenerated), as after merging each PR, and the project's checks run on that as its PRs'
    are: {"exit": code, "all_new": {"outcomes": {test: [outcome, message]}, "listed": [rules]} or {"error": why}}."""
    from bot.cli import main
    result: dict = {"exit": main(["--repo", str(work), "run", "--all-waves"])}
    if len(recipes) > 1:
        try:
            result["all_new"] = all_recipes_applied(work, recipes)
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails with it
            result["all_new"] = {"error": f"{type(error).__name__}: {error}"}
    return result


def all_recipes_applied(work: Path, recipes: list[str]) -> dict:
    from bot.change.apply import LOCKS_CANNOT_BUMP, apply_recipe, hold_back_unbumped
    from bot.change.recipe import load_recipes
    from bot.config import load_config
    from bot.discover.services import discover_configured
    from bot.discover.snapshot import MemorySnapshot
    from bot.gitops import GitRepo
    from bot.locking import LockUpdater
    from bot.plan.jobs import make_plan
    from bot.validation.runner import CheckRunner

    repo, config = GitRepo(work), load_config(work)
    known = {r.id: r for r in load_recipes(config.recipe_dirs, config.enabled_recipes)}
    base = repo.repo.head.commit
    files = {item.path: item.data_stream.read() for item in base.tree.traverse() if item.type == "blob"}
    changed: dict[str, bytes] = {}
    listed: set[str] = set()
    locks = LockUpdater()
    for recipe_id in recipes:
        services, skipped = discover_configured(MemorySnapshot({**files, **changed}), config)
        planned = {job.recipe.id: job for job in make_plan(services, skipped, list(known.values()), config).jobs}
        if recipe_id not in planned:
            return {"error": f"no job for {recipe_id} (planned: {sorted(planned)})"}
        service, recipe = planned[recipe_id].service, known[recipe_id]
        change = apply_recipe(service, recipe, config.recipe_options.get(recipe_id))
        hold_back_unbumped(service, change, recipe, LOCKS_CANNOT_BUMP)
        if not change.held_back:
            locks.update(service, change, recipe)
            hold_back_unbumped(service, change, recipe)
        if change.held_back:
            return {"error": f"{recipe_id} held back: {change.held_back}"}
        changed.update(change.repo_paths())
        listed |= {item.rule for item in change.manual}
    head = repo.commit_files(base.hexsha, changed, "every recipe applied", config.identity)
    runs = CheckRunner(repo, config).results(service.name, service.path, head)
    outcomes = {test: [o.outcome, o.message[:300]] for run in runs for test, o in run.outcomes.items()}
    return {"outcomes": outcomes, "listed": sorted(listed), "tail": "" if outcomes else runs[0].output_tail[-2000:]}


def roll_out_in_subprocess(batch: list[tuple[Path, list[str]]]) -> dict[str, dict]:
    """roll_out() of each (repository, recipes) in turn, in one process of its own (the checkout's bot, this process's
    environment): one per core, and the bot's start (interpreter discovery) paid once per batch, not per project.
    Returns str(repository) -> result."""
    with tempfile.TemporaryDirectory(prefix="third-fleet-rollout-") as tmp:
        out = Path(tmp) / "rollout.json"
        argv = [sys.executable, __file__, str(out), *(f"{work}={','.join(recipes)}" for work, recipes in batch)]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"rollout of {[str(w) for w, _ in batch]} failed ({done.returncode}): "
                               f"{(done.stdout + done.stderr)[-3000:]}")
        return json.loads(out.read_text())


if __name__ == "__main__":
    target, jobs = Path(sys.argv[1]), [arg.split("=", 1) for arg in sys.argv[2:]]
    target.write_text(json.dumps({work: roll_out(Path(work), recipes.split(",")) for work, recipes in jobs}))
