"""Publish: what a PR, its commit and the dashboard say, when branches go out, and PR state kept in step
with git (local forge)."""
