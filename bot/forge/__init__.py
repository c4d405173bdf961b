"""Forges: where pull requests live (GitHub, or files under .git for local runs)."""
