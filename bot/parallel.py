"""Runs the CPU-bound part of jobs (codemod + requirements bump) in worker processes, results in job order.

Only pure work happens in workers; every effect (commit, push, forge write) stays in the parent, in the
same order as a serial run, so branches and PR bodies do not depend on the number of workers."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from bot.discovery import Service
from bot.errors import BotError
from bot.migrate import ServiceChange, apply_recipe
from bot.planning import Job
from bot.recipe import Recipe, load_recipe

MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def compute_changes(jobs: Sequence[Job], options: Mapping[str, Mapping[str, Any]],
                    workers: int) -> Iterator[ServiceChange | BotError]:
    """One outcome per job, in job order, yielded as soon as that job and every one before it are done."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _apply(job.service, job.recipe, options.get(job.recipe.id))
        return
    # fork: workers start at once with the recipes already imported; elsewhere they load them by folder
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    args = [(job.service, str(job.recipe.folder), options.get(job.recipe.id)) for job in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        yield from pool.map(_apply_in_worker, args)


def _apply(service: Service, recipe: Recipe, overrides) -> ServiceChange | BotError:
    try:
        return apply_recipe(service, recipe, overrides)
    except BotError as exc:
        return exc


_recipes: dict[str, Recipe] = {}


def _apply_in_worker(arg: tuple[Service, str, Any]) -> ServiceChange | BotError:
    service, folder, overrides = arg
    recipe = _recipes.get(folder)
    if recipe is None:
        recipe = _recipes[folder] = load_recipe(Path(folder))
    outcome = _apply(service, recipe, overrides)
    return outcome if isinstance(outcome, ServiceChange) else BotError(str(outcome))
