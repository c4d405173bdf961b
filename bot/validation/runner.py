"""Runs a service's checks on the base commit and on the PR head, and says what changed.

Results are cached under .git/upgrade-bot/validation by (service tree, checks): a service whose files
did not change is never tested twice, however often its branch is regenerated."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from typing import Callable

from bot.change.apply import ServiceChange
from bot.config import Config
from bot.declared.compile_header import header_command
from bot.errors import ConfigError
from bot.gitops import GitRepo
from bot.plan.jobs import Job
from bot.publish.pr_content import Validation
from bot.publish.render import render
from bot.validation import (DEFAULT_CHECKS, CheckRun, CheckSpec, Comparison, EnvBuildError, TestOutcome, compare,
                            ensure_env, requirement_sources, run_checks)
from bot.validation.envs import CACHE_DIR_VARIABLE, default_cache_dir
from bot.validation.exercised import exercising_tests
from bot.validation.locked import pinned_by
from bot.validation.python_version import choose_python
from bot.validation.verdict import NOT_VALIDATED, Verdict, judge, not_validated, unverified_tests

MAX_LISTED = 25  # newly failing tests named in a PR body; the rest are counted
# Bump when what an env holds for the same tree changes (v2: locked versions), so old results are not reused.
RESULTS_SCHEMA = 2


class CheckRunner:
    """Check results for one service directory at one commit, cached by the service's git tree."""

    def __init__(self, repo: GitRepo, config: Config, step: Callable[[str], None] | None = None) -> None:
        self.repo, self.config = repo, config
        self.step = step or (lambda message: None)  # "<service>: <what starts now>", for progress output
        self.cache_dir = repo.state_dir / "validation"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        check_env_cache()
        self.pythons: dict[tuple[str, str], str] = {}  # (service path, sha) -> which Python ran the checks

    def specs(self, service: str) -> list[CheckSpec]:
        configured = self.config.service_checks.get(service) or self.config.checks
        if not configured:
            return list(DEFAULT_CHECKS)
        return [CheckSpec(c.name, list(c.command), c.timeout) for c in configured]

    def results(self, service: str, service_path: str, sha: str, label: str = "") -> list[CheckRun]:
        specs = self.specs(service)
        tree = self.repo.repo.rev_parse(f"{sha}^{{tree}}" if service_path == "." else f"{sha}:{service_path}").hexsha
        key = hashlib.sha256(json.dumps([RESULTS_SCHEMA, tree, [dataclasses.asdict(s) for s in specs]]).encode()).hexdigest()[:24]
        cached = self.cache_dir / f"{key}.json"
        stored = json.loads(cached.read_text()) if cached.exists() else None
        if isinstance(stored, dict):  # {"runs": [...], "python": which interpreter ran them}
            self.pythons[(service_path, sha)] = stored["python"]
            return [_run_from_json(r) for r in stored["runs"]]
        with self.repo.temporary_worktree(sha) as checkout:
            service_dir = checkout / service_path
            self.step(f"{service}: environment for {label or sha[:12]} (built once, then cached)")
            try:
                choice = choose_python(service_dir)
                sources = requirement_sources(service_dir)
                python = ensure_env(sources, python=choice.path)
            except EnvBuildError as exc:  # name files as the repository does, not the temporary checkout
                raise EnvBuildError(str(exc).replace(f"{checkout}/", "")) from exc
            self.step(f"{service}: testing {label or sha[:12]}")
            runs = run_checks(service_dir, python, specs)
            environment = " ".join(filter(None, [choice.describe(), pinned_by(sources, _compiled(sources))]))
        cached.write_text(json.dumps({"runs": [dataclasses.asdict(r) for r in runs], "python": environment}))
        self.pythons[(service_path, sha)] = environment
        return runs


def check_env_cache() -> None:
    """The environment cache must be a writable directory: say so once, up front, not as a traceback."""
    cache = default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=cache).close()
    except OSError as exc:
        raise ConfigError(str(cache), "", f"unusable as the environment cache (${CACHE_DIR_VARIABLE}, default "
                                          f"~/.cache/upgrade-bot/envs): {exc.strerror or exc}") from None


class CheckValidator:
    def __init__(self, checks: CheckRunner) -> None:
        self.checks = checks

    def validate(self, job: Job, base_sha: str, head_sha: str, change: ServiceChange | None = None) -> Validation:
        """change: what the branch holds (which test modules exercise it); None judges without knowing."""
        try:
            before = self.checks.results(job.service.name, job.service.path, base_sha, "the base")
            after = self.checks.results(job.service.name, job.service.path, head_sha, "the branch")
        except EnvBuildError as exc:
            verdict = not_validated(f"building the test environment failed: {exc}")
            return Validation(render_verdict(verdict), verdict)
        comparison = compare(before, after)
        exercising = None
        if change is not None:
            exercising = exercising_tests({**job.service.files, **change.changed}, change.changed, job.recipe.imports)
        verdict = judge(before, after, exercising, comparison)
        python = self.checks.pythons.get((job.service.path, head_sha), "")
        summary = render_comparison(comparison, before, after, verdict, unverified_tests(before, exercising))
        return Validation(summary + (f"\n\n{python}" if python else ""), verdict)


class SkippedValidator:
    def validate(self, job: Job, base_sha: str, head_sha: str, change: ServiceChange | None = None) -> Validation:
        return Validation("", Verdict(NOT_VALIDATED, "`--skip-checks`: no test ran on the base or on this branch",
                                      "run the bot without `--skip-checks`, or review the change by hand"),
                          skipped=True)


def render_verdict(verdict: Verdict) -> str:
    return render("verdict.md.j2", verdict=verdict)


def render_comparison(comparison: Comparison, before: list[CheckRun], after: list[CheckRun], verdict: Verdict,
                      unverified: list[TestOutcome] | None = None) -> str:
    return render("validation_details.md.j2", c=comparison, max_listed=MAX_LISTED, before=before, after=after,
                  verdict_section=render_verdict(verdict), unverified=unverified or [])


def _compiled(sources: list) -> list:
    """The requirement files pip-compile (or uv pip compile) generated: already the locked versions."""
    return [path for path in sources if path.suffix == ".txt"
            and header_command(path.read_text(encoding="utf-8", errors="replace")) is not None]


def _run_from_json(data: dict) -> CheckRun:
    outcomes = {k: TestOutcome(**v) for k, v in data.pop("outcomes").items()}
    return CheckRun(outcomes=outcomes, **data)
