"""Configuration: upgrade-bot.toml or [tool.upgrade-bot]; every bad value is one line naming file and key."""
from __future__ import annotations

import pytest

from bot.config import CONFIG_FILE, ConfigError, load_config


def test_defaults_without_any_config(tmp_path):
    config = load_config(tmp_path)
    assert (config.services, config.base_branch, config.branch_prefix) == (("services/*",), "main", "upgrade-bot")
    assert config.tier_of("anything") == "medium" and config.source == ""


def test_tool_table_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mono"\n\n[tool.upgrade-bot]\nservices = ["apps/*", "libs/*"]\nbase-branch = "trunk"\n'
        'max-open-prs = 5\n[tool.upgrade-bot.tiers]\nbilling = "critical"\n'
        '[tool.upgrade-bot.recipes."tenacity-9.1.2"]\nadd_reraise = true\n')
    config = load_config(tmp_path)
    assert config.services == ("apps/*", "libs/*") and config.base_branch == "trunk"
    assert config.tier_of("billing") == "critical" and config.max_open_prs == 5
    assert config.recipe_options == {"tenacity-9.1.2": {"add_reraise": True}}
    assert config.source == "pyproject.toml [tool.upgrade-bot]"


def test_upgrade_bot_toml_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.upgrade-bot]\nbase-branch = "trunk"\n')
    (tmp_path / CONFIG_FILE).write_text('base-branch = "develop"\n')
    assert load_config(tmp_path).base_branch == "develop"


@pytest.mark.parametrize(("text", "message"), [
    ('base-brnch = "main"\n', "upgrade-bot.toml: base-brnch: unknown key"),
    ("max-open-prs = -1\n", "upgrade-bot.toml: max-open-prs: must be >= 0"),
    ('max-open-prs = "5"\n', "upgrade-bot.toml: max-open-prs: must be an integer, got str"),
    ('labels = "deps"\n', "upgrade-bot.toml: labels: must be an array of strings"),
    ('forge = "gitlab"\n', "upgrade-bot.toml: forge: 'gitlab' is not 'local' or 'github'"),
    ('recipe-dirs = ["nowhere"]\n', "upgrade-bot.toml: recipe-dirs: "),
    ('[[checks]]\nname = "lint"\n', "upgrade-bot.toml: checks[0]: needs 'name' and 'command'"),
    ("[tiers\n", "upgrade-bot.toml: invalid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path, text, message):
    (tmp_path / CONFIG_FILE).write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_check_env_settings_are_read_and_checked(tmp_path):
    from bot.config import CheckEnvSettings, parse_config
    config = parse_config({"check-env": {"extras": ["all"], "python": "3.11"},
                           "service-check-env": {"billing": {"requirements": ["ci/test.txt"], "install-project": False}}},
                          "upgrade-bot.toml", tmp_path)
    assert config.check_env_for("other") == CheckEnvSettings(extras=("all",), python="3.11")
    assert config.check_env_for("billing") == CheckEnvSettings(requirements=("ci/test.txt",), install_project=False)
    with pytest.raises(ConfigError, match="check-env.pyhton: unknown key"):
        parse_config({"check-env": {"pyhton": "3.11"}}, "upgrade-bot.toml", tmp_path)
