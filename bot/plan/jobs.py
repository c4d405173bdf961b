"""Which (service, recipe) jobs exist, their waves, and which of them a run may open now. Pure."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable, Collection, Mapping, Sequence

from bot.change.apply import MigrationError, apply_recipe
from bot.change.recipe import AlsoFrom, Recipe, pep440_spec
from bot.config import Config
from bot.discover.layout import is_root
from bot.discover.services import Service, Skipped
from bot.model import TIERS
from bot.refnames import ref_name_problem

DONE_STATES = ("merged", "closed")


@dataclass(frozen=True)
class Job:
    """One (service, recipe) pair to migrate, with its tier, wave and branch."""

    service: Service
    recipe: Recipe
    tier: str
    branch: str
    wave_number: int = 0  # 1-based, counting only the waves this plan has (one wave: "wave 1", whatever its tier)

    @property
    def key(self) -> str:
        return job_key(self.recipe.id, self.service)

    @property
    def blocked_reason(self) -> str:
        """Why this job can never get a PR until a human fixes the service ("" when it can).

        Reads and parses the service's sources (once per service): ask only about jobs without a PR."""
        problems = self.service.problems or self.service.source_problems()
        return problems[0] if problems else ""

    @property
    def wave(self) -> int:
        return TIERS.index(self.tier)

    @property
    def critical(self) -> bool:
        return self.tier == "critical"


@dataclass
class Plan:
    """The jobs of a run, and the folders it skipped or could not read."""

    jobs: list[Job]
    skipped: list[Skipped]
    not_applicable: list[Skipped] = field(default_factory=list)
    broken: list[Skipped] = field(default_factory=list)  # services whose dependencies could not be read
    warnings: list[str] = field(default_factory=list)  # configuration that names nothing (one line each)

    def waves(self) -> list[list[Job]]:
        by_wave: dict[int, list[Job]] = {}
        for job in self.jobs:
            by_wave.setdefault(job.wave, []).append(job)
        return [by_wave[w] for w in sorted(by_wave)]


def job_key(recipe_id: str, service: Service) -> str:
    """`<recipe>/<service key>`: the one name of a job in PR markers, status and branch names."""
    return "/".join(p for p in (recipe_id, service.key) if p)


ROOT_BRANCH_KEY = "root"


def branch_key(service: Service, root_beside_others: bool) -> str:
    """The service's part of its branch name. The repository root alone has none (`<prefix>/<recipe>`);
    beside other services it is `root`, since git cannot hold `<prefix>/<recipe>` and
    `<prefix>/<recipe>/<service>` at once (one ref would be a folder of the other)."""
    if is_root(service.path):
        return ROOT_BRANCH_KEY if root_beside_others else ""
    return service.key


def branch_name(prefix: str, recipe_id: str, service: Service, root_beside_others: bool = False) -> str:
    """`<prefix>/<recipe>/<branch key>` (see branch_key)."""
    return "/".join(p for p in (prefix, recipe_id, branch_key(service, root_beside_others)) if p)


def _colliding(services: Sequence[Service], root_beside_others: bool) -> dict[str, str]:
    """Services whose branches would clash (same key, or one key a folder of another: git cannot have
    both refs), by path -> one-line reason naming the other service."""
    by_key: dict[str, list[Service]] = {}
    keys = {service.path: branch_key(service, root_beside_others) for service in services}
    for service in services:
        by_key.setdefault(keys[service.path], []).append(service)
    out: dict[str, str] = {}

    def clash(service: Service, other: Service) -> None:
        out.setdefault(service.path, f"{service.path} and {other.path} would share branch names "
                                     f"(<prefix>/<recipe>/{keys[service.path]}): rename a folder, or change "
                                     f"`services` so their paths below the pattern differ")

    for service in services:
        parts = keys[service.path].split("/")
        ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
        for other in [*by_key[keys[service.path]], *(o for k in ancestors for o in by_key.get(k, []))]:
            if other.path != service.path:
                clash(service, other)
                clash(other, service)
    return out


def _keep_leading_folders(services: Sequence[Service], recipes: Sequence[Recipe], with_prs: Collection[str]) -> None:
    """Services under two patterns with the same key (`services/api` and `legacy/api` are both `api`) are
    told apart by their whole path (`services/api`, `legacy/api`): the leading folder stays in their
    branches and job keys. The one whose PRs were opened under the short key (the marker names its path)
    keeps it, so a service added later never moves an open PR to a second branch.

    The repository root goes by its project's name, which may be a sub-service's key too (a root project
    `api` beside `services/api`): unless its PRs hold that name, the root is then `root`, as in its branch."""
    by_key: dict[str, list[Service]] = {}
    for service in services:
        by_key.setdefault(service.key, []).append(service)
    for key, same in by_key.items():
        if len(same) < 2:
            continue
        paths_with_prs = {with_prs.get(f"{r.id}/{key}") for r in recipes} if isinstance(with_prs, Mapping) else set()
        keeper = next((s for s in same if s.path in paths_with_prs), None)
        below_root = [s for s in same if not is_root(s.path)]
        if keeper is None and len(below_root) == 1:
            keeper = below_root[0]
        for service in same:
            if service is not keeper:
                service.key = ROOT_BRANCH_KEY if is_root(service.path) else service.path


def make_plan(services: Sequence[Service], skipped: Sequence[Skipped], recipes: Sequence[Recipe],
              config: Config, with_prs: Collection[str] = ()) -> Plan:
    """with_prs: keys of jobs that have a bot PR (a mapping: to the service path their marker names);
    they stay in the plan after their upgrade landed, so waves, gates and the dashboard still see them."""
    jobs, not_applicable, broken = [], [], []
    seen_paths: set[str] = set()
    unique = [s for s in services if not (s.path in seen_paths or seen_paths.add(s.path))]
    _keep_leading_folders(unique, recipes, with_prs)
    root_beside_others = len(unique) > 1 and any(is_root(s.path) for s in unique)
    collisions = _colliding(unique, root_beside_others)
    for service in unique:
        if service.path in collisions:
            broken.append(Skipped(service.path, collisions[service.path]))
            continue
        matched = False
        for recipe in recipes:
            source = recipe.source_of(service)
            declared = service.depends_on(source.package) if source is not None else []
            key = job_key(recipe.id, service)
            if not declared and key in with_prs:
                declared = service.depends_on(recipe.target_package)
            if not declared:
                newer = _declared_past_old_releases(service, recipe)
                if newer:
                    matched = True
                    not_applicable.append(Skipped(service.path, f"{recipe.id}: {newer}"))
                continue
            matched = True
            if key not in with_prs and source is not None and _may_be_at_target(recipe, source, declared):
                unmigrated = _code_left_to_migrate(service, recipe, config, source.imports)
                if not unmigrated:  # someone bumped the pin and migrated the code: nothing left to do
                    not_applicable.append(Skipped(service.path, f"{recipe.id}: already at {recipe.version}"))
                    continue
                # someone bumped the pin by hand (or it admits the new version) but the code is unmigrated:
                # a job for the code
            branch = branch_name(config.branch_prefix, recipe.id, service, root_beside_others)
            problem = ref_name_problem(branch)
            if problem:  # refused now, not after its tests ran and the push failed
                broken.append(Skipped(service.path, f"{service.path}: the folder name cannot be part of the git "
                                                    f"branch {branch!r} (it has {problem}); rename the folder"))
                break
            tier = config.tiers.get(service.key) or config.tier_of(service.name)
            jobs.append(Job(service, recipe, tier, branch))
        if not matched and service.problems:
            broken.append(Skipped(service.path, service.problems[0]))
        elif not matched:
            names = ", ".join(r.package for r in recipes)
            not_applicable.append(Skipped(service.path, f"no recipe applies (depends on none of: {names})"))
    jobs.sort(key=lambda j: (j.wave, j.service.key, j.recipe.id))
    numbers = {wave: n for n, wave in enumerate(sorted({j.wave for j in jobs}), start=1)}
    jobs = [dataclasses.replace(j, wave_number=numbers[j.wave]) for j in jobs]
    return Plan(jobs, list(skipped), not_applicable, broken)


def _may_be_at_target(recipe: Recipe, source: AlsoFrom, declared: list) -> bool:
    """The service may already be on the recipe's version: its own package pinned to it exactly, or (a package
    the recipe also migrates from, `[[also-from]]`) a declaration admitting it (`aiomqtt`, `aiomqtt>=1.2`)."""
    if source.package != recipe.target_package:
        return False
    if not source.versions:
        return all(d.spec.replace(" ", "") == f"=={recipe.version}" for d in declared)
    return any(source.admits(pep440_spec(d), recipe.version) for d in declared)


def _declared_past_old_releases(service: Service, recipe: Recipe) -> str:
    """Why a service declaring a package the recipe also migrates from gets no job: its declaration admits
    none of the old releases ("" when it declares none of those packages)."""
    for source in recipe.also_from:
        for declaration in service.depends_on(source.package):
            return (f"{declaration.raw_name}{declaration.spec} ({declaration.file}:{declaration.line}) admits no "
                    f"release it migrates from ({source.package}{source.versions})")
    return ""


def _code_left_to_migrate(service: Service, recipe: Recipe, config: Config, imports: Sequence[str] = ()) -> bool:
    """Whether the recipe still rewrites code of a service whose pin is already at its version. Runs the
    codemod (pure, in memory) only for services whose sources mention one of the recipe's imports."""
    names = "|".join(re.escape(name) for name in (imports or recipe.imports))
    mentions = re.compile(rf"^\s*(?:import|from)\s+(?:{names})\b", re.M) if names else None
    if mentions is None or not any(mentions.search(service.files.get(path) or "")
                                   for path in service.files.paths() if path.endswith(".py")):
        return False
    try:
        changed = apply_recipe(service, recipe, config.recipe_options.get(recipe.id)).changed
        return any(path.endswith(".py") and path not in service.setup_files for path in changed)  # code, not pins
    except MigrationError:
        return True  # the job says what is wrong, as blocked


@dataclass
class Selection:
    """What a run does: `maintain` keeps existing PRs current, `open` may create new ones."""

    maintain: list[Job]
    open: list[Job]
    current_wave: int | None  # the wave number (1-based, as the waves run) the rollout is at; None when done
    blocked: list[str]  # why nothing (more) opens, one line each


GreenCheck = Callable[[list[Job]], "tuple[bool, str]"]


def _always_green(jobs: list[Job]) -> tuple[bool, str]:
    return True, ""


def select_jobs(plan: Plan, pr_states: Mapping[str, str], config: Config, *, all_waves: bool = False,
                is_green: GreenCheck = _always_green, blocked_reason: Callable[[Job], str] | None = None) -> Selection:
    """pr_states maps job key -> "open"/"merged"/"closed" for jobs that have a PR.

    is_green(jobs) says whether the base is green after those jobs' PRs were merged (and why not); it is
    asked once, about every wave done so far (the base tip holds all their merges), plus once per critical
    service done. blocked_reason(job): why a job without a PR can never get one ("" when it can)."""
    reason = blocked_reason or (lambda job: job.blocked_reason)
    maintain = [j for j in plan.jobs if pr_states.get(j.key) == "open"]
    candidates = [j for j in plan.jobs if j.key not in pr_states]
    if all(reason(j) for j in candidates):  # nothing could open, whatever the answer (the last wave is through):
        is_green = _always_green            # the gate is not asked, and nothing is said to be blocked by it
    blocked: list[str] = []
    current = None
    if not all_waves:
        done: list[Job] = []
        for wave_jobs in plan.waves():
            stuck = [j for j in wave_jobs if j.key not in pr_states and reason(j)]
            waited_for = [j for j in wave_jobs if pr_states.get(j.key) not in DONE_STATES
                          and (config.wait_for_blocked or j not in stuck)]
            if not waited_for:
                done += wave_jobs
                continue
            current = wave_jobs[0]
            later = [j for j in candidates if j.wave > current.wave]
            if later and not config.open_next_wave_early:
                blocked.append(f"wave {current.wave_number + 1}+ waits for wave {_name(current)} to be merged or closed")
                if stuck and config.wait_for_blocked:
                    blocked.append(_stuck_line(stuck, reason))
            if not config.open_next_wave_early:
                candidates = [j for j in candidates if j.wave == current.wave]
            break
        if done and not config.open_next_wave_early:  # nothing to ask when nothing waits for the answer
            green, why = is_green(done)
            if not green:
                blocked.insert(0, f"wave {_name(done[-1])} is merged but not green: {why}")
                candidates, current = [], done[-1]
    if not all_waves:
        candidates = _one_critical_service_at_a_time(plan, candidates, pr_states, blocked, is_green)
    candidates = _apply_limits(candidates, len(maintain), config, blocked)
    return Selection(maintain, candidates, None if current is None else current.wave_number, blocked)


def _name(job: Job) -> str:
    return f"{job.wave_number} ({job.tier})"


def _stuck_line(stuck: list[Job], reason: Callable[[Job], str]) -> str:
    """What a human has to do about jobs that can never get a PR as the base is."""
    items = "; ".join(f"{j.key} ({reason(j)})" for j in stuck[:5])
    more = f" and {len(stuck) - 5} more" if len(stuck) > 5 else ""
    return (f"{len(stuck)} job(s) can never get a PR until fixed on the base: {items}{more}. Fix them and "
            f"run again, or set `wait-for-blocked = false` to let later waves go without them")


def _one_critical_service_at_a_time(plan: Plan, candidates: list[Job], pr_states: Mapping[str, str],
                                    blocked: list[str], is_green: GreenCheck) -> list[Job]:
    in_flight = _critical_service_in_flight(plan, pr_states, is_green, blocked)
    waiting = sorted({j.service.key for j in candidates if j.critical})
    allowed = {in_flight} if in_flight else set(waiting[:1])
    held = [name for name in waiting if name not in allowed]
    if held:
        blocked.append(f"critical services go one at a time: {', '.join(held)} wait for "
                       f"{', '.join(sorted(allowed))}")
    return [j for j in candidates if not j.critical or j.service.key in allowed]


def _critical_service_in_flight(plan: Plan, pr_states: Mapping[str, str], is_green: GreenCheck,
                                blocked: list[str]) -> str | None:
    """A critical service with some PR opened and not all of its PRs merged or closed, or merged but not green."""
    by_service: dict[str, list[Job]] = {}
    for job in plan.jobs:
        if job.critical:
            by_service.setdefault(job.service.key, []).append(job)
    for name, jobs in sorted(by_service.items()):
        states = [pr_states.get(j.key) for j in jobs]
        if not any(s is not None for s in states):
            continue
        if not all(s in DONE_STATES for s in states):
            return name
        green, why = is_green(jobs)
        if not green:
            blocked.append(f"critical service {name} is merged but not green: {why}")
            return name
    return None


def _apply_limits(candidates: list[Job], open_count: int, config: Config, blocked: list[str]) -> list[Job]:
    limit = len(candidates)
    if config.max_open_prs:
        limit = min(limit, max(0, config.max_open_prs - open_count))
    if config.max_prs_per_run:
        limit = min(limit, config.max_prs_per_run)
    if limit < len(candidates):
        blocked.append(f"limits hold back {len(candidates) - limit} PR(s) "
                       f"(max-open-prs={config.max_open_prs or 'none'}, "
                       f"max-prs-per-run={config.max_prs_per_run or 'none'})")
    return candidates[:limit]
