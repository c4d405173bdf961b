"""Errors that end in a one-line message naming the file and the reason."""
from __future__ import annotations


class BotError(Exception):
    """Any error the bot reports to its user as one line."""


class ConfigError(BotError):
    """Bad configuration: exit code 2."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {reason}")
        self.file, self.key, self.reason = file, key, reason


class RecipeError(BotError):
    """A recipe folder that does not load: the bot refuses to run with it."""


class UsageError(BotError):
    """The command cannot work where it was run (not a git repository, no origin): exit code 2."""
