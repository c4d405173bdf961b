"""The bot as users install it: the sdist and wheel built from this checkout (`uv build`: the wheel is built
from the sdist, so both must carry everything), the wheel installed, not editable, into a fresh virtual
environment, and run from folders that are not the checkout, with no PYTHONPATH: only what the wheel
carries can be found. The environment is built once per source state and cached beside the validation
environments (<cache>/installed-bot/<digest>)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_recipe_sources import BUNDLED, recipe_lines

from bot.validation.envs import default_cache_dir, find_uv

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ("bot", "recipes", "templates", "examples/fleet", "examples/second-fleet", "pyproject.toml", "README.md")
KEEP_DAYS = 3  # older environments of other source states are removed


def _source_digest() -> str:
    digest = hashlib.sha256()
    for top in PACKAGED:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" not in file.parts and ".pytest_cache" not in file.parts:
                digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def _uv(*args: str) -> None:
    done = subprocess.run([find_uv(), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The venv holding the installed wheel (dist/ beside it holds the wheel and the sdist)."""
    home = default_cache_dir().parent / "installed-bot"
    home.mkdir(parents=True, exist_ok=True)
    built = home / _source_digest()
    with open(home / f"{built.name}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not (built / "ready").is_file():  # a build that died half-way leaves no marker: start over
            shutil.rmtree(built, ignore_errors=True)
            _uv("build", "--quiet", "--out-dir", str(built / "dist"), str(ROOT))
            _uv("venv", "--quiet", "--python", sys.executable, str(built / "venv"))
            # --compile-bytecode: as pip does; this machine's PYTHONDONTWRITEBYTECODE would otherwise make
            # every run compile libcst and the bot from source
            _uv("pip", "install", "--quiet", "--compile-bytecode", "--python", str(built / "venv" / "bin" / "python"),
                str(next((built / "dist").glob("*.whl"))))
            (built / "ready").write_text("")
    _prune(home, keep=built)
    return built


def _prune(home: Path, keep: Path) -> None:
    for other in home.iterdir():
        if other.is_dir() and other != keep and time.time() - other.stat().st_mtime > KEEP_DAYS * 86400:
            shutil.rmtree(other, ignore_errors=True)
            (home / f"{other.name}.lock").unlink(missing_ok=True)


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH, no virtualenv of the test run: the installed bot alone."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def run_installed(venv: Path, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "upgrade-bot"), *args], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=timeout)


def test_the_wheel_and_the_sdist_carry_the_recipes_templates_and_example_fleets(installed):
    import tarfile
    import zipfile
    wheel = next((installed / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    sdist = next((installed / "dist").glob("*.tar.gz"))
    in_sdist = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    for folder, packaged in (("recipes", "bot/bundled/recipes"), ("templates", "bot/bundled/templates"),
                             ("examples/fleet", "bot/bundled/examples/fleet"),
                             ("examples/second-fleet", "bot/bundled/examples/second-fleet")):
        tracked = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split()
        assert tracked, folder
        for path in tracked:
            assert packaged + path[len(folder):] in names, f"wheel lacks {path}"
            assert path in in_sdist, f"sdist lacks {path}"
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "recipes/", "examples/"))]


def test_the_installed_bot_lists_its_recipes_and_version_from_any_folder(installed, tmp_path):
    import tomlkit
    venv = installed / "venv"
    version = run_installed(venv, "--version", cwd=tmp_path)
    project = tomlkit.parse((ROOT / "pyproject.toml").read_text())["project"]
    assert (version.returncode, version.stdout) == (0, f"upgrade-bot {project['version']}\n")
    listed = run_installed(venv, "recipes", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert recipe_lines(listed.stdout) == {rid: "bundled" for rid in BUNDLED}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "from bot.config import BUNDLED_RECIPES; "
                            "print(BUNDLED_RECIPES)"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr  # not the checkout


def test_the_installed_bot_runs_the_demo_from_any_folder(installed, tmp_path):
    venv = installed / "venv"
    demo = run_installed(venv, "demo", "--skip-checks", "--dir", str(tmp_path / "demo"), cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    work = tmp_path / "demo" / "monorepo"
    prs = [json.loads(p.read_text())["pr"] for p in (work / ".git" / "upgrade-bot" / "forge" / "prs").glob("*.json")]
    plan = run_installed(venv, "plan", "--json", cwd=work)
    assert plan.returncode == 0, plan.stderr
    assert len(prs) == len(json.loads(plan.stdout)["jobs"]) > 0  # a PR for every job: templates were found
    assert all(pr["state"] in ("merged", "closed") and "<!-- upgrade-bot:" in pr["body"] for pr in prs)
    status = run_installed(venv, "status", cwd=work)
    assert status.returncode == 0 and "merged" in status.stdout


def test_a_recipe_package_installed_beside_the_bot_is_found_through_its_entry_point(installed, tmp_path):
    """A team's recipes as a real package: its own pyproject registering the entry point, built as a wheel and
    installed with pip next to the installed bot."""
    from conftest import TEST_RECIPES
    project = tmp_path / "acme-upgrade-recipes"
    (project / "acme_upgrade_recipes").mkdir(parents=True)
    (project / "acme_upgrade_recipes" / "__init__.py").write_text("")
    shutil.copytree(TEST_RECIPES / "widgets-2.0", project / "acme_upgrade_recipes" / "widgets-2.0")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "acme-upgrade-recipes"\nversion = "1.2"\ndependencies = ["upgrade-bot"]\n\n'
        '[project.entry-points."upgrade_bot.recipes"]\nacme = "acme_upgrade_recipes"\n')
    _uv("build", "--quiet", "--wheel", "--out-dir", str(tmp_path / "dist"), str(project))
    venv = tmp_path / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, str(venv))
    _uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
        str(next((installed / "dist").glob("*.whl"))), str(next((tmp_path / "dist").glob("*.whl"))))
    listed = run_installed(venv, "recipes", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert recipe_lines(listed.stdout) == {**{rid: "bundled" for rid in BUNDLED},
                                           "widgets-2.0": "acme-upgrade-recipes 1.2, entry point acme"}
    tested = run_installed(venv, "recipes", "test", "widgets-2.0", cwd=tmp_path)
    assert tested.returncode == 0 and "FAIL" not in tested.stdout, tested.stdout
