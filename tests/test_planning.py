"""Wave selection, critical services one at a time, limits: plain data in, plain data out."""
from __future__ import annotations


from conftest import TEST_RECIPES

from bot.change.recipe import load_recipes
from bot.config import Config
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.plan.jobs import make_plan, select_jobs

RECIPES = load_recipes([TEST_RECIPES])


def plan_for(tiers: dict[str, str], **config):
    files = {f"services/{name}/requirements.txt": "widgets==1.0\n" for name in tiers}
    services, skipped = discover(MemorySnapshot(files), ("services/*",))
    cfg = Config(source="test", tiers=tiers, **config)
    return make_plan(services, skipped, RECIPES, cfg), cfg


def keys(jobs):
    return [j.service.name for j in jobs]


def test_only_the_earliest_unfinished_wave_opens():
    plan, cfg = plan_for({"a": "low", "b": "low", "m": "medium", "h": "high"})
    sel = select_jobs(plan, {}, cfg)
    assert keys(sel.open) == ["a", "b"] and sel.current_wave == 1  # waves are numbered from 1, as they run
    sel = select_jobs(plan, {"widgets-2.0/a": "merged", "widgets-2.0/b": "open"}, cfg)
    assert keys(sel.open) == [] and keys(sel.maintain) == ["b"]
    sel = select_jobs(plan, {"widgets-2.0/a": "merged", "widgets-2.0/b": "closed"}, cfg)
    assert keys(sel.open) == ["m"]


def test_a_merged_wave_that_is_not_green_blocks_the_next():
    plan, cfg = plan_for({"a": "low", "m": "medium"})
    sel = select_jobs(plan, {"widgets-2.0/a": "merged"}, cfg, is_green=lambda jobs: (False, "tests fail on main"))
    assert sel.open == [] and "not green: tests fail on main" in sel.blocked[0]
    early, cfg_early = plan_for({"a": "low", "m": "medium"}, open_next_wave_early=True)
    sel = select_jobs(early, {"widgets-2.0/a": "merged"}, cfg_early, is_green=lambda jobs: (False, "red"))
    assert keys(sel.open) == ["m"]


def test_critical_services_open_one_at_a_time():
    plan, cfg = plan_for({"x": "critical", "y": "critical", "z": "critical"})
    sel = select_jobs(plan, {}, cfg)
    assert keys(sel.open) == ["x"] and "y, z wait for x" in sel.blocked[0]
    sel = select_jobs(plan, {"widgets-2.0/x": "open"}, cfg)
    assert keys(sel.open) == []
    sel = select_jobs(plan, {"widgets-2.0/x": "merged"}, cfg)
    assert keys(sel.open) == ["y"]
    red = select_jobs(plan, {"widgets-2.0/x": "merged"}, cfg, is_green=lambda jobs: (False, "red after merge"))
    assert keys(red.open) == [] and "critical service x is merged but not green: red after merge" in red.blocked


def test_limits_trickle_prs_out_in_priority_order():
    tiers = {name: "low" for name in "edcba"}
    plan, cfg = plan_for(tiers, max_prs_per_run=2)
    assert keys(select_jobs(plan, {}, cfg).open) == ["a", "b"]
    plan, cfg = plan_for(tiers, max_open_prs=3)
    sel = select_jobs(plan, {"widgets-2.0/a": "open", "widgets-2.0/b": "open"}, cfg)
    assert keys(sel.open) == ["c"] and "limits hold back 2" in sel.blocked[-1]


def test_all_waves_ignores_gating_but_not_limits():
    plan, cfg = plan_for({"a": "low", "m": "medium", "h": "high"}, max_prs_per_run=2)
    assert keys(select_jobs(plan, {}, cfg, all_waves=True).open) == ["a", "m"]


def test_a_service_already_at_the_target_version_has_no_job():
    files = {"services/done/requirements.txt": "widgets==2.0\n", "services/todo/requirements.txt": "widgets>=1\n"}
    services, skipped = discover(MemorySnapshot(files), ("services/*",))
    plan = make_plan(services, skipped, RECIPES, Config(source="test"))
    assert keys(plan.jobs) == ["todo"]
    assert plan.not_applicable[0].reason == "widgets-2.0: already at 2.0"


def test_discovery_follows_requirements_dir_and_includes():
    files = {
        "services/bp/requirements/base.txt": "widgets==1.0\n",
        "services/bp/requirements/test.txt": "-r base.txt\npytest==8.3.5\n",
        "services/bp/app.py": "import widgets\nfrom os import path\n",
        "services/lost/requirements.txt": "-r missing.txt\n",
        "services/pp/pyproject.toml": '[project]\nname = "pp"\ndependencies = ["widgets>=1"]\n'
                                      '[dependency-groups]\ntest = ["pytest"]\n',
    }
    services, _ = discover(MemorySnapshot(files), ("services/*",))
    by_name = {s.name: s for s in services}
    assert by_name["bp"].requirement_files == ["requirements/base.txt", "requirements/test.txt"]
    assert by_name["bp"].imports == {"widgets", "os"}
    assert by_name["lost"].problems == ["services/lost/requirements.txt: includes missing.txt, which does not exist"]
    assert [d.name for d in by_name["pp"].declarations] == ["widgets", "pytest"]


def test_codemods_see_the_declared_python_version_but_no_other_dotfile():
    files = {"services/a/requirements.txt": "widgets==1.0\n", "services/a/.python-version": "3.9\n",
             "services/a/.env.txt": "SECRET=1\n", "services/a/.tox/x.py": "", "services/a/pkg/.python-version": "3.8\n"}
    (service,), _ = discover(MemorySnapshot(files), ("services/*",))
    assert sorted(service.files) == [".python-version", "requirements.txt"]
