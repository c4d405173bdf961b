"""Validation: run a service's checks in a cached isolated env, on the base commit and on the PR branch,
and compare the outcomes per test id.

The package imports none of its modules (import `bot.validation.checks`, `.compare`, `.envs`, `.verdict`, ...):
a run that validates nothing (`--skip-checks`) then never loads the machinery it does not use."""
