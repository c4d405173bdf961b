"""The shared migration-map rules for a recipe whose codemod is not in the rule form yet.

A recipe folder with a migration.toml whose codemod is a plain bot.codemod.Codemod gets the shared rules
(bot.change.doubles.migration_rules: test doubles, import audit) run after its own migrate(): on the service
as that codemod left it, with names read in the service as it was before (so `patch("pkg.adapter.Client")`
still means asyncio_mqtt.Client although the codemod already renamed pkg/adapter.py's import). Their manual
items point at lines of the migrated files. A recipe moved onto the rule form puts
`*migration_rules(__file__)` last in its RULES instead, and this bridge no longer applies to it.
"""
from __future__ import annotations

from typing import Any

from bot.codemod import Codemod
from bot.model import CodemodResult, ServiceSource


def followed_codemod(codemod_class: type[Codemod], mapping_path) -> type[Codemod]:
    """`codemod_class`, followed by the shared rules its recipe's migration map drives."""
    from .doubles import migration_rules
    from .engine import RuleCodemod

    rules = migration_rules(mapping_path)
    shared = type("SharedRules", (RuleCodemod,), {"RULES": rules, "MENTIONS": (), "__module__": __name__})

    def rule_texts(cls) -> dict[str, str]:
        return {**codemod_class.rule_texts(), **shared.rule_texts()}

    def migrate(self, service: ServiceSource) -> CodemodResult:
        first = codemod_class.migrate(self, service)
        migrated = ServiceSource(service.name, {**service.files, **first.changed})
        second = shared({}).migrate(migrated, original=service)
        return combined(first, second)

    attributes: dict[str, Any] = {"migrate": migrate, "rule_texts": classmethod(rule_texts), "SHARED": shared,
                                  "__module__": codemod_class.__module__, "__doc__": codemod_class.__doc__}
    return type(codemod_class.__name__, (codemod_class,), attributes)


def combined(first: CodemodResult, second: CodemodResult) -> CodemodResult:
    """Both results; a line the recipe's codemod already lists is not listed again by the shared rules."""
    listed = {(item.file, item.line) for item in first.manual}
    manual = list(dict.fromkeys([*first.manual, *(i for i in second.manual if (i.file, i.line) not in listed)]))
    return CodemodResult(changed={**first.changed, **second.changed}, applied=[*first.applied, *second.applied],
                         manual=sorted(manual, key=lambda item: (item.file, item.line, item.rule)),
                         requirement_edits=[*first.requirement_edits, *second.requirement_edits],
                         notes=list(dict.fromkeys([*first.notes, *second.notes])))
