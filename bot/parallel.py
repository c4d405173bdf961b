"""Runs the CPU-bound part of jobs (codemod + requirements bump) in worker processes, results in job order.

Orchestration beside bot.runner, not part of a phase: it applies recipes (bot.change), and a worker also
makes the commit of a job that certainly needs one (no PR yet, `CommitOn`): git objects only, handed back
with the change for the parent to write with the run's others (bot.gitops.GitRepo.keep), which nobody sees
until a push names them. Pushes and forge writes stay in the parent, in the same order as a
serial run, so branches and PR bodies do not depend on the number of workers."""
from __future__ import annotations

import hashlib
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from bot.change.apply import ServiceChange, apply_recipe
from bot.change.recipe import Recipe, load_recipe
from bot.config import Identity
from bot.discover.services import Service
from bot.errors import BotError
from bot.gitops import GitRepo
from bot.plan.jobs import Job
from bot.publish.pr_content import commit_message

MAX_DEFAULT_WORKERS = 4
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SPAWN_WORTH_IT = 8  # jobs


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class CommitOn:
    """Lets workers also write the commit of jobs that certainly need one (no PR yet): a commit is content,
    so it does not matter which process writes it, and the parent is left with the push and the PR."""

    git_dir: str
    base_sha: str
    identity: Identity
    jobs: frozenset[str]  # job keys


def compute_changes(jobs: Sequence[Job], options: Mapping[str, Mapping[str, Any]], workers: int,
                    commit_on: CommitOn | None = None) -> Iterator[ServiceChange | BotError]:
    """One outcome per job, in job order, yielded as soon as that job and every one before it are done.
    With commit_on, a worker's change of a job in commit_on.jobs carries its commit (`head`).

    A worker gets all the jobs of one service: it reads and parses the service's files once for them."""
    by_service: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        by_service.setdefault(job.service.path, []).append(i)
    # a spawned worker pays ~1 s of imports: not worth it for a handful of services
    context = _context() if workers > 1 and len(by_service) > 1 else None
    if context is None or (context.get_start_method() != "fork" and len(by_service) < SPAWN_WORTH_IT):
        for job in jobs:
            yield _apply(job.service, job.recipe, options.get(job.recipe.id))
        return
    # multiprocessing, concurrent.futures.process and ctypes are imported only when workers run: a run with one
    # worker (-j 1, or one service) never starts a process, and their imports cost it ~5 ms of CPU. ctypes is for
    # the workers' _die_with_parent: imported here, before the pool forks, forked workers start with it.
    import ctypes  # noqa: F401
    from concurrent.futures import ProcessPoolExecutor
    if context.get_start_method() == "fork":  # forked workers start with the recipes already loaded
        _recipes.update({str(job.recipe.folder): job.recipe for job in jobs})
    pool = ProcessPoolExecutor(max_workers=min(workers, len(by_service)), mp_context=context,
                               initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        tasks = {path: pool.submit(_apply_in_worker, jobs[indices[0]].service,
                                   [_worker_job(jobs[i], options, commit_on) for i in indices])
                 for path, indices in by_service.items()}
        position = {i: n for indices in by_service.values() for n, i in enumerate(indices)}
        for i, job in enumerate(jobs):
            outcomes, source_problems = tasks[job.service.path].result()
            if source_problems is not None:  # the worker read every source: the parent need not again
                job.service._source_problems = source_problems
            yield outcomes[position[i]]
    finally:  # a caller that stops early (an exception) does not wait for the rest
        pool.shutdown(wait=True, cancel_futures=True)


def _die_with_parent(parent: int) -> None:
    """A worker of a run killed with SIGKILL would wait for work forever (its siblings hold the queues
    open): on Linux the kernel kills it with its parent. Elsewhere it lingers until its task ends."""
    import ctypes  # a forked worker has it from its parent already (see compute_changes)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl here
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _worker_job(job: Job, options: Mapping[str, Mapping[str, Any]], commit_on: CommitOn | None):
    """What a worker needs of a job besides its service (recipes go by folder: spawned workers load them)."""
    return (str(job.recipe.folder), options.get(job.recipe.id), job.tier, job.branch,
            commit_on if commit_on is not None and job.key in commit_on.jobs else None)


def commit_key(job: Job, change: ServiceChange) -> str:
    """What a commit of the change holds (files and message): the parent uses a worker's commit only if the
    change is still the same (lock updates run later, in the parent)."""
    return hashlib.sha256(repr((sorted(change.repo_paths().items()), commit_message(job, change))).encode()).hexdigest()


def _context():
    """fork: workers start at once with the recipes imported. Forking a process that runs other threads
    (an embedding program, a test server) can copy a held lock; then spawn, and workers load recipes by folder."""
    import multiprocessing  # only once a run may start workers (see compute_changes)
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _apply(service: Service, recipe: Recipe, overrides) -> ServiceChange | BotError:
    try:
        return apply_recipe(service, recipe, overrides)
    except BotError as exc:
        return exc


_recipes: dict[str, Recipe] = {}
_repos: dict[str, GitRepo] = {}  # one per worker: its object reader and parsed trees serve every job


def _apply_in_worker(service: Service, jobs: list[tuple[str, Any, str, str, CommitOn | None]]
                     ) -> tuple[list[ServiceChange | BotError], list[str] | None]:
    """The outcome of each job, and the problems found in the service's sources (if they were read)."""
    outcomes = [_apply_job_in_worker(service, *job) for job in jobs]
    return outcomes, service._source_problems


def _apply_job_in_worker(service: Service, folder: str, overrides, tier: str, branch: str,
                         commit_on: CommitOn | None) -> ServiceChange | BotError:
    recipe = _recipes.get(folder)
    if recipe is None:
        recipe = _recipes[folder] = load_recipe(Path(folder))
    outcome = _apply(service, recipe, overrides)
    if commit_on is not None and isinstance(outcome, ServiceChange) and outcome.changed:
        job = Job(service, recipe, tier, branch)
        try:
            repo = _repos.get(commit_on.git_dir)
            if repo is None:
                repo = _repos[commit_on.git_dir] = GitRepo(Path(commit_on.git_dir))
            outcome.head = repo.commit_files(
                commit_on.base_sha, outcome.repo_paths(), commit_message(job, outcome), commit_on.identity)
            outcome.head_key = commit_key(job, outcome)
            # written by the parent if it uses the commit (GitRepo.keep): with the run's other objects, in one pack
            outcome.head_objects = repo.take_unwritten()
        except BotError as exc:
            outcome = exc
    return outcome if isinstance(outcome, ServiceChange) else BotError(str(outcome))
