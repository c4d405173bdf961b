"""Where a service's test dependencies come from, in the documented order, and whether the service itself is
installed: plain files in, a plan out (no environment is built here)."""
from __future__ import annotations

from pathlib import Path

from bot.validation.envs import expand_requirements
from bot.config import CheckEnvSettings
from bot.validation.test_deps import is_test_name, plan_environment


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def installed(root: Path) -> list[str]:
    plan = plan_environment(root)
    expanded = expand_requirements(plan.files, selection=plan.selection, inline=plan.inline)
    return sorted({line.key_text for line in expanded.requirements})


def test_names_that_say_test_or_dev():
    assert all(map(is_test_name, ["test", "Tests", "testing", "dev", "requirements-test", "test-deps", "unit_tests"]))
    assert not any(map(is_test_name, ["docs", "lint", "all", "typing", "contest", "devices"]))


def test_extras_and_groups_with_test_names_win_over_requirements_files_and_tox(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["six"]\n\n'
                          '[project.optional-dependencies]\nrequirements-test = ["pytest"]\ndocs = ["sphinx"]\n\n'
                          '[dependency-groups]\nlint = ["ruff"]\nunit-tests = ["coverage", {include-group = "lint"}]\n',
        "requirements-dev.txt": "mypy\n",
        "tox.ini": "[testenv]\ndeps = tox-only\n",
    })
    plan = plan_environment(tmp_path)
    assert plan.test_source == "dependency group `unit-tests` and extra `requirements-test` of pyproject.toml"
    assert installed(tmp_path) == ["coverage", "pytest", "ruff", "six"]


def test_poetry_test_groups_then_every_non_optional_group(tmp_path):
    poetry = ('[tool.poetry]\nname = "svc"\n\n[tool.poetry.dependencies]\npython = "^3.9"\nsix = "^1.16"\n\n'
              '[tool.poetry.group.docs]\noptional = true\n\n[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n\n')
    write(tmp_path, {"pyproject.toml": poetry + '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n\n'
                                                '[tool.poetry.group.lint.dependencies]\nruff = "*"\n'})
    assert plan_environment(tmp_path).test_source == "Poetry group `dev` of pyproject.toml"
    assert installed(tmp_path) == ["pytest<9,>=8", "six<2,>=1.16"]
    write(tmp_path, {"pyproject.toml": poetry + '[tool.poetry.group.ci.dependencies]\npytest = "^8"\n'})
    assert plan_environment(tmp_path).test_source == "Poetry group `ci` of pyproject.toml"  # what `poetry install` takes
    assert installed(tmp_path) == ["pytest<9,>=8", "six<2,>=1.16"]


def test_a_test_requirements_file_beside_the_runtime_one_and_never_the_docs_one(tmp_path):
    write(tmp_path, {"requirements.txt": "six==1.16.0\n", "requirements/test.txt": "pytest\n",
                     "requirements/docs.txt": "sphinx\n", "requirements-lint.txt": "ruff\n"})
    plan = plan_environment(tmp_path)
    assert plan.test_source == "`requirements/test.txt`" and plan.runtime_source == "`requirements.txt`"
    assert installed(tmp_path) == ["pytest", "six==1.16.0"]


def test_tox_deps_with_toxinidir_and_without_factor_lines(tmp_path):
    write(tmp_path, {"requirements.txt": "six==1.16.0\n", "requirements-docs.txt": "sphinx\n",
                     "tox.ini": "[tox]\nenvlist = py39,py311\n\n[testenv]\ndeps =\n    -r{toxinidir}/requirements.txt\n"
                                "    pytest>=8\n    py39: importlib-metadata\n    {env:EXTRA_DEP:}\n"
                                "extras = cli\ncommands = pytest\n"})
    plan = plan_environment(tmp_path)
    assert plan.test_source == "`deps` of tox.ini [testenv] (extras `cli`)"
    assert installed(tmp_path) == ["pytest>=8", "six==1.16.0"]


def test_a_configured_check_environment_wins(tmp_path):
    write(tmp_path, {"requirements.txt": "six\n", "requirements-dev.txt": "pytest\n", "ci/requirements.txt": "nox\n",
                     "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\n\n[project.optional-dependencies]\n'
                                       'test = ["pytest"]\nall = ["rich"]\n'})
    plan = plan_environment(tmp_path, CheckEnvSettings(requirements=("ci/requirements.txt",), extras=("all",)))
    assert plan.test_source == "the check environment configured for this service"
    assert installed_with(plan) == ["nox", "rich", "six"]


def installed_with(plan) -> list[str]:
    expanded = expand_requirements(plan.files, selection=plan.selection, inline=plan.inline)
    return sorted({line.key_text for line in expanded.requirements})


def test_the_service_itself_is_installed_when_its_packaging_says_it_is_a_package(tmp_path):
    write(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'})
    plan = plan_environment(tmp_path)
    assert plan.project == tmp_path and "hatchling.build" in plan.project_reason
    assert "installed the service itself" in plan.describe()
    write(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "svc"\npackage-mode = false\n\n'
                                      '[build-system]\nrequires = ["poetry-core"]\n'})
    assert plan_environment(tmp_path).project is None
    write(tmp_path, {"pyproject.toml": '[project]\nname = "svc"\nversion = "1"\n'})  # uv: a virtual project
    assert plan_environment(tmp_path).project is None
    write(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n"})
    assert plan_environment(tmp_path).project == tmp_path


def test_nothing_declared_says_where_it_looked(tmp_path):
    write(tmp_path, {"requirements.txt": "six\n"})
    plan = plan_environment(tmp_path)
    assert plan.test_source == "" and plan.describe().startswith("No test dependencies declared (looked for:")


def test_an_editable_install_of_the_service_in_its_test_file_is_the_service_itself(tmp_path):
    write(tmp_path, {"requirements_dev.txt": "-e .\npytest==8.4.2\n", "setup.cfg": "[metadata]\nname = svc\n"})
    plan = plan_environment(tmp_path)
    assert plan.project == tmp_path and plan.project_reason == "`-e .` in `requirements_dev.txt`"
    assert installed(tmp_path) == ["pytest==8.4.2"]  # not in the shared env: its path is a temporary checkout's


SETUP_PY = '''from setuptools import setup

REQUIRES = ["six>=1.16", 'widgets==1.4; python_version >= "3.8"']

setup(
    name="svc",
    install_requires=REQUIRES,
    extras_require={"test": ["pytest>=8"], "docs": ["sphinx"]},
)
'''
SETUP_CFG = """[metadata]
name = svc

[options]
install_requires =
    six>=1.16
    # comment
    widgets==1.4

[options.extras_require]
testing = pytest>=8; coverage
docs = sphinx
"""


def test_a_setup_py_package_is_tested_with_its_install_requires_and_test_extra(tmp_path):
    """Read by the same reader that plans and bumps its pins (bot.declared.setup_py): no second parser."""
    write(tmp_path, {"setup.py": SETUP_PY})
    plan = plan_environment(tmp_path)
    assert plan.test_source == "extra `test` of setup.py" and plan.runtime_source == "`setup.py` (install_requires)"
    assert installed(tmp_path) == ['pytest>=8', 'six>=1.16', 'widgets==1.4; python_version >= "3.8"']
    assert plan.project == tmp_path  # and the service itself, on top: its dependencies are already there


def test_a_setup_cfg_package_is_tested_with_its_install_requires_and_test_extra(tmp_path):
    write(tmp_path, {"setup.cfg": SETUP_CFG, "setup.py": "from setuptools import setup\nsetup()\n",
                     "tox.ini": "[testenv]\ndeps = tox-only\n"})
    plan = plan_environment(tmp_path)
    assert plan.test_source == "extra `testing` of setup.cfg" and plan.runtime_source == "`setup.cfg` (install_requires)"
    assert installed(tmp_path) == ["coverage", "pytest>=8", "six>=1.16", "widgets==1.4"]


def test_tox_extras_of_a_setup_py_package_are_installed(tmp_path):
    write(tmp_path, {"setup.py": SETUP_PY.replace('"test"', '"ci"'), "tox.ini": "[testenv]\ndeps = mock\nextras = ci\n"})
    assert plan_environment(tmp_path).test_source == "`deps` of tox.ini [testenv] (extras `ci`)"
    assert installed(tmp_path) == ["mock", "pytest>=8", "six>=1.16", 'widgets==1.4; python_version >= "3.8"']


def test_a_requirements_file_beside_setup_py_is_the_runtime_with_install_requires(tmp_path):
    write(tmp_path, {"setup.py": SETUP_PY.replace(', "docs": ["sphinx"]', ""), "requirements.txt": "six==1.16.0\n",
                     "requirements-dev.txt": "pytest\n"})
    plan = plan_environment(tmp_path)
    assert plan.runtime_source == "`requirements.txt` and `setup.py` (install_requires)"


ALL_EXTRAS_CI = ("jobs:\n  test:\n    steps:\n      - uses: astral-sh/setup-uv@v6\n"
                 "      - run: uv sync --all-extras --no-python-downloads\n      - run: uv run pytest\n")
CLI_PROJECT = ('[project]\nname = "svc"\nversion = "1"\ndependencies = ["six"]\n\n'
               '[project.optional-dependencies]\ncli = ["typer"]\n\n[dependency-groups]\ndev = ["pytest"]\n')


def test_every_extra_when_the_projects_ci_installs_them_all(tmp_path):
    """aiomysensors' tests import its CLI (the `cli` extra): its CI runs `uv sync --all-extras`."""
    write(tmp_path, {"pyproject.toml": CLI_PROJECT, ".github/workflows/ci.yml": ALL_EXTRAS_CI, ".git/HEAD": ""})
    plan = plan_environment(tmp_path)
    assert plan.selection.extras == ("cli",) and plan.selection.groups == ("dev",)
    assert plan.test_source == ("dependency group `dev` of pyproject.toml; every extra (`cli` too), as "
                                "`uv sync --all-extras` in `.github/workflows/ci.yml` installs them")
    assert installed(tmp_path) == ["pytest", "six", "typer"]


def test_every_extra_of_a_poetry_locked_project_when_its_ci_installs_them_all(tmp_path):
    """Poetry 2 reads [project]; quantflow's CI runs `poetry install --all-extras` beside a poetry.lock."""
    write(tmp_path, {"pyproject.toml": CLI_PROJECT, "poetry.lock": "# locked\n", ".git/HEAD": "",
                     ".github/workflows/ci.yml": ALL_EXTRAS_CI.replace("uv sync --all-extras --no-python-downloads",
                                                                       "poetry install --all-extras")})
    plan = plan_environment(tmp_path)
    assert plan.selection.extras == ("cli",) and plan.runtime_source == "the versions locked in `poetry.lock`"
    assert "every extra (`cli` too), as `poetry install --all-extras` in `.github/workflows/ci.yml`" in plan.test_source


def test_a_monorepo_workflow_installs_every_extra_only_for_the_services_it_names(tmp_path):
    ci = ALL_EXTRAS_CI.replace("uv sync", "cd services/alpha && uv sync")
    write(tmp_path, {".github/workflows/ci.yml": ci, ".git/HEAD": "",
                     "services/alpha/pyproject.toml": CLI_PROJECT, "services/beta/pyproject.toml": CLI_PROJECT})
    assert plan_environment(tmp_path / "services" / "alpha").selection.extras == ("cli",)
    assert plan_environment(tmp_path / "services" / "beta").selection.extras == ()


def test_without_such_a_ci_extras_are_chosen_by_name(tmp_path):
    write(tmp_path, {"pyproject.toml": CLI_PROJECT, ".github/workflows/ci.yml": ALL_EXTRAS_CI.replace(
        " --all-extras", ""), ".git/HEAD": ""})
    assert plan_environment(tmp_path).selection.extras == ()
