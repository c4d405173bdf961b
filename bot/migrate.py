"""Applies one recipe to one service in memory: codemod, then the requirements bump. Pure."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from bot.discovery import Service
from bot.errors import BotError
from bot.model import AppliedChange, ManualItem, RequirementEdit, repo_path
from bot.pyproject_deps import edit_pyproject
from bot.recipe import Recipe
from bot.requirements_file import edit_requirements
from bot.spec_style import styled_edits


class MigrationError(BotError):
    """The recipe could not be applied to this service; the message is one line."""


@dataclass
class ServiceChange:
    service: str
    service_path: str
    recipe_id: str
    changed: dict[str, str] = field(default_factory=dict)  # service-relative path -> new text
    applied: list[AppliedChange] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requirement_edits: list[RequirementEdit] = field(default_factory=list)  # what bot.locking upgrades

    def repo_paths(self) -> dict[str, str]:
        return {repo_path(self.service_path, p): t for p, t in sorted(self.changed.items())}

    def digest(self, recipe_fingerprint: str) -> str:
        """Same inputs -> same digest: how a re-run knows it has nothing to do."""
        payload = json.dumps([recipe_fingerprint, sorted(self.changed.items()),
                              [m.__dict__ for m in self.manual]], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def apply_recipe(service: Service, recipe: Recipe, options: Mapping[str, Any] | None = None) -> ServiceChange:
    if service.problems:
        raise MigrationError(service.problems[0])
    try:
        result = recipe.codemod(options).migrate(service.source())
    except (KeyboardInterrupt, BotError):
        raise
    except BaseException as exc:  # a codemod bug (sys.exit() included) must fail this job alone, with a reason
        raise MigrationError(f"{service.path}: {recipe.id} codemod failed: "
                             f"{type(exc).__name__}: {_first_line(exc)}") from None
    change = ServiceChange(service.name, service.path, recipe.id, applied=list(result.applied),
                           manual=list(result.manual), notes=list(result.notes))
    files = {**service.files, **result.changed}
    edits = [*recipe.requirement_edits, *result.requirement_edits]
    change.requirement_edits = edits
    home = _home_file(service, recipe)
    targets = [*service.requirement_files, *(["pyproject.toml"] if service.has_pyproject else [])]
    for rel in targets:
        edit = edit_pyproject if rel == "pyproject.toml" else edit_requirements
        try:
            outcome = edit(files[rel], rel, styled_edits(service, rel, edits), allow_add=(rel == home))
        except ValueError as exc:
            raise MigrationError(f"{service.path}/{rel}: {exc}") from None
        files[rel] = outcome.text
        change.manual += outcome.manual
        for line in outcome.applied:
            change.applied.append(AppliedChange(rel, "requirements", line))
    change.changed = {p: t for p, t in files.items() if service.files.get(p) != t}
    return change


def _home_file(service: Service, recipe: Recipe) -> str:
    """Where new requirements go: the file that declares the recipe's package (runtime files first)."""
    declared = service.depends_on(recipe.package)
    return declared[0].file if declared else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no message"
