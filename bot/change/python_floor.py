"""The rule every recipe whose target version raised its Python floor lists (recipe.toml `python-floor`): the new
pin does not install on the older Pythons the service declares, so

- the trove classifiers naming those versions are dropped where the declaration can be edited as written
  (pyproject.toml and setup.cfg as text, setup.py through its edit plan), and listed where it cannot;
- the floor itself (requires-python, python_requires, Poetry's python, .python-version) is listed with the
  line to write: raising it is the maintainers' call (bot.locking raises it, and says so, only where a universal
  lock cannot be made otherwise); so is a tox.ini envlist that runs the tests on such a Python.

The PR is opened either way; a human confirms the floor. In a recipe's codemod module:

    PythonFloor = python_floor_rule("TEN010", __file__)        # the floor and versions come from recipe.toml

and the recipe lists PythonFloor in its RULES; a recipe with a python-floor whose rules lack it does not load."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import libcst as cst

from bot.declared.classifiers import (ClassifierEdit, DroppedClassifier, drop_from_pyproject, drop_from_setup_cfg,
                                      excluded_version, left_behind)
from bot.declared.python_support import below_floor, tox_envs_below
from bot.declared.setup_py import classifier_elements

from .rule import REWRITE, Invalid, Rule, Valid
from bot.declared.toml_data import read_toml

UNEDITABLE = ("classifier naming Python {version}, which {requirement} no longer installs on; the bot does not "
              "edit it as written (built by code, on the key's own line, or a string with escapes)")


class PythonFloorRule(Rule):
    """Bound to one recipe by python_floor_rule (FLOOR, REQUIREMENT and the examples come from its recipe.toml)."""

    KIND = REWRITE
    FLOOR: ClassVar[str] = ""  # "3.9"
    REQUIREMENT: ClassVar[str] = ""  # "tenacity 9.1.2"

    def end_service(self) -> None:
        for path, drop in (("pyproject.toml", drop_from_pyproject), ("setup.cfg", drop_from_setup_cfg)):
            if path not in self.files:
                continue
            found = drop(self.files[path], self.FLOOR)  # lines as in the file the PR's items point into
            if found.dropped:  # dropped from the text as other rules edited it (a pytest table, say)
                self.set_text(path, drop(self.text(path), self.FLOOR).text, count=len(found.dropped),
                              description=self._dropped(found.dropped))
            self._list_left_behind(path, found)
        if "setup.py" in self.files:
            self._list_left_behind("setup.py", ClassifierEdit(self.files["setup.py"], self._drop_from_setup_py()))
        self.add_items(below_floor(self.files, self.FLOOR, self.REQUIREMENT, self.ID))
        tox = tox_envs_below(self.files["tox.ini"], self.FLOOR) if "tox.ini" in self.files else None
        if tox is not None:
            line, versions = tox
            self.report_at("tox.ini", line, self.files["tox.ini"].splitlines()[line - 1].strip(),
                           f"tox runs the tests on Python {', '.join(versions)}, where {self.REQUIREMENT} does not "
                           "install: those envs fail", f"drop the Python {', '.join(versions)} envs from envlist "
                           "(and the CI jobs that run them)")

    def _drop_from_setup_py(self) -> list[DroppedClassifier]:
        file = self.run.file("setup.py")
        if file is None:
            return []  # does not parse: every excluded classifier in it is listed
        dropped = []
        with self.at("setup.py"):
            for element in classifier_elements(file.parsed.tree):
                string = element.value
                if not isinstance(string, cst.SimpleString) or "\\" in string.value:
                    continue
                version = excluded_version(str(string.evaluated_value), self.FLOOR)
                if version:
                    self.remove(element, count=0)
                    dropped.append(DroppedClassifier(self.parsed.line(element), version))
        if dropped:
            self.count(len(dropped), self._dropped(dropped), path="setup.py")
        return dropped

    def _list_left_behind(self, path: str, edit: ClassifierEdit) -> None:
        lines = self.files[path].splitlines()
        for line, version in left_behind(self.files[path], self.FLOOR, edit.dropped):
            self.report_at(path, line, lines[line - 1].strip(),
                           UNEDITABLE.format(version=version, requirement=self.REQUIREMENT),
                           f"drop the Python {version} classifier")

    def _dropped(self, dropped: list[DroppedClassifier]) -> str:
        versions = ", ".join(dict.fromkeys(d.version for d in dropped))
        lines = ", ".join(str(d.line) for d in dropped)
        return (f"dropped the classifier{'s' if len(dropped) > 1 else ''} of Python {versions} (line "
                f"{lines}): {self.REQUIREMENT} requires Python >= {self.FLOOR}")


def python_floor_rule(rule_id: str, where: str | Path) -> type[PythonFloorRule]:
    """PythonFloorRule bound to the recipe whose folder holds `where` (its codemod module's __file__)."""
    meta = read_toml((Path(where).parent / "recipe.toml").read_text(encoding="utf-8"))["recipe"]
    floor = meta["python-floor"]
    requirement = f"{meta.get('target-package', meta['package'])} {meta['version']}"
    older = f"3.{int(floor.split('.')[1]) - 1}"
    return type("PythonFloor", (PythonFloorRule,), {
        "__module__": PythonFloorRule.__module__,
        "ID": rule_id,
        "FLOOR": floor,
        "REQUIREMENT": requirement,
        "MESSAGE": (f"Python < {floor} declared ({requirement} requires >= {floor}): the classifiers of those "
                    "versions are dropped; requires-python, python_requires, Poetry's python, .python-version and "
                    "tox envs are listed"),
        "VALID": [Valid({"pyproject.toml": _pyproject(floor, [floor]), "setup.py": _setup_py(floor, [floor])})],
        "INVALID": [
            Invalid({"pyproject.toml": _pyproject(older, [older, floor])},
                    after={"pyproject.toml": _pyproject(older, [floor])}, items=[("pyproject.toml", 3)],
                    name="pyproject"),
            Invalid({"setup.py": _setup_py(older, [older, floor])}, after={"setup.py": _setup_py(older, [floor])},
                    items=[("setup.py", 3)], name="setup.py"),
            Invalid({"setup.cfg": f"[metadata]\nname = svc\nclassifiers = {_classifier(older)}\n"},
                    items=[("setup.cfg", 3)], name="a classifier on the key's line is listed"),
        ],
    })


def _classifier(version: str) -> str:
    return f"Programming Language :: Python :: {version}"


def _pyproject(floor: str, versions: list[str]) -> str:
    classifiers = "".join(f'    "{_classifier(v)}",\n' for v in versions)
    return f'[project]\nname = "svc"\nrequires-python = ">={floor}"\nclassifiers = [\n{classifiers}]\n'


def _setup_py(floor: str, versions: list[str]) -> str:
    classifiers = "".join(f'        "{_classifier(v)}",\n' for v in versions)
    return (f'from setuptools import setup\n\nsetup(name="svc", python_requires=">={floor}", classifiers=[\n'
            f"{classifiers}    ])\n")
