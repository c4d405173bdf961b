"""Item 10 of issue 9: every configuration key is checked; each mistake is one line naming the file and key."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import TEST_RECIPES, WIDGETS_CONFIG, Monorepo, widgets_service

from bot.change.recipe import load_recipe, recipe_folders
from bot.cli import main
from bot.config import CONFIG_FILE, ConfigError, check_recipe_settings, load_config, parse_config
from bot.errors import RecipeError

README = Path(__file__).resolve().parent.parent / "README.md"
FOUR = ("alpha", "beta", "gamma", "delta")


def fleet(tmp_path: Path, config: str, services=FOUR) -> Monorepo:
    files = {CONFIG_FILE: config}
    for name in services:
        files.update(widgets_service(name))
    return Monorepo(tmp_path, files)


def plan(repo: Monorepo, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--repo", str(repo.work), "plan"])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_the_readme_example_config_is_valid_and_names_the_recipe(tmp_path):
    example = re.search(r"## Configuration.*?```toml\n(.*?)```", README.read_text(), re.S).group(1)
    (tmp_path / CONFIG_FILE).write_text(example.replace('recipe-dirs = ["tools/recipes"]', "recipe-dirs = []"))
    config = load_config(tmp_path)
    assert config.recipe_options == {"tenacity-9.1.2": {"add_reraise": False, "disable": []}}
    check_recipe_settings(config, recipe_folders(config.recipe_dirs))  # disable names rules the recipe has


def test_an_unquoted_dotted_recipe_id_is_read_as_that_recipe(tmp_path, capsys):
    config = WIDGETS_CONFIG + "\n[recipes.widgets-2.0]\nflag_legacy = false\n"
    assert load_config(fleet(tmp_path, config).work).recipe_options == {"widgets-2.0": {"flag_legacy": False}}


def test_quoted_and_unquoted_forms_of_one_id_are_refused_as_set_twice(tmp_path):
    (tmp_path / CONFIG_FILE).write_text('[recipes."a.b"]\nx = 1\n[recipes.a.b2]\ny = 2\n')
    assert set(load_config(tmp_path).recipe_options) == {"a.b", "a.b2"}
    with pytest.raises(ConfigError, match="set twice"):
        parse_config({"recipes": {"a.b": {"x": 1}, "a": {"b": {"y": 2}}}}, CONFIG_FILE, tmp_path)


def appended(tables: str):
    return lambda config: config + tables


@pytest.mark.parametrize(("edit", "expected"), [
    (appended('\n[recipes."widgets-2.1"]\nflag_legacy = false\n'), 'recipes."widgets-2.1": no such recipe'),
    (appended('\n[recipes."widgets-2.0"]\nflag_legacy = "no"\n'),
     "recipes.\"widgets-2.0\".flag_legacy: must be true or false, got 'no'"),
    (appended('\n[recipes."widgets-2.0"]\nflag_legcy = false\n'), 'recipes."widgets-2.0".flag_legcy: unknown option'),
    (appended('\n[recipes."tenacity-9.1.2"]\nadd_reraise = "no"\n'),  # a bundled recipe, not enabled here
     "recipes.\"tenacity-9.1.2\".add_reraise: must be true or false, got 'no'"),
    (appended('\n[identity]\nname = "bot"\nmail = "bot@example.com"\n'), "identity.mail: unknown key"),
    (appended('\n[[checks]]\nname = "t"\ncommand = "pytest"\ntimout = 5\n'), "checks[0].timout: unknown key"),
    (lambda config: config.replace("alpha = ", "alpah = "), "tiers.alpah: no such service; did you mean 'alpha'?"),
    (appended('\n[service-checks]\ngamam = [{name = "t", command = "pytest"}]\n'),
     "service-checks.gamam: no such service; did you mean 'gamma'?"),
    (lambda config: 'branch-prefix = "bots/up grade"\n' + config, "branch-prefix: not a valid git branch name"),
    (lambda config: 'base-branch = "trunk"\n' + config, "base-branch: origin has no branch 'trunk'"),
])
def test_a_config_mistake_exits_2_with_one_line_naming_file_and_key(tmp_path, capsys, edit, expected):
    repo = fleet(tmp_path, edit(WIDGETS_CONFIG))
    code, _, err = plan(repo, capsys)
    assert code == 2
    assert one_line_error(err).startswith(f"upgrade-bot: error: upgrade-bot.toml: {expected}")


def test_a_choice_option_refuses_a_value_outside_its_choices(tmp_path, capsys):
    config = ('services = "services/*"\nenabled-recipes = ["pytest-asyncio-1.3.0"]\n'
              '[recipes."pytest-asyncio-1.3.0"]\nmode = "strcit"\n')
    repo = Monorepo(tmp_path, {CONFIG_FILE: config, "services/a/requirements.txt": "pytest-asyncio==0.21.1\n"})
    code, _, err = plan(repo, capsys)
    assert code == 2
    assert "recipes.\"pytest-asyncio-1.3.0\".mode: 'strcit' is not one of 'strict', 'auto'" in one_line_error(err)


def test_a_tier_for_a_service_that_was_removed_is_a_warning_not_silence(tmp_path, capsys):
    repo = fleet(tmp_path, WIDGETS_CONFIG.replace('delta = "critical"', 'retired-service = "critical"'),
                 services=("alpha", "beta", "gamma"))
    code, out, err = plan(repo, capsys)
    assert code == 0 and "3 jobs" in out
    assert "upgrade-bot.toml: tiers.retired-service: no such service (ignored)" in err


def copy_widgets(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TEST_RECIPES / "widgets-2.0", tmp_path / "widgets-2.0"))


def test_recipe_options_declare_their_type_and_choices_in_recipe_toml(tmp_path):
    folder = copy_widgets(tmp_path)
    toml = folder / "recipe.toml"
    toml.write_text(toml.read_text().replace(
        "flag_legacy = true", 'flag_legacy = true\nstyle = { default = "short", choices = ["short", "long"], '
                              'help = "how to rename" }\nlimit = { type = "float", default = 2 }'))
    recipe = load_recipe(folder)
    assert recipe.default_options == {"flag_legacy": True, "style": "short", "limit": 2}
    assert recipe.options({"style": "long", "limit": 2.5}) == {"flag_legacy": True, "style": "long", "limit": 2.5}
    with pytest.raises(RecipeError, match="option 'style': 'medium' is not one of 'short', 'long'"):
        recipe.options({"style": "medium"})
    with pytest.raises(RecipeError, match="option 'limit': must be a number, got True"):
        recipe.options({"limit": True})


@pytest.mark.parametrize(("options", "message"), [
    ('mode = { choices = ["a"] }', "options.mode: a table needs 'default'"),
    ('mode = { default = "c", choices = ["a", "b"] }', "options.mode: default 'c' is not one of 'a', 'b'"),
    ('mode = { default = 1, type = "date" }', "options.mode.type must be one of bool, str, int, float, list"),
])
def test_a_bad_option_declaration_fails_the_recipe_naming_its_file(tmp_path, options, message):
    folder = copy_widgets(tmp_path)
    toml = folder / "recipe.toml"
    toml.write_text(toml.read_text().replace("flag_legacy = true", options))
    with pytest.raises(RecipeError, match=re.escape(message)) as error:
        load_recipe(folder)
    assert str(toml) in str(error.value)
