"""What a job's result depends on, as one digest kept in its PR's marker: when it has not changed, the
run skips the job without reading, parsing or rewriting a file. Pure."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from bot.change.recipe import Recipe
from bot.discover.services import Service

# Bump when the bot's own rewriting (requirements editing, PR body) changes what a job produces.
INPUTS_VERSION = 2  # 2: markers name their job key


def job_inputs(service: Service, recipe: Recipe, overrides: Mapping[str, Any] | None) -> str:
    """The service's files at the base (its tree id), the recipe (every file of its folder) and the
    options set in the config (the defaults are part of the recipe). "" when the tree is unknown."""
    if not service.tree:
        return ""
    payload = json.dumps([INPUTS_VERSION, service.path, service.tree, recipe.id, recipe.fingerprint,
                          dict(overrides or {})], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def recipe_inputs(recipe: Recipe, overrides: Mapping[str, Any] | None) -> str:
    """The recipe and its configured options alone (not the service): whether a migration that was reverted
    would come out any different if it were opened again."""
    payload = json.dumps([recipe.id, recipe.fingerprint, dict(overrides or {})], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def unchanged_since(marker: Mapping[str, Any] | None, inputs: str, base_sha: str, *, every_base_move: bool) -> bool:
    """The PR's marker says it was built from these inputs (and, with every_base_move, on this base).
    Markers written before the inputs were recorded never match: those jobs are recomputed."""
    if not marker or not inputs or marker.get("inputs") != inputs:
        return False
    return not every_base_move or marker.get("base") == base_sha
