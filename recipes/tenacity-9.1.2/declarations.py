"""TEN010 and TEN012: what the service declares outside its code (Python floor, setup.py pins)."""
from __future__ import annotations

from bot.change.rule import MANUAL, Invalid, Rule, Valid
from bot.declared.python_support import below_floor
from bot.declared.setup_pins import pins_excluding

PYTHON_FLOOR = "3.9"  # tenacity 9.1 requires-python
TARGET_VERSION = "9.1.2"


class PythonFloor(Rule):
    ID = "TEN010"
    KIND = MANUAL
    MESSAGE = "review: service declares Python < 3.9 (tenacity 9.1 requires >= 3.9)"
    VALID = [Valid({"pyproject.toml": '[project]\nname = "svc"\nrequires-python = ">=3.9"\n'})]
    INVALID = [Invalid({"pyproject.toml": '[project]\nname = "svc"\nrequires-python = ">=3.8"\n'},
                       items=[("pyproject.toml", 3)])]

    def end_service(self) -> None:
        self.add_items(below_floor(self.files, PYTHON_FLOOR, "tenacity 9.1", self.ID))


class SetupPins(Rule):
    ID = "TEN012"
    KIND = MANUAL
    MESSAGE = ("review: setup.py/setup.cfg install_requires excludes tenacity 9.1.2 (only requirements files and "
               "pyproject.toml are bumped)")
    VALID = [Valid({"setup.py": 'from setuptools import setup\nsetup(install_requires=["tenacity>=8"])\n'})]
    INVALID = [Invalid({"setup.py": 'from setuptools import setup\nsetup(install_requires=["tenacity<9"])\n'},
                       items=[("setup.py", 2)])]

    def end_service(self) -> None:
        self.add_items(pins_excluding(self.files, "tenacity", TARGET_VERSION, self.ID))
