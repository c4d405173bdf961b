"""The wave gate on GitHub, against the fake GitHub with the real PyGithub client: a wave is done when its PRs
are merged or closed and the base tip (which holds every merge) is green. One status read of the tip per
run, whatever the number of PRs; a red merge commit fixed later never blocks; a red tip says what a human
does, and `/accept-wave` (or `upgrade-bot accept-wave`) lets the next wave go."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TEST_RECIPES, Monorepo, git, widgets_service

from bot.cli import main
from fake_github import FakeGitHub

OWNER, REPO = "acme", "fleet"
MAINTAINER = "mona"


class Rollout:
    """A fleet with `first` services in wave 1 (low) and `second` in wave 2 (medium), on the fake GitHub."""

    def __init__(self, repo: Monorepo, gh: FakeGitHub, first: list[str], second: list[str]) -> None:
        self.repo, self.gh, self.first, self.second = repo, gh, first, second

    def cli(self, *args: str) -> int:
        return main(["--repo", str(self.repo.work), "--forge", "github", *args])

    def run(self) -> int:
        return self.cli("run", "--skip-checks")

    def prs(self, services: list[str]):
        heads = {f"upgrade-bot/widgets-2.0/{s}" for s in services}
        return [p for p in self.gh.pulls() if p.head in heads]

    def merge(self, services: list[str], conclusion: str | None = "success") -> list[str]:
        """A maintainer merges their PRs; CI reports on each merge commit (None: no CI at all)."""
        shas = []
        for pr in self.prs(services):
            merged = self.gh.state.merge_pull(pr.number, user=MAINTAINER)
            shas.append(merged.merge_commit_sha)
            if conclusion:
                self.gh.state.add_check_run(merged.merge_commit_sha, "tests", conclusion=conclusion)
        return shas

    def tip(self) -> str:
        return git(self.repo.origin, "rev-parse", "main")

    def noop_requests(self) -> list[tuple[str, str]]:
        self.gh.clear_requests()
        assert self.run() == 0
        return [(r.method, r.path) for r in self.gh.requests]


def make_rollout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int, second: int):
    names1, names2 = [f"a{i:03d}" for i in range(first)], [f"b{i:03d}" for i in range(second)]
    tiers = "".join(f'{n} = "low"\n' for n in names1) + "".join(f'{n} = "medium"\n' for n in names2)
    files = {"upgrade-bot.toml": f'services = "services/*"\nrecipe-dirs = ["{TEST_RECIPES.as_posix()}"]\n'
                                 f'enabled-recipes = ["widgets-2.0"]\n\n[tiers]\n{tiers}'}
    for name in names1 + names2:
        files.update(widgets_service(name))
    repo = Monorepo(tmp_path, files)
    gh = FakeGitHub(repo.origin, OWNER, REPO)
    gh.__enter__()
    gh.add_user(MAINTAINER, "maintain")
    for name, value in {"GITHUB_REPOSITORY": f"{OWNER}/{REPO}", "GITHUB_TOKEN": gh.token,
                        "GITHUB_API_URL": gh.api_url, "UPGRADE_BOT_PUSH_URL": str(repo.origin),
                        "UPGRADE_BOT_WRITE_SPACING": "0", "UPGRADE_BOT_READ_SPACING": "0",
                        "UPGRADE_BOT_MAX_WAIT": "3", "GIT_TERMINAL_PROMPT": "0"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("UPGRADE_BOT_TOKEN", raising=False)
    return Rollout(repo, gh, names1, names2)


@pytest.fixture
def rollouts(tmp_path, monkeypatch):
    made = []

    def make(first: int, second: int) -> Rollout:
        (tmp_path / f"r{len(made)}").mkdir()
        rollout = make_rollout(tmp_path / f"r{len(made)}", monkeypatch, first, second)
        made.append(rollout)
        return rollout
    yield make
    for rollout in made:
        rollout.gh.__exit__(None, None, None)


def gate_reads(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for c in calls if "/commits/" in c[1]]


def test_a_noop_run_costs_the_same_requests_whatever_the_number_of_open_or_merged_prs(rollouts):
    """README (On GitHub, API budget): a no-op run lists the PRs (ceil(PRs/100) pages), looks up the dashboard
    and reads the tip's checks at most once, cached by sha once green: the same count for 4 PRs and 48."""
    counts = {}
    for size in (2, 24):
        rollout = rollouts(size, size)
        assert rollout.run() == 0
        rollout.merge(rollout.first)
        assert rollout.run() == 0 and len(rollout.prs(rollout.second)) == size  # the gate opened wave 2
        open_calls = rollout.noop_requests()  # wave 1 merged, wave 2 open
        rollout.merge(rollout.second)
        rollout.gh.clear_requests()
        assert rollout.run() == 0  # writes each merge sha into its PR's rollback command, once; a new tip
        # no wave is left to hold back: the tip's checks are not read at all
        assert gate_reads([(r.method, r.path) for r in rollout.gh.requests]) == []
        merged_calls = rollout.noop_requests()  # everything merged, nothing to do
        counts[size] = (len(open_calls), len(merged_calls))
        assert all(method == "GET" for method, _ in open_calls + merged_calls)
        assert gate_reads(open_calls + merged_calls) == []  # these tips were read green once, and remembered
    assert counts[2] == counts[24], counts
    assert max(counts[24]) <= 5


def test_the_gate_reads_the_tip_once_per_run_and_remembers_it_green_across_shards(rollouts):
    rollout = rollouts(3, 2)
    assert rollout.run() == 0
    rollout.merge(rollout.first)
    rollout.gh.clear_requests()
    for shard in ("1/2", "2/2"):
        assert rollout.cli("run", "--skip-checks", "--shard", shard) == 0
    assert gate_reads([(r.method, r.path) for r in rollout.gh.requests]) == [
        ("GET", f"/repos/{OWNER}/{REPO}/commits/{rollout.tip()}/check-runs"),
        ("GET", f"/repos/{OWNER}/{REPO}/commits/{rollout.tip()}/status")]


def test_a_red_merge_commit_fixed_later_does_not_block(rollouts, capsys):
    rollout = rollouts(2, 1)
    assert rollout.run() == 0
    red = rollout.merge(rollout.first, conclusion="failure")
    capsys.readouterr()
    assert rollout.run() == 0 and rollout.prs(rollout.second) == []
    out = capsys.readouterr().out
    assert f"checks fail on `main` at {rollout.tip()[:12]}" in out and "fix `main`" in out
    assert "`/accept-wave`" in out and "upgrade-bot accept-wave" in out
    fix = rollout.repo.commit_on_main({"docs/fix.md": "the fix\n"}, "fix the base")
    rollout.gh.state.add_check_run(fix, "tests", conclusion="success")
    assert fix not in red and rollout.run() == 0
    assert len(rollout.prs(rollout.second)) == 1  # the red merge commits are history: the tip is green


def test_a_tip_no_check_ran_on_waits_unless_untested_is_green(rollouts, capsys):
    rollout = rollouts(1, 1)
    assert rollout.run() == 0
    rollout.merge(rollout.first, conclusion=None)
    capsys.readouterr()
    assert rollout.run() == 0 and rollout.prs(rollout.second) == []
    assert "no check ran on `main`" in capsys.readouterr().out


@pytest.mark.parametrize("how", ["comment", "cli", "cli in a workflow"])
def test_a_maintainer_accepts_a_wave_whose_tip_is_red(rollouts, capsys, monkeypatch, how):
    rollout = rollouts(2, 1)
    assert rollout.run() == 0
    rollout.merge(rollout.first, conclusion="failure")
    assert rollout.run() == 0 and rollout.prs(rollout.second) == []
    merged = max(rollout.prs(rollout.first), key=lambda pr: pr.number)
    if how == "comment":
        comment = rollout.gh.comment_as(MAINTAINER, merged.number, "/accept-wave")
        event = rollout.repo.work.parent / "event.json"
        event.write_text(json.dumps(rollout.gh.issue_comment_event(comment.id)))
        capsys.readouterr()
        assert rollout.cli("command", "--event", str(event)) == 0
        assert f"Accepted by @{MAINTAINER}" in capsys.readouterr().out
    else:
        capsys.readouterr()
        if how == "cli":
            assert rollout.cli("accept-wave", "--by", MAINTAINER) == 0
        else:  # no --by: the actor GitHub Actions names
            monkeypatch.setenv("GITHUB_ACTOR", MAINTAINER)
            assert rollout.cli("accept-wave") == 0
        assert f"accepted wave 1 (recorded on #{merged.number})" in capsys.readouterr().out
    assert rollout.run() == 0
    assert len(rollout.prs(rollout.second)) == 1
    capsys.readouterr()
    assert rollout.cli("status", "--json") == 0
    assert not [b for b in json.loads(capsys.readouterr().out)["blocked"] if "not green" in b]


def test_accept_wave_refuses_a_wave_with_nothing_merged(rollouts, capsys):
    rollout = rollouts(1, 1)
    assert rollout.run() == 0
    assert rollout.cli("accept-wave") == 1
    assert "nothing to accept" in capsys.readouterr().err
