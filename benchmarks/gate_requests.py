"""GitHub requests of a no-op `run` as the rollout grows (issue 18 item 3), by hand, never in CI:

    python benchmarks/gate_requests.py [--sizes 4 21 55]

For each size N, on the fake GitHub (tests/fake_github, the real PyGithub client): a fleet with N services in
wave 1 and N in wave 2; wave 1's PRs merged with green CI; then the requests of a no-op run with N PRs open
(wave 2) and, after wave 2 is merged too and one run has settled it, with 2N merged. Counts, not timings:
they are the same on any machine. tests/test_gate.py asserts they do not grow with N."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import TEST_RECIPES, Monorepo, widgets_service  # noqa: E402

from bot.cli import main  # noqa: E402
from fake_github import FakeGitHub  # noqa: E402


def measure(root: Path, size: int) -> tuple[int, int, int]:
    first, second = [f"a{i:03d}" for i in range(size)], [f"b{i:03d}" for i in range(size)]
    tiers = "".join(f'{n} = "low"\n' for n in first) + "".join(f'{n} = "medium"\n' for n in second)
    files = {"upgrade-bot.toml": f'services = "services/*"\nrecipe-dirs = ["{TEST_RECIPES.as_posix()}"]\n'
                                 f'enabled-recipes = ["widgets-2.0"]\n\n[tiers]\n{tiers}'}
    for name in first + second:
        files.update(widgets_service(name))
    repo = Monorepo(root, files)
    with FakeGitHub(repo.origin, "acme", "fleet") as gh:
        gh.add_user("mona", "maintain")
        os.environ.update({"GITHUB_REPOSITORY": "acme/fleet", "GITHUB_TOKEN": gh.token, "GITHUB_API_URL": gh.api_url,
                           "UPGRADE_BOT_PUSH_URL": str(repo.origin), "UPGRADE_BOT_WRITE_SPACING": "0",
                           "UPGRADE_BOT_READ_SPACING": "0", "GIT_TERMINAL_PROMPT": "0"})
        os.environ.pop("UPGRADE_BOT_TOKEN", None)

        def run() -> int:
            gh.clear_requests()
            main(["--repo", str(repo.work), "--forge", "github", "run", "--skip-checks"])
            return len(gh.requests)

        def merge(names: list[str]) -> None:
            heads = {f"upgrade-bot/widgets-2.0/{n}" for n in names}
            for pr in [p for p in gh.pulls() if p.head in heads and p.state == "open"]:
                merged = gh.state.merge_pull(pr.number, user="mona")
                gh.state.add_check_run(merged.merge_commit_sha, "tests", conclusion="success")

        run()
        merge(first)
        run()  # opens wave 2
        open_noop = run()
        merge(second)
        settle = run()  # fills merge shas into rollback commands, refreshes the dashboard
        merged_noop = run()
        return open_noop, settle, merged_noop


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 21, 55])
    args = parser.parse_args()
    devnull = open(os.devnull, "w")
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            stdout, stderr = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = devnull
            try:
                rows.append((size, *measure(Path(tmp), size)))
            finally:
                sys.stdout, sys.stderr = stdout, stderr
    print("N per wave | no-op, N open + N merged | run after merging wave 2 | no-op, 2N merged")
    for size, open_noop, settle, merged_noop in rows:
        print(f"{size:10d} | {open_noop:24d} | {settle:24d} | {merged_noop:16d}")


if __name__ == "__main__":
    main_()
