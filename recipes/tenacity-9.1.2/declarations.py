"""TEN010: what the service declares outside its code (its Python floor).

(TEN012 listed setup.py/setup.cfg install_requires pins excluding 9.1.2: they are bumped like requirements files
now, by bot.change.apply after the codemod, so it is retired.)"""
from __future__ import annotations

from bot.change.rule import MANUAL, Invalid, Rule, Valid
from bot.declared.python_support import below_floor

PYTHON_FLOOR = "3.9"  # tenacity 9.1 requires-python


class PythonFloor(Rule):
    ID = "TEN010"
    KIND = MANUAL
    MESSAGE = "review: service declares Python < 3.9 (tenacity 9.1 requires >= 3.9)"
    VALID = [Valid({"pyproject.toml": '[project]\nname = "svc"\nrequires-python = ">=3.9"\n'})]
    INVALID = [Invalid({"pyproject.toml": '[project]\nname = "svc"\nrequires-python = ">=3.8"\n'},
                       items=[("pyproject.toml", 3)])]

    def end_service(self) -> None:
        self.add_items(below_floor(self.files, PYTHON_FLOOR, "tenacity 9.1", self.ID))

