"""What a rollout makes, as a digest to compare across a change that must not change it. By hand:

    python benchmarks/fleet_digest.py                      # both example fleets, this checkout
    python benchmarks/fleet_digest.py --against main       # ... and the same on `main`; exit 1 on a difference
    python benchmarks/fleet_digest.py --fleet examples/fleet --out before.txt

First, every fixture case of every bundled recipe: a hash of the codemod's whole result (changed files,
rewritten sites, manual items with their reasons and suggestions, notes, requirement edits), so a move
shows that nothing a PR would say changed, not only the files its after/ folder holds. Then for each
fleet: a copy in a fresh repository (fixed author, committer and dates, so the base commit is the
same in every run) with a bare `origin`, then `upgrade-bot run --skip-checks --all-waves` with the local
forge, run by the checkout under test (its bot and its bundled recipes). Printed, one line per branch:
the branch, its tree, a hash of its commit message and author, the commit's id (the whole object: dates
are fixed) and a hash of its PR (title, labels, body).
The PR body's hidden marker keeps every field but `change`, `inputs` and `recipe_inputs`: all three hash
the recipe's files (its fingerprint), which a move of a recipe's code changes by design (open PRs are then
regenerated with the same content). With --against REF the same runs on REF (a temporary worktree) and the two listings
are compared line by line: the check each recipe move onto the rule form passes (docs/recipes.md).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLEETS = (ROOT / "examples" / "fleet", ROOT / "examples" / "second-fleet")
_MARKER = re.compile(r"<!-- upgrade-bot:(\{.*?\}) -->", re.S)
_FINGERPRINTED = ("change", "inputs", "recipe_inputs")  # hashes of the recipe's own files, see the docstring
_DATE = "2024-01-01T00:00:00+00:00"
_ENV = {"GIT_AUTHOR_NAME": "Fleet Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.com",
        "GIT_COMMITTER_NAME": "Fleet Maintainer", "GIT_COMMITTER_EMAIL": "maintainer@example.com",
        "GIT_AUTHOR_DATE": _DATE, "GIT_COMMITTER_DATE": _DATE}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **_ENV}).stdout


FIXTURES = """
import dataclasses, hashlib, json, sys, tomlkit
from bot.config import BUNDLED_RECIPES
from bot.model import ServiceSource
try:
    from bot.change.fixtures import fixture_cases
    from bot.change.recipe import load_recipes
except ImportError:  # a checkout from before bot/ was grouped in phase folders
    from bot.fixtures import fixture_cases
    from bot.recipe import load_recipes
fixtures = sys.modules[fixture_cases.__module__]
read_tree = getattr(fixtures, "read_tree", None) or fixtures._read_tree  # named _read_tree before 5662c2b
for recipe in load_recipes([BUNDLED_RECIPES]):
    for case in fixture_cases(recipe):
        settings = tomlkit.parse((case / "case.toml").read_text()).unwrap() if (case / "case.toml").is_file() else {}
        try:
            result = recipe.codemod(settings.get("options")).migrate(ServiceSource(case.name, read_tree(case / "before")))
            payload = json.dumps(dataclasses.asdict(result), sort_keys=True)
        except Exception as exc:
            payload = f"raised {type(exc).__name__}: {exc}"
        print(f"fixture {recipe.id}/{case.name} result={hashlib.sha256(payload.encode()).hexdigest()[:12]}")
"""


def fixture_lines(checkout: Path) -> list[str]:
    """One line per fixture case of the checkout's bundled recipes: a hash of the whole codemod result."""
    done = subprocess.run([sys.executable, "-c", FIXTURES], cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)},
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{checkout}: running the fixtures failed:\n{done.stderr[-3000:]}")
    return done.stdout.splitlines()


def fleet_repository(fleet: Path, root: Path) -> Path:
    work, origin = root / "work", root / "origin.git"
    shutil.copytree(fleet, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git("init", "-q", "--bare", "--initial-branch=main", str(origin), cwd=root)
    git("init", "-q", "--initial-branch=main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "fleet", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "-q", "-u", "origin", "main", cwd=work)
    return work


def roll_out(checkout: Path, work: Path) -> None:
    """The bot of `checkout` (its code and bundled recipes) opens every PR of the fleet."""
    env = {**os.environ, **_ENV, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-m", "bot", "--repo", str(work), "run", "--skip-checks", "--all-waves"],
                          cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{checkout}: upgrade-bot run exited {done.returncode}:\n{done.stderr[-3000:]}")


def normalized_body(body: str) -> str:
    def without_fingerprints(match: re.Match) -> str:
        meta = json.loads(match.group(1))
        for key in _FINGERPRINTED:
            if key in meta:
                meta[key] = "<recipe fingerprint>"
        return f"<!-- upgrade-bot:{json.dumps(meta, sort_keys=True)} -->"
    return _MARKER.sub(without_fingerprints, body)


def short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def digest_lines(work: Path, fleet_name: str) -> list[str]:
    prs = {}
    for path in sorted((work / ".git" / "upgrade-bot" / "forge" / "prs").glob("*.json")):
        if path.stem.isdigit():
            pr = json.loads(path.read_text())["pr"]
            prs[pr["head"]] = pr
    lines = []
    heads = git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=work.parent / "origin.git").split()
    for branch in sorted(h for h in heads if h != "main"):
        tree = git("rev-parse", f"{branch}^{{tree}}", cwd=work.parent / "origin.git").strip()
        commit = git("log", "-1", "--format=%an <%ae>%n%B", branch, cwd=work.parent / "origin.git")
        # the commit object itself (dates are fixed): its header and bytes, not only tree, author and message
        object_id = git("rev-parse", branch, cwd=work.parent / "origin.git").strip()
        pr = prs.get(branch)
        pr_hash = short(json.dumps([pr["title"], sorted(pr.get("labels", [])), normalized_body(pr["body"])]))\
            if pr else "no-pr"
        lines.append(f"{fleet_name} {branch} tree={tree[:12]} commit={short(commit)} id={object_id[:12]} pr={pr_hash}")
    orphans = sorted(set(prs) - set(heads))
    lines += [f"{fleet_name} {head} pr-without-branch" for head in orphans]
    return lines


def fleet_digest(checkout: Path, fleets: list[Path], keep: Path | None = None) -> list[str]:
    lines = fixture_lines(checkout)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    for fleet in fleets:
        scratch = Path(tempfile.mkdtemp(prefix="fleet-digest-", dir=keep))
        try:
            work = fleet_repository(fleet, scratch)
            roll_out(checkout, work)
            lines += digest_lines(work, fleet.name)
        finally:
            if keep is None:
                shutil.rmtree(scratch, ignore_errors=True)
    return lines


def digest_at(ref: str, fleets: list[Path], keep: Path | None = None) -> list[str]:
    """The same digest made by the bot at git `ref` (a temporary worktree), on the same fleets."""
    tree = Path(tempfile.mkdtemp(prefix="fleet-digest-ref-"))
    try:
        git("worktree", "add", "-q", "--detach", str(tree / "checkout"), ref, cwd=ROOT)
        return fleet_digest(tree / "checkout", fleets, keep)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree / "checkout")], cwd=ROOT, capture_output=True)
        shutil.rmtree(tree, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", type=Path, action="append", help="fleet folder (default: both example fleets)")
    parser.add_argument("--against", metavar="REF", help="also digest git REF and compare")
    parser.add_argument("--out", type=Path, help="write this checkout's listing here")
    parser.add_argument("--keep", type=Path, help="keep the rolled-out repositories under this folder "
                                                   "(REF's under KEEP/against, to diff a PR body with this checkout's)")
    args = parser.parse_args(argv)
    fleets = [f.resolve() for f in args.fleet] if args.fleet else list(FLEETS)
    lines = fleet_digest(ROOT, fleets, args.keep)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    total = short("\n".join(lines))
    print("\n".join(lines))
    print(f"{sum(not l.startswith('fixture ') for l in lines)} branches, "
          f"{sum(l.startswith('fixture ') for l in lines)} fixture cases, digest {total}")
    if not args.against:
        return 0
    theirs = digest_at(args.against, fleets, args.keep / "against" if args.keep else None)
    if theirs == lines:
        print(f"identical to {args.against}: every fixture result, branch tree, commit and PR body")
        return 0
    mine, other = set(lines), set(theirs)
    for line in sorted(other - mine):
        print(f"- {args.against}: {line}")
    for line in sorted(mine - other):
        print(f"+ this checkout: {line}")
    print(f"DIFFERENT from {args.against}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
