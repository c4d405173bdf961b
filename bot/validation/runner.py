"""Runs a service's checks on the base commit and on the PR head, and says what changed.

Results are cached under .git/upgrade-bot/validation by (service tree, checks): a service whose files
did not change is never tested twice, however often its branch is regenerated."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Callable

from bot.change.apply import ServiceChange
from bot.config import Config
from bot.errors import ConfigError
from bot.gitops import GitRepo
from bot.killpoints import kill_point
from bot.plan.jobs import Job
from bot.publish.pr_content import Validation
from bot.publish.render import render
from bot.validation.base_release import base_release_note
from bot.validation.checks import DEFAULT_CHECKS, CheckRun, CheckSpec, TestOutcome, run_checks
from bot.validation.compare import Comparison, compare
from bot.validation.checkout import SharedCheckout
from bot.validation.conflicts import Diagnosis
from bot.validation.environment import import_check, service_environment
from bot.validation.envs import CACHE_DIR_VARIABLE, EnvBuildError, Interpreter, default_cache_dir
from bot.validation.exercised import exercising_tests
from bot.validation.prefetch import BRANCH, EnvPrefetch
from bot.validation.python_version import MAX_ATTEMPTS, python_plan
from bot.validation.verdict import (FAILING, MAX_FAILURES, Verdict, judge, not_validated,
                                    unverified_tests)

MAX_LISTED = 25  # newly failing tests named in a PR body; the rest are counted
# Bump when what an env holds for the same tree changes (v2: locked versions; v3: the project installed, test
# dependencies by source, the Python by declaration; v4: every extra when CI installs them all), so old results
# are not reused.
RESULTS_SCHEMA = 4


class NotChecked(Exception):
    """A read-only runner was asked for check results no run has stored yet."""


class CheckRunner:
    """Check results for one service directory at one commit, cached by the service's git tree.

    cached_only: never build an environment or run a check (`status`: read-only and cheap); results no run
    has stored raise NotChecked."""

    def __init__(self, repo: GitRepo, config: Config, step: Callable[[str], None] | None = None,
                 cached_only: bool = False) -> None:
        self.repo, self.config = repo, config
        self.step = step or (lambda message: None)  # "<service>: <what starts now>", for progress output
        self.cached_only = cached_only
        self.cache_dir = repo.state_dir / "validation"
        if not cached_only:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            check_env_cache()
        self.pythons: dict[tuple[str, str], str] = {}  # (service path, sha) -> the environment, in the PR's words
        self.interpreters: dict[tuple[str, str], Interpreter] = {}  # (service path, sha) -> the Python that ran
        self.installed: dict[tuple[str, str], dict[str, str]] = {}  # what the environment held (with `imports`)
        self.diagnoses: dict[tuple[str, str], Diagnosis] = {}  # the migrated package does not import: why
        # the Pythons left for the next one because every test errored there the same way, and that error
        self.abandoned: dict[tuple[str, str], tuple[tuple[Interpreter, str], ...]] = {}
        self.checkout = SharedCheckout(repo)  # every check run's, switched from commit to commit

    def specs(self, service: str) -> list[CheckSpec]:
        configured = self.config.service_checks.get(service) or self.config.checks
        if not configured:
            return list(DEFAULT_CHECKS)
        return [CheckSpec(c.name, list(c.command), c.timeout) for c in configured]

    def results(self, service: str, service_path: str, sha: str, label: str = "",
                prefer: Interpreter | None = None, imports: tuple[str, ...] = ()) -> list[CheckRun]:
        """prefer: the interpreter to try first (the one the branch ran on, so the base runs on it too).
        imports: distributions whose import is checked in the environment (the migrated ones), and diagnosed
        when it fails (bot.validation.conflicts)."""
        specs = self.specs(service)
        tree = self.repo.repo.rev_parse(f"{sha}^{{tree}}" if service_path == "." else f"{sha}:{service_path}").hexsha
        settings = self.config.check_env_for(service)
        # Results are the tree's, on the Python its declaration picks; a base run on the branch's Python is the
        # same result when that is the Python the base picks too (the usual case), so the gate reuses it.
        identity = [RESULTS_SCHEMA, tree, [dataclasses.asdict(s) for s in specs], repr(settings)]
        default = self.cache_dir / f"{_digest(identity)}.json"
        preferred = self.cache_dir / f"{_digest([*identity, prefer.key_text])}.json" if prefer else None
        for cached in filter(None, (default, preferred)):
            stored = json.loads(cached.read_text()) if cached.exists() else None
            if isinstance(stored, dict) and "interpreter" in stored and (
                    prefer is None or _interpreter(stored).key_text == prefer.key_text):
                self.pythons[(service_path, sha)] = stored["python"]
                self.interpreters[(service_path, sha)] = _interpreter(stored)
                self.installed[(service_path, sha)] = stored.get("installed", {})
                if stored.get("diagnosis"):
                    self.diagnoses[(service_path, sha)] = Diagnosis(**stored["diagnosis"])
                self.abandoned[(service_path, sha)] = tuple((_interpreter({"interpreter": entry[:4]}), entry[4])
                                                            for entry in stored.get("abandoned", ()))
                return [_run_from_json(r) for r in stored["runs"]]
        if self.cached_only:
            raise NotChecked(f"{service} at {sha[:12]}")
        with self.checkout.at(sha) as checkout:
            kill_point("validating")
            service_dir = checkout / service_path
            earlier: tuple[tuple[Interpreter, str], ...] = ()
            first = None
            while True:
                self.step(f"{service}: environment for {label or sha[:12]} (built once, then cached)")
                with service_environment(service_dir, settings, prefer, earlier=earlier) as prepared:
                    self.step(f"{service}: testing {label or sha[:12]}")
                    runs = run_checks(service_dir, prepared.python, specs)
                    probe, diagnosis = import_check(prepared, list(imports))
                unusable = python_unusable(runs)
                if first is not None and unusable == first[4]:  # the same error everywhere: not the Python's doing
                    prepared, runs, probe, diagnosis, _ = first
                    break
                first = first or (prepared, runs, probe, diagnosis, unusable)
                if not unusable or prefer is not None or len(earlier) + 1 >= MAX_ATTEMPTS \
                        or not more_pythons(service_dir, settings, (*earlier, (prepared.interpreter, unusable))):
                    break
                earlier = (*earlier, (prepared.interpreter, unusable))
            interpreter = prepared.interpreter
            own_choice = python_plan(service_dir, settings.python if settings else "").candidates[:1]
        abandoned = tuple((i, why) for i, why in earlier if i.key_text != interpreter.key_text)
        record = json.dumps({"runs": [dataclasses.asdict(r) for r in runs], "python": prepared.description,
                             "interpreter": [str(interpreter.path), interpreter.implementation,
                                             interpreter.version, interpreter.machine],
                             "installed": probe.installed,
                             "diagnosis": dataclasses.asdict(diagnosis) if diagnosis else None,
                             "abandoned": [[str(i.path), i.implementation, i.version, i.machine, why]
                                           for i, why in abandoned]})
        if preferred is not None:
            preferred.write_text(record)
        if preferred is None or (own_choice and own_choice[0].key_text == interpreter.key_text and not earlier):
            default.write_text(record)
        self.installed[(service_path, sha)] = probe.installed
        if diagnosis is not None:
            self.diagnoses[(service_path, sha)] = diagnosis
        self.pythons[(service_path, sha)] = prepared.description
        self.interpreters[(service_path, sha)] = interpreter
        self.abandoned[(service_path, sha)] = abandoned
        return runs


def _digest(identity: list) -> str:
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:24]


def _interpreter(stored: dict) -> Interpreter:
    path, implementation, version, machine = stored["interpreter"]
    return Interpreter(Path(path), implementation, version, machine)


def python_unusable(runs: list[CheckRun]) -> str:
    """Why these runs say nothing about the code on this Python: no test passed and every test errored the
    same way, as when the suite needs a newer Python than the service declares (`enum.StrEnum` on 3.10)."""
    outcomes = [o for run in runs for o in run.outcomes.values()]
    if not outcomes or any(o.outcome != "error" for o in outcomes):
        return ""
    messages = {o.message.splitlines()[-1].strip() if o.message else "" for o in outcomes}
    if len(messages) != 1 or not next(iter(messages)):
        return ""
    return f"every test errors there ({next(iter(messages))})"


def more_pythons(service_dir: Path, settings, earlier: tuple[tuple[Interpreter, str], ...]) -> bool:
    tried = {interpreter.key_text for interpreter, _ in earlier}
    plan = python_plan(service_dir, settings.python if settings else "")
    return any(c.key_text not in tried for c in plan.candidates)


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
        self.prefetch = EnvPrefetch(checks.repo.git_dir, checks.config.check_env_for)
        self.expected: tuple[list[tuple[str, str]], str] | None = None
        self.places: dict[str, int] = {}  # job key -> its place in this run's validations

    def expect(self, jobs: list[Job], base_sha: str) -> None:
        """The jobs this run will validate: their base environments are built in the background from the first
        validation on (not before: the codemod workers are forked first, and a fork must not copy a thread)."""
        self.expected = ([(job.service.name, job.service.path) for job in jobs], base_sha)
        self.places = {job.key: place for place, job in enumerate(jobs)}

    def upcoming(self, job: Job, base_sha: str, changed: dict[str, str]) -> None:
        """A job's branch is known (its codemod and locks are done) before its validation: its environment is built
        in the background, before its base's, while earlier jobs' tests run."""
        place = self.places.get(job.key)
        if place is not None:
            self.prefetch.want((place, 0), job.service.name, job.service.path, base_sha, BRANCH, changed)

    def finish(self) -> None:
        self.prefetch.stop()
        self.expected, self.places = None, {}
        self.checks.checkout.close()

    def validate(self, job: Job, base_sha: str, head_sha: str, change: ServiceChange | None = None) -> Validation:
        """change: what the branch holds (which test modules exercise it); None judges without knowing."""
        if self.expected is not None:
            self.prefetch.start(*self.expected)
            self.expected = None
        try:
            # the branch first: the base then runs on the Python the branch installs on, so both sides compare
            migrated = migrated_distributions(job)
            after = self.checks.results(job.service.name, job.service.path, head_sha, "the branch", imports=migrated)
            ran = self.checks.interpreters.get((job.service.path, head_sha))
            before = self.checks.results(job.service.name, job.service.path, base_sha, "the base", prefer=ran,
                                         imports=migrated)
        except EnvBuildError as exc:
            verdict = not_validated(f"building the test environment failed: {exc}")
            return Validation(render_verdict(verdict), verdict)
        comparison = compare(before, after)
        exercising = None
        if change is not None:
            exercising = exercising_tests({**job.service.files, **change.changed}, change.changed, job.recipe.imports)
        verdict = judge(before, after, exercising, comparison)
        python = self.checks.pythons.get((job.service.path, head_sha), "")
        diagnosis = self.checks.diagnoses.get((job.service.path, head_sha))
        if diagnosis is not None and diagnosis.culprit:
            base_version = self.checks.installed.get((job.service.path, base_sha), {}).get(diagnosis.culprit.split()[0], "")
            diagnosis = dataclasses.replace(diagnosis, on_base=f"{diagnosis.culprit.split()[0]} {base_version}".strip()
                                            if base_version else "")
        base_release = base_release_note(job.recipe.target_package, job.recipe.version,
                                         self.checks.installed.get((job.service.path, base_sha), {}))
        notes = [note for note in (diagnosis.describe() if diagnosis else "", python, base_release) if note]
        broken = self.broken_pythons(job, base_sha, head_sha, migrated)
        if broken:  # passed on a newer Python, but the migration broke one the service declares
            verdict = Verdict(FAILING, failures=(*broken, *verdict.failures)[:MAX_FAILURES])
        summary = render_comparison(comparison, before, after, verdict, unverified_tests(before, exercising), notes)
        return Validation(summary, verdict)

    def broken_pythons(self, job: Job, base_sha: str, head_sha: str, migrated: tuple[str, ...]) -> list[str]:
        """The Pythons the branch was moved off because every test errored there, where the base's tests pass:
        the migration broke the service on a Python it declares (a new release that needs a newer one)."""
        checks, path = self.checks, job.service.path
        found = []
        for interpreter, why in checks.abandoned.get((path, head_sha), ()):
            kept = [(store, store.get((path, base_sha))) for store in (checks.pythons, checks.interpreters,
                                                                       checks.installed, checks.diagnoses)]
            there = checks.results(job.service.name, path, base_sha, "the base", prefer=interpreter, imports=migrated)
            ran = checks.interpreters.get((path, base_sha))
            for store, value in kept:  # the base as it ran beside the branch stays what the PR reports
                if value is None:
                    store.pop((path, base_sha), None)
                else:
                    store[(path, base_sha)] = value
            passed_there = any(o.outcome == "passed" for run in there for o in run.outcomes.values())
            if ran is not None and ran.key_text == interpreter.key_text and passed_there:
                error = why.removeprefix("every test errors there").strip().removeprefix("(").removesuffix(")")
                found.append(f"Python {interpreter.version}, which the service declares: every test errors there after "
                             f"the migration ({error}); on the base they pass there")
        return found


def migrated_distributions(job: Job) -> tuple[str, ...]:
    """The distributions a job's branch installs for the recipe: its target and the packages it adds."""
    names = [job.recipe.target_package or job.recipe.package]
    names += [edit.new_package or edit.package for edit in job.recipe.requirement_edits
              if edit.action in ("add", "replace")]
    return tuple(dict.fromkeys(name for name in names if name))


def render_verdict(verdict: Verdict) -> str:
    return render("verdict.md.j2", verdict=verdict)


def render_comparison(comparison: Comparison, before: list[CheckRun], after: list[CheckRun], verdict: Verdict,
                      unverified: list[TestOutcome] | None = None, environment: list[str] | None = None) -> str:
    """unverified: the base's failing tests that exercise the change. environment: how the test environment was
    made and what its import check found (right below the table, so a long list of failing tests never pushes
    it out of the PR body)."""
    return render("validation_details.md.j2", c=comparison, max_listed=MAX_LISTED, before=before, after=after,
                  verdict_section=render_verdict(verdict), unverified=unverified or [], environment=environment or [])


def _run_from_json(data: dict) -> CheckRun:
    outcomes = {k: TestOutcome(**v) for k, v in data.pop("outcomes").items()}
    return CheckRun(outcomes=outcomes, **data)
