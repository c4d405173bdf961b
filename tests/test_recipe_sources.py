"""Where recipes are found: bundled, then packages registered in the entry-point group upgrade_bot.recipes,
then the repository's recipe-dirs. A registered package here is a real distribution on sys.path (a package
folder and a dist-info folder with entry_points.txt), found by importlib.metadata as an installed one is;
the CLI runs in a child process. tests/test_installed_bot.py does the same with pip-installed wheels."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_process import BOT_ROOT, bot_env, one_line, run_cli
from conftest import TEST_RECIPES, Monorepo, widgets_service

from bot.change.recipe_sources import ENTRY_POINT_GROUP

BUNDLED = ("aiomqtt-2.4.0", "influxdb3-python-0.17.0", "pytest-asyncio-1.3.0", "tenacity-9.1.2")


def install_distribution(site: Path, name: str, entry_points: dict[str, str], packages: dict[str, Path] = {}) -> None:
    """`name` 1.0 in `site`: its dist-info registers `entry_points` in the recipes group; each package is a
    folder holding copies of recipe folders."""
    dist_info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
    for package, recipes in packages.items():
        (site / package).mkdir()
        (site / package / "__init__.py").write_text("")
        shutil.copytree(recipes, site / package / recipes.name)


def cli_with(site: Path, *args: str, cwd: Path) -> "subprocess.CompletedProcess":
    return run_cli(*args, cwd=cwd, env=bot_env(PYTHONPATH=f"{BOT_ROOT}:{site}"))


def recipe_lines(stdout: str) -> dict[str, str]:
    """recipe id -> its source, from `recipes list`."""
    return {line.split(":")[0]: line.rsplit("[", 1)[1].rstrip("]")
            for line in stdout.splitlines() if line and not line.startswith(" ")}


@pytest.fixture
def widgets_monorepo(tmp_path) -> Monorepo:
    """Services that depend on widgets, and no configuration at all: no recipe-dirs."""
    (tmp_path / "repo").mkdir()
    return Monorepo(tmp_path / "repo", {**widgets_service("alpha"), **widgets_service("beta")})


def test_a_recipe_package_registered_by_entry_point_is_listed_and_rolled_out(tmp_path, widgets_monorepo):
    site = tmp_path / "site"
    install_distribution(site, "acme-upgrade-recipes", {"acme": "acme_upgrade_recipes"},
                         {"acme_upgrade_recipes": TEST_RECIPES / "widgets-2.0"})
    listed = cli_with(site, "recipes", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    sources = recipe_lines(listed.stdout)
    assert sources == {**{rid: "bundled" for rid in BUNDLED}, "widgets-2.0": "acme-upgrade-recipes 1.0, entry point acme"}
    assert "WID001" in listed.stdout  # its rules, from its codemod

    plan = cli_with(site, "plan", "--json", cwd=widgets_monorepo.work)
    assert plan.returncode == 0, plan.stderr
    assert sorted(j["job"] for j in json.loads(plan.stdout)["jobs"]) == ["widgets-2.0/alpha", "widgets-2.0/beta"]
    run = cli_with(site, "run", "--all-waves", "--skip-checks", cwd=widgets_monorepo.work)
    assert run.returncode == 0, run.stdout + run.stderr
    assert widgets_monorepo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    tested = cli_with(site, "recipes", "test", "widgets-2.0", cwd=tmp_path)
    assert tested.returncode == 0 and "ok   widgets-2.0/rename" in tested.stdout, tested.stdout


def test_the_repositorys_recipe_dirs_win_over_an_installed_recipe_of_the_same_id(tmp_path, widgets_monorepo):
    site = tmp_path / "site"
    install_distribution(site, "acme-upgrade-recipes", {"acme": "acme_upgrade_recipes"},
                         {"acme_upgrade_recipes": TEST_RECIPES / "widgets-2.0"})
    (widgets_monorepo.work / "upgrade-bot.toml").write_text(f'recipe-dirs = ["{TEST_RECIPES.as_posix()}"]\n')
    listed = cli_with(site, "recipes", "list", cwd=widgets_monorepo.work)
    assert listed.returncode == 0, listed.stderr
    assert recipe_lines(listed.stdout)["widgets-2.0"] == f"recipe-dirs {TEST_RECIPES}"


@pytest.mark.parametrize(("value", "reason"), [
    ("acme_missing", "cannot import acme_missing: ModuleNotFoundError"),
    ("acme_upgrade_recipes:RECIPES", "must name a package (its folders are the recipes), not an object in it"),
    ("json.decoder", "json.decoder is a module, not a package holding recipe folders"),
])
def test_a_registered_entry_point_that_does_not_resolve_is_an_error_naming_it(tmp_path, widgets_monorepo, value,
                                                                             reason):
    site = tmp_path / "site"
    install_distribution(site, "acme-broken", {"broken": value})
    listed = cli_with(site, "recipes", "list", cwd=tmp_path)
    assert listed.returncode == 1
    assert one_line(listed.stderr).startswith("upgrade-bot: error: acme-broken 1.0, entry point broken: ")
    assert reason in listed.stderr
    assert set(recipe_lines(listed.stdout)) == set(BUNDLED)  # the others still load
    run = cli_with(site, "run", "--all-waves", "--skip-checks", cwd=widgets_monorepo.work)
    assert run.returncode == 1 and "failed: recipe acme-broken 1.0, entry point broken does not load" in run.stdout


def registered_broken(sys_path: list[str]) -> list[str]:
    """The registrations installed_sources finds on `sys_path` (all broken here: their packages do not exist)."""
    import sys
    from bot.change.recipe_sources import installed_sources
    saved = sys.path[:]
    sys.path[:] = sys_path
    installed_sources.cache_clear()
    try:
        return [broken.origin for broken in installed_sources()[1]]
    finally:
        sys.path[:] = saved
        installed_sources.cache_clear()


def test_registrations_are_found_in_every_shape_importlib_metadata_reads(tmp_path):
    """installed_sources skips importlib.metadata when no entry_points.txt on sys.path names the group: a
    dist-info, an egg-info, and a zip archive on sys.path (which it leaves to importlib.metadata) all still count."""
    plain = tmp_path / "plain"
    install_distribution(plain, "acme-a", {"a": "acme_missing_a"})
    egg = tmp_path / "egg"
    (egg / "acme_b.egg-info").mkdir(parents=True)
    (egg / "acme_b.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: acme-b\nVersion: 1.0\n")
    (egg / "acme_b.egg-info" / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nb = acme_missing_b\n")
    zipped = tmp_path / "zipped"
    install_distribution(zipped, "acme-c", {"c": "acme_missing_c"})
    archive = shutil.make_archive(str(tmp_path / "site"), "zip", zipped)
    other = tmp_path / "other"  # registers console scripts only
    install_distribution(other, "acme-d", {})
    (other / "acme_d-1.0.dist-info" / "entry_points.txt").write_text("[console_scripts]\nd = acme_d:main\n")

    assert registered_broken([str(plain)]) == ["acme-a 1.0, entry point a"]
    assert registered_broken([str(egg)]) == ["acme-b 1.0, entry point b"]
    assert registered_broken([archive]) == ["acme-c 1.0, entry point c"]
    assert registered_broken([str(other), str(tmp_path / "gone")]) == []


def test_no_recipe_found_anywhere_is_an_error_naming_where_it_looked(tmp_path, widgets_monorepo):
    """The bot installed without its bundled files (as main's wheel was): never an empty list that exits 0."""
    lib = tmp_path / "lib"
    shutil.copytree(BOT_ROOT / "bot", lib / "bot", ignore=shutil.ignore_patterns("__pycache__", "bundled"))
    env = bot_env(PYTHONPATH=str(lib))
    listed = run_cli("recipes", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 2 and listed.stdout == ""
    line = one_line(listed.stderr)
    assert line.startswith(f"upgrade-bot: error: no recipes found: the bundled folder {lib}/bot/bundled/recipes "
                           "is missing (a broken installation?); no installed package registers any in "
                           f"entry-point group '{ENTRY_POINT_GROUP}'; the configuration sets no recipe-dirs")
    plan = run_cli("plan", cwd=widgets_monorepo.work, env=env)
    assert plan.returncode == 2 and "no recipes found" in one_line(plan.stderr)
    demo = run_cli("demo", "--skip-checks", "--dir", str(tmp_path / "demo"), cwd=tmp_path, env=env)
    assert demo.returncode == 2
    assert one_line(demo.stderr) == (f"upgrade-bot: error: {lib}/bot/bundled/examples/fleet: the example fleet is "
                                     "missing (an installation without its bundled files?)")


def test_version_is_the_installed_package_metadata():
    from importlib.metadata import version
    result = run_cli("--version")
    assert (result.returncode, result.stdout) == (0, f"upgrade-bot {version('upgrade-bot')}\n")
