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


# ----- issue 17.6: pins hold what the PR says -----------------------------------------------------------------

@pytest.mark.parametrize("current, expected", [
    (">=0.20.1,<0.22.0", ">=1.3.0,<1.4.0"),  # the bound's trailing zero is no granularity: next minor, not patch
    (">=0.21,<0.22", ">=1.3.0,<1.4"),
    ("<1.0.0", ">=1.3.0,<2.0.0"),
    (">=0.21.0, <0.22", ">=1.3.0, <1.4"),
])
def test_an_upper_bound_moves_to_an_open_range(current, expected):
    assert styled_spec(current, "==1.3.0", poetry=False, library_runtime=False) == expected


def test_a_package_added_to_a_librarys_runtime_dependencies_gets_a_floor_not_an_exact_pin():
    aiomqtt = next(r for r in load_recipes([BUNDLED_RECIPES]) if r.id == "aiomqtt-2.4.0")
    pyproject = ('[project]\nname = "mqttlib"\nversion = "1.0"\ndependencies = ["asyncio-mqtt>=0.16"]\n\n'
                 '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    services, _ = discover(MemorySnapshot({"pyproject.toml": pyproject, "mqttlib/__init__.py": "import asyncio_mqtt\n"}),
                           (".",))
    text = apply_recipe(services[0], aiomqtt).changed["pyproject.toml"]
    assert 'dependencies = ["aiomqtt>=2.4.0", "paho-mqtt>=2.1.0"]' in text, text


def test_clauses_stay_separated_as_written():
    change = _migrate({"requirements.txt": "tenacity>=8.1.0, <9\n", "app.py": "import tenacity\n"})
    assert change.changed["requirements.txt"] == "tenacity>=9.1.2, <10\n"
