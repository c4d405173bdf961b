"""`upgrade-bot demo`: the example fleet in a fresh repo with a bare origin, rolled out wave by wave."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from bot.assemble import build_runner
from bot.bundled import bundled
from bot.change.recipe import load_recipes
from bot.change.recipe_sources import no_recipes_found
from bot.config import Identity, load_config
from bot.errors import BotError, RecipeError, UsageError
from bot.forge.local import LocalForge
from bot.gitops import GitError, GitRepo, git_failure
from bot.publish.local_merge import merge_pr
from bot.runner import RunReport
from bot.model import FAILING, NO_TESTS, NOT_VALIDATED, PASSED, kind_from_labels

CLOSED_BECAUSE = {
    FAILING: "its checks fail after the migration, so a maintainer would first do the manual changes it lists.",
    NO_TESTS: "no test ran, so nothing says the migration works; a maintainer would review it by hand.",
    NOT_VALIDATED: "it could not be validated here; a maintainer would fix the test environment and `/retry`.",
}
FLEET = bundled("examples/fleet")
DEMO_AUTHOR = Identity("Fleet Maintainer", "maintainer@example.com")


def create_fleet_repo(target: Path, fleet: Path = FLEET) -> Path:
    """Copies the fleet into target/monorepo, commits it and pushes to a bare target/origin.git."""
    if not fleet.is_dir():
        raise UsageError(f"{fleet}: the example fleet is missing (an installation without its bundled files?)")
    target = target.absolute()  # origin's URL: git resolves a relative one from the clone, not from here
    try:
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()):
            raise UsageError(f"{target}: demo directory must be empty or missing")
    except OSError as exc:
        raise UsageError(f"{target}: cannot use as the demo directory: {exc.strerror or exc}") from None
    work, origin = target / "monorepo", target / "origin.git"
    shutil.copytree(fleet, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    env = {"GIT_AUTHOR_NAME": DEMO_AUTHOR.name, "GIT_AUTHOR_EMAIL": DEMO_AUTHOR.email,
           "GIT_COMMITTER_NAME": DEMO_AUTHOR.name, "GIT_COMMITTER_EMAIL": DEMO_AUTHOR.email}
    steps = [["git", "init", "--quiet", "--bare", "--initial-branch=main", str(origin)],
             ["git", "init", "--quiet", "--initial-branch=main", str(work)],
             ["git", "-C", str(work), "add", "-A"],
             ["git", "-C", str(work), "commit", "--quiet", "-m", "Import the service fleet"],
             ["git", "-C", str(work), "remote", "add", "origin", str(origin)],
             ["git", "-C", str(work), "push", "--quiet", "-u", "origin", "main"]]
    for step in steps:
        done = subprocess.run(step, env={**_base_env(), **env}, capture_output=True, text=True)
        if done.returncode:
            raise GitError(git_failure(step[1:] if step[1] != "-C" else step[3:], done.stderr, done.stdout,
                                       done.returncode))
    return work


def _base_env() -> dict[str, str]:
    import os
    return dict(os.environ)


def run_demo(target: Path | None, say: Callable[[str], None], max_rounds: int = 60,
             checks: bool = True, fleet: Path = FLEET,
             step: Callable[[str], None] | None = None) -> tuple[Path, list[RunReport]]:
    target = target or Path(tempfile.mkdtemp(prefix="upgrade-bot-demo-"))
    work = create_fleet_repo(target, fleet)
    say(f"fleet repository: {work} (origin: {target / 'origin.git'})")
    repo = GitRepo(work)
    config = load_config(work)
    forge = LocalForge(repo.state_dir)
    recipes = load_recipes(config.recipe_dirs, config.enabled_recipes)
    if not recipes:
        raise RecipeError(no_recipes_found(config.repo_recipe_dirs))
    runner = build_runner(repo, forge, config, recipes, checks=True, skip_checks=not checks, step=step)
    reports = []
    for round_no in range(1, max_rounds + 1):
        report = runner.run()
        reports.append(report)
        opened = [r for r in report.results if r.status in ("opened", "updated")]
        for result in opened:
            say(f"round {round_no}: {result.status} PR #{result.pr.number} {result.job.key} "
                f"(wave {result.job.wave_number}, {result.manual} manual item(s))")
        merged = _merge_open_prs(repo, forge, config, say, checks)
        if not opened and not merged:
            break
    return work, reports


def _merge_open_prs(repo: GitRepo, forge: LocalForge, config, say, checks: bool = True) -> int:
    """Plays the maintainers: merges the PRs whose checks passed; closes the others: a failing one needs its
    manual items first, and one that was not validated (no test ran, or the checks could not run here)
    needs a human to look at it or fix the test environment. Without checks (`demo --skip-checks`, asked for
    speed) nothing was validated, and it merges every PR.

    A PR that conflicts waits for the next run, which regenerates it on the new base."""
    merged = 0
    for pr in forge.list_prs(config.branch_prefix + "/"):
        if pr.state != "open":
            continue
        verdict = kind_from_labels(pr.labels) if checks else PASSED
        if verdict != PASSED:
            forge.comment(pr.number, f"Closed by the demo: {CLOSED_BECAUSE[verdict]}")
            forge.close_pr(pr.number)
            say(f"  closed #{pr.number} {pr.head}: {verdict} (see the PR's validation section)")
            merged += 1
            continue
        try:
            sha = merge_pr(repo, forge, pr.number, DEMO_AUTHOR)
            say(f"  merged #{pr.number} {pr.head} as {sha[:12]}")
            merged += 1
        except BotError as exc:
            say(f"  not merged yet: #{pr.number}: {exc}")
    return merged
