"""PR comment commands (/retry, /revert, /help) from a GitHub `issue_comment` event payload.

The comment text is data: it is parsed into a known command or refused, never executed, and never
echoed back raw."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.forge.base import Forge, PullRequest
from bot.gitops import GitError
from bot.publish.render import read_marker, render

WRITE_LEVELS = ("admin", "maintain", "write")
COMMANDS = {
    "/retry": "regenerate the branch from the current base with the current recipe, keeping commits humans pushed "
              "(on a closed PR: reopen it; on a merged PR whose revert was merged: open the migration again)",
    "/retry --force": "regenerate the branch and drop commits humans pushed",
    "/revert": "on a merged PR: open a PR that reverts it (git revert -m 1 of the merge commit), validated like any PR",
    "/accept-wave": "on a merged PR: let the next wave open although the base is not green after this PR's wave",
    "/help": "list these commands",
}
_SAFE = re.compile(r"[^a-z0-9_-]")


@dataclass(frozen=True)
class CommentEvent:
    """A new comment on a pull request, read from an issue_comment event."""

    pr_number: int
    comment_id: int
    user: str
    user_type: str
    body: str


@dataclass(frozen=True)
class Command:
    """The /command a comment holds, as the bot understood it."""

    name: str  # "retry", "revert", "accept-wave", "help" or "unknown"
    force: bool = False
    shown_as: str = ""  # a sanitised form of what was typed, safe to quote in a reply


def parse_event(payload: dict[str, Any]) -> CommentEvent | None:
    """None for anything that is not a newly created comment on a pull request.

    Raises ValueError (one line) for a payload that is not shaped like a GitHub event."""
    if not isinstance(payload, dict):
        raise ValueError(f"not a JSON object but {type(payload).__name__}")
    if payload.get("action") != "created":
        return None
    issue, comment = payload.get("issue") or {}, payload.get("comment") or {}
    if not isinstance(issue, dict) or not isinstance(comment, dict):
        raise ValueError("'issue' and 'comment' must be objects")
    if not issue.get("pull_request") or not comment:
        return None
    user = comment.get("user") or {}
    if not isinstance(user, dict):
        raise ValueError("'comment.user' must be an object")
    try:
        return CommentEvent(int(issue["number"]), int(comment["id"]), str(user.get("login", "")),
                            str(user.get("type", "User")), str(comment.get("body") or ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"'issue.number' and 'comment.id' must be integers ({type(exc).__name__}: {exc})") from None


def parse_command(body: str) -> Command | None:
    """The command on the comment's first line, or None when the comment is not addressed to the bot."""
    first = body.strip().splitlines()[0].strip() if body.strip() else ""
    if not first.startswith("/"):
        return None
    words = first.split()
    name, args = words[0].lower(), words[1:]
    shown = "/" + _SAFE.sub("", name[1:])[:30]
    if name == "/retry" and args in ([], ["--force"]):
        return Command("retry", force=bool(args), shown_as=shown)
    if name in ("/revert", "/help", "/accept-wave") and not args:
        return Command(name[1:], shown_as=shown)
    return Command("unknown", shown_as=shown)


def is_bot_pr(pr: PullRequest) -> bool:
    meta = read_marker(pr.body)
    return bool(meta) and "recipe" in meta and "revert_of" not in meta


def help_text(prefix: str = "") -> str:
    return render("command_help.md.j2", prefix=prefix, commands=COMMANDS)


@dataclass
class Outcome:
    """What handling one comment did: the reply posted (if any) and whether anything changed."""

    reply: str | None
    acted: bool = False


class CommandHandler:
    def __init__(self, forge: Forge, actions) -> None:
        self.forge = forge
        self.actions = actions  # bot.commands.actions.CommandActions: the git/PR effects

    def handle(self, payload: dict[str, Any]) -> Outcome:
        event = parse_event(payload)
        if event is None:
            return Outcome(None)
        command = parse_command(event.body)
        if command is None:
            return Outcome(None)
        if event.user_type == "Bot" or event.user.endswith("[bot]"):
            return Outcome(None)  # loop guard: never answer a bot, ourselves included
        pr = self.forge.get_pr(event.pr_number)
        if not is_bot_pr(pr):
            reverts = (read_marker(pr.body) or {}).get("revert_of")
            if reverts and command.name == "retry":
                return self._reply(pr, f"This PR reverts #{reverts}: once it is merged, comment `/retry` on "
                                       f"#{reverts} to open the migration again.")
            if command.name in ("retry", "revert", "accept-wave"):
                return self._reply(pr, "upgrade-bot commands only work on pull requests upgrade-bot opened.")
            return Outcome(None)
        level = self.forge.permission(event.user)
        if level not in WRITE_LEVELS:
            return self._reply(pr, f"@{event.user}: `{command.shown_as}` needs write access to this repository "
                                   f"(you have `{level}`). Nothing was changed.")
        self.forge.react(event.comment_id, "eyes")
        if command.name == "help":
            return self._reply(pr, help_text())
        if command.name == "unknown":
            return self._reply(pr, help_text(f"Unknown command or arguments: `{command.shown_as}`."))
        try:
            if command.name == "retry":
                message, acted = self.actions.retry(pr, force=command.force)
            elif command.name == "accept-wave":
                message, acted = self.actions.accept_wave(pr, event.user)
            else:
                message, acted = self.actions.revert(pr)
        except GitError as exc:  # e.g. a lease refused the push: a rollout or another command moved it first
            self._reply(pr, f"`{command.shown_as}` stopped: {exc}. Comment it again to start from what is "
                            f"there now.")
            raise
        outcome = self._reply(pr, message)
        outcome.acted = acted
        return outcome

    def _reply(self, pr: PullRequest, text: str) -> Outcome:
        self.forge.comment(pr.number, text)
        return Outcome(text)
