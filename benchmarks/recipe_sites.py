"""Per recipe: how many sites a fleet's migration rewrites and how many it hands to a human. By hand:

    python benchmarks/recipe_sites.py [FLEET_DIR ...]     (default: examples/fleet examples/second-fleet)

Pure: every recipe's codemod and requirements bump run in memory over every service that declares the
recipe's package (the jobs `plan` would make), straight from the fleet directory, no git. Figures:
services (jobs), rewritten code sites (sum of AppliedChange counts, requirement edits apart), manual
items in total and by rule, and jobs whose codemod failed. Before/after comparisons of recipe work are
these numbers from one commit against another.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.change.apply import MigrationError, ServiceChange, apply_recipe  # noqa: E402
from bot.change.recipe import load_recipes  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.discover.services import discover  # noqa: E402
from bot.discover.snapshot import MemorySnapshot  # noqa: E402
from bot.plan.jobs import make_plan  # noqa: E402

REQUIREMENTS_RULE = "requirements"


@dataclass
class RecipeSites:
    services: int = 0
    rewritten: int = 0
    requirement_edits: int = 0
    manual: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

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
    services, skipped = discover(fleet_snapshot(fleet), config.services)
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


def recipe_sites(fleet: Path) -> dict[str, RecipeSites]:
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


def render(fleet: Path, figures: dict[str, RecipeSites]) -> str:
    lines = [f"## {fleet.name}", "",
             "| recipe | services | rewritten sites | requirement edits | manual items | manual by rule | failed |",
             "|---|---|---|---|---|---|---|"]
    for recipe_id, sites in sorted(figures.items()):
        by_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(sites.manual.items())) or "-"
        lines.append(f"| {recipe_id} | {sites.services} | {sites.rewritten} | {sites.requirement_edits} | "
                     f"{sum(sites.manual.values())} | {by_rule} | {len(sites.failed)} |")
    for recipe_id, sites in sorted(figures.items()):
        lines += [f"- {recipe_id}: codemod failed: {reason}" for reason in sites.failed]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    fleets = [Path(a) for a in argv] or [ROOT / "examples" / "fleet", ROOT / "examples" / "second-fleet"]
    for fleet in fleets:
        print(render(fleet, recipe_sites(fleet.resolve())))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
