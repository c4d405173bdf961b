"""Who reviews the bot's PRs: `reviewers` holds GitHub users (`rita`) and teams (`org/team-slug`). Their
spelling is checked with the configuration (pure); whether GitHub would accept them is asked by `plan`
(`check_reviewers`), since GitHub refuses a whole review request for one name it does not accept."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

from bot.errors import ConfigError

# GitHub logins: letters, digits and single inner hyphens, at most 39 characters
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_TEAM_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Reviewers:
    """The configured reviewers, split into GitHub users and teams."""

    users: tuple[str, ...]
    teams: tuple[tuple[str, str], ...]  # (organization, team slug)


def spelling_problem(name: str) -> str:
    """Why `name` cannot be a GitHub user or `org/team` ("" when it can)."""
    org, slash, slug = name.partition("/")
    if slash and _LOGIN.fullmatch(org) and _TEAM_SLUG.fullmatch(slug):
        return ""
    if not slash and _LOGIN.fullmatch(name):
        return ""
    return (f"{name!r} is not a GitHub user name or org/team (a name is letters, digits and single inner "
            f"hyphens, at most 39 characters; a team is `org/team-slug`)")


def split_reviewers(names: Iterable[str]) -> Reviewers:
    users, teams = [], []
    for name in dict.fromkeys(names):
        org, slash, slug = name.partition("/")
        if slash:
            teams.append((org, slug))
        else:
            users.append(name)
    return Reviewers(tuple(users), tuple(teams))


class ReviewerCheck(Protocol):
    def reviewer_problems(self, reviewers: Reviewers) -> list[tuple[str, bool]]:
        """(one-line reason, fatal) for each reviewer the forge would refuse or cannot check."""


def check_reviewers(forge: ReviewerCheck, names: Iterable[str], source: str) -> list[str]:
    """Warnings (one line each) for reviewers the forge could not check; raises ConfigError naming the
    first one it would refuse, so a review request never fails for everyone at once in the middle of a run."""
    warnings = []
    for reason, fatal in forge.reviewer_problems(split_reviewers(names)):
        if fatal:
            raise ConfigError(source or "(defaults)", "reviewers", reason)
        warnings.append(f"{source or '(defaults)'}: reviewers: {reason}")
    return warnings
