"""Builds a Runner with its validator and gate: the one place effects are wired together."""
from __future__ import annotations

from typing import Callable

from bot.change.recipe import Recipe
from bot.config import Config
from bot.forge.base import Forge
from bot.gitops import GitRepo
from bot.runner import Runner
from bot.validation.gate import Gate
from bot.validation.skipped import SkippedValidator


def build_runner(repo: GitRepo, forge: Forge, config: Config, recipes: list[Recipe], *,
                 checks: bool, skip_checks: bool = False, step: Callable[[str], None] | None = None,
                 read_only: bool = False) -> Runner:
    """checks=False: no validation and no gating (plan, dry runs); skip_checks: PRs say nothing was validated.
    read_only: the gate judges from the check results runs stored and never runs a check itself (`status`)."""
    if not checks:
        return Runner(repo, forge, config, recipes)
    if skip_checks:
        gate = Gate(repo, forge, None, config.untested_is_green)
        return Runner(repo, forge, config, recipes, SkippedValidator(), gate)
    from bot.validation.runner import CheckRunner, CheckValidator  # here: a run that checks nothing never loads them
    check_runner = CheckRunner(repo, config, step, cached_only=read_only)
    gate = Gate(repo, forge, check_runner, config.untested_is_green)
    return Runner(repo, forge, config, recipes, CheckValidator(check_runner), gate)
