"""Named points where the fault suite kills the bot: `UPGRADE_BOT_KILL_AT=<point>[:<n>]` makes the process
kill -9 itself the n-th time (default: the first) it reaches that point, so a crash lands exactly where it
hurts instead of wherever a random sleep ends. Unset, reaching a point costs one comparison."""
from __future__ import annotations

import os
import signal

VARIABLE = "UPGRADE_BOT_KILL_AT"
POINTS = {
    "planned": "a run has planned and selected its jobs; nothing is computed yet",
    "migrated": "a job's change is computed in memory; nothing is written",
    "validating": "checks are running in a temporary checkout (registered with git), before any push",
    "committed": "a job's commit object is made (maybe only in memory: bot.gitops.GitRepo); no ref points at it",
    "pushed": "a batch of branches is pushed; their PRs are not opened or updated yet",
    "pr-opened": "one PR of a batch is opened or updated; the next ones are not",
    "dashboard": "every job is done; the dashboard is not refreshed",
    "merge-pushed": "`local merge` pushed the merge commit; the PR is not marked merged",
    "retry-pushed": "/retry pushed the regenerated branch; the PR is not updated (or reopened)",
    "revert-pushed": "/revert pushed the revert branch; its PR is not opened",
}

_point, _, _nth = os.environ.get(VARIABLE, "").partition(":")
if _point and (_point not in POINTS or not (_nth.isdigit() or _nth == "")):  # a typo must not pass as "survived"
    raise SystemExit(f"upgrade-bot: ${VARIABLE}={os.environ[VARIABLE]!r} names no kill point "
                     f"(one of {', '.join(POINTS)}, optionally :N)")
_wanted = int(_nth) if _nth else 1
_reached = 0


def kill_point(name: str) -> None:
    """Die here (SIGKILL: no cleanup, no atexit) when the fault suite asked for this point."""
    global _reached
    if name != _point:
        return
    _reached += 1
    if _reached >= _wanted:
        os.kill(os.getpid(), signal.SIGKILL)
