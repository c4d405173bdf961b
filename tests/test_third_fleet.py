"""The third fleet (examples/third-fleet/: single-package projects, each its own repository, in the shapes real
open-source packages use) rolled out with validation and the local forge, every lock tool resolving against a
local index on 127.0.0.1 (tests/third_fleet.py).

Proves, per project and recipe (issue 17, "Proof"): each project's suite is green on its old versions (the base
of every PR); each PR gets the verdict its marked tests earn, failing exactly when the project has tests marked
@pytest.mark.manual_migration for its recipe; its newly failing tests are only those, and the rule each marker
names is listed in the PR; the issue's false items are not listed and its blocking uses are; and the project with
all its recipes applied (locks regenerated) passes on every new version apart from the marked tests.

What today's recipes and validation still get wrong is a strict xfail naming the issue item and its owner
(GAPS): remove the entry once it passes."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from package_index import serve_index
from packaging.specifiers import SpecifierSet
from third_fleet import (THIRD_FLEET, build_fleet_index, isolated_pip_index, marked_tests, project_repository,
                         roll_out_in_subprocess)

from bot.forge.local import LocalForge
from bot.gitops import GitRepo
from bot.publish.render import read_marker

pytestmark = pytest.mark.slow

JOBS = {
    "beaconfeed": ["aiomqtt-2.4.0", "tenacity-9.1.2"],
    "gaugesync": ["pytest-asyncio-1.3.0", "tenacity-9.1.2"],
    "logtap": ["influxdb3-python-0.17.0", "pytest-asyncio-1.3.0"],
    "meterlog": ["influxdb3-python-0.17.0", "tenacity-9.1.2"],
    "pumpctl": ["tenacity-9.1.2"],
    "relayq": ["aiomqtt-2.4.0", "pytest-asyncio-1.3.0"],
    "stormvault": ["influxdb3-python-0.17.0"],
    "tidewatch": ["aiomqtt-2.4.0", "pytest-asyncio-1.3.0"],
}
RULE_RECIPES = {"MQ": "aiomqtt-2.4.0", "INF": "influxdb3-python-0.17.0", "TEN": "tenacity-9.1.2",
                "PA": "pytest-asyncio-1.3.0"}

# Issue 17 item 7, false items: (project, recipe) -> (rule, file) the PR must not list.
NOT_LISTED = {
    # wait=DEFAULT_POLICY.wait holds tenacity's own wait_exponential (a NamedTuple field)
    ("meterlog", "tenacity-9.1.2"): [("TEN005", "src/meterlog/adapter.py")],
    # connect(timeout=10): aiomqtt 2 connects with Client(timeout=10) by default
    ("tidewatch", "aiomqtt-2.4.0"): [("MQ016", "tidewatch/link.py")],
}
# Items the PR must list: (file, text of the line the item is on, or of the statement it starts). pumpctl's
# settings object holds tenacity's own wait_fixed: only its custom wait is listed (TEN005 once).
MUST_LIST = {
    ("pumpctl", "tenacity-9.1.2"): [("pumpctl/controller.py", "wait=_recorded_backoff"),
                                    ("setup.py", 'python_requires=">=3.8"'), ("tox.ini", "envlist = py38")],
    ("relayq", "pytest-asyncio-1.3.0"): [("pyproject.toml", 'requires-python = ">=3.9"')],
    # issue 17 item 3: the client stays on influxdb-client because of query_api(), and that use is listed
    ("stormvault", "influxdb3-python-0.17.0"): [("stormvault/vault.py", "self._client.query_api()")],
}
LISTED_ONCE = {("pumpctl", "tenacity-9.1.2"): "TEN005"}
# Lines the PR drops (issue 17 item 6): the classifiers of the Pythons the new version no longer installs on.
DROPPED = {("pumpctl", "tenacity-9.1.2"): [("setup.py", '"Programming Language :: Python :: 3.8"')]}

# What today's recipes and validation still get wrong here, by check: ("pr" | "items" | "all-new", project,
# recipe or None) -> the issue item and its owner. Strict xfails: a gap fixed makes its test XPASS (a failure).
GAPS: dict[tuple[str, str, str | None], str] = {
}

ITEM = re.compile(r"^- \[ \] \*\*`(?P<file>[^`]+):(?P<line>\d+)`\*\* \((?P<rule>\w+)\)", re.M)
CHANGED_TEST = re.compile(r"^- `(?P<test>[^`]+)` \((?P<before>\w+) → (?P<after>\w+)\)", re.M)
TABLE_ROW = re.compile(r"^\| (?P<outcome>passed|failed|error|skipped) \| (?P<base>\d+) \| (?P<branch>\d+) \|", re.M)


def _gap(kind: str, project: str, recipe: str | None = None) -> list:
    reason = GAPS.get((kind, project, recipe))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _job_params(kind: str, only=None):
    for project, recipes in sorted(JOBS.items()):
        for recipe in recipes:
            if only is None or (project, recipe) in only:
                yield pytest.param(project, recipe, id=f"{recipe}/{project}", marks=_gap(kind, project, recipe))


def _project_params(kind: str, several_recipes: bool = False):
    for project, recipes in sorted(JOBS.items()):
        if not several_recipes or len(recipes) > 1:
            yield pytest.param(project, id=project, marks=_gap(kind, project))


def recipe_of_marker(rule: str, recipe: str | None) -> str:
    return recipe or next(r for prefix, r in RULE_RECIPES.items() if rule.startswith(prefix))


def owed(project: str, recipe: str) -> dict[str, str]:
    """The project's tests marked for `recipe`: test id -> the rule its PR must list."""
    return {test: rule for test, (rule, marked_recipe) in marked_tests(THIRD_FLEET / project).items()
            if recipe_of_marker(rule, marked_recipe) == recipe}


def line_of(repo: GitRepo, ref: str, path: str, text: str) -> int:
    lines = repo.repo.git.show(f"{ref}:{path}").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


# One worker process per core, each rolling out its projects in turn; split so that the two end together
# (CPU seconds per project, children included, once relayq and tidewatch got their aiomqtt PRs: tidewatch 25,
# logtap 16, meterlog 11, relayq 8, stormvault 7, gaugesync 6, pumpctl 4, beaconfeed 3; 42 and 38 per worker).
WORKERS = (["tidewatch", "gaugesync", "relayq", "beaconfeed"], ["logtap", "meterlog", "stormvault", "pumpctl"])


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """project -> (its repository, its PRs by recipe, roll_out()'s result)."""
    assert sorted(p for worker in WORKERS for p in worker) == sorted(JOBS)
    root = build_fleet_index(tmp_path_factory.mktemp("third-fleet-index"))
    with serve_index(root) as url, pytest.MonkeyPatch.context() as patch:
        for name, value in isolated_pip_index(url).items():
            patch.delenv(name, raising=False) if value is None else patch.setenv(name, value)
        repos = {p: project_repository(p, tmp_path_factory.mktemp(p) / "repo", url) for p in JOBS}
        with ThreadPoolExecutor(max_workers=len(WORKERS)) as pool:
            batches = pool.map(roll_out_in_subprocess, [[(repos[p], JOBS[p]) for p in worker] for worker in WORKERS])
            results = {work: result for batch in batches for work, result in batch.items()}
    yield {project: (work, {read_marker(pr.body)["recipe"]: pr
                            for pr in LocalForge(work / ".git" / "upgrade-bot").list_prs("upgrade-bot/")},
                     results[str(work)])
           for project, work in repos.items()}


@pytest.mark.parametrize("project,recipe", list(_job_params("pr")))
def test_pr_is_validated_and_fails_only_for_listed_items(fleet, project, recipe):
    work, prs, _ = fleet[project]
    assert recipe in prs, f"{project}: no PR for {recipe} (PRs: {sorted(prs)})"
    pr = prs[recipe]
    base = {m["outcome"]: int(m["base"]) for m in TABLE_ROW.finditer(pr.body)}
    assert base.get("passed", 0) > 0 and base.get("failed", 0) == base.get("error", 0) == 0, \
        f"#{pr.number}: the base (old versions) is not green:\n{pr.body}"
    broken = {m["test"] for m in CHANGED_TEST.finditer(pr.body) if m["after"] in ("failed", "error", "gone", "skipped")}
    marked = owed(project, recipe)
    assert broken <= set(marked), f"#{pr.number}: newly failing and not marked: {sorted(broken - set(marked))}"
    listed = {m["rule"] for m in ITEM.finditer(pr.body)}
    assert {t: r for t, r in marked.items() if r not in listed} == {}, f"#{pr.number} does not list these rules"
    if marked:
        assert "checks-failing" in pr.labels and broken == set(marked), \
            f"#{pr.number}: the marked tests must fail, and only they: {sorted(broken)}"
    else:
        assert "**Passed**" in pr.body and not {"checks-failing", "no-tests-ran", "not-validated"} & set(pr.labels), \
            f"#{pr.number} ({pr.labels}):\n{pr.body}"


@pytest.mark.parametrize("project,recipe", list(_job_params("items", only=set(NOT_LISTED) | set(MUST_LIST))))
def test_pr_lists_the_blocking_uses_and_no_false_item(fleet, project, recipe):
    work, prs, _ = fleet[project]
    pr = prs[recipe]
    items = [(m["file"], int(m["line"]), m["rule"]) for m in ITEM.finditer(pr.body)]
    false = [(rule, path) for rule, path in NOT_LISTED.get((project, recipe), [])
             if any(f == path and r == rule for f, _, r in items)]
    assert false == [], f"#{pr.number} lists false items"
    repo = GitRepo(work)
    for path, text in MUST_LIST.get((project, recipe), []):
        line = line_of(repo, "main", path, text)
        assert any(f == path and line - 3 <= n <= line for f, n, _ in items), \
            f"#{pr.number}: nothing listed at {path}:{line} ({text}); items: {items}"
    if (project, recipe) in LISTED_ONCE:
        assert [r for _, _, r in items].count(LISTED_ONCE[project, recipe]) == 1
    for path, text in DROPPED.get((project, recipe), []):
        assert text in repo.repo.git.show(f"main:{path}")
        assert text not in repo.repo.git.show(f"origin/{pr.head}:{path}"), f"#{pr.number} keeps {text} in {path}"


@pytest.mark.parametrize("project,recipe", list(_job_params("items", only={("gaugesync", "pytest-asyncio-1.3.0")})))
def test_a_bounded_range_stays_a_range(fleet, project, recipe):
    """`pytest-asyncio>=0.20.1,<0.22.0` admits the next patch releases once bumped (issue 17 item 6)."""
    work, prs, _ = fleet[project]
    text = GitRepo(work).repo.git.show(f"origin/{prs[recipe].head}:requirements-dev.in")
    spec = next(line for line in text.splitlines() if line.startswith("pytest-asyncio"))[len("pytest-asyncio"):]
    assert SpecifierSet(spec).contains("1.3.0") and SpecifierSet(spec).contains("1.3.5"), spec


@pytest.mark.parametrize("project", list(_project_params("all-new", several_recipes=True)))
def test_project_passes_on_every_new_version_with_all_its_recipes(fleet, project):
    """Every recipe of the project applied in turn (locks regenerated), as after merging each PR, tested as its PRs
    are (third_fleet.all_recipes_applied). A project with one recipe is its PR's branch (test_pr_is_validated...)."""
    _, _, result = fleet[project]
    all_new = result["all_new"]
    assert "error" not in all_new, all_new["error"]
    assert all_new["outcomes"], f"{project}: no test ran: {all_new['tail']}"
    marked = {test: rule for test, (rule, _) in marked_tests(THIRD_FLEET / project).items()}
    bad = {t: message for t, (outcome, message) in all_new["outcomes"].items()
           if outcome in ("failed", "error", "skipped") and t not in marked}
    assert bad == {}
    assert {t: r for t, r in marked.items() if r not in all_new["listed"]} == {}, "marked tests no recipe listed"


def test_every_project_is_in_the_fleet_and_has_a_readme_line():
    assert sorted(JOBS) == sorted(p.name for p in THIRD_FLEET.iterdir() if p.is_dir())
    for project in JOBS:
        readme = (THIRD_FLEET / project / "README.md").read_text()
        assert "Shape:" in readme and "Upgrade" in readme, project
        assert not (THIRD_FLEET / project / "services").exists(), f"{project} is one package, not a monorepo"
