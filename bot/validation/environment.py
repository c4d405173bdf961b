"""A service's test environment for one checkout, as its own CI would build it: the dependencies from where
the service declares them (bot.validation.test_deps), on the Python it declares (bot.validation.python_version,
lowest first, the next one when an environment does not install), in a cached shared environment
(bot.validation.envs), with the service itself installed on top (bot.validation.project_install)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from bot.declared.compile_header import header_command
from bot.validation.conflicts import Diagnosis, diagnose
from bot.validation.envs import EnvBuildError, Interpreter, drop_included, ensure_env, expand_requirements
from bot.validation.import_probe import ProbeResult, probe_imports
from bot.validation.interpreters import version_key
from bot.validation.locked import pinned_by
from bot.validation.project_install import project_layer
from bot.validation.python_version import MAX_ATTEMPTS, python_plan
from bot.validation.test_deps import CheckEnvSettings, EnvPlan, plan_environment


@dataclass(frozen=True)
class PreparedEnv:
    """A service's test environment, ready to run its checks."""

    python: Path  # runs the checks
    interpreter: Interpreter  # the base interpreter the environment was made with
    description: str  # the PR's words: which Python and why, where the test dependencies came from
    plan: EnvPlan


@contextmanager
def service_environment(service_dir: Path, settings: CheckEnvSettings | None = None,
                        prefer: Interpreter | None = None, cache_dir: Path | None = None,
                        earlier: tuple[tuple[Interpreter, str], ...] = ()) -> Iterator[PreparedEnv]:
    """prefer: an interpreter to try first when the service's declaration allows it (the branch's, for the base).
    earlier: interpreters already tried for this checkout, and why they did not do (their tests could not
    even import there): they are not tried again, and the PR says why."""
    plan = plan_environment(service_dir, settings)
    pythons = python_plan(service_dir, settings.python if settings else "", prefer)
    files = drop_included(plan.files)
    failures: list[tuple[Interpreter, EnvBuildError]] = []
    built: tuple[Interpreter, Path] | None = None
    skipped = {interpreter.key_text for interpreter, _ in earlier}
    floor = Version("0")
    for interpreter in [c for c in pythons.candidates if c.key_text not in skipped]:
        if len(failures) >= MAX_ATTEMPTS - len(earlier):
            break
        if version_key(interpreter) < floor:
            continue  # the resolver said a pin needs a newer Python: it fails here the same way
        try:
            built = interpreter, ensure_env(files, python=str(interpreter.path), selection=plan.selection,
                                            inline=plan.inline, cache_dir=cache_dir)
            break
        except EnvBuildError as error:
            failures.append((interpreter, error))
            floor = max(floor, python_needed(error.reason))
    if built is None:
        if not failures:
            raise EnvBuildError("no other Python to try: " + "; ".join(f"{i.version}: {why}" for i, why in earlier))
        first = failures[0][1]
        others = ", ".join(i.version for i, _ in failures[1:])
        raise EnvBuildError(first.reason + (f" (on Python {failures[0][0].version}; also failed on {others})"
                                            if others else ""), first.source)
    interpreter, base_python = built
    tried = (*earlier, *((i, f"the environment does not install there: {_short(error)}") for i, error in failures))
    pinned = "" if plan.runtime_source.startswith("the versions locked") else pinned_by(files, _compiled(files))
    description = " ".join(filter(None, [pythons.describe(interpreter, tried), plan.describe(), pinned]))
    with project_layer(base_python, plan.project) as python:
        yield PreparedEnv(python, interpreter, description, plan)


# uv's refusals: "Because the current Python version (3.6.15) does not satisfy Python>=3.10 and pytest-asyncio==1.3.0
# depends on Python>=3.10, ...", "Because loopkit==1.0.0 requires Python >=3.9 and you require loopkit==1.0, ..."
_NEEDS_PYTHON = re.compile(r"(?:does not satisfy|requires|depends on) Python\s*>=\s*(\d+(?:\.\d+)*)")


def python_needed(reason: str) -> Version:
    """The lowest Python an installer's refusal names (a pin that requires a newer one), else 0."""
    needed = [Version("0")]
    for match in _NEEDS_PYTHON.finditer(reason):
        try:
            needed.append(Version(match.group(1)))
        except InvalidVersion:
            continue
    return max(needed)


def _short(error: EnvBuildError) -> str:
    return error.reason if len(error.reason) <= 300 else error.reason[:297] + "..."


def _compiled(files: list[Path]) -> list[Path]:
    """The requirement files pip-compile (or uv pip compile) generated: already the locked versions."""
    return [path for path in files if path.suffix == ".txt"
            and header_command(path.read_text(encoding="utf-8", errors="replace")) is not None]


def import_check(prepared: PreparedEnv, distributions: list[str], cache_dir: Path | None = None
                 ) -> tuple[ProbeResult, Diagnosis | None]:
    """Do the migrated distributions import here? When not, why, and a constraint that fixes it (checked by
    resolving this environment again with it and importing again)."""
    probe = probe_imports(prepared.python, distributions)
    if probe.ok:
        return probe, None
    plan = prepared.plan
    files = drop_included(plan.files)
    declared = expand_requirements(files, selection=plan.selection, inline=plan.inline)

    def retry(constraint: str) -> ProbeResult:
        python = ensure_env(files, python=str(prepared.interpreter.path), selection=plan.selection, inline=plan.inline,
                            requirement_lines=[constraint], cache_dir=cache_dir)
        return probe_imports(python, distributions)

    return probe, diagnose(probe, distributions, declared, retry)
