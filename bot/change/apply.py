"""Applies one recipe to one service in memory: codemod, then the requirements bump. Pure."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from packaging.utils import canonicalize_name

from bot.change.inputs import job_inputs, recipe_inputs
from bot.change.recipe import Recipe
from bot.declared.pyproject import edit_pyproject
from bot.declared.requirements import HASH_RULE, UNSUPPORTED_RULE, edit_requirements
from bot.declared.spec_style import styled_edits
from bot.discover.services import Service
from bot.errors import BotError
from bot.model import AppliedChange, ManualItem, RequirementEdit, repo_path
from bot.declared.setup_cfg import edit_setup_cfg
from bot.declared.setup_py import edit_setup_py


class MigrationError(BotError):
    """The recipe could not be applied to this service; the message is one line."""


@dataclass
class ServiceChange:
    """One recipe applied to one service: the new file texts and what the PR says about them."""

    service: str
    service_path: str
    recipe_id: str
    changed: dict[str, str] = field(default_factory=dict)  # service-relative path -> new text
    applied: list[AppliedChange] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requirement_edits: list[RequirementEdit] = field(default_factory=list)  # what bot.locking upgrades
    held_back: str = ""  # why nothing is changed although the recipe applies (a pin the bot cannot bump)
    encodings: dict[str, str] = field(default_factory=dict)  # path -> encoding, files not in UTF-8
    links: dict[str, str] = field(default_factory=dict)  # symlinked path -> the repo path of its target
    inputs: str = ""  # bot.change.inputs digest: what this change was computed from
    recipe_inputs: str = ""  # the recipe and its options alone (bot.change.inputs.recipe_inputs)
    tree: str = ""  # the service's tree at the base it was computed on
    head: str = ""  # a commit of this change on the base, when a worker already wrote it (bot.parallel)
    head_key: str = ""  # bot.parallel.commit_key of what `head` holds
    # the objects of `head` the worker made, not written (binary id -> (type, content)): bot.gitops.GitRepo.keep
    head_objects: dict[bytes, tuple[bytes, bytes]] = field(default_factory=dict)

    def repo_paths(self) -> dict[str, bytes]:
        """What to commit: repo path -> bytes, each file in the encoding it was read in, through symlinks."""
        return {self.links.get(p) or repo_path(self.service_path, p): t.encode(self.encodings.get(p, "utf-8"))
                for p, t in sorted(self.changed.items())}

    def digest(self, recipe_fingerprint: str) -> str:
        """Same inputs -> same digest: how a re-run knows it has nothing to do."""
        payload = json.dumps([recipe_fingerprint, sorted(self.changed.items()),
                              [m.__dict__ for m in self.manual]], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def apply_recipe(service: Service, recipe: Recipe, options: Mapping[str, Any] | None = None) -> ServiceChange:
    if service.problems:
        raise MigrationError(service.problems[0])
    # The codemod runs before the source check, whose error still comes first: a file the codemod's libcst
    # parse accepted has no syntax error, so the check compiles only the files the codemod never parsed.
    failure: BotError | None = None
    try:
        result = recipe.codemod(options).migrate(service.source())
    except KeyboardInterrupt:
        raise
    except BotError as exc:
        failure = exc
    except BaseException as exc:  # a codemod bug (sys.exit() included) must fail this job alone, with a reason
        failure = MigrationError(f"{service.path}: {recipe.id} codemod failed: "
                                 f"{type(exc).__name__}: {_first_line(exc)}")
    problems = service.source_problems()
    if problems:
        raise MigrationError(problems[0])
    if failure is not None:
        raise failure
    change = ServiceChange(service.name, service.path, recipe.id, applied=list(result.applied),
                           manual=list(result.manual), notes=list(result.notes),
                           encodings=dict(service.encodings), links=dict(service.links),
                           inputs=job_inputs(service, recipe, options), tree=service.tree,
                           recipe_inputs=recipe_inputs(recipe, options))
    if result.held_back:  # no file, no pin: half a migration would ship code that cannot run
        change.held_back = f"{service.path}: {result.held_back}"
        change.applied = []
        return change
    files = {**service.files, **result.changed}
    edits = [*recipe.requirement_edits_for(service), *result.requirement_edits]
    change.requirement_edits = edits
    _bump_requirements(service, recipe, files, edits, change)
    change.changed = {p: t for p, t in files.items() if service.files.get(p) != t}
    for rel, text in change.changed.items():
        encoding = change.encodings.get(rel, "utf-8")
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            raise MigrationError(f"{service.repo_path(rel)}: the rewritten file cannot be written back in its "
                                 f"encoding {encoding} ({exc.reason}: {text[exc.start:exc.end]!r})") from None
    return change


def unbumpable_pin(service: Service, recipe: Recipe) -> str:
    """Why the recipe's own pin cannot be bumped in this service, known without its codemod or a lock tool
    (a URL or VCS reference, a Poetry git/path source, a file shared with other services): the job can
    never get a PR until a human moves the pin. "" when nothing says so yet."""
    change = ServiceChange(service.name, service.path, recipe.id)
    files = {rel: service.files[rel] for rel in _requirement_targets(service)}
    try:
        _bump_requirements(service, recipe, files, list(recipe.requirement_edits_for(service)), change)
    except MigrationError:
        return ""  # the job itself says what is wrong with the file, when it runs
    hold_back_unbumped(service, change, recipe, LOCKS_CANNOT_BUMP)
    return f"not migrated: {change.held_back}" if change.held_back else ""


def _requirement_targets(service: Service) -> list[str]:
    return [*service.requirement_files, *(["pyproject.toml"] if service.has_pyproject else []), *service.setup_files]


def _bump_requirements(service: Service, recipe: Recipe, files: dict[str, str], edits: list[RequirementEdit],
                       change: ServiceChange) -> None:
    """The requirement edits applied to `files` in place; a file shared with other services is never
    written (its pins become manual items)."""
    home = _home_file(service, recipe)
    for rel in _requirement_targets(service):
        edit = _EDITORS.get(rel, edit_requirements)
        try:
            outcome = edit(files[rel], rel, styled_edits(service, rel, edits), allow_add=(rel == home))
        except ValueError as exc:
            raise MigrationError(f"{service.repo_path(rel)}: {exc}") from None
        if service.is_shared(rel) and (outcome.text != files[rel] or outcome.manual):
            change.manual += _shared_file_items(service, rel, edits)  # never written, even with new hashes
            continue
        files[rel] = outcome.text
        change.manual += outcome.manual  # hash pins are resolved by bot.locking; see hold_back_unbumped
        for line in outcome.applied:
            change.applied.append(AppliedChange(rel, "requirements", line))


def hold_back_unbumped(service: Service, change: ServiceChange, recipe: Recipe,
                       rules: tuple[str, ...] | None = None) -> None:
    """Run after bot.locking has regenerated locks and hashes: a pin still listed as a manual item is one
    neither the requirements editor nor a lock tool could bump (a URL reference, a Poetry git/path source, a
    shared file, a hash pin without an exact new version), and code rewritten for the new version must not
    ship while it stays old; nor is a file shared with other services ever written. Either one empties
    the change and says why. `rules` narrows the pins looked at (LOCKS_CANNOT_BUMP: before lock tools run)."""
    for rel in sorted(p for p in change.changed if service.is_shared(p)):
        change.manual.append(_shared_code_item(service, rel, change.changed[rel]))
    for item in change.manual:
        if item.rule == SHARED_RULE and item.reason == SHARED_CODE_REASON:
            change.held_back = f"{service.repo_path(item.file)}: {SHARED_CODE_REASON}; the service is not migrated by the bot"
        elif item.rule in (UNBUMPED_RULES if rules is None else rules):
            change.held_back = (f"{service.repo_path(item.file)}: {item.reason}; no code is rewritten for "
                                f"{recipe.target_package} {recipe.version} while its pin stays old")
        if change.held_back:
            change.changed, change.applied = {}, []
            return


SHARED_RULE = "REQ003"
SHARED_REASON = ("pinned in a requirements file shared with other services: bumping it here would upgrade "
                 "them too, unmigrated; bump it there once every service that includes it is migrated")


UNBUMPED_RULES = (HASH_RULE, UNSUPPORTED_RULE, SHARED_RULE)
LOCKS_CANNOT_BUMP = (UNSUPPORTED_RULE, SHARED_RULE)  # a hash pin (REQ001) may yet get its hashes from bot.locking
SHARED_CODE_REASON = "a file outside the service (symlinked), shared with other services: migrate it by hand"


def _shared_code_item(service: Service, rel: str, new_text: str) -> ManualItem:
    old_lines, new_lines = service.files[rel].splitlines(), new_text.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b), min(len(old_lines), len(new_lines)))
    return ManualItem(file=rel, line=line + 1, old_code=(old_lines[line:line + 1] or [""])[0].strip(),
                      reason=SHARED_CODE_REASON, rule=SHARED_RULE,
                      suggestion=(new_lines[line:line + 1] or [""])[0].strip() or None)


def _shared_file_items(service: Service, rel: str, edits) -> list[ManualItem]:
    wanted = {canonicalize_name(e.package): e for e in edits}
    lines = service.files[rel].splitlines()
    return [ManualItem(file=rel, line=d.line, old_code=lines[d.line - 1].strip(), reason=SHARED_REASON,
                       rule=SHARED_RULE, suggestion=f"{d.raw_name}{wanted[d.name].spec}" if wanted[d.name].spec else None)
            for d in service.declarations if d.file == rel and d.name in wanted]


_EDITORS = {"pyproject.toml": edit_pyproject, "setup.py": edit_setup_py, "setup.cfg": edit_setup_cfg}


def _home_file(service: Service, recipe: Recipe) -> str:
    """Where new requirements go: the file that declares the package migrated from (runtime files first)."""
    declared = recipe.declared(service)
    return declared[0].file if declared else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no message"
