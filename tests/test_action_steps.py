"""action.yml run as a runner runs it (tests/action_runner.py): its input check, the install of the bot from the
action's own folder into a venv of its own, the bot's command line and the cache keys, against the fake GitHub
of tests/test_github_flow.py. The App token is GitHub's own action and is not run here."""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import pytest
from action_runner import CacheKeys, run_action, runner_env
from test_github_flow import LOW_SERVICES, wave_world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_the_action_checks_installs_and_runs_the_bot(wave_world, tmp_path):
    world = wave_world
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    # the install step downloads; a HOME of its own, since the machine's ~/.cache/upgrade-bot/envs changes
    # under other test runs and the cache key is made from it
    env = {**{k: v for k, v in runner_env().items() if k != "UV_OFFLINE"}, "HOME": str(tmp_path / "home")}
    caches = CacheKeys()

    def action(**with_: str):
        return run_action(ROOT, with_, workspace=world.repo.work, runner_temp=temp, env=env, caches=caches,
                          github={"token": world.gh.token, "event_name": "schedule"})

    bad = action(command="run", shard="3/2")
    assert bad.failed is not None and bad.failed.returncode == 2 and len(bad.log) == 1  # nothing installed
    assert bad.failed.stdout == "::error title=upgrade-bot::input 'shard': '3/2' is out of range: " \
                                "I must be between 1 and N\n"

    shards = action(command="shards")
    assert shards.failed is None, shards.failed and shards.failed.stderr[-3000:]
    assert "upgrade-bot " in shards.log[-3].stdout  # the install step printed the installed version
    matrix = json.loads(shards.outputs["matrix"])
    assert [entry["shard"] for entry in matrix["include"]] == ["1/1"]

    dry = action(command="run", shard="1/1", **{"dry-run": "true", "all-waves": "true"})
    assert dry.failed is None, dry.failed and dry.failed.stdout[-3000:] + dry.failed.stderr[-3000:]
    assert "+widgets==2.0" in dry.log[-2].stdout and "new_call" in dry.log[-2].stdout
    assert world.writes() == [] and world.pushes() == ""  # a dry run writes nothing

    dashboard = action(command="dashboard")
    assert dashboard.failed is None, dashboard.failed and dashboard.failed.stderr[-3000:]
    assert [(method, path) for method, path, _ in world.writes()] == [("POST", "/repos/acme/fleet/issues")]

    # each shard's environments are saved when its run built one that the restored entry lacked, and only then
    (tmp_path / "home" / ".cache" / "upgrade-bot" / "envs" / "an-environment-built-by-this-run").mkdir()
    assert action(command="dashboard").failed is None
    python = f"upgrade-bot-Linux-py{platform.python_version()}"
    empty, one = (hashlib.sha256(listing.encode()).hexdigest()[:16]
                  for listing in ("", "an-environment-built-by-this-run\n"))
    assert caches.saved == [f"{python}-all-{empty}", f"{python}-1-of-1-{empty}", f"{python}-all-{one}"]
