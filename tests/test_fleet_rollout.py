"""The example fleet end to end: `upgrade-bot demo` with real checks in real environments.

This is how the recipes are proven by execution: every PR carries the service's test results on the
base (old versions) and on its branch (new versions), and at the end the fully migrated fleet (every
recipe applied to every service, the PRs the demo closed included) runs every service's tests on all the
new versions at once. A test that disappears or becomes skipped counts as broken, as one that fails."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from bot.change.apply import apply_recipe
from bot.change.recipe import load_recipes
from bot.cli import main
from bot.config import load_config
from bot.demo import DEMO_AUTHOR, FLEET, run_demo
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.forge.local import LocalForge
from bot.gitops import GitRepo
from bot.publish.render import read_marker
from bot.validation.runner import CheckRunner

PRE_EXISTING = {"ai-training-service": {"tests/test_db_migrations.py"}}
# tests a PR broke: newly failing, gone (no longer collected) or newly skipped, as the PR body lists them
NEWLY_FAILING = re.compile(r"^- `([^`]+)` \((?:passed|new) → (?:failed|error|gone|skipped)\)", re.M)


def manual_migration_tests(service_dir: Path) -> set[str]:
    """Test ids (file::name or file::Class::name) marked @pytest.mark.manual_migration."""
    marked = set()
    for path in sorted((service_dir / "tests").rglob("test_*.py")):
        rel = path.relative_to(service_dir).as_posix()
        tree = ast.parse(path.read_text())
        module_marked = "manual_migration" in ast.unparse(tree).split("def ")[0] and "pytestmark" in path.read_text()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                decorated = any("manual_migration" in ast.unparse(d) for d in node.decorator_list)
                if decorated or module_marked:
                    marked.add(f"{rel}::{node.name}")
            if isinstance(node, ast.ClassDef) and any("manual_migration" in ast.unparse(d) for d in node.decorator_list):
                marked.update(f"{rel}::{node.name}::{f.name}" for f in node.body
                              if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return marked


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    lines: list[str] = []
    work, reports = run_demo(tmp_path_factory.mktemp("demo"), lines.append)
    return work, reports, lines


@pytest.mark.slow
def test_every_pair_gets_a_pr_in_wave_order(demo, capsys):
    work, reports, _ = demo
    assert main(["--repo", str(work), "plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [w["jobs"] for w in plan["waves"]] == [10, 21, 9, 7]
    assert {s["path"] for s in plan["skipped"]} >= {"services/shared-fixtures"}
    forge = LocalForge(work / ".git" / "upgrade-bot")
    prs = [pr for pr in forge.list_prs("upgrade-bot/") if "revert" not in pr.head]
    keys = {(read_marker(pr.body)["recipe"], read_marker(pr.body)["service"]) for pr in prs}
    assert len(prs) == len(keys) == 47
    tier_of = load_config(work).tier_of
    waves = [["low", "medium", "high", "critical"].index(tier_of(read_marker(pr.body)["service"])) for pr in prs]
    assert waves == sorted(waves), "PRs must open wave by wave"
    for report in reports:
        opened_critical = {r.job.service.name for r in report.results if r.status == "opened" and r.job.critical}
        assert len(opened_critical) <= 1, "critical services open one at a time"
    assert not [r for rep in reports for r in rep.results if r.status == "failed"]


@pytest.mark.slow
def test_every_pr_lists_manual_items_and_validation(demo):
    work, _, _ = demo
    forge = LocalForge(work / ".git" / "upgrade-bot")
    for pr in forge.list_prs("upgrade-bot/"):
        assert "### Manual changes still needed" in pr.body and "### Validation" in pr.body
        assert "Not run" not in pr.body and "NOTHING WAS VALIDATED" not in pr.body
        assert "| passed |" in pr.body, f"#{pr.number} shows no test results"


@pytest.mark.slow
def test_prs_fail_only_for_tests_that_depend_on_manual_items(demo):
    work, _, _ = demo
    forge = LocalForge(work / ".git" / "upgrade-bot")
    for pr in forge.list_prs("upgrade-bot/"):
        service = read_marker(pr.body)["service"]
        failing = set(NEWLY_FAILING.findall(pr.body))
        allowed = manual_migration_tests(FLEET / "services" / service)
        assert failing <= allowed, f"#{pr.number} {pr.head}: newly failing and not a manual item: {failing - allowed}"
        if failing:
            assert "checks-failing" in pr.labels
    red = [pr for pr in forge.list_prs("upgrade-bot/") if "checks-failing" in pr.labels]
    assert red, "the fleet has tests that depend on manual items: some PR must be marked failing"
    assert all(NEWLY_FAILING.search(pr.body) for pr in red), "a failing PR names its failing tests"


@pytest.mark.slow
def test_status_shows_the_finished_rollout(demo, capsys):
    work, _, _ = demo
    capsys.readouterr()
    assert main(["--repo", str(work), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert len(status["rows"]) == 47 and status["current_wave"] is None
    assert {r["state"] for r in status["rows"]} <= {"merged", "closed"}
    dashboard = (work / ".git/upgrade-bot/forge/dashboard.md").read_text()
    assert dashboard.count("| merged |") + dashboard.count("| closed |") == 47
    closed = sum(r["state"] == "closed" for r in status["rows"])
    assert closed and f"## Closed unmigrated ({closed})" in dashboard  # the demo closes the failing PRs
    assert "Every wave is finished" not in dashboard and "not everything is migrated" in dashboard


@pytest.mark.slow
def test_pre_existing_failures_are_shown_apart(demo):
    work, _, _ = demo
    forge = LocalForge(work / ".git" / "upgrade-bot")
    pr = next(p for p in forge.list_prs("upgrade-bot/") if p.head.endswith("/ai-training-service"))
    assert "Already failing on the base (1)" in pr.body and "tests/test_db_migrations.py" in pr.body
    assert "**Passed**" in pr.body and not {"checks-failing", "no-tests-ran", "not-validated"} & set(pr.labels)


def fully_migrated(work: Path, fleet: Path = FLEET) -> tuple[GitRepo, str, str]:
    """A commit on the demo's main with every recipe applied to every service (the PRs the demo closed
    included, their manual items left as they are), and the fleet's first commit."""
    repo = GitRepo(work)
    repo.fetch()
    config = load_config(work)
    recipes = load_recipes(config.recipe_dirs, config.enabled_recipes)
    first = repo.repo.git.rev_list("--max-parents=0", "HEAD").split()[0]
    files = {p.relative_to(fleet).as_posix(): p.read_text() for p in (fleet / "services").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts}
    for recipe in recipes:
        services, _ = discover(MemorySnapshot(files), config.services)
        for service in services:
            if service.depends_on(recipe.package):
                change = apply_recipe(service, recipe, config.recipe_options.get(recipe.id))
                files.update({f"{service.path}/{rel}": text for rel, text in change.changed.items()})
    head = repo.commit_files(first, files, "every recipe applied", DEMO_AUTHOR)
    return repo, first, head


@pytest.mark.slow
def test_fully_migrated_fleet_passes_on_all_new_versions(demo):
    """Every recipe applied to every service at once, on all the new versions: only tests marked as
    depending on a manual item (and the fleet's pre-existing failure) may fail, disappear or be skipped."""
    work, _, _ = demo
    repo, first, head = fully_migrated(work)
    checks = CheckRunner(repo, load_config(work))
    problems = []
    for service_dir in sorted((FLEET / "services").iterdir()):
        if not any(service_dir.glob("requirements*")) and not (service_dir / "requirements").is_dir():
            continue
        path = f"services/{service_dir.name}"
        before = checks.results(service_dir.name, path, first)
        after = checks.results(service_dir.name, path, head)
        allowed = manual_migration_tests(service_dir) | PRE_EXISTING.get(service_dir.name, set())
        for base_run, run in zip(before, after):
            assert run.outcomes, f"{service_dir.name}: no test ran: {run.output_tail}"
            bad = {t for t, o in run.outcomes.items() if o.outcome in ("failed", "error", "skipped")} - allowed
            problems += [f"{service_dir.name}: {t}: {run.outcomes[t].message[:200]}" for t in sorted(bad)]
            gone = set(base_run.outcomes) - set(run.outcomes) - allowed
            problems += [f"{service_dir.name}: {t}: disappeared" for t in sorted(gone)]
    assert problems == []
