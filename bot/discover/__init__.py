"""Discover: which services the repository holds, and their files (read from git on first use)."""
