"""The shared Python-floor rule (bot.change.python_floor) of every recipe whose target raised its floor: classifiers
of the versions it excludes are dropped where they are written as the bot edits them, listed where not, and the
floor itself is always listed (issue 17 item 6: a PR with a manual item, not a failed job)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.change.apply import apply_recipe
from bot.change.python_floor import PythonFloorRule
from bot.change.recipe import load_recipe
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.errors import RecipeError
from bot.model import ServiceSource

ROOT = Path(__file__).resolve().parent.parent
TENACITY = load_recipe(ROOT / "recipes" / "tenacity-9.1.2")
PYTEST_ASYNCIO = load_recipe(ROOT / "recipes" / "pytest-asyncio-1.3.0")
C = "Programming Language :: Python :: "

SHAPES = {
    "pyproject [project]": (
        {"pyproject.toml": f'[project]\nname = "s"\nrequires-python = ">=3.8"\nclassifiers = [\n    "{C}3",\n'
                           f'    "{C}3.8",  # oldest\n    "{C}3.9",\n]\n'},
        {"pyproject.toml": f'[project]\nname = "s"\nrequires-python = ">=3.8"\nclassifiers = [\n    "{C}3",\n'
                           f'    "{C}3.9",\n]\n'},
        [("pyproject.toml", 3)]),
    "pyproject one line": (
        {"pyproject.toml": f'[project]\nname = "s"\nclassifiers = ["{C}3.8", "{C}3.12"]\n'},
        {"pyproject.toml": f'[project]\nname = "s"\nclassifiers = ["{C}3.12"]\n'}, []),
    "poetry": (
        {"pyproject.toml": f'[tool.poetry]\nname = "s"\nclassifiers = [\n    "{C}3.7",\n    "{C}3.11",\n]\n\n'
                           '[tool.poetry.dependencies]\npython = "^3.7"\n'},
        {"pyproject.toml": f'[tool.poetry]\nname = "s"\nclassifiers = [\n    "{C}3.11",\n]\n\n'
                           '[tool.poetry.dependencies]\npython = "^3.7"\n'},
        [("pyproject.toml", 9)]),
    "setup.cfg": (
        {"setup.cfg": f"[metadata]\nname = s\nclassifiers =\n    {C}3\n    {C}3.8\n    {C}3.11\n\n"
                      "[options]\npython_requires = >=3.8\n"},
        {"setup.cfg": f"[metadata]\nname = s\nclassifiers =\n    {C}3\n    {C}3.11\n\n"
                      "[options]\npython_requires = >=3.8\n"},
        [("setup.cfg", 9)]),
    "setup.cfg, on the key's line": (
        {"setup.cfg": f"[metadata]\nclassifiers = {C}3.8\n    {C}3.11\n"}, None, [("setup.cfg", 2)]),
    "setup.py, setup()'s list": (
        {"setup.py": f'from setuptools import setup\n\nsetup(\n    name="s",\n    python_requires=">=3.8",\n'
                     f'    classifiers=[\n        "{C}3.8",\n        "{C}3.10",\n    ],\n)\n'},
        {"setup.py": f'from setuptools import setup\n\nsetup(\n    name="s",\n    python_requires=">=3.8",\n'
                     f'    classifiers=[\n        "{C}3.10",\n    ],\n)\n'},
        [("setup.py", 5)]),
    "setup.py, a module-level list, last element": (
        {"setup.py": f'from setuptools import setup\n\nCLASSIFIERS = ["{C}3.10", "{C}3.8"]\n'
                     'setup(name="s", classifiers=CLASSIFIERS)\n'},
        {"setup.py": f'from setuptools import setup\n\nCLASSIFIERS = ["{C}3.10"]\n'
                     'setup(name="s", classifiers=CLASSIFIERS)\n'}, []),
    "setup.py, a dict handed to setup()": (
        {"setup.py": f'from setuptools import setup\n\nMETA = {{"classifiers": ["{C}3.8", "{C}3.9"]}}\n'
                     'setup(name="s", **META)\n'},
        {"setup.py": f'from setuptools import setup\n\nMETA = {{"classifiers": ["{C}3.9"]}}\n'
                     'setup(name="s", **META)\n'}, []),
    "setup.py, a tuple": (
        {"setup.py": f'from setuptools import setup\n\nsetup(name="s", classifiers=("{C}3.8", "{C}3.9"))\n'},
        None, [("setup.py", 3)]),
    "setup.py, built by code": (
        {"setup.py": 'from setuptools import setup\n\nsetup(name="s", classifiers=[\n'
                     f'    "{C}" + v for v in ("3.9",)] + ["{C}3.8"])\n'},
        None, [("setup.py", 4)]),
    "tox envs": ({"tox.ini": "[tox]\nenvlist =\n    py3{8,9,10}\n    lint\n\n[testenv]\ncommands = pytest\n"}, None,
                 [("tox.ini", 2)]),
    "nothing older": (
        {"setup.py": f'from setuptools import setup\nsetup(python_requires=">=3.9", classifiers=["{C}3.9"])\n',
         "tox.ini": "[tox]\nenvlist = py39, py313\n"}, None, []),
}


@pytest.mark.parametrize("files, after, items", SHAPES.values(), ids=SHAPES.keys())
def test_classifiers_of_excluded_pythons_are_dropped_or_listed_and_the_floor_listed(files, after, items):
    source = {**files, "svc/jobs.py": "import tenacity\n"}
    result = TENACITY.codemod().migrate(ServiceSource("s", source))
    assert result.changed == (after or {})
    assert sorted((m.file, m.line) for m in result.manual) == items
    assert all(m.rule == "TEN010" and "tenacity 9.1.2" in m.reason for m in result.manual)
    for item in result.manual:  # each item quotes the line it points at
        assert source[item.file].splitlines()[item.line - 1].strip() == item.old_code
    dropped = [a for a in result.applied if a.rule == "TEN010"]
    assert bool(dropped) == bool(after) and all("requires Python >= 3.9" in a.description for a in dropped)


def test_the_floor_comes_from_recipe_toml_for_each_recipe():
    files = {"setup.cfg": f"[metadata]\nclassifiers =\n    {C}3.9\n    {C}3.10\n", "tests/test_a.py": "x = 1\n",
             "pytest.ini": "[pytest]\nasyncio_default_fixture_loop_scope = function\n"}
    dropped = PYTEST_ASYNCIO.codemod().migrate(ServiceSource("s", files)).changed["setup.cfg"]
    assert dropped == f"[metadata]\nclassifiers =\n    {C}3.10\n"
    assert "setup.cfg" not in TENACITY.codemod().migrate(ServiceSource("s", files)).changed


def test_a_setup_py_only_package_gets_its_bump_and_its_classifiers_in_one_change():
    setup = (f'from setuptools import setup\n\nsetup(\n    name="s",\n    python_requires=">=3.8",\n'
             f'    install_requires=["tenacity~=8.2.0"],\n    classifiers=["{C}3.8", "{C}3.11"],\n)\n')
    (service,), _ = discover(MemorySnapshot({"pkg/setup.py": setup, "pkg/s/__init__.py": "import tenacity\n"}),
                             ("pkg",))
    change = apply_recipe(service, TENACITY)
    assert change.changed["setup.py"] == setup.replace("~=8.2.0", "~=9.1.2").replace(f'"{C}3.8", ', "")
    assert [(m.file, m.line, m.rule) for m in change.manual] == [("setup.py", 5, "TEN010")]


def test_a_recipe_with_a_python_floor_lists_the_shared_rule(tmp_path):
    folder = tmp_path / "tenacity-9.1.2"
    shutil.copytree(TENACITY.folder, folder, ignore=shutil.ignore_patterns("fixtures", "__pycache__"))
    codemod = folder / "codemod.py"
    codemod.write_text(codemod.read_text().replace("        PythonFloor,               # TEN010\n", ""))
    with pytest.raises(RecipeError, match="python-floor = \"3.9\" needs the shared rule"):
        load_recipe(folder).codemod_class
    assert issubclass(TENACITY.codemod_class.rule("TEN010"), PythonFloorRule)
