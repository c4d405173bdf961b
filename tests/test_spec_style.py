"""Declarations keep their style: exact stays exact, ranges and carets move, libraries never get ==."""
import pytest

from bot.change.apply import apply_recipe
from bot.change.recipe import load_recipes
from bot.config import BUNDLED_RECIPES
from bot.declared.spec_style import styled_spec
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot


@pytest.mark.parametrize("current, poetry, library, expected", [
    ("==8.2.3", False, False, "==9.1.2"),
    (">=8,<9", False, False, ">=9.1.2,<10"),
    (">=8.2, <8.3", False, False, ">=9.1.2, <9.2"),
    (">=8,!=8.5,<11", False, False, ">=9.1.2,!=8.5,<11"),
    ("~=8.2", False, False, ">=9.1.2,<10"),
    ("~=8.2.3", False, False, "~=9.1.2"),
    ("", False, True, ">=9.1.2"),
    ("", False, False, "==9.1.2"),
    ("^8.2", True, True, "^9.1.2"),
    ("~8.2", True, False, "~9.1.2"),
    ("8.2.3", True, False, "==9.1.2"),
    ("*", True, True, ">=9.1.2"),
])
def test_target_written_in_the_declarations_style(current, poetry, library, expected):
    assert styled_spec(current, "==9.1.2", poetry=poetry, library_runtime=library) == expected


def test_a_non_exact_recipe_spec_is_written_as_given():
    assert styled_spec(">=8,<9", ">=8.4,<10", poetry=False, library_runtime=False) == ">=8.4,<10"


def _migrate(files):
    tenacity = next(r for r in load_recipes([BUNDLED_RECIPES]) if r.id == "tenacity-9.1.2")
    services, _ = discover(MemorySnapshot(files), (".",))
    return apply_recipe(services[0], tenacity)


def test_library_runtime_dependency_gets_a_lower_bound_and_a_caret_stays_a_caret():
    pyproject = ('[project]\nname = "retrylib"\nversion = "1.0"\ndependencies = ["tenacity"]\n\n'
                 '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    change = _migrate({"pyproject.toml": pyproject, "retrylib/__init__.py": "import tenacity\n"})
    text = change.changed["pyproject.toml"]
    assert 'dependencies = ["tenacity>=9.1.2"]' in text
    poetry = ('[tool.poetry]\nname = "retrylib"\nversion = "1.0"\n\n[tool.poetry.dependencies]\n'
              'python = "^3.10"\ntenacity = "^8.2"\n\n[build-system]\nrequires = ["poetry-core"]\n'
              'build-backend = "poetry.core.masonry.api"\n')
    change = _migrate({"pyproject.toml": poetry, "retrylib/__init__.py": "import tenacity\n"})
    assert 'tenacity = "^9.1.2"' in change.changed["pyproject.toml"]


def test_application_range_moves_its_bounds():
    change = _migrate({"requirements.txt": "tenacity>=8,<9  # retries\n", "app.py": "import tenacity\n"})
    assert change.changed["requirements.txt"] == "tenacity>=9.1.2,<10  # retries\n"
