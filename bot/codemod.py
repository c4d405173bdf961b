"""The contract between the bot and a recipe's codemod module.

A recipe's codemod is a class deriving from `Codemod`, named in recipe.toml as
`codemod = "<module file>:<ClassName>"`. It is pure: it receives the service's files as text
and returns new text plus manual items; it never touches disk, git or the network.
New recipes are written as rules (bot.change.engine.RuleCodemod, docs/recipes.md); a plain Codemod
subclass with a `migrate` of its own still works.
"""
from __future__ import annotations

from typing import Any, Mapping

from bot.model import CodemodResult, ServiceSource


class Codemod:
    #: Stable rule ids -> one-line description, listed by `upgrade-bot recipes list`.
    RULES: Mapping[str, str] = {}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @classmethod
    def rule_texts(cls) -> dict[str, str]:
        """Rule id -> one line, for `upgrade-bot recipes list`."""
        return dict(cls.RULES)

    def migrate(self, service: ServiceSource) -> CodemodResult:
        raise NotImplementedError


class NoCodemod(Codemod):
    """For recipes that only bump requirements."""

    def migrate(self, service: ServiceSource) -> CodemodResult:
        return CodemodResult()
