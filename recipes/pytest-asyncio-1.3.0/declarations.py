"""PA011, PA012: what the rules cannot read (a file libcst cannot parse) and what the service declares outside its
code (its Python floor)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.change.rule import MANUAL, Invalid, Valid
from bot.change.python_floor import python_floor_rule
from bot.model import ManualItem

from .pytest_rule import PytestRule

if TYPE_CHECKING:
    from bot.change.engine import ServiceRun


class UnparsableFile(PytestRule):
    """Listed by the codemod's `unparsable` hook with `unparsable_item` (the engine never hands such a file to the
    rules)."""

    ID = "PA011"
    KIND = MANUAL
    MESSAGE = "manual: Python file libcst cannot parse; migrate it by hand"
    VALID = [Valid({"tests/test_a.py": "async def test_a():\n    pass\n"})]
    INVALID = [Invalid({"tests/test_a.py": "async def test_a(:\n    pass\n"}, items=[("tests/test_a.py", 2)])]


def unparsable_item(run: "ServiceRun", path: str) -> ManualItem:
    line, reason = run.analysis.syntax_error_at(path) or (1, "")
    lines = run.source.files.get(path, "").splitlines()
    return ManualItem(path, line, lines[line - 1].strip() if 0 < line <= len(lines) else "",
                      f"libcst cannot parse this file ({reason})", UnparsableFile.ID,
                      "apply the recipe's rules to it by hand")


class PythonFloor(python_floor_rule("PA012", __file__)):
    """The shared rule (bot.change.python_floor), bound to recipe.toml's python-floor, plus the note on pytest."""

    AFTER = {"PA003": "its note on Python and pytest closes the PR's notes"}

    def end_service(self) -> None:
        super().end_service()
        self.note("pytest-asyncio 1.3.0 needs Python >= 3.10 and pytest >= 8.2; pytest is raised to >=8.4,<10 so a "
                  "forgotten async test fails instead of being skipped.")
