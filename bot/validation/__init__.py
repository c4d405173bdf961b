"""Validation: run a service's checks in a cached isolated env, on the base commit and on the PR branch,
and compare the outcomes per test id."""
from bot.validation.checks import DEFAULT_CHECKS, CheckRun, CheckSpec, TestOutcome, run_checks
from bot.validation.compare import CheckChange, Comparison, TestChange, compare
from bot.validation.envs import EnvBuildError, ensure_env, requirement_sources
from bot.validation.verdict import Verdict, judge, not_validated

__all__ = [
    "DEFAULT_CHECKS",
    "CheckChange",
    "CheckRun",
    "CheckSpec",
    "Comparison",
    "EnvBuildError",
    "TestChange",
    "TestOutcome",
    "compare",
    "ensure_env",
    "requirement_sources",
    "run_checks",
    "Verdict",
    "judge",
    "not_validated",
]
