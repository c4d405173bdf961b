"""Fault 2: two services with the same folder name (teams/a/api, teams/b/api; services/api and legacy/api)
got one branch and one PR. Branch names and job keys are unique per service path, unchanged for single-level
layouts, and `plan` refuses layouts whose services git still cannot give a branch each."""
from __future__ import annotations

import json
import re

import pytest
from conftest import Monorepo, run_bot, widgets_service
from faultkit import fault_recipes, origin_branches, prs, violations

pytestmark = pytest.mark.fault


def nested(root, services, patterns) -> Monorepo:
    recipes = fault_recipes(root)
    files = {"upgrade-bot.toml": f'services = {json.dumps(patterns)}\nrecipe-dirs = ["{recipes.as_posix()}"]\n'
                                 f'enabled-recipes = ["widgets-2.0"]\n'}
    for path in services:
        for rel, text in widgets_service("x").items():
            files[rel.replace("services/x", path, 1)] = text
    return Monorepo(root, files)


@pytest.mark.parametrize("services, patterns, keys", [
    (["teams/a/api", "teams/b/api", "services/alpha"], ["teams/*/*", "services/*"], ["a/api", "alpha", "b/api"]),
    # the same folder name under two patterns keeps its leading folder; keys no other pattern shares stay
    (["services/api", "legacy/api", "services/alpha"], ["services/*", "legacy/*"],
     ["alpha", "legacy/api", "services/api"]),
], ids=["two-teams", "two-patterns"])
def test_one_folder_name_in_two_places_gets_two_branches_and_two_prs(tmp_path, capsys, services, patterns, keys):
    repo = nested(tmp_path, services, patterns)
    assert run_bot(repo, "plan", "--json") == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert sorted(j["branch"] for j in jobs) == [f"upgrade-bot/widgets-2.0/{key}" for key in keys]
    assert run_bot(repo, "run", "--all-waves") == 0
    assert sorted(p["head"] for p in prs(repo)) == sorted(j["branch"] for j in jobs)
    assert run_bot(repo, "run", "--all-waves") == 0  # a re-run finds each PR again: none is overwritten
    assert len(prs(repo)) == 3 and violations(repo, jobs=3) == []
    capsys.readouterr()
    assert run_bot(repo, "status", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted(r["service"] for r in rows) == keys
    assert {r["state"] for r in rows} == {"could not validate"}  # --skip-checks: nothing was validated


def test_a_service_added_later_under_another_pattern_leaves_the_open_pr_where_it_is(tmp_path, capsys):
    """services/api has its PR under `api`; legacy/api appears: services/api keeps its key (its PR is
    still found and updated in place, never a second one), the newcomer keeps its leading folder."""
    repo = nested(tmp_path, ["services/api"], ["services/*", "legacy/*"])
    assert run_bot(repo, "run", "--all-waves") == 0
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/api"]
    added = {rel.replace("services/x", "legacy/api", 1): text for rel, text in widgets_service("x").items()}
    repo.commit_on_main({**added, "services/api/x/extra.py": "X = 1\n"})
    assert run_bot(repo, "run", "--all-waves") == 0
    assert sorted(p["head"] for p in prs(repo)) == ["upgrade-bot/widgets-2.0/api", "upgrade-bot/widgets-2.0/legacy/api"]
    assert [p["state"] for p in prs(repo)] == ["open", "open"] and violations(repo, jobs=2) == []
    assert run_bot(repo, "run", "--all-waves") == 0 and len(prs(repo)) == 2


def test_services_whose_branches_git_cannot_hold_together_are_still_refused(tmp_path, capsys):
    """legacy/api keeps its leading folder (services/api is there too), and services/legacy is `legacy`:
    one ref would be a folder of the other."""
    repo = nested(tmp_path, ["services/api", "legacy/api", "services/legacy", "services/alpha"],
                  ["services/*", "legacy/*"])
    assert run_bot(repo, "plan") == 1
    out = capsys.readouterr().out
    assert "broken legacy/api: legacy/api and services/legacy would share branch names" in out
    assert run_bot(repo, "run", "--all-waves") == 1
    assert sorted(p["head"] for p in prs(repo)) == ["upgrade-bot/widgets-2.0/alpha",  # the others go on
                                                     "upgrade-bot/widgets-2.0/services/api"]


def root_and_services(root, extra: tuple[str, ...] = ()) -> Monorepo:
    recipes = fault_recipes(root)
    files = {"upgrade-bot.toml": f'services = [".", "services/*"]\nrecipe-dirs = ["{recipes.as_posix()}"]\n'
                                 f'enabled-recipes = ["widgets-2.0"]\n'}
    for name in ("x", "alpha", *extra):
        for rel, text in widgets_service(name).items():
            files[rel.replace("services/x/", "", 1) if name == "x" else rel] = text
    return Monorepo(root, files)


def test_a_root_service_beside_sub_services_gets_a_branch_git_can_hold_with_theirs(tmp_path, capsys):
    """`<prefix>/<recipe>` and `<prefix>/<recipe>/alpha` cannot both exist in git: beside other services
    the root's branch is `<prefix>/<recipe>/root`."""
    repo = root_and_services(tmp_path)
    assert run_bot(repo, "plan", "--json") == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert sorted(j["branch"] for j in jobs) == ["upgrade-bot/widgets-2.0/alpha", "upgrade-bot/widgets-2.0/root"]
    assert run_bot(repo, "run", "--all-waves") == 0
    assert sorted(p["head"] for p in prs(repo)) == sorted(j["branch"] for j in jobs)
    assert sorted(origin_branches(repo)) == ["main", *sorted(j["branch"] for j in jobs)]
    assert run_bot(repo, "run", "--all-waves") == 0 and len(prs(repo)) == 2


def test_a_sub_service_named_root_beside_the_root_service_is_refused_at_plan(tmp_path, capsys):
    repo = root_and_services(tmp_path, extra=("root",))
    assert run_bot(repo, "plan") == 1
    out = capsys.readouterr().out
    assert "broken services/root: services/root and . would share branch names (<prefix>/<recipe>/root)" in out
    assert run_bot(repo, "run", "--all-waves") == 1
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]


def test_a_root_project_named_like_a_sub_service_keeps_its_own_pr(tmp_path, capsys):
    """The root goes by its project's name: a root project `alpha` beside services/alpha shared the job
    key `widgets-2.0/alpha`, so a re-run found one PR for both and the root's PR was orphaned. The root
    is `root` then, in its job key as in its branch."""
    repo = root_and_services(tmp_path)
    repo.commit_on_main({"pyproject.toml": '[project]\nname = "alpha"\nversion = "1"\ndependencies = ["widgets==1.4"]\n'})
    assert run_bot(repo, "run", "--all-waves") == 0
    heads = sorted(p["head"] for p in prs(repo))
    assert heads == ["upgrade-bot/widgets-2.0/alpha", "upgrade-bot/widgets-2.0/root"]
    capsys.readouterr()
    assert run_bot(repo, "run", "--all-waves") == 0
    assert sorted(p["head"] for p in prs(repo)) == heads and violations(repo, jobs=2) == []
    captured = capsys.readouterr()
    assert sorted(re.findall(r"unchanged +#(\d+)", captured.out + captured.err)) == ["1", "1", "2", "2"]
    assert run_bot(repo, "status", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted(r["service"] for r in rows) == ["alpha", "root"]
    assert len({r["pr"] for r in rows}) == 2, rows
