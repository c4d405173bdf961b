"""The `upgrade-bot` command line. Exit codes: 0 all jobs fine, 1 some job failed, 2 usage or config error."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from bot.change.recipe import BrokenRecipe, Recipe, load_recipe, load_recipes, recipe_folders
from bot.change.recipe_sources import installed_sources, no_recipes_found, recipe_origins
from bot.closed_pipe import reader_may_leave
from bot.config import Config, Identity, check_recipe_settings, load_config
from bot.errors import BotError, ConfigError, RecipeError, UsageError
from bot.gitops import GitRepo
from bot.parallel import MAX_DEFAULT_WORKERS, default_workers
from bot.plan.shards import matrix, parse_shard
from bot.process_exit import exit_program
from bot.publish.status import format_table, state_counts, wave_name
from bot.reviewers import check_reviewers
from bot.runlock import repo_lock

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    with reader_may_leave(), _fewer_collections():  # `upgrade-bot status | head -1` is not an error
        return _main(argv)


def program() -> NoReturn:
    """The `upgrade-bot` program (its console script and `python -m bot`): main's exit code, ended quickly."""
    exit_program(main())


# CPython's cyclic collector runs a young pass every 700 new container objects and a full pass over the heap
# every ~70,000: a run allocates millions of short-lived libcst nodes and metadata entries, so the full passes
# (0.07 s each over the parsed trees it keeps) cost ~0.3 s of a first run on the example fleet. Young passes
# every 10,000 objects made no full pass there, and left the peak RSS as it was.
_GC_THRESHOLDS = (10_000, 10, 10)


@contextlib.contextmanager
def _fewer_collections():
    before = gc.get_threshold()
    gc.set_threshold(*_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args.help_parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except (ConfigError, RecipeError, UsageError) as exc:
        print(f"upgrade-bot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BotError as exc:
        print(f"upgrade-bot: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a file the bot could not read or write: name it, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"upgrade-bot: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--repo and --forge are accepted before or after the subcommand (after it, they override)."""
    default = None if top else argparse.SUPPRESS  # SUPPRESS: an absent option keeps the top-level value
    parser.add_argument("--repo", type=Path, metavar="PATH", default=default,
                        help="the monorepo checkout, or any folder inside it (default: the current directory)")
    parser.add_argument("--forge", choices=("local", "github"), default=default,
                        help="where pull requests live (default: the config's forge, else local)")


class _Parsers:
    """Subcommand parsers that all accept the global options, each with help text for every option."""

    def __init__(self, parent: argparse.ArgumentParser, title: str) -> None:
        parent.set_defaults(help_parser=parent)
        self.sub = parent.add_subparsers(title=title, metavar="COMMAND", help="one of:")

    def add(self, name: str, help: str, handler=None) -> argparse.ArgumentParser:
        p = self.sub.add_parser(name, help=help, description=help)
        _global_options(p, top=False)
        p.set_defaults(help_parser=p)
        if handler:
            p.set_defaults(handler=handler)
        return p


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="upgrade-bot", description=__doc__)
    parser.add_argument("--version", action=_InstalledVersion, help="print the installed version and exit")
    _global_options(parser, top=True)
    sub = _Parsers(parser, "commands")
    json_help = "print JSON instead of a table"

    p = sub.add("plan", "list the (service, recipe) jobs, their waves, and skipped directories", cmd_plan)
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--matrix", action="store_true",
                   help="print the GitHub Actions matrix of shards for `run --shard` (JSON, never empty)")

    p = sub.add("run", "create or update the PRs the current wave allows", cmd_run)
    p.add_argument("--dry-run", action="store_true", help="print the diffs it would commit; change nothing")
    p.add_argument("--all-waves", action="store_true", help="ignore wave gating")
    p.add_argument("--recipes", metavar="IDS", help="comma-separated recipe ids to run (default: all)")
    p.add_argument("--skip-checks", action="store_true", help="emergencies only: PRs say nothing was validated")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help=f"worker processes for the codemods (default: min(cores, {MAX_DEFAULT_WORKERS}))")
    p.add_argument("--shard", metavar="I/N", help="run only the services of shard I of N and leave the dashboard "
                   "to `upgrade-bot dashboard` (see plan --matrix)")

    sub.add("dashboard", "refresh the dashboard only (after sharded runs)", cmd_dashboard)

    p = sub.add("status", "the rollout: service x recipe state, waves, what blocks", cmd_status)
    p.add_argument("--json", action="store_true", help=json_help)

    p = sub.add("accept-wave", "let the next wave open although the base is not green after this one: a maintainer's "
                "call, recorded on a merged PR of the wave (as the `/accept-wave` comment does)", cmd_accept_wave)
    p.add_argument("wave", nargs="?", type=int, metavar="N",
                   help="the wave's number (default: the last wave whose PRs are all merged or closed)")
    p.add_argument("--by", metavar="USER", help="who accepts it (default: $GITHUB_ACTOR, else your login name)")

    recipes = _Parsers(sub.add("recipes", "list or test recipes"), "recipe commands")
    recipes.add("list", "the recipes and their rules", cmd_recipes_list)
    t = recipes.add("test", "run recipes' fixtures (before/after/unchanged, manual items, idempotency) and "
                            "their rules' VALID/INVALID examples", cmd_recipes_test)
    t.add_argument("ids", nargs="*", metavar="ID", help="recipe ids or folders to test (default: all)")
    a = recipes.add("api-table", "write each recipe's API table (the new version's real modules, introspected in "
                                 "a cached env) for the import audit; --check compares instead", cmd_recipes_api_table)
    a.add_argument("ids", nargs="*", metavar="ID", help="recipe ids or folders (default: all with an [audit] table)")
    a.add_argument("--check", action="store_true", help="exit 1 when a checked-in table differs from the real version")
    n = recipes.add("new", "write a skeleton recipe in the rule form that passes `recipes test`", cmd_recipes_new)
    n.add_argument("id", metavar="ID", help="<package>-<version>, e.g. requests-3.0")
    n.add_argument("--dir", help="folder to create it in (default: the first recipe-dirs entry, else recipes/)")

    p = sub.add("demo", "roll the bundled example fleet out with the local forge", cmd_demo)
    p.add_argument("--dir", type=Path, metavar="DIR", help="where to create the demo repos (default: a new temp dir)")
    p.add_argument("--skip-checks", action="store_true", help="do not run the services' tests")
    p.add_argument("--fleet", choices=("fleet", "second-fleet"), default="fleet",
                   help="which bundled example fleet (default: fleet, the 31 services of the Phase 2 migration)")

    p = sub.add("command", "handle a PR comment command from an issue_comment event file", cmd_command)
    p.add_argument("--event", type=Path, required=True, metavar="FILE",
                   help="the event payload ($GITHUB_EVENT_PATH)")

    p = sub.add("revert", "open a PR reverting a merged bot PR (validated like any PR)", cmd_revert)
    p.add_argument("--pr", type=int, required=True, metavar="N", help="the merged bot PR to revert")
    p.add_argument("--skip-checks", action="store_true", help="emergencies only: the PR says nothing was validated")

    local = _Parsers(sub.add("local", "act on the local forge as a maintainer would"), "local forge commands")
    number_help = "the pull request number"
    local.add("merge", "merge PR N with a real merge commit on its base", cmd_local_merge).add_argument(
        "number", type=int, metavar="N", help=number_help)
    local.add("close", "close PR N", cmd_local_close).add_argument("number", type=int, metavar="N", help=number_help)
    local.add("ready", "mark draft PR N ready for review", cmd_local_ready).add_argument(
        "number", type=int, metavar="N", help=number_help)
    c = local.add("comment", "comment on PR N as USER; a /command in it is handled at once", cmd_local_comment)
    c.add_argument("number", type=int, metavar="N", help=number_help)
    c.add_argument("body", metavar="TEXT", help="the comment text")
    c.add_argument("--user", default="local-maintainer", metavar="USER",
                   help="who comments (default: local-maintainer, an admin)")
    local.add("show", "print PR N (title, state, merge commit, body, comments)", cmd_local_show).add_argument(
        "number", type=int, metavar="N", help=number_help)
    return parser


# --- shared setup -------------------------------------------------------------------------
class Context:
    def __init__(self, args: argparse.Namespace, *, reads_only: bool = False, needs_recipes: bool = False) -> None:
        """reads_only: a command that writes nothing to the forge (`plan`, `run --dry-run`): without a token
        it works from git alone instead of failing (bot.forge.offline). needs_recipes: finding no recipe at
        all is an error, not an empty plan."""
        self.repo = GitRepo(args.repo or Path.cwd())
        parser = getattr(args, "help_parser", None)  # names the lock's holder: "run", "local merge"...
        self.command = parser.prog.removeprefix("upgrade-bot ") if parser else "?"
        self.repo.prune_own_worktrees()  # what a killed run left registered
        self.config: Config = load_config(self.repo.path)
        # a broken recipe fails its own jobs; status, revert and the others still work
        self.broken_recipes: list[BrokenRecipe] = []
        self.recipes: list[Recipe] = load_recipes(self.config.recipe_dirs, self.config.enabled_recipes,
                                                  self.broken_recipes)
        # a package whose registered recipes do not load fails like a broken recipe: said, never skipped
        self.broken_recipes += [BrokenRecipe(b.origin, b.reason) for b in installed_sources()[1]]
        if not self.recipes and not self.broken_recipes:
            if needs_recipes:
                raise RecipeError(no_recipes_found(self.config.repo_recipe_dirs))
            print(f"upgrade-bot: warning: {no_recipes_found(self.config.repo_recipe_dirs)}", file=sys.stderr)
        check_recipe_settings(self.config, recipe_folders(self.config.recipe_dirs))
        only = getattr(args, "recipes", None)
        if only:
            wanted = [r.strip() for r in only.split(",") if r.strip()]
            self.broken_recipes = [b for b in self.broken_recipes if b.id in wanted]
            unknown = sorted(set(wanted) - {r.id for r in self.recipes} - {b.id for b in self.broken_recipes})
            if unknown:
                raise ConfigError("--recipes", "", f"unknown recipe {unknown[0]!r}")
            self.recipes = [r for r in self.recipes if r.id in wanted]
        self.forge_name = args.forge or self.config.forge
        self.forge = self._forge(reads_only)

    def _forge(self, reads_only: bool = False):
        if self.forge_name == "github":
            from bot.forge.github import BOT_EMAIL, BOT_NAME, GitHubForge
            from bot.forge.github_retry import GitHubError
            if self.config.identity == Identity():  # unset: commit as github-actions[bot]
                self.config = dataclasses.replace(self.config, identity=Identity(BOT_NAME, BOT_EMAIL))
            from bot.model import LABELS
            managed = set(self.config.labels) | set(LABELS.values()) | {"revert"}  # the verdicts' labels
            try:
                return GitHubForge.from_env(self.config.github_repository or None, None, managed_labels=managed)
            except GitHubError as exc:
                if not reads_only:
                    raise
                from bot.forge.offline import OfflineForge
                return OfflineForge(str(exc))
        from bot.forge.local import LocalForge
        return LocalForge(self.repo.state_dir)

    def exclusive(self):
        """One mutating upgrade-bot process per repository (a second one exits naming the holder)."""
        return repo_lock(self.repo.state_dir, self.command)

    def runner(self, *, checks: bool = False, skip_checks: bool = False, read_only: bool = False):
        from bot.assemble import build_runner
        return build_runner(self.repo, self.forge, self.config, self.recipes, checks=checks, skip_checks=skip_checks,
                            step=_step_printer(), read_only=read_only)


# --- commands -----------------------------------------------------------------------------
def cmd_plan(args) -> int:
    ctx = Context(args, reads_only=True, needs_recipes=True)
    if args.matrix:  # the services' shards only: no forge call, so the plan job needs no token
        plan, _ = ctx.runner().plan(prs={})
        print(json.dumps(matrix(plan.jobs), separators=(",", ":")))
        return EXIT_OK
    plan, base_sha = ctx.runner().plan()
    plan.warnings += _offline_notes(ctx) + check_reviewers(ctx.forge, ctx.config.reviewers, ctx.config.source)
    if args.json:
        print(json.dumps({
            "base": base_sha,
            "jobs": [{"service": j.service.name, "job": j.key, "path": j.service.path, "recipe": j.recipe.id,
                      "tier": j.tier, "wave": j.wave_number, "branch": j.branch,
                      "declared": [f"{d.file}:{d.line} {d.raw_name}{d.spec}" for d in j.recipe.declared(j.service)],
                      "imports": sorted(set(j.recipe.imports) & j.service.imports),
                      "problems": j.service.problems, "notes": j.service.notes} for j in plan.jobs],
            "waves": [{"wave": w[0].wave_number, "tier": w[0].tier, "jobs": len(w)} for w in plan.waves()],
            "skipped": [{"path": s.path, "reason": s.reason} for s in plan.skipped + plan.not_applicable],
            "broken": [{"path": s.path, "reason": s.reason} for s in plan.broken],
            "warnings": plan.warnings,
        }, indent=2))
        _print_warnings(plan)
        return EXIT_FAILED if plan.broken else EXIT_OK
    rows = [[str(j.wave_number), j.tier, j.service.key, j.recipe.id, "; ".join(j.service.problems) or "ok"]
            for j in plan.jobs]
    print(format_table(["wave", "tier", "service", "recipe", "service status"], rows))
    print(f"\n{len(plan.jobs)} jobs in {len(plan.waves())} waves (base {base_sha[:12]})")
    for skipped in plan.skipped + plan.not_applicable:
        print(f"skipped {skipped.path}: {skipped.reason}")
    for note in dict.fromkeys(n for j in plan.jobs for n in j.service.notes):
        print(f"skipped file {note}")
    for broken in plan.broken:
        print(f"broken {broken.path}: {broken.reason}")
    _print_warnings(plan)
    return EXIT_FAILED if plan.broken else EXIT_OK


def cmd_run(args) -> int:
    ctx = Context(args, reads_only=args.dry_run, needs_recipes=True)
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError("-j", "", f"must be at least 1, got {args.jobs}")
    shard = parse_shard(args.shard) if args.shard else None
    runner = ctx.runner(checks=not args.dry_run, skip_checks=args.skip_checks)
    with contextlib.nullcontext() if args.dry_run else ctx.exclusive():
        report = runner.run(dry_run=args.dry_run, all_waves=args.all_waves, progress=_progress(),
                            workers=args.jobs or default_workers(), shard=shard)
    if args.dry_run:
        report.plan.warnings += _offline_notes(ctx)[:1]
        for result in report.results:
            if result.diff:
                print(result.diff, end="")
    _print_summary(report)
    _print_broken_recipes(ctx)
    return EXIT_FAILED if report.failed or ctx.broken_recipes else EXIT_OK


def _offline_notes(ctx: Context) -> list[str]:
    """What a command that ran without GitHub could not read (nothing when the forge was there)."""
    notes = getattr(ctx.forge, "notes", None)
    return notes() if notes else []


def _print_broken_recipes(ctx: Context) -> None:
    for broken in ctx.broken_recipes:
        print(f"failed: recipe {broken.id} does not load, its jobs did not run: {broken.reason}")


def cmd_dashboard(args) -> int:
    ctx = Context(args)
    # like `status`, the gate from stored results: the shards' runs checked the tip; refreshing a page runs nothing
    runner = ctx.runner(checks=True, read_only=True)
    with ctx.exclusive():
        plan, base_sha, prs, reverted = runner.state()
        runner.fill_merge_shas(prs)
        print(runner.publish_dashboard(plan, base_sha, prs, reverted))
    return EXIT_OK


def cmd_status(args) -> int:
    ctx = Context(args)
    runner = ctx.runner(checks=True, read_only=True)  # the gate from stored results: status never runs a check
    plan, base_sha, prs, reverted = runner.state()
    selection = runner.select(plan, prs, base_sha)
    rows = runner.status_rows(plan, prs, reverted, base_sha)
    _print_warnings(plan)
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows], "counts": state_counts(rows),
                          "blocked": selection.blocked,
                          "broken": [{"path": b.path, "reason": b.reason} for b in plan.broken],
                          "broken_recipes": [{"id": b.id, "reason": b.reason} for b in ctx.broken_recipes],
                          "open_reverts": [pr.number for pr in runner.open_reverts()],
                          "current_wave": selection.current_wave},
                         indent=2))
        return EXIT_OK
    print(format_table(["wave", "service", "recipe", "state", "PR", "manual"],
                       [[wave_name(r), r.service, r.recipe, r.state, f"#{r.pr}" if r.pr else "-", str(r.manual)]
                        for r in rows]))
    print("\n" + ", ".join(f"{count} {state}" for state, count in state_counts(rows).items()))
    for line in selection.blocked:
        print(f"blocked: {line}")
    for row in rows:
        if row.reason:
            print(f"blocked job {row.recipe}/{row.service}: {row.reason}")
        if row.note:
            print(f"{row.state} {row.recipe}/{row.service}{f' (#{row.pr})' if row.pr else ''}: {row.note}")
    for broken in plan.broken:
        print(f"broken {broken.path}: {broken.reason}")
    if any(r.state == "closed" for r in rows):
        print("closed PRs stay closed: comment `/retry` on one to reopen it")
    _print_broken_recipes(ctx)
    return EXIT_OK


def cmd_accept_wave(args) -> int:
    import getpass

    from bot.publish.acceptance import accept, wave_to_accept
    ctx = Context(args)
    runner = ctx.runner()
    with ctx.exclusive():
        plan, base_sha, prs, _ = runner.state()
        number, pr = wave_to_accept(plan, prs, args.wave)
        if pr is None:
            which = f"wave {number}" if number else "no wave is merged or closed yet, so"
            print(f"upgrade-bot: {which} has no merged PR: nothing to accept", file=sys.stderr)
            return EXIT_FAILED
        accept(ctx.forge, pr, args.by or os.environ.get("GITHUB_ACTOR") or getpass.getuser(), base_sha)
    print(f"accepted wave {number} (recorded on #{pr.number}): the next run opens the next wave even if "
          f"{ctx.config.base_branch} is not green")
    return EXIT_OK


def cmd_recipes_list(args) -> int:
    config = _config_or_default(args)
    recipes = load_recipes(config.recipe_dirs, config.enabled_recipes)
    _require_recipes(config, recipes)
    origins = recipe_origins(config.repo_recipe_dirs)
    for recipe in recipes:
        sources = ", ".join([recipe.package, *(f"{s.package}{s.versions}" for s in recipe.also_from)])
        print(f"{recipe.id}: {recipe.title} ({sources} -> {recipe.target_package} {recipe.version})"
              f" [{origins.get(recipe.folder.parent, recipe.folder.parent)}]")
        for rule, text in sorted(recipe.rules().items()):
            print(f"    {rule}  {text}")
    return _report_broken_sources()


def cmd_recipes_test(args) -> int:
    from bot.change.examples import rule_example_outcomes
    from bot.change.fixtures import FixtureOutcome, fixture_cases, run_fixtures
    config = _config_or_default(args)
    recipes = _recipes_named(args.ids, config)
    _require_recipes(config, recipes)
    failed = 0
    for recipe in recipes:
        try:
            outcomes = run_fixtures(recipe) + rule_example_outcomes(recipe)
        except RecipeError as exc:  # a codemod module that does not import: its recipe fails, the others run
            outcomes = [FixtureOutcome(recipe.id, "codemod", [str(exc)])]
        for outcome in outcomes:
            print(f"{'ok  ' if outcome.ok else 'FAIL'} {recipe.id}/{outcome.case}")
            for problem in outcome.problems:
                print(f"       {problem}")
        failed += sum(not o.ok for o in outcomes)
        if not fixture_cases(recipe):
            print(f"FAIL {recipe.id}: no fixtures")
            failed += 1
    return EXIT_FAILED if failed or _report_broken_sources() else EXIT_OK


def _require_recipes(config: Config, recipes: list[Recipe]) -> None:
    if not recipes and not installed_sources()[1]:
        raise RecipeError(no_recipes_found(config.repo_recipe_dirs))


def _report_broken_sources() -> int:
    """Packages registered in the recipes entry-point group whose recipes could not be found."""
    broken = installed_sources()[1]
    for source in broken:
        print(f"upgrade-bot: error: {source}", file=sys.stderr)
    return EXIT_FAILED if broken else EXIT_OK


def cmd_recipes_api_table(args) -> int:
    from bot.analysis.migration_map import MIGRATION_FILE, MigrationMapError, load_migration_map
    from bot.validation.api_table import ApiTableError, check, write
    from bot.validation.envs import EnvBuildError
    config = _config_or_default(args)
    failed = 0
    for recipe in _recipes_named(args.ids, config):
        path = recipe.folder / MIGRATION_FILE
        if not path.is_file():
            if args.ids:
                print(f"{recipe.id}: no {MIGRATION_FILE}", file=sys.stderr)
                failed += 1
            continue
        try:
            mapping = load_migration_map(path)
            if mapping.audit is None:
                continue
            if args.check:
                outcome = check(mapping)
                print(f"{'ok  ' if outcome.ok else 'FAIL'} {recipe.id}: {outcome.path.name}"
                      + ("" if outcome.ok else f"\n       {outcome.summary()}"))
                failed += not outcome.ok
            else:
                print(f"wrote {write(mapping)}")
        except (MigrationMapError, ApiTableError, EnvBuildError) as exc:
            print(f"{recipe.id}: {exc}", file=sys.stderr)
            failed += 1
    return EXIT_FAILED if failed else EXIT_OK


def _recipes_named(names: list[str], config: Config) -> list[Recipe]:
    """Every configured recipe, or those named: by id, or by folder (a recipe not configured yet)."""
    if not names:
        return load_recipes(config.recipe_dirs)
    folders = recipe_folders(config.recipe_dirs)
    recipes = []
    for name in names:
        path = Path(name)
        if (path / "recipe.toml").is_file():
            recipes.append(load_recipe(path.resolve()))
        elif name in folders:
            recipes.append(load_recipe(folders[name]))
        else:
            raise ConfigError("recipes test", "", f"unknown recipe {name!r} (an id of {', '.join(sorted(folders))}, "
                                                  "or a recipe folder)")
    return recipes


def cmd_recipes_new(args) -> int:
    from bot.change.scaffold import write_skeleton
    config = _config_or_default(args)
    try:
        root = GitRepo(args.repo or Path.cwd()).path
    except BotError:
        root = Path(args.repo or Path.cwd())
    extra = config.repo_recipe_dirs  # never the bundled folder nor an installed package's
    parent = Path(args.dir) if args.dir else (extra[0] if extra else root / "recipes")
    folder = write_skeleton(parent, args.id)
    print(f"wrote {folder}: recipe.toml, codemod.py (one rule with its examples), fixtures/")
    print(f"  test it:        upgrade-bot recipes test {folder}")
    print("  then make it yours: the rule in codemod.py, its examples, the fixtures (docs/recipes.md walks through it)")
    if parent.resolve() not in [d.resolve() for d in config.recipe_dirs]:
        try:
            shown = parent.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = parent.resolve().as_posix()
        print(f'  to roll it out: add recipe-dirs = ["{shown}"] to upgrade-bot.toml')
    return EXIT_OK


def cmd_demo(args) -> int:
    from bot.demo import run_demo
    from bot.forge.local import LocalForge
    from bot.bundled import bundled
    work, reports = run_demo(args.dir, print, checks=not args.skip_checks, fleet=bundled(f"examples/{args.fleet}"),
                             step=_step_printer())
    failed = [r for rep in reports for r in rep.results if r.status == "failed"]
    prs = LocalForge(GitRepo(work).state_dir).list_prs("")
    by_state: dict[str, int] = {}
    for pr in prs:
        by_state[pr.state] = by_state.get(pr.state, 0) + 1
    print(f"\ndemo finished: {len(prs)} PRs ({', '.join(f'{n} {s}' for s, n in sorted(by_state.items()))}) "
          f"in {len(reports)} bot runs")
    print(f"PRs are JSON files in {work}/.git/upgrade-bot/forge/prs/; the dashboard is "
          f"{work}/.git/upgrade-bot/forge/dashboard.md")
    print(f"see the rollout:  upgrade-bot --repo {work} status")
    print(f"read one PR:      upgrade-bot --repo {work} local show 1")
    for result in failed:
        print(f"failed: {result.job.key}: {result.message}")
    return EXIT_FAILED if failed or not reports else EXIT_OK


def _command_handler(ctx: Context):
    from bot.commands.actions import CommandActions
    from bot.commands.parse import CommandHandler
    return CommandHandler(ctx.forge, CommandActions(ctx.runner(checks=True)))


def cmd_command(args) -> int:
    from bot.commands.parse import parse_event
    try:
        payload = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(str(args.event), "", f"cannot read the event payload: {exc}") from None
    try:
        parse_event(payload)
    except ValueError as exc:
        raise ConfigError(str(args.event), "", f"malformed event payload: {exc}") from None
    ctx = Context(args)
    with ctx.exclusive():
        outcome = _command_handler(ctx).handle(payload)
    print("ignored: not a command for upgrade-bot" if outcome.reply is None else outcome.reply)
    return EXIT_OK


def cmd_revert(args) -> int:
    from bot.commands.actions import CommandActions
    ctx = Context(args)
    with ctx.exclusive():
        runner = ctx.runner(checks=True, skip_checks=args.skip_checks)
        message, acted = CommandActions(runner).revert(ctx.forge.get_pr(args.pr))
    print(message)
    return EXIT_OK if acted else EXIT_FAILED


def cmd_local_comment(args) -> int:
    ctx = Context(args)
    with ctx.exclusive():
        comment = ctx.forge.comment(args.number, args.body, user=args.user, user_type="User")
        payload = {"action": "created", "issue": {"number": args.number, "pull_request": {"url": f"local:{args.number}"}},
                   "comment": {"id": comment.id, "body": args.body, "user": {"login": args.user, "type": "User"}}}
        outcome = _command_handler(ctx).handle(payload)
    print("(no reply: not a command)" if outcome.reply is None else outcome.reply)
    return EXIT_OK


def cmd_local_merge(args) -> int:
    from bot.publish.local_merge import merge_pr
    ctx = Context(args)
    with ctx.exclusive():
        sha = merge_pr(ctx.repo, ctx.forge, args.number, ctx.config.identity)
    print(f"merged #{args.number} as {sha}")
    return EXIT_OK


def cmd_local_close(args) -> int:
    ctx = Context(args)
    with ctx.exclusive():
        ctx.forge.close_pr(args.number)
    print(f"closed #{args.number}")
    return EXIT_OK


def cmd_local_ready(args) -> int:
    ctx = Context(args)
    with ctx.exclusive():
        ctx.forge.mark_ready(args.number)
    print(f"#{args.number} is ready for review")
    return EXIT_OK


def cmd_local_show(args) -> int:
    ctx = Context(args)
    pr = ctx.forge.get_pr(args.number)
    print(f"#{pr.number} [{pr.state}{', draft' if pr.draft else ''}] {pr.title}\nhead {pr.head} -> base {pr.base}; labels: {', '.join(pr.labels)}")
    if pr.merge_sha:
        print(f"merged as {pr.merge_sha}; roll back with: git revert -m 1 {pr.merge_sha}")
    print()
    print(pr.body)
    for comment in ctx.forge.list_comments(pr.number):
        print(f"\n--- comment by {comment.user} ---\n{comment.body}")
    return EXIT_OK


def _version() -> str:
    import bot
    return bot.__version__


class _InstalledVersion(argparse.Action):
    """`--version`, looked up only when asked for: the lookup reads the package metadata (a scan of the installed
    distributions and an email parse of ours), a few ms every other command would pay for nothing."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def _config_or_default(args) -> Config:
    try:
        return load_config(GitRepo(args.repo or Path.cwd()).path)
    except BotError:
        return Config(source="")


# --- output -------------------------------------------------------------------------------
def _step_printer():
    """Long steps (building an environment, testing the base, testing the branch) as they start, with
    the time since the command started: without them `run` is silent for minutes."""
    started = time.monotonic()
    clear = "\r\033[K" if sys.stderr.isatty() else ""  # over the progress bar's line

    def step(message: str) -> None:
        sys.stderr.write(f"{clear}[{time.monotonic() - started:6.1f}s] {message}\n")
        sys.stderr.flush()
    return step


def _progress():
    tty = sys.stderr.isatty()

    def show(done: int, total: int, result) -> None:
        if tty:
            width = 30
            filled = width * done // total
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {result.job.key[:50]:<50}")
            if done == total:
                sys.stderr.write("\n")
        else:
            extra = f" #{result.pr.number}" if result.pr else ""
            sys.stderr.write(f"[{done}/{total}] {result.job.key}: {result.status}{extra}"
                             f"{' - ' + result.message if result.message else ''}\n")
        sys.stderr.flush()
    return show


def _print_warnings(plan) -> None:
    for line in plan.warnings:
        print(f"upgrade-bot: warning: {line}", file=sys.stderr)


def _print_summary(report) -> None:
    rows = [[str(r.job.wave_number), r.job.service.key, r.job.recipe.id, r.status,
             f"#{r.pr.number}" if r.pr else "-", str(r.manual), r.message[:80]] for r in report.results]
    print(format_table(["wave", "service", "recipe", "result", "PR", "manual", "note"], rows))
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(f"\n{len(report.results)} job(s): " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if report.selection:
        for line in report.selection.blocked:
            print(f"waiting: {line}")
    _print_warnings(report.plan)
    for broken in report.plan.broken:
        print(f"failed: {broken.reason}")
    for result in report.results:
        if result.status in ("failed", "blocked"):
            print(f"{result.status}: {result.job.key}: {result.message}")
    attempted = {r.job.key for r in report.results}
    for job in report.stuck:
        if job.key not in attempted:
            print(f"blocked: {job.key}: {job.blocked_reason}")
