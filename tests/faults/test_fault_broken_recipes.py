"""Faults 8 and 9: a broken repo-local recipe must not stop status, revert or /revert (it fails its own
jobs, with the reason), and a codemod that calls sys.exit() or raises any BaseException but
KeyboardInterrupt fails its job alone, with a message."""
from __future__ import annotations

import shutil

import pytest
from conftest import TEST_RECIPES, Monorepo, run_bot, widgets_service
from faultkit import fault_recipes, fleet, prs, violations

pytestmark = pytest.mark.fault

REQUESTS_RECIPE = '''[recipe]
title = "Upgrade requests to 3"
package = "requests"
version = "3.0"
codemod = "codemod.py:Nope"

[[requirements]]
action = "set"
package = "requests"
spec = "==3.0"
'''


def broken_recipe_world(root, extra_config: str = "") -> Monorepo:
    recipes = root / "recipes"
    shutil.copytree(TEST_RECIPES / "widgets-2.0", recipes / "widgets-2.0")
    (recipes / "unparsable-1.0").mkdir()
    (recipes / "unparsable-1.0/recipe.toml").write_text("[recipe\n")
    (recipes / "requests-3.0").mkdir()
    (recipes / "requests-3.0/recipe.toml").write_text(REQUESTS_RECIPE)
    (recipes / "requests-3.0/codemod.py").write_text("import not_a_module_anywhere\n")
    files = {"upgrade-bot.toml": f'recipe-dirs = ["{recipes.as_posix()}"]\n'
                                 f'enabled-recipes = ["widgets-2.0", "unparsable-1.0", "requests-3.0"]\n' + extra_config}
    files.update(widgets_service("alpha"))
    return Monorepo(root, files)


@pytest.mark.parametrize("config_extra", [
    "",
    # check_recipe_settings reads recipe.toml for the option types: a broken one must fail its own jobs
    # there too, not make every command exit 2
    '\n[recipes."unparsable-1.0"]\nkeep-going = true\n',
], ids=["no-options", "options-set-in-config"])
def test_a_broken_recipe_fails_its_own_jobs_and_rollback_still_works(tmp_path, capsys, config_extra):
    repo = broken_recipe_world(tmp_path, config_extra)
    assert run_bot(repo, "run", "--all-waves") == 1
    out = capsys.readouterr().out
    assert "failed: recipe unparsable-1.0 does not load" in out and "recipe.toml: cannot load" in out
    assert "failed: requests-3.0/alpha:" in out and "import failed: ModuleNotFoundError" in out
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert run_bot(repo, "local", "merge", "1") == 0
    assert run_bot(repo, "status") == 0
    assert "recipe unparsable-1.0 does not load" in capsys.readouterr().out
    assert run_bot(repo, "local", "comment", "1", "/revert") == 0
    assert "Opened #2 to revert this PR" in capsys.readouterr().out
    assert run_bot(repo, "local", "close", "2") == 0
    assert run_bot(repo, "revert", "--pr", "1") == 0
    assert violations(repo) == []


EXITING_CODEMOD = '''

class ExitingCodemod(WidgetsCodemod):
    def migrate(self, service):
        if service.name == "beta":
            import sys
            sys.exit(3)
        if service.name == "gamma":
            class Escape(BaseException):
                pass
            raise Escape("left through the roof")
        return super().migrate(service)
'''


def test_a_codemod_that_exits_or_raises_base_exception_fails_its_job_alone(tmp_path, capsys):
    recipes = fault_recipes(tmp_path, EXITING_CODEMOD, "ExitingCodemod")
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"), recipes=recipes)
    assert run_bot(repo, "run") == 1
    out = capsys.readouterr().out
    assert "failed: widgets-2.0/beta: services/beta: widgets-2.0 codemod failed: SystemExit: 3" in out
    assert "failed: widgets-2.0/gamma: services/gamma: widgets-2.0 codemod failed: Escape: left through the roof" in out
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert violations(repo) == []
