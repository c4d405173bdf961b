"""Loads and validates recipe folders: recipe.toml + codemod module + fixtures."""
from __future__ import annotations

import hashlib
import os
import importlib
import importlib.machinery
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import TOMLKitError

from bot.codemod import Codemod, NoCodemod
from bot.declared.poetry_constraint import pep440
from bot.errors import RecipeError
from bot.model import RequirementEdit
from bot.declared.toml_data import read_toml

ACTIONS = ("set", "add", "replace", "remove")
_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


@dataclass(frozen=True)
class Recipe:
    """One recipe as its recipe.toml declares it: the upgrade, its codemod, requirement edits and options."""

    id: str
    folder: Path
    title: str
    package: str  # canonical name of the dependency that makes a service a candidate
    version: str
    target_package: str
    imports: tuple[str, ...]
    summary: str
    risk: tuple[str, ...]
    default_options: Mapping[str, Any]
    requirement_edits: tuple[RequirementEdit, ...]
    codemod_ref: str  # "codemod.py:ClassName", imported on first use: a broken one fails its own jobs
    fingerprint: str = field(compare=False)  # hash of every file in the folder: changes re-run jobs
    option_specs: Mapping[str, OptionSpec] = field(default_factory=dict, compare=False)
    python_floor: str = ""  # the oldest Python the target version installs on ("3.9"), when it raised it
    # other packages (and their old releases) the recipe migrates from, each with its own requirement edits
    also_from: tuple[AlsoFrom, ...] = ()

    def source_of(self, service) -> "AlsoFrom | None":
        """The package the service is on that this recipe migrates from: `package` (the recipe's own edits), else
        the first `[[also-from]]` one its declarations admit an old release of; None when it declares none."""
        declared = service.depends_on(self.package)
        if declared:
            return AlsoFrom(self.package, "", self.requirement_edits, self.imports)
        for source in self.also_from:
            declared = service.depends_on(source.package)
            if declared and any(source.admits_old(pep440_spec(d)) for d in declared):
                return source
        return None

    def declared(self, service) -> list:
        """The service's declarations of the package it migrates from (see source_of); [] when none."""
        source = self.source_of(service)
        return service.depends_on(source.package) if source is not None else []

    def requirement_edits_for(self, service) -> tuple[RequirementEdit, ...]:
        source = self.source_of(service)
        return source.requirement_edits if source is not None else self.requirement_edits

    @cached_property
    def codemod_class(self) -> type[Codemod]:
        loaded = _load_codemod(self.folder, self.codemod_ref, str(self.folder / "recipe.toml"))
        return _with_python_floor_rule(_with_migration_map(loaded, self.folder), self)

    def options(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        for key, value in (overrides or {}).items():
            problem = self.option_problem(key, value)
            if problem:
                raise OptionError(f"{self.id}: option {key!r}: {problem}" if key in self.default_options
                                  else f"{self.id}: unknown option {key!r} {problem.removeprefix('unknown option ')}")
        return {**self.default_options, **(overrides or {})}

    def option_problem(self, key: str, value: Any) -> str:
        """Why `key = value` is not a valid setting of this recipe ("" when it is)."""
        if key == DISABLE_OPTION and key not in self.option_specs:
            return disable_problem(self.id, self.rules() if self.in_rule_form() else None, value, self.retired_rules())
        spec = self.option_specs.get(key)
        if spec is None and key in self.default_options:  # a Recipe built without specs: type of the default
            spec = OptionSpec(_type_name(self.default_options[key]), self.default_options[key])
        if spec is None:
            return f"unknown option (known: {', '.join(sorted(self.default_options)) or 'none'})"
        return spec.problem(value)

    def codemod(self, overrides: Mapping[str, Any] | None = None) -> Codemod:
        return self.codemod_class(self.options(overrides))

    def rules(self) -> Mapping[str, str]:
        return self.codemod_class.rule_texts()

    def retired_rules(self) -> Mapping[str, str]:
        """Rule ids an earlier release had -> what does their work now (RuleCodemod.RETIRED)."""
        return getattr(self.codemod_class, "RETIRED", {}) if self.in_rule_form() else {}

    def in_rule_form(self) -> bool:
        from bot.change.engine import RuleCodemod  # libcst, only for recipes actually used
        return issubclass(self.codemod_class, RuleCodemod)


#: `disable = ["ID", ...]` is an option of every recipe in the rule form (bot.change): those rules do not run.
DISABLE_OPTION = "disable"


def disable_problem(recipe_id: str, rules: Mapping[str, str] | None, value: Any,
                    retired: Mapping[str, str] | None = None) -> str:
    """Why `disable = value` is wrong for this recipe ("" when it is fine); rules None: not in the rule form.
    A retired rule's id is fine: the configuration was right for the release it was written for."""
    if rules is None:
        return f"rules of {recipe_id} cannot be disabled: its codemod is not written as rules (bot.change)"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be an array of rule ids, got {value!r}"
    for rule in value:
        if rule not in rules and rule not in (retired or {}):
            import difflib  # only to name the likely typo: a valid setting never loads it
            close = difflib.get_close_matches(rule, sorted(rules), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"rules: {', '.join(sorted(rules))}"
            return f"no rule {rule!r} in {recipe_id}; {hint}"
    return ""


@dataclass(frozen=True)
class AlsoFrom:
    """`[[also-from]]`: a package the recipe also migrates from, when a service's declaration of it admits one of
    its old releases (`versions`, a specifier set); `requirements` replace the recipe's own [[requirements]] for
    it. aiomqtt 1.x (asyncio-mqtt's name from 1.0 on) needs the same 2.0 changes: `package = "aiomqtt"`,
    `versions = "<2"`. A declaration that admits the target version too (`aiomqtt`, `aiomqtt>=1.2`) may already be
    on it: such a service is planned only when the codemod still finds old code (bot.plan.jobs)."""

    package: str  # canonical name
    versions: str  # the old releases, as a specifier set ("" for the recipe's own package: any)
    requirement_edits: tuple[RequirementEdit, ...]
    imports: tuple[str, ...]  # top-level modules its code imports

    def admits_old(self, spec: str) -> bool:
        """The declared spec admits at least one release in `versions` (a bare name admits every release)."""
        return _admits_common_version(spec, self.versions)

    def admits(self, spec: str, version: str) -> bool:
        try:
            return SpecifierSet(spec.replace(" ", "")).contains(version, prereleases=True)
        except InvalidSpecifier:
            return True  # the bot cannot read it: assume it may


def pep440_spec(declaration) -> str:
    """A declaration's spec as PEP 440 (Poetry's `^1.2` is `>=1.2,<2`)."""
    if declaration.section.startswith("tool.poetry"):
        return pep440(declaration.spec)
    return declaration.spec


def _admits_common_version(first: str, second: str) -> bool:
    """Two specifier sets admit a common version. Probed at every bound either names and just around it (the
    two sets' clauses change truth only at those bounds); an unreadable spec may admit anything."""
    try:
        sets = [SpecifierSet(spec.replace(" ", "")) for spec in (first, second)]
    except InvalidSpecifier:
        return True
    probes = {Version("0")}
    for spec in sets:
        for clause in spec:
            try:
                release = Version(clause.version.removesuffix(".*")).release
            except InvalidVersion:
                return True
            for cut in range(1, len(release) + 1):
                head = list(release[:cut])
                probes |= {Version(".".join(map(str, head))), Version(".".join(map(str, head[:-1] + [head[-1] + 1])))}
                if head[-1] > 0:
                    probes.add(Version(".".join(map(str, head[:-1] + [head[-1] - 1]))))
            probes.add(Version(".".join(map(str, (*release, 1)))))
    return any(all(spec.contains(v, prereleases=True) for spec in sets) for v in probes)


@dataclass(frozen=True)
class BrokenRecipe:
    """A recipe folder whose recipe.toml does not load: listed as failed, never stopping other commands."""

    id: str
    reason: str


class OptionError(RecipeError, ValueError):
    """A recipe option set to a value the recipe does not declare (also a ValueError, as codemods raise)."""


OPTION_TYPES = {"bool": bool, "str": str, "int": int, "float": (int, float), "list": list}
_TYPE_WORDS = {"bool": "true or false", "str": "a string", "int": "an integer", "float": "a number",
               "list": "an array"}


@dataclass(frozen=True)
class OptionSpec:
    """A recipe option's declared type, default and (optionally) allowed values.

    recipe.toml declares `name = <default>` (the type is the default's) or
    `name = { type = "str", default = "strict", choices = ["strict", "auto"], help = "..." }`."""

    type: str
    default: Any
    choices: tuple[Any, ...] = ()
    help: str = ""

    def problem(self, value: Any) -> str:
        kind = OPTION_TYPES[self.type]
        if not isinstance(value, kind) or (self.type in ("int", "float") and isinstance(value, bool)):
            return f"must be {_TYPE_WORDS[self.type]}, got {value!r}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {', '.join(repr(c) for c in self.choices)}"
        return ""


def _type_name(value: Any) -> str:
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list)):
        if isinstance(value, kind):
            return name
    raise ValueError(f"unsupported option type {type(value).__name__}")


def _option_specs(raw: Any, where: str) -> dict[str, OptionSpec]:
    if not isinstance(raw, dict):
        raise RecipeError(f"{where}: [options] must be a table")
    specs = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"type", "default", "choices", "help"})
            if unknown or "default" not in value:
                raise RecipeError(f"{where}: options.{name}: a table needs 'default' and may have 'type', "
                                  f"'choices', 'help'" + (f" (unknown: {unknown[0]!r})" if unknown else ""))
            default = value["default"]
            declared = value.get("type")
            choices = value.get("choices", [])
            if not isinstance(choices, list):
                raise RecipeError(f"{where}: options.{name}.choices must be an array")
        else:
            default, declared, choices = value, None, []
        try:
            kind = declared or _type_name(default)
        except ValueError as exc:
            raise RecipeError(f"{where}: options.{name}: {exc}") from None
        if kind not in OPTION_TYPES:
            raise RecipeError(f"{where}: options.{name}.type must be one of {', '.join(OPTION_TYPES)}")
        spec = OptionSpec(kind, default, tuple(choices), str(value.get("help", "")) if isinstance(value, dict) else "")
        problem = spec.problem(default)
        if problem:
            raise RecipeError(f"{where}: options.{name}: default {problem}")
        specs[name] = spec
    return specs


def recipe_folders(dirs: Sequence[Path]) -> dict[str, Path]:
    """id -> folder of every recipe under dirs (a later dir overrides an earlier one's recipe of the same id)."""
    folders: dict[str, Path] = {}
    for base in dirs:
        if base.is_dir():
            for folder in sorted(p for p in base.iterdir() if (p / "recipe.toml").is_file()):
                folders[folder.name] = folder
    return folders


def load_option_specs(folder: Path) -> dict[str, OptionSpec]:
    """A recipe's declared options, from its recipe.toml alone (its codemod is not imported)."""
    return _option_specs(_read_recipe_toml(folder).get("options", {}), str(folder / "recipe.toml"))


def _read_recipe_toml(folder: Path) -> dict:
    try:
        return read_toml((folder / "recipe.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise RecipeError(f"{folder / 'recipe.toml'}: cannot load: {exc}") from None


def load_recipes(dirs: Sequence[Path], enabled: Sequence[str] = (),
                 broken: list[BrokenRecipe] | None = None) -> list[Recipe]:
    """Every recipe folder under dirs (a later dir overrides an earlier one's recipe of the same id).

    With `enabled`, only those recipes are loaded: a disabled recipe never breaks a run. With `broken`,
    a recipe that does not load is appended there instead of raising."""
    folders = recipe_folders(dirs)
    if enabled:
        missing = sorted(set(enabled) - set(folders))
        if missing:
            raise RecipeError(f"enabled-recipes: no recipe named {missing[0]!r} (have: {', '.join(sorted(folders))})")
    else:
        enabled = sorted(folders)
    if broken is None:
        return [load_recipe(folders[r]) for r in enabled]
    loaded = []
    for rid in enabled:
        try:
            loaded.append(load_recipe(folders[rid]))
        except RecipeError as exc:
            broken.append(BrokenRecipe(rid, str(exc)))
    return loaded


def load_recipe(folder: Path) -> Recipe:
    rid = folder.name
    where = f"{folder / 'recipe.toml'}"
    if not _ID.match(rid):
        raise RecipeError(f"{folder}: recipe folder name must be lowercase letters, digits, '.', '-'")
    data = _read_recipe_toml(folder)
    meta = data.get("recipe")
    if not isinstance(meta, dict):
        raise RecipeError(f"{where}: missing [recipe] table")
    for key in ("title", "package", "version", "codemod"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise RecipeError(f"{where}: recipe.{key} must be a non-empty string")
    unknown = sorted(set(data) - {"recipe", "options", "requirements", "also-from"})
    if unknown:
        raise RecipeError(f"{where}: unknown table {unknown[0]!r}")
    edits = tuple(_edit(e, where, i) for i, e in enumerate(data.get("requirements", [])))
    option_specs = _option_specs(data.get("options", {}), where)
    python_floor = meta.get("python-floor", "")
    if not isinstance(python_floor, str) or (python_floor and not re.fullmatch(r"3\.\d+", python_floor)):
        raise RecipeError(f"{where}: recipe.python-floor must be a Python version like \"3.9\"")
    if not edits:
        raise RecipeError(f"{where}: a recipe needs at least one [[requirements]] edit")
    imports = tuple(meta.get("imports", []))
    also_from = tuple(_also_from(raw, where, i) for i, raw in enumerate(data.get("also-from", [])))
    return Recipe(
        id=rid,
        folder=folder,
        title=meta["title"],
        package=canonicalize_name(meta["package"]),
        version=meta["version"],
        target_package=canonicalize_name(meta.get("target-package", meta["package"])),
        imports=imports,
        summary=meta.get("summary", ""),
        risk=tuple(meta.get("risk", [])),
        default_options={name: spec.default for name, spec in option_specs.items()},
        requirement_edits=edits,
        codemod_ref=_codemod_ref(folder, meta["codemod"], where),
        fingerprint=_fingerprint(folder),
        option_specs=option_specs,
        python_floor=python_floor,
        also_from=also_from,
    )


def _also_from(raw: Any, where: str, index: int) -> AlsoFrom:
    key = f"also-from[{index}]"
    if not isinstance(raw, dict):
        raise RecipeError(f"{where}: {key} must be a table")
    unknown = sorted(set(raw) - {"package", "versions", "requirements", "imports"})
    if unknown:
        raise RecipeError(f"{where}: {key}: unknown key {unknown[0]!r} (known: imports, package, requirements, versions)")
    for name in ("package", "versions"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise RecipeError(f"{where}: {key}.{name} must be a non-empty string")
    try:
        SpecifierSet(raw["versions"])
    except InvalidSpecifier:
        raise RecipeError(f"{where}: {key}.versions must be a version specifier like \"<2\", got "
                          f"{raw['versions']!r}") from None
    edits = raw.get("requirements")
    if not isinstance(edits, list) or not edits:
        raise RecipeError(f"{where}: {key}.requirements must be a non-empty array of edits (as [[requirements]])")
    imports = raw.get("imports", [canonicalize_name(raw["package"]).replace("-", "_")])
    return AlsoFrom(canonicalize_name(raw["package"]), raw["versions"],
                    tuple(_edit(e, where, i, f"{key}.requirements") for i, e in enumerate(edits)), tuple(imports))


def _edit(raw: Any, where: str, index: int, array: str = "requirements") -> RequirementEdit:
    key = f"{array}[{index}]"
    if not isinstance(raw, dict):
        raise RecipeError(f"{where}: {key} must be a table")
    action = raw.get("action")
    if action not in ACTIONS:
        raise RecipeError(f"{where}: {key}.action must be one of {', '.join(ACTIONS)}")
    if not raw.get("package"):
        raise RecipeError(f"{where}: {key}.package is required")
    if action == "replace" and not raw.get("new-package"):
        raise RecipeError(f"{where}: {key}.new-package is required for replace")
    if action in ("set", "add", "replace") and not raw.get("spec"):
        raise RecipeError(f"{where}: {key}.spec is required for {action}")
    return RequirementEdit(
        action=action,
        package=raw["package"],
        spec=raw.get("spec", ""),
        new_package=raw.get("new-package", ""),
        extras=tuple(raw.get("extras", ())),
    )


def _codemod_ref(folder: Path, ref: str, where: str) -> str:
    module_file, _, class_name = ref.partition(":")
    if not module_file.endswith(".py") or not class_name:
        raise RecipeError(f"{where}: recipe.codemod must look like 'codemod.py:ClassName'")
    if not (folder / module_file).is_file():
        raise RecipeError(f"{where}: codemod module {module_file} not found in {folder}")
    return ref


def _load_codemod(folder: Path, ref: str, where: str) -> type[Codemod]:
    module_file, _, class_name = ref.partition(":")
    # The folder is imported as a package so a codemod can import its sibling modules relatively.
    package = "upgrade_bot_recipe_" + re.sub(r"\W", "_", folder.name)
    if package not in sys.modules or list(sys.modules[package].__path__) != [str(folder)]:
        spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        sys.modules[package] = importlib.util.module_from_spec(spec)
        for name in [m for m in sys.modules if m.startswith(package + ".")]:
            del sys.modules[name]
    try:
        module = importlib.import_module(f"{package}.{module_file[:-3]}")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a broken recipe (sys.exit() at import too) must fail loudly, naming the file
        raise RecipeError(f"{folder / module_file}: import failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Codemod)):
        raise RecipeError(f"{folder / module_file}: {class_name} is not a bot.codemod.Codemod subclass")
    return cls


def _with_migration_map(codemod_class: type[Codemod], folder: Path) -> type[Codemod]:
    """A recipe's migration.toml drives the shared rules a codemod in the rule form lists last in its RULES
    (`*migration_rules(__file__)`); any other codemod could not run them, so the folder is refused."""
    from bot.analysis.migration_map import MIGRATION_FILE

    path = folder / MIGRATION_FILE
    if not path.is_file() or codemod_class is NoCodemod:
        return codemod_class
    from bot.change.engine import RuleCodemod
    if not issubclass(codemod_class, RuleCodemod):
        raise RecipeError(f"{path}: the shared rules it drives need a codemod in the rule form "
                          f"(bot.change.engine.RuleCodemod listing *migration_rules(__file__)); "
                          f"{codemod_class.__name__} is not one")
    return codemod_class


def _with_python_floor_rule(codemod_class: type[Codemod], recipe: Recipe) -> type[Codemod]:
    """A recipe whose target raised its Python floor lists the shared rule bound to it (bot.change.python_floor),
    so no service's older Python goes unsaid; a codemod that cannot run it is refused."""
    if not recipe.python_floor:
        return codemod_class
    from bot.change.engine import RuleCodemod
    from bot.change.python_floor import PythonFloorRule
    rules = codemod_class.RULES if issubclass(codemod_class, RuleCodemod) else ()
    if not any(issubclass(rule, PythonFloorRule) and rule.FLOOR == recipe.python_floor for rule in rules):
        raise RecipeError(f"{recipe.folder / 'recipe.toml'}: python-floor = \"{recipe.python_floor}\" needs the "
                          "shared rule in the codemod's RULES: `PythonFloor = python_floor_rule(\"ID\", __file__)` "
                          "(bot.change.python_floor) in a codemod in the rule form (bot.change.engine.RuleCodemod)")
    return codemod_class


_NOT_FINGERPRINTED = ("__pycache__", "fixtures")


def _fingerprint(folder: Path) -> str:
    """The recipe's files, fixtures and bytecode left out (every run computes it: those are never walked)."""
    files = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _NOT_FINGERPRINTED]
        files += [Path(top, name) for name in names
                  if name not in _NOT_FINGERPRINTED and os.path.isfile(os.path.join(top, name))]
    digest = hashlib.sha256()
    for path in sorted(files):  # Path order (by parts), which the fingerprints in open PRs were made with
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
