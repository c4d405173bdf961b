"""Recipe loading fails loudly; every recipe's fixtures pass (before/after, unchanged, idempotent)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TEST_RECIPES

from bot.change.examples import rule_example_outcomes
from bot.change.fixtures import fixture_cases, run_case, run_fixtures
from bot.change.recipe import load_recipe, load_recipes
from bot.cli import main
from bot.config import BUNDLED_RECIPES
from bot.errors import RecipeError

ALL_RECIPES = load_recipes([BUNDLED_RECIPES, TEST_RECIPES])
CASES = [pytest.param(recipe, case, id=f"{recipe.id}/{case.name}")
         for recipe in ALL_RECIPES for case in fixture_cases(recipe)]
EXAMPLES = [pytest.param(outcome, id=f"{outcome.recipe}/{outcome.case}")
            for recipe in ALL_RECIPES for outcome in rule_example_outcomes(recipe)]


@pytest.mark.parametrize(("recipe", "case"), CASES)
def test_fixture_case(recipe, case):
    outcome = run_case(recipe, case)
    assert outcome.problems == []


@pytest.mark.parametrize("outcome", EXAMPLES)
def test_rule_example(outcome):
    """Every VALID/INVALID example of every rule of the recipes in the rule form (bot.change.examples)."""
    assert outcome.problems == []


@pytest.mark.parametrize("recipe", ALL_RECIPES, ids=lambda r: r.id)
def test_every_recipe_has_fixtures_of_each_kind(recipe):
    cases = fixture_cases(recipe)
    assert any((c / "after").is_dir() for c in cases), "needs before/after cases"
    assert any(not (c / "after").is_dir() for c in cases), "needs an unchanged case"
    assert recipe.rules(), "a recipe's codemod lists its rules"


def test_bundled_recipes_are_the_four_upgrades():
    recipes = {r.id: r for r in load_recipes([BUNDLED_RECIPES])}
    assert sorted(recipes) == ["aiomqtt-2.4.0", "influxdb3-python-0.17.0", "pytest-asyncio-1.3.0", "tenacity-9.1.2"]
    assert recipes["aiomqtt-2.4.0"].package == "asyncio-mqtt"
    assert recipes["aiomqtt-2.4.0"].target_package == "aiomqtt"


def copy_recipe(tmp_path: Path) -> Path:
    folder = tmp_path / "widgets-2.0"
    shutil.copytree(TEST_RECIPES / "widgets-2.0", folder)
    return folder


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: (f / "recipe.toml").write_text("[recipe\n"), "recipe.toml: cannot load"),
    (lambda f: (f / "codemod.py").write_text("raise ImportError('boom')\n"), "codemod.py: import failed: ImportError: boom"),
    (lambda f: (f / "codemod.py").unlink(), "codemod module codemod.py not found"),
    (lambda f: (f / "recipe.toml").write_text((f / "recipe.toml").read_text().replace('action = "set"', 'action = "bump"')),
     "requirements[0].action must be one of set, add, replace, remove"),
    (lambda f: (f / "recipe.toml").write_text((f / "recipe.toml").read_text().replace("WidgetsCodemod", "Nope")),
     "Nope is not a bot.codemod.Codemod subclass"),
])
def test_a_broken_recipe_fails_loudly_naming_the_file(tmp_path, edit, message):
    folder = copy_recipe(tmp_path)
    edit(folder)
    with pytest.raises(RecipeError, match=re.escape(message)):
        load_recipe(folder).rules()  # the codemod is imported on first use


def test_unknown_recipe_option_is_refused(tmp_path):
    recipe = load_recipe(copy_recipe(tmp_path))
    with pytest.raises(RecipeError, match="unknown option 'flag_legcy'"):
        recipe.codemod({"flag_legcy": False})


def test_recipes_test_command_reports_a_failing_case(tmp_path, capsys):
    folder = copy_recipe(tmp_path)
    (folder / "fixtures/rename/after/app.py").write_text("wrong\n")
    (tmp_path / "upgrade-bot.toml").write_text(f'recipe-dirs = ["{tmp_path.as_posix()}"]\n')
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["--repo", str(tmp_path), "recipes", "test", "widgets-2.0"]) == 1
    out = capsys.readouterr().out
    assert "FAIL widgets-2.0/rename" in out and "app.py: output differs from after" in out
    assert "ok   widgets-2.0/unchanged-other-module" in out
    assert "    -wrong\n" in out and "    +widgets.new_call(1)\n" in out  # the diff: expected, then what came out


def test_manual_items_are_compared_exactly_also_in_unchanged_cases(tmp_path, capsys):
    folder = copy_recipe(tmp_path)
    (folder / "fixtures/unchanged-other-module/before/app.py").write_text("import widgets\nwidgets.legacy()\n")
    (folder / "fixtures/rename/case.toml").write_text('[[manual]]\nrule = "WID002"\nfile = "app.py"\nline = 3\n')
    outcomes = {o.case: o.problems for o in run_fixtures(load_recipe(folder))}
    assert outcomes["unchanged-other-module"] == [
        "manual items differ from case.toml:\n    + WID002 app.py:2 (listed, not expected): `widgets.legacy()`: "
        "legacy() was removed in 2.0"]
    assert outcomes["rename"] == [
        "manual items differ from case.toml:\n    - WID002 app.py:3 (expected, not listed)\n"
        "    + WID002 app.py:4 (listed, not expected): `widgets.legacy()`: legacy() was removed in 2.0"]


def test_recipes_new_writes_a_skeleton_that_passes_recipes_test(tmp_path, capsys):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["--repo", str(tmp_path), "recipes", "new", "acme-client-3.0"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "recipes" / "acme-client-3.0"
    assert f"upgrade-bot recipes test {folder}" in out and 'add recipe-dirs = ["recipes"] to upgrade-bot.toml' in out
    assert main(["--repo", str(tmp_path), "recipes", "test", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ok   acme-client-3.0/rename" in out and "ok   acme-client-3.0/ACM001 invalid 1" in out
    assert "FAIL" not in out
    (tmp_path / "upgrade-bot.toml").write_text('recipe-dirs = ["recipes"]\n')  # now it is a recipe like any
    assert main(["--repo", str(tmp_path), "recipes", "list"]) == 0
    assert "ACM001  acme_client.old_function -> acme_client.new_function (3.0 renamed it)" in capsys.readouterr().out
    assert main(["--repo", str(tmp_path), "recipes", "new", "acme-client-3.0"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--repo", str(tmp_path), "recipes", "new", "AcmeClient"]) == 2
    assert "must look like <package>-<version>" in capsys.readouterr().err


def test_a_rule_without_an_invalid_example_fails_recipes_test(tmp_path, capsys):
    folder = copy_recipe(tmp_path)
    code = folder / "codemod.py"
    code.write_text(code.read_text().replace('    INVALID = [Invalid("import widgets\\n\\nwidgets.legacy()\\n", items=[3])]\n', ""))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["--repo", str(tmp_path), "recipes", "test", str(folder)]) == 1
    assert "FAIL widgets-2.0/WID002\n       WID002 has no INVALID example" in capsys.readouterr().out
