"""Per recipe: how many sites a fleet's migration rewrites and how many it hands to a human. By hand:

    python benchmarks/recipe_sites.py [FLEET_DIR ...]
    (default: examples/fleet examples/second-fleet examples/third-fleet)

Pure: every recipe's codemod and requirements bump run in memory over every service that declares the
recipe's package (the jobs `plan` would make), straight from the fleet directory, no git. Figures:
services (jobs), rewritten code sites (sum of AppliedChange counts, requirement edits apart), manual
items in total and by rule, and jobs whose codemod failed. Before/after comparisons of recipe work are
these numbers from one commit against another.

A fleet of single-package projects (examples/third-fleet: no upgrade-bot.toml, each folder its own repository)
is migrated project by project, and its `expected-sites.toml` (the sites a reviewer must change, known because
the fleet was written and migrated by hand here) is counted too: each expected site is *rewritten* (the recipe
changed that line), *listed* (a manual item in that file on that line or the three lines above it, the
statement's start) or a *silent miss* (neither), which the table lists by project, file and line.
"""
from __future__ import annotations

import argparse
import difflib
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.change.apply import MigrationError, ServiceChange, apply_recipe  # noqa: E402
from bot.change.recipe import load_recipes  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.discover.services import discover_configured  # noqa: E402
from bot.discover.snapshot import MemorySnapshot  # noqa: E402
from bot.plan.jobs import make_plan  # noqa: E402

REQUIREMENTS_RULE = "requirements"
EXPECTED_SITES = "expected-sites.toml"
ITEM_REACH = 3  # an item on a statement's first line covers the lines of that statement below it


@dataclass
class RecipeSites:
    services: int = 0
    rewritten: int = 0
    requirement_edits: int = 0
    manual: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    expected: int | None = None  # sites a reviewer must change (None: the fleet does not say)
    sites_rewritten: int = 0
    sites_listed: int = 0
    silent_misses: list[str] = field(default_factory=list)  # "project: file:line: text"

    def add(self, change: ServiceChange) -> None:
        self.services += 1
        for applied in change.applied:
            if applied.rule == REQUIREMENTS_RULE:
                self.requirement_edits += applied.count
            else:
                self.rewritten += applied.count
        self.manual.update(item.rule for item in change.manual)


def fleet_snapshot(fleet: Path) -> MemorySnapshot:
    files = {p.relative_to(fleet).as_posix(): p.read_bytes() for p in fleet.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts}
    return MemorySnapshot(files)


def migrate_fleet(fleet: Path) -> dict[str, list[ServiceChange | MigrationError]]:
    """recipe id -> one ServiceChange (or the MigrationError) per job of the fleet's plan."""
    config = load_config(fleet)
    services, skipped = discover_configured(fleet_snapshot(fleet), config)
    recipes = load_recipes(config.recipe_dirs, config.enabled_recipes)
    plan = make_plan(services, skipped, recipes, config)
    outcomes: dict[str, list] = {recipe.id: [] for recipe in recipes}
    for job in plan.jobs:
        try:
            outcomes[job.recipe.id].append(
                apply_recipe(job.service, job.recipe, config.recipe_options.get(job.recipe.id)))
        except MigrationError as error:
            outcomes[job.recipe.id].append(error)
    return outcomes


def is_project_fleet(fleet: Path) -> bool:
    """A folder of single-package projects, each its own repository (examples/third-fleet)."""
    return not (fleet / "upgrade-bot.toml").is_file() and (fleet / EXPECTED_SITES).is_file()


def recipe_sites(fleet: Path) -> dict[str, RecipeSites]:
    if is_project_fleet(fleet):
        return project_fleet_sites(fleet)
    figures = {}
    for recipe_id, outcomes in migrate_fleet(fleet).items():
        sites = figures[recipe_id] = RecipeSites()
        for outcome in outcomes:
            if isinstance(outcome, MigrationError):
                sites.services += 1
                sites.failed.append(str(outcome))
            else:
                sites.add(outcome)
    return figures


def project_fleet_sites(fleet: Path) -> dict[str, RecipeSites]:
    expected = tomllib.loads((fleet / EXPECTED_SITES).read_text())
    figures: dict[str, RecipeSites] = {}
    for project in sorted(p for p in fleet.iterdir() if p.is_dir()):
        for recipe_id, outcomes in migrate_fleet(project).items():
            sites = figures.setdefault(recipe_id, RecipeSites(expected=0))
            wanted = expected.get(project.name, {}).get(recipe_id, {})
            for outcome in outcomes:
                if isinstance(outcome, MigrationError):
                    sites.services += 1
                    sites.failed.append(f"{project.name}: {outcome}")
                    continue
                sites.add(outcome)
                count_expected_sites(sites, project, wanted, outcome)
    return figures


def count_expected_sites(sites: RecipeSites, project: Path, wanted: dict[str, list[str]],
                         change: ServiceChange) -> None:
    for path, texts in sorted(wanted.items()):
        before = (project / path).read_text().splitlines()
        after = change.changed[path].splitlines() if path in change.changed else before
        changed, moved = _changed_lines(before, after)
        items = {m.line for m in change.manual if m.file == path}
        for number, line in enumerate(before, 1):
            if not any(text in line for text in texts):
                continue
            sites.expected += 1
            reach = {number, moved.get(number, number)}
            if number in changed:
                sites.sites_rewritten += 1
            elif any(0 <= at - item <= ITEM_REACH for at in reach for item in items):
                sites.sites_listed += 1
            else:
                sites.silent_misses.append(f"{project.name}: {path}:{number}: {line.strip()}")


def _changed_lines(before: list[str], after: list[str]) -> tuple[set[int], dict[int, int]]:
    """Lines of `before` (1-based) the change replaced or deleted (indentation aside), and where each kept line
    is in `after` (items may cite the migrated file)."""
    matcher = difflib.SequenceMatcher(None, [s.strip() for s in before], [s.strip() for s in after], autojunk=False)
    changed, moved = set(), {}
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            moved.update({i + 1: j1 + (i - i1) + 1 for i in range(i1, i2)})
        else:
            changed.update(range(i1 + 1, i2 + 1))
    return changed, moved


def render(fleet: Path, figures: dict[str, RecipeSites]) -> str:
    counted = any(sites.expected is not None for sites in figures.values())
    extra = " expected sites | rewritten | listed | silent misses |" if counted else ""
    lines = [f"## {fleet.name}", "",
             "| recipe | services | rewritten sites | requirement edits | manual items | manual by rule | failed |" + extra,
             "|---|---|---|---|---|---|---|" + ("---|---|---|---|" if counted else "")]
    for recipe_id, sites in sorted(figures.items()):
        by_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(sites.manual.items())) or "-"
        row = (f"| {recipe_id} | {sites.services} | {sites.rewritten} | {sites.requirement_edits} | "
               f"{sum(sites.manual.values())} | {by_rule} | {len(sites.failed)} |")
        if counted:
            row += (f" {sites.expected} | {sites.sites_rewritten} | {sites.sites_listed} | "
                    f"{len(sites.silent_misses)} |")
        lines.append(row)
    for recipe_id, sites in sorted(figures.items()):
        lines += [f"- {recipe_id}: codemod failed: {reason}" for reason in sites.failed]
    for recipe_id, sites in sorted(figures.items()):
        lines += [f"- {recipe_id}: silent miss: {miss}" for miss in sites.silent_misses]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fleets", nargs="*", type=Path, metavar="FLEET_DIR",
                        help="fleet folders (default: the three bundled example fleets)")
    fleets = parser.parse_args(argv).fleets or [ROOT / "examples" / name
                                                for name in ("fleet", "second-fleet", "third-fleet")]
    for fleet in fleets:
        print(render(fleet, recipe_sites(fleet.resolve())))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
