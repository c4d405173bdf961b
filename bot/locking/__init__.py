"""Lock files kept in step with the requirement bump, each by its own tool, in the same commit.

Pure parts say which locks a change touches and what command regenerates each (`tasks`, one module
per tool, on the plain data of `model`); `run` is the effect: it materialises the service's files in a temp dir, runs the tools
isolated (pinned versions through `uv tool run`), and feeds the new lock text back into the change.
"""
from bot.locking.model import LockTask, Upgrade
from bot.locking.run import LockError, LockUpdater
from bot.locking.tasks import lock_tasks, upgrades_of

__all__ = ["LockError", "LockTask", "LockUpdater", "Upgrade", "lock_tasks", "upgrades_of"]
