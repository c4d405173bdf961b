"""The second fleet (examples/second-fleet: services written apart from examples/fleet, in other teams'
styles) rolled out with validation, as tests/test_fleet_rollout.py does for the example fleet.

Proves, per recipe and service: the suites are green on the old versions; each PR's newly failing
tests are only tests marked @pytest.mark.manual_migration, and every such test's rule is listed in the
PR; and the service with all its recipes applied at once passes on all the new versions, except those
marked tests. Cases that today's recipes of other helpers still fail are xfail(strict=True), naming
the recipe gap: remove the mark when the recipe is fixed."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from test_fleet_rollout import NEWLY_FAILING, fully_migrated, manual_migration_tests

from bot.change.apply import apply_recipe
from bot.change.apply import apply_recipe
from bot.change.recipe import load_recipes
from bot.change.recipe import load_recipes
from bot.config import load_config
from bot.demo import run_demo
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.discover.snapshot import MemorySnapshot
from bot.forge.local import LocalForge
from bot.gitops import GitRepo
from bot.publish.render import read_marker
from bot.validation.runner import CheckRunner

SECOND_FLEET = Path(__file__).resolve().parent.parent / "examples" / "second-fleet"
LISTED_RULE = re.compile(r"^- \[ \] \*\*`[^`]+`\*\* \((\w+)\)", re.M)
RULE_PREFIXES = {"MQ": "aiomqtt-2.4.0", "INF": "influxdb3-python-0.17.0", "TEN": "tenacity-9.1.2",
                 "PA": "pytest-asyncio-1.3.0"}

JOBS = {
    "alarm-relay": ["aiomqtt-2.4.0", "pytest-asyncio-1.3.0"],
    "backoff-metrics": ["pytest-asyncio-1.3.0", "tenacity-9.1.2"],
    "energy-archive": ["influxdb3-python-0.17.0", "pytest-asyncio-1.3.0"],
    "fleet-notifier": ["aiomqtt-2.4.0", "pytest-asyncio-1.3.0", "tenacity-9.1.2"],
    "inventory-sync": ["pytest-asyncio-1.3.0", "tenacity-9.1.2"],
    "job-runner": ["pytest-asyncio-1.3.0"],
    "meter-gateway": ["aiomqtt-2.4.0", "pytest-asyncio-1.3.0"],
    "sensor-hub": ["aiomqtt-2.4.0", "influxdb3-python-0.17.0", "pytest-asyncio-1.3.0", "tenacity-9.1.2"],
    "telemetry-writer": ["influxdb3-python-0.17.0", "tenacity-9.1.2"],
    "usage-reports": ["influxdb3-python-0.17.0"],
}

# What today's recipes (owned by other helpers) still get wrong here. Each entry is one recipe gap.
RECIPE_GAPS = {
}
# Jobs a recipe holds back (no half migration): no PR, and the run says why, naming the blocking rule.
# alarm-relay reads one client from two tasks, which aiomqtt 2 cannot keep apart (MQ012), and asyncio-mqtt
# cannot stay beside aiomqtt's paho-mqtt 2 for that client alone (MQ024).
HELD_BACK = {("aiomqtt-2.4.0", "alarm-relay"): "MQ012"}


def _job_params():
    for service, recipes in sorted(JOBS.items()):
        for recipe in recipes:
            if (recipe, service) in HELD_BACK:
                continue
            gap = RECIPE_GAPS.get((recipe, service))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(recipe, service, id=f"{recipe}/{service}", marks=marks)


def _service_params():
    for service, recipes in sorted(JOBS.items()):
        gaps = [RECIPE_GAPS[(r, service)] for r in recipes if (r, service) in RECIPE_GAPS]
        marks = [pytest.mark.xfail(strict=True, reason=" | ".join(gaps))] if gaps else []
        yield pytest.param(service, id=service, marks=marks)


def marked_rules(service_dir: Path) -> dict[str, str]:
    """Test id -> the rule its manual_migration marker names (reason="MQ012: ..." -> "MQ012")."""
    rules = {}
    for path in sorted((service_dir / "tests").rglob("test_*.py")):
        rel = path.relative_to(service_dir).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("manual_migration"):
                    reason = next(k.value.value for k in decorator.keywords if k.arg == "reason")
                    rules[f"{rel}::{node.name}"] = reason.split(":")[0]
    assert set(rules) == manual_migration_tests(service_dir), "mark tests one by one, with reason=\"RULE: ...\""
    return rules


def recipe_of(rule: str) -> str:
    return next(recipe for prefix, recipe in RULE_PREFIXES.items() if rule.startswith(prefix))


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    work, reports = run_demo(tmp_path_factory.mktemp("second-fleet"), lambda line: None, fleet=SECOND_FLEET)
    forge = LocalForge(work / ".git" / "upgrade-bot")
    prs = {(read_marker(pr.body)["recipe"], read_marker(pr.body)["service"]): pr
           for pr in forge.list_prs("upgrade-bot/") if "revert" not in pr.head}
    return work, reports, prs


@pytest.mark.slow
def test_every_job_gets_a_validated_pr(rollout):
    _, reports, prs = rollout
    assert sorted(prs) == sorted((r, s) for s, recipes in JOBS.items() for r in recipes if (r, s) not in HELD_BACK)
    assert not [r for rep in reports for r in rep.results if r.status == "failed"]
    for (recipe, service), rule in HELD_BACK.items():
        [held] = {r.message for rep in reports for r in rep.results
                  if (r.job.recipe.id, r.job.service.key) == (recipe, service)}
        assert held.startswith(f"not migrated: services/{service}: ") and f"({rule})" in held, held
    for pr in prs.values():
        assert "Not run" not in pr.body and "| passed |" in pr.body, f"#{pr.number} shows no test results"


@pytest.mark.slow
def test_every_service_is_green_on_the_old_versions(rollout):
    work, _, _ = rollout
    repo = GitRepo(work)
    first = repo.repo.git.rev_list("--max-parents=0", "HEAD").split()[0]
    checks = CheckRunner(repo, load_config(work))
    problems = []
    for service in sorted(JOBS):
        for run in checks.results(service, f"services/{service}", first):
            assert run.outcomes, f"{service}: no test ran on the base: {run.output_tail}"
            problems += [f"{service}: {t}: {o.outcome}" for t, o in sorted(run.outcomes.items())
                         if o.outcome != "passed"]
    assert problems == []


@pytest.mark.slow
@pytest.mark.parametrize("recipe,service", list(_job_params()))
def test_pr_fails_only_for_listed_manual_items(rollout, recipe, service):
    _, _, prs = rollout
    pr = prs[(recipe, service)]
    rules = marked_rules(SECOND_FLEET / "services" / service)
    failing = set(NEWLY_FAILING.findall(pr.body))
    assert failing <= set(rules), f"#{pr.number}: newly failing and not a manual item: {failing - set(rules)}"
    listed = set(LISTED_RULE.findall(pr.body))
    owed = {test: rule for test, rule in rules.items() if recipe_of(rule) == recipe}
    assert {t: r for t, r in owed.items() if r not in listed} == {}, f"#{pr.number} does not list these rules"
    assert ("checks-failing" in pr.labels) == bool(failing)


@pytest.fixture(scope="module")
def migrated(rollout):
    """Every recipe applied to every service at once (as after merging every PR), on the demo's first commit."""
    work, _, _ = rollout
    repo, first, head = fully_migrated(work, SECOND_FLEET)
    return CheckRunner(repo, load_config(work)), first, head


@pytest.mark.slow
@pytest.mark.parametrize("service", list(_service_params()))
def test_service_is_green_with_every_recipe_applied(migrated, service):
    """All of the service's recipes at once, on all the new versions: only tests marked as depending on a
    manual item may fail, disappear or be skipped, and every such test's rule was listed."""
    checks, first, head = migrated
    config = load_config(SECOND_FLEET)
    recipes = {r.id: r for r in load_recipes(config.recipe_dirs, config.enabled_recipes)}
    files = {p.relative_to(SECOND_FLEET).as_posix(): p.read_text()
             for p in (SECOND_FLEET / "services" / service).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts}
    listed: set[str] = set()
    for recipe_id in JOBS[service]:
        (migrated_service,), _ = discover(MemorySnapshot(files), config.services)
        change = apply_recipe(migrated_service, recipes[recipe_id], config.recipe_options.get(recipe_id))
        files.update({f"services/{service}/{path}": text for path, text in change.changed.items()})
        listed |= {item.rule for item in change.manual}
    (before,) = checks.results(service, f"services/{service}", first)
    (run,) = checks.results(service, f"services/{service}", head)

    rules = marked_rules(SECOND_FLEET / "services" / service)
    assert run.outcomes, f"{service}: no test ran: {run.output_tail}"
    bad = {t: o.message[:200] for t, o in run.outcomes.items()
           if o.outcome in ("failed", "error", "skipped") and t not in rules}
    bad.update({t: "disappeared" for t in set(before.outcomes) - set(run.outcomes) if t not in rules})
    assert bad == {}
    unlisted = {t: r for t, r in rules.items() if r not in listed}
    assert unlisted == {}, "manual_migration tests whose rule no recipe listed"
