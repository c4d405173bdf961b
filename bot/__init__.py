"""upgrade-bot: one reviewable pull request per service and library upgrade."""

__version__ = "0.1.0"
