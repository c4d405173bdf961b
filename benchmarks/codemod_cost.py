"""Per recipe: CPU seconds spent in codemods over a fleet's plan, and how often libcst parsed each file.
By hand:

    python benchmarks/codemod_cost.py [FLEET_DIR ...]     (default: examples/fleet examples/second-fleet)

Jobs run in plan order (a service's recipes one after another, as `run` does), so recipes on the shared
analysis (bot.analysis) reuse each other's parses and metadata: a recipe's time includes the parses it
was first to need. CPU time (process_time) rather than wall time: 8 agents share this machine.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import libcst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot.change.apply import MigrationError, apply_recipe  # noqa: E402
from bot.change.recipe import load_recipes  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.discover.services import discover  # noqa: E402
from bot.plan.jobs import make_plan  # noqa: E402
from recipe_sites import fleet_snapshot  # noqa: E402


def codemod_cost(fleet: Path) -> tuple[Counter, int, int]:
    """(CPU seconds per recipe, libcst parses, distinct Python files of the jobs' services)."""
    parses: Counter[str] = Counter()
    real_parse = libcst.parse_module

    def counting_parse(source, *args, **kwargs):
        parses[source] += 1
        return real_parse(source, *args, **kwargs)

    config = load_config(fleet)
    services, skipped = discover(fleet_snapshot(fleet), config.services)
    plan = make_plan(services, skipped, load_recipes(config.recipe_dirs, config.enabled_recipes), config)
    seconds: Counter[str] = Counter()
    files = set()
    libcst.parse_module = counting_parse
    try:
        for job in plan.jobs:
            files.update((job.service.path, p) for p in job.service.source().python_files())
            start = time.process_time()
            try:
                apply_recipe(job.service, job.recipe, config.recipe_options.get(job.recipe.id))
            except MigrationError:
                pass
            seconds[job.recipe.id] += time.process_time() - start
    finally:
        libcst.parse_module = real_parse
    return seconds, sum(parses.values()), len(files)


def main(argv: list[str]) -> None:
    fleets = [Path(a) for a in argv] or [ROOT / "examples" / "fleet", ROOT / "examples" / "second-fleet"]
    for fleet in fleets:
        seconds, parses, files = codemod_cost(fleet.resolve())
        print(f"## {fleet.name}: {sum(seconds.values()):.2f} s CPU in codemods, {parses} libcst parses "
              f"for {files} Python files of the planned services")
        for recipe_id, spent in sorted(seconds.items()):
            print(f"- {recipe_id}: {spent:.2f} s")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
