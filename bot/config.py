"""upgrade-bot.toml (or [tool.upgrade-bot] in pyproject.toml), validated into a frozen Config."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from tomlkit.exceptions import TOMLKitError

from bot.bundled import bundled
from bot.change.recipe import DISABLE_OPTION, RecipeError, disable_problem, load_option_specs, load_recipe
from bot.change.recipe_sources import installed_recipe_dirs
from bot.errors import ConfigError
from bot.model import TIERS
from bot.refnames import ref_name_problem
from bot.reviewers import spelling_problem
from bot.declared.toml_data import read_toml

CONFIG_FILE = "upgrade-bot.toml"
BUNDLED_RECIPES = bundled("recipes")


@dataclass(frozen=True)
class Identity:
    """The author and committer of the bot's commits."""

    name: str = "upgrade-bot"
    email: str = "upgrade-bot@users.noreply.local"


@dataclass(frozen=True)
class CheckConfig:
    """One configured check: its name, the command it runs and its time limit."""

    name: str
    command: tuple[str, ...]
    timeout: float = 600.0


@dataclass(frozen=True)
class CheckEnvSettings:
    """[check-env] / [service-check-env.<name>]: how a service's test environment is made; it wins over what
    the bot finds in the service (bot.validation.test_deps)."""

    requirements: tuple[str, ...] = ()  # files, relative to the service
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    python: str = ""
    install_project: bool | None = None  # None: when the service is a package


@dataclass(frozen=True)
class Config:
    """The settings of upgrade-bot.toml, defaults filled in."""

    source: str  # the file the settings came from ("" = defaults)
    services: tuple[str, ...] = ("services/*",)
    services_configured: bool = False  # False: bot.discover.layout picks services/* or the repository root
    base_branch: str = "main"
    branch_prefix: str = "upgrade-bot"
    # bundled, then registered packages' (bot.change.recipe_sources), then recipe-dirs: a later one's recipe wins
    recipe_dirs: tuple[Path, ...] = field(default_factory=installed_recipe_dirs)
    repo_recipe_dirs: tuple[Path, ...] = ()  # the recipe-dirs part of recipe_dirs
    tiers: Mapping[str, str] = field(default_factory=dict)
    default_tier: str = "medium"
    labels: tuple[str, ...] = ("dependencies", "upgrade-bot")
    reviewers: tuple[str, ...] = ()  # GitHub users and `org/team` (bot.reviewers)
    draft: bool = False  # open PRs as drafts (where the forge offers them)
    identity: Identity = Identity()
    recipe_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    enabled_recipes: tuple[str, ...] = ()  # empty = all found
    forge: str = "local"
    github_repository: str = ""
    checks: tuple[CheckConfig, ...] = ()
    service_checks: Mapping[str, tuple[CheckConfig, ...]] = field(default_factory=dict)
    check_env: CheckEnvSettings | None = None  # [check-env]: how every service's test environment is made
    service_check_env: Mapping[str, CheckEnvSettings] = field(default_factory=dict)  # [service-check-env.<name>]
    open_next_wave_early: bool = False
    untested_is_green: bool = False  # a service whose checks ran no test counts as green for the gate
    wait_for_blocked: bool = True  # later waves wait for jobs that can never get a PR until fixed
    max_open_prs: int = 0  # 0 = unlimited
    max_prs_per_run: int = 0
    rebase_on_any_base_move: bool = False  # False: only a change inside a service regenerates its PRs

    def tier_of(self, service: str) -> str:
        return self.tiers.get(service, self.default_tier)

    def check_env_for(self, service: str) -> CheckEnvSettings | None:
        return self.service_check_env.get(service) or self.check_env


_KNOWN_KEYS = {
    "services", "base-branch", "branch-prefix", "recipe-dirs", "tiers", "default-tier", "labels",
    "reviewers", "identity", "recipes", "enabled-recipes", "forge", "github-repository", "checks",
    "service-checks", "open-next-wave-early", "max-open-prs", "max-prs-per-run", "untested-is-green",
    "wait-for-blocked", "rebase-on-any-base-move", "check-env", "service-check-env", "draft",
}


def load_config(repo_root: Path) -> Config:
    """Read the repo's config; no config file at all means the defaults."""
    path = repo_root / CONFIG_FILE
    if path.is_file():
        return parse_config(_read_toml(path), CONFIG_FILE, repo_root)
    pyproject = repo_root / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        if not isinstance(tool, Mapping):
            raise ConfigError("pyproject.toml", "tool", "must be a table ([tool])")
        table = tool.get("upgrade-bot")
        if table is not None:
            if not isinstance(table, Mapping):
                raise ConfigError("pyproject.toml", "tool.upgrade-bot", "must be a table ([tool.upgrade-bot])")
            return parse_config(table, "pyproject.toml [tool.upgrade-bot]", repo_root)
    return Config(source="")


def _read_toml(path: Path) -> dict:
    try:
        return read_toml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path.name, "", f"cannot read: {exc}") from None
    except TOMLKitError as exc:
        raise ConfigError(path.name, "", f"invalid TOML: {exc}") from None


def parse_config(data: Mapping[str, Any], source: str, repo_root: Path) -> Config:
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(source, unknown[0], f"unknown key (known: {', '.join(sorted(_KNOWN_KEYS))})")
    get = _Getter(data, source)
    tiers = get.table("tiers")
    for service, tier in tiers.items():
        if tier not in TIERS:
            raise ConfigError(source, f"tiers.{service}", f"{tier!r} is not one of {', '.join(TIERS)}")
    default_tier = get.str("default-tier", "medium")
    if default_tier not in TIERS:
        raise ConfigError(source, "default-tier", f"{default_tier!r} is not one of {', '.join(TIERS)}")
    identity = get.table("identity")
    _no_unknown_keys(identity, {"name", "email"}, source, "identity")
    extra_dirs = tuple((repo_root / d).resolve() for d in get.str_list("recipe-dirs"))
    for d in extra_dirs:
        if not d.is_dir():
            raise ConfigError(source, "recipe-dirs", f"{d} is not a directory")
    recipes = _recipe_tables(get.table("recipes"), source)
    forge = get.str("forge", "local")
    if forge not in ("local", "github"):
        raise ConfigError(source, "forge", f"{forge!r} is not 'local' or 'github'")
    service_checks_raw = get.table("service-checks")
    reviewers = get.str_list("reviewers")
    for name in reviewers:
        if spelling_problem(name):
            raise ConfigError(source, "reviewers", spelling_problem(name))
    for key in ("branch-prefix", "base-branch"):
        problem = ref_name_problem(get.str(key, "x").strip("/"))
        if problem:
            raise ConfigError(source, key, f"not a valid git branch name (it has {problem})")
    return Config(
        source=source,
        services=tuple(get.str_or_list("services", ["services/*"])),
        services_configured="services" in data,
        base_branch=get.str("base-branch", "main"),
        branch_prefix=get.str("branch-prefix", "upgrade-bot").strip("/"),
        recipe_dirs=(*installed_recipe_dirs(), *extra_dirs),
        repo_recipe_dirs=extra_dirs,
        tiers=dict(tiers),
        default_tier=default_tier,
        labels=tuple(get.str_list("labels", ["dependencies", "upgrade-bot"])),
        reviewers=tuple(reviewers),
        draft=get.bool("draft", False),
        identity=Identity(
            name=_typed(identity.get("name", Identity.name), str, source, "identity.name"),
            email=_typed(identity.get("email", Identity.email), str, source, "identity.email"),
        ),
        recipe_options={k: dict(v) for k, v in recipes.items()},
        enabled_recipes=tuple(get.str_list("enabled-recipes")),
        forge=forge,
        github_repository=get.str("github-repository", ""),
        checks=_checks(data.get("checks", []), source, "checks"),
        service_checks={
            svc: _checks(v, source, f"service-checks.{svc}") for svc, v in service_checks_raw.items()
        },
        check_env=_check_env(get.table("check-env"), source, "check-env") if "check-env" in data else None,
        service_check_env={svc: _check_env(v, source, f"service-check-env.{svc}")
                           for svc, v in get.table("service-check-env").items()},
        open_next_wave_early=get.bool("open-next-wave-early", False),
        untested_is_green=get.bool("untested-is-green", False),
        wait_for_blocked=get.bool("wait-for-blocked", True),
        max_open_prs=get.int("max-open-prs", 0),
        max_prs_per_run=get.int("max-prs-per-run", 0),
        rebase_on_any_base_move=get.bool("rebase-on-any-base-move", False),
    )


def _checks(raw: Any, source: str, key: str) -> tuple[CheckConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError(source, key, "must be an array of tables {name, command, timeout}")
    out = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, Mapping) or "command" not in item or "name" not in item:
            raise ConfigError(source, where, "needs 'name' and 'command'")
        _no_unknown_keys(item, {"name", "command", "timeout"}, source, where)
        command = item["command"]
        if isinstance(command, str):
            command = command.split()
        if not command or not all(isinstance(c, str) for c in command):
            raise ConfigError(source, f"{where}.command", "must be a non-empty string or array of strings")
        timeout = item.get("timeout", 600)
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(source, f"{where}.timeout", "must be a positive number of seconds")
        out.append(CheckConfig(str(item["name"]), tuple(command), float(timeout)))
    return tuple(out)


def _check_env(raw: Any, source: str, key: str) -> CheckEnvSettings:
    """requirements (files, relative to the service), extras, groups, python, install-project."""
    if not isinstance(raw, Mapping):
        raise ConfigError(source, key, "must be a table {requirements, extras, groups, python, install-project}")
    _no_unknown_keys(raw, {"requirements", "extras", "groups", "python", "install-project"}, source, key)
    get = _Getter(raw, source)
    install = raw.get("install-project")
    return CheckEnvSettings(
        requirements=tuple(get.str_list("requirements")), extras=tuple(get.str_list("extras")),
        groups=tuple(get.str_list("groups")), python=get.str("python", ""),
        install_project=None if install is None else _typed(install, bool, source, f"{key}.install-project"))


def _no_unknown_keys(table: Mapping[str, Any], known: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(source, f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(known))})")


def _recipe_tables(raw: Mapping[str, Any], source: str) -> dict[str, dict]:
    """recipe id -> options. An unquoted `[recipes.tenacity-9.1.2]` is read by TOML as nested tables
    (tenacity-9 -> 1 -> 2); a chain of tables holding only tables is joined back with dots, which is
    unambiguous because recipe options are never tables."""
    out: dict[str, dict] = {}
    pending = [(str(k), v) for k, v in raw.items()]
    while pending:
        rid, value = pending.pop(0)
        if not isinstance(value, Mapping):
            raise ConfigError(source, f"recipes.{rid}", "must be a table of recipe options")
        if value and all(isinstance(v, Mapping) for v in value.values()):
            pending += [(f"{rid}.{k}", v) for k, v in value.items()]
            continue
        if rid in out:
            raise ConfigError(source, f'recipes."{rid}"', "set twice (quoted and unquoted)")
        out[rid] = dict(value)
    return out


def check_recipe_settings(config: Config, folders: Mapping[str, Path]) -> None:
    """Every [recipes."<id>"] names a recipe folder, and each option has the type recipe.toml declares
    (enabled or not: a typo must not wait until the recipe is switched on). A recipe whose recipe.toml
    does not load is skipped: its own jobs fail with that reason, and every other command still works."""
    for rid, options in config.recipe_options.items():
        key = f'recipes."{rid}"'
        if rid not in folders:
            raise ConfigError(config.source, key, f"no such recipe (have: {', '.join(sorted(folders)) or 'none'})")
        try:
            specs = load_option_specs(folders[rid])
        except RecipeError:
            continue
        for name, value in options.items():
            spec = specs.get(name)
            if name == DISABLE_OPTION and spec is None:
                problem = _disable_problem(rid, folders[rid], value)
            else:
                problem = spec.problem(value) if spec else f"unknown option (known: {', '.join(sorted(specs)) or 'none'})"
            if problem:
                raise ConfigError(config.source, f"{key}.{name}", problem)


def _disable_problem(recipe_id: str, folder: Path, value: Any) -> str:
    """`disable` names rules, so the recipe's rule module is imported (only when the option is set); a
    recipe whose code does not import is left to fail its own jobs, as any broken recipe does."""
    try:
        recipe = load_recipe(folder)
        rules = recipe.rules() if recipe.in_rule_form() else None
        retired = recipe.retired_rules()
    except RecipeError:
        return ""
    return disable_problem(recipe_id, rules, value, retired)


def check_service_names(config: Config, names: set[str]) -> list[str]:
    """[tiers] and [service-checks] keys that name no service (by folder name or repo path).

    One that looks like a typo of a real service is an error (a critical service would silently get
    the default tier); any other (a service since removed) is returned as a one-line warning."""
    warnings = []
    for table, keys in (("tiers", config.tiers), ("service-checks", config.service_checks),
                        ("service-check-env", config.service_check_env)):
        for service in sorted(set(keys) - names):
            import difflib  # only for a key that names no service: a valid config never loads it
            close = difflib.get_close_matches(service, sorted(names), n=1, cutoff=0.8)
            if close:
                raise ConfigError(config.source, f"{table}.{service}", f"no such service; did you mean {close[0]!r}?")
            warnings.append(f"{config.source}: {table}.{service}: no such service (ignored)")
    return warnings


def _typed(value: Any, kind: type, source: str, key: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {int: "an integer", str: "a string", bool: "true or false"}
        raise ConfigError(source, key, f"must be {names.get(kind, kind.__name__)}, got {type(value).__name__}")
    return value


class _Getter:
    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data, self.source = data, source

    def str(self, key: str, default: str) -> str:
        return _typed(self.data.get(key, default), str, self.source, key)

    def bool(self, key: str, default: bool) -> bool:
        return _typed(self.data.get(key, default), bool, self.source, key)

    def int(self, key: str, default: int) -> int:
        value = _typed(self.data.get(key, default), int, self.source, key)
        if value < 0:
            raise ConfigError(self.source, key, "must be >= 0")
        return value

    def str_list(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.data.get(key, default or [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(self.source, key, "must be an array of strings")
        return value

    def str_or_list(self, key: str, default: list[str]) -> list[str]:
        value = self.data.get(key, default)
        return [value] if isinstance(value, str) else self.str_list(key, default)

    def table(self, key: str) -> dict:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise ConfigError(self.source, key, "must be a table")
        return dict(value)
