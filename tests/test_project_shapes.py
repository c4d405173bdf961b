"""Validation of projects in the shapes real projects use, end to end with the local forge: each service is
tested as its own CI would (the project itself installed, its test dependencies from where it declares them,
on the Python it declares), and each PR gets the verdict its tests earn.

The projects are written here (never copied from real ones); packages come from a local index on 127.0.0.1
built from tiny wheels plus the real wheels of pytest and the build backends. One run validates every
service, and the environments are shared in one cache for the module."""
from __future__ import annotations

import json
import os
import subprocess
import sysconfig
from pathlib import Path

import pytest
from conftest import TEST_RECIPES, Monorepo
from package_index import build_simple_index, cached_wheels, serve_index
from wheels import build_wheel

from bot.cli import main
from bot.forge.local import LocalForge
from bot.publish.render import read_marker
from bot.validation.interpreters import minor, present_interpreters

REAL_WHEELS = (
    "pytest==8.3.5", "pluggy==1.5.0", "iniconfig==2.0.0", "packaging==24.2", "exceptiongroup==1.2.2",
    "tomli==2.0.1", "colorama==0.4.6", "setuptools==75.8.0", "setuptools-scm==8.1.0",
    "typing-extensions==4.12.2", "poetry-core==2.1.2",
    "hatchling==1.27.0", "hatch-vcs==0.4.0", "pathspec==0.12.1", "trove-classifiers==2025.5.9.12", "editables==0.5",
)
PLATFORM_TAG = sysconfig.get_platform().replace("-", "_").replace(".", "_")


def fixture_wheels(folder: Path) -> list[Path]:
    """widgets 2.0 (the recipe's target) newly depends on arrowish; arrowish 2.0 was built for numbers-lib 2 and
    fails to import beside numbers-lib 1 (its metadata does not say so: the shape of a compiled release
    that needs numpy 2). oldyaml 6.0 only has a wheel for CPython 3.10 (the shape of pyyaml 6.0)."""
    return [
        build_wheel(folder, "widgets", "1.4", {"__init__.py": "def old_call(x):\n    return x * 2\n"}),
        build_wheel(folder, "widgets", "2.0", {"__init__.py": "import arrowish\n\n\ndef new_call(x):\n    return x * 2\n"},
                    requires=("arrowish",)),
        build_wheel(folder, "arrowish", "1.0", {"__init__.py": "VERSION = 1\n"}),
        build_wheel(folder, "arrowish", "2.0", {"__init__.py": (
            "import numbers_lib\n\nif numbers_lib.MAJOR < 2:\n"
            "    raise ImportError('arrowish 2.0 was built against numbers-lib 2.x; found numbers-lib '"
            " + numbers_lib.__version__)\n")}, requires=("numbers-lib",)),
        build_wheel(folder, "numbers-lib", "1.5", {"__init__.py": "MAJOR = 1\n__version__ = '1.5'\n"}),
        build_wheel(folder, "numbers-lib", "2.1", {"__init__.py": "MAJOR = 2\n__version__ = '2.1'\n"}),
        build_wheel(folder, "oldyaml", "6.0", {"__init__.py": "def load(text):\n    return text\n"},
                    tag=f"cp310-cp310-{PLATFORM_TAG}"),
    ]


def app(package: str, call: str = "old_call") -> str:
    return f"import widgets\n\n\ndef double(x):\n    return widgets.{call}(x)\n"


def double_test(package: str) -> str:
    return f"from {package} import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


SERVICES: dict[str, dict[str, str]] = {
    # a src layout, no `pythonpath` setting: only an installed package imports
    "src-app": {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
                          '[project]\nname = "src-app"\nversion = "1.0.0"\ndependencies = ["widgets==1.4"]\n\n'
                          '[project.optional-dependencies]\ntest = ["pytest"]\n',
        "src/src_app/__init__.py": app("src_app"),
        "tests/test_double.py": double_test("src_app"),
    },
    # a version module setuptools-scm writes at install time, and test tools in a PEP 735 group
    "scm-app": {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
                          'build-backend = "setuptools.build_meta"\n\n'
                          '[project]\nname = "scm-app"\ndynamic = ["version"]\ndependencies = ["widgets==1.4"]\n\n'
                          '[dependency-groups]\ntest = ["pytest"]\n\n'
                          '[tool.setuptools.packages.find]\ninclude = ["scm_app*"]\n\n'
                          '[tool.setuptools_scm]\nroot = "../.."\nversion_file = "scm_app/_version.py"\n',
        ".gitignore": "scm_app/_version.py\n",
        "scm_app/__init__.py": "from scm_app._version import version as __version__\n\n" + app("scm_app"),
        "tests/test_double.py": double_test("scm_app") + "\n\ndef test_version():\n"
                                "    from scm_app import __version__\n    assert __version__\n",
    },
    # hatch-vcs writes the version module at build time; test tools in a `tests` extra
    "vcs-app": {
        "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n\n'
                          '[project]\nname = "vcs-app"\ndynamic = ["version"]\ndependencies = ["widgets==1.4"]\n\n'
                          '[project.optional-dependencies]\ntests = ["pytest"]\n\n'
                          '[tool.hatch.version]\nsource = "vcs"\nraw-options = { root = "../.." }\n\n'
                          '[tool.hatch.build.hooks.vcs]\nversion-file = "vcs_app/_version.py"\n\n'
                          '[tool.hatch.build.targets.wheel]\npackages = ["vcs_app"]\n',
        ".gitignore": "vcs_app/_version.py\n",
        "vcs_app/__init__.py": "from vcs_app._version import version as __version__\n\n" + app("vcs_app"),
        "tests/test_double.py": double_test("vcs_app") + "\n\ndef test_version():\n"
                                "    from vcs_app import __version__\n    assert __version__\n",
    },
    # the service itself cannot be installed: its build backend is nowhere to be found
    "nobuild-app": {
        "pyproject.toml": '[build-system]\nrequires = ["shipyard-backend>=1"]\nbuild-backend = "shipyard.api"\n\n'
                          '[project]\nname = "nobuild-app"\nversion = "1.0"\ndependencies = ["widgets==1.4"]\n\n'
                          '[project.optional-dependencies]\ntest = ["pytest"]\n',
        "nobuild_app/__init__.py": app("nobuild_app"),
        "tests/test_double.py": double_test("nobuild_app"),
    },
    # `addopts` holds the option of a plugin (pytest-cov) its declarations do not install: pytest refuses to start
    "cov-app": {
        "requirements.txt": "widgets==1.4\n",
        "requirements-test.txt": "-r requirements.txt\npytest\n",
        "pytest.ini": "[pytest]\naddopts = --cov=cov_app --cov-report=term-missing\n",
        "cov_app/__init__.py": app("cov_app"),
        "tests/test_double.py": double_test("cov_app"),
    },
    # Poetry with a dev group and its packages under src/
    "poetry-app": {
        "pyproject.toml": '[tool.poetry]\nname = "poetry-app"\nversion = "0.3.0"\ndescription = ""\n'
                          'authors = ["Fleet <fleet@example.com>"]\npackages = [{ include = "poetry_app", from = "src" }]\n\n'
                          '[tool.poetry.dependencies]\npython = "^3.11"\nwidgets = "1.4"\n\n'
                          '[tool.poetry.group.dev.dependencies]\npytest = "*"\n\n'
                          '[build-system]\nrequires = ["poetry-core>=1.0.0"]\nbuild-backend = "poetry.core.masonry.api"\n',
        "src/poetry_app/__init__.py": app("poetry_app"),
        "tests/test_double.py": double_test("poetry_app"),
    },
    # a setup.py-only package: its install_requires are known to its build, and pytest is in a test requirements file
    "setuppy-app": {
        "setup.py": "from setuptools import find_packages, setup\n\nsetup(\n    name='setuppy-app',\n    version='0.1',\n"
                    "    packages=find_packages(where='src'),\n    package_dir={'': 'src'},\n"
                    "    install_requires=['widgets==1.4'],\n)\n",
        "requirements-test.txt": "pytest\n",
        "src/setuppy_app/__init__.py": app("setuppy_app"),
        "tests/test_double.py": double_test("setuppy_app"),
    },
    # declared only in setup.py: runtime and test tools (an extra) both there, no requirements file
    "setuppy-extras-app": {
        "setup.py": "from setuptools import setup\n\nsetup(\n    name='setuppy-extras-app',\n    version='0.1',\n"
                    "    packages=['setuppy_extras_app'],\n    install_requires=['widgets==1.4'],\n"
                    "    extras_require={'test': ['pytest'], 'docs': ['sphinx-nowhere==0.0.1']},\n)\n",
        "setuppy_extras_app/__init__.py": app("setuppy_extras_app"),
        "tests/test_double.py": double_test("setuppy_extras_app"),
    },
    # declared only in setup.cfg (setuptools' declarative config, built through pyproject's [build-system])
    "setupcfg-app": {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
        "setup.cfg": "[metadata]\nname = setupcfg-app\nversion = 0.2\n\n[options]\npackages = setupcfg_app\n"
                     "install_requires =\n    widgets==1.4\n\n[options.extras_require]\ntesting =\n    pytest\n",
        "setupcfg_app/__init__.py": app("setupcfg_app"),
        "tests/test_double.py": double_test("setupcfg_app"),
    },
    # pytest in an extra whose name only says "test" among other words; a docs extra that must not be installed
    "extras-app": {
        "pyproject.toml": '[project]\nname = "extras-app"\nversion = "2.1.0"\ndependencies = ["widgets==1.4"]\n\n'
                          '[project.optional-dependencies]\nrequirements-test = ["pytest"]\n'
                          'docs = ["sphinx-nowhere==0.0.1"]\n',
        "extras_app/__init__.py": app("extras_app"),
        "tests/test_double.py": double_test("extras_app"),
    },
    # test tools only in tox's deps; a docs requirements file beside them that must not be installed
    "tox-app": {
        "requirements.txt": "widgets==1.4\n",
        "requirements-docs.txt": "sphinx-nowhere==0.0.1\n",
        "tox.ini": "[tox]\nenvlist = py311\n\n[testenv]\ndeps =\n    -r{toxinidir}/requirements.txt\n    pytest\n"
                   "commands = pytest {posargs}\n",
        "tox_app/__init__.py": app("tox_app"),
        "tests/test_double.py": double_test("tox_app"),
    },
    # a conftest that imports a module nobody installed: every test errors, on the base and on the branch
    "conftest-app": {
        "requirements.txt": "widgets==1.4\n",
        "requirements-dev.txt": "-r requirements.txt\npytest\n",
        "conftest.py": "import gauge_sim  # a simulator nobody declared\n",
        "conftest_app/__init__.py": app("conftest_app"),
        "tests/test_double.py": double_test("conftest_app"),
    },
    # declares >=3.10 but its code needs 3.11 (enum.StrEnum): on 3.10 every test errors the same way
    "strenum-app": {
        "pyproject.toml": '[project]\nname = "strenum-app"\nversion = "1.0"\nrequires-python = ">=3.10"\n'
                          'dependencies = ["widgets==1.4"]\n\n[dependency-groups]\ndev = ["pytest"]\n',
        "strenum_app/__init__.py": "import enum\n\n\nclass Mode(enum.StrEnum):\n    FAST = 'fast'\n\n\n" + app("strenum_app"),
        "tests/test_double.py": double_test("strenum_app"),
    },
    # declares >=3.10; on 3.10 it keeps numbers-lib 1, beside which the new widgets' arrowish 2.0 cannot import:
    # the migration breaks it on 3.10 only, where the base passes (on 3.11 the branch passes)
    "pyfloor-app": {
        "pyproject.toml": '[project]\nname = "pyfloor-app"\nversion = "1.0"\nrequires-python = ">=3.10"\n'
                          'dependencies = ["widgets==1.4", "numbers-lib<2; python_version < \'3.11\'",'
                          ' "numbers-lib>=2; python_version >= \'3.11\'"]\n\n[dependency-groups]\ndev = ["pytest"]\n',
        "pyfloor_app/__init__.py": app("pyfloor_app"),
        "tests/test_double.py": double_test("pyfloor_app"),
    },
    # the new widgets pulls arrowish 2.0, which cannot import beside this service's numbers-lib<2 pin
    "newtree-app": {
        "requirements.txt": "widgets==1.4\nnumbers-lib<2\n",
        "requirements-test.txt": "pytest\n",
        "newtree_app/__init__.py": app("newtree_app"),
        "tests/test_double.py": double_test("newtree_app"),
    },
}

# a uv lock whose oldyaml only installs on CPython 3.10, though the project declares >=3.9
LOCKED_SERVICE = {
    "pyproject.toml": '[project]\nname = "lock-app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
                      'dependencies = ["widgets==1.4", "oldyaml==6.0"]\n\n[dependency-groups]\ndev = ["pytest"]\n',
    "lock_app/__init__.py": app("lock_app"),
    "tests/test_double.py": double_test("lock_app"),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    if not {"3.9", "3.10", "3.11"} <= {minor(i.version) for i in present_interpreters()}:
        pytest.skip("needs CPython 3.9, 3.10 and 3.11 on this machine (pyenv, uv or a runner's tool cache)")
    folder = tmp_path_factory.mktemp("wheels")
    root = build_simple_index(tmp_path_factory.mktemp("index"), fixture_wheels(folder) + cached_wheels(*REAL_WHEELS))
    with serve_index(root) as url:
        yield url


@pytest.fixture(scope="module")
def rollout(tmp_path_factory, index):
    root = tmp_path_factory.mktemp("shapes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UPGRADE_BOT_CACHE", str(root / "env-cache"))
        patch.setenv("UV_INDEX_URL", index)
        patch.setenv("UV_DEFAULT_INDEX", index)
        files = {"upgrade-bot.toml": f'services = "services/*"\nrecipe-dirs = ["{TEST_RECIPES.as_posix()}"]\n'
                                     'enabled-recipes = ["widgets-2.0"]\n'}
        for name, service in SERVICES.items():
            files.update({f"services/{name}/{path}": text for path, text in service.items()})
        lock_dir = root / "lock-app"
        for path, text in LOCKED_SERVICE.items():
            (lock_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (lock_dir / path).write_text(text)
        subprocess.run(["uv", "lock", "--quiet"], cwd=lock_dir, check=True, env={**os.environ, "UV_INDEX_URL": index})
        files.update({f"services/lock-app/{path}": text for path, text in LOCKED_SERVICE.items()})
        files["services/lock-app/uv.lock"] = (lock_dir / "uv.lock").read_text()
        (root / "repo").mkdir()
        repo = Monorepo(root / "repo", files)
        assert main(["--repo", str(repo.work), "run", "--all-waves"]) in (0, 1)
        forge = LocalForge(repo.work / ".git" / "upgrade-bot")
        prs = {read_marker(pr.body)["service"]: pr for pr in forge.list_prs("upgrade-bot/")}
        yield repo, prs


VERDICT_LABELS = {"checks-failing", "no-tests-ran", "not-validated"}


def states(repo: Monorepo, capsys) -> dict[str, str]:
    capsys.readouterr()
    assert main(["--repo", str(repo.work), "status", "--json"]) == 0
    return {row["service"]: row["state"] for row in json.loads(capsys.readouterr().out)["rows"]}


@pytest.mark.slow
@pytest.mark.parametrize("service", ["src-app", "scm-app", "vcs-app", "poetry-app", "extras-app", "tox-app",
                                     "setuppy-app", "setuppy-extras-app", "setupcfg-app"])
def test_installed_as_its_ci_would_it_passes(rollout, service):
    _, prs = rollout
    pr = prs[service]
    assert "**Passed**" in pr.body and not set(pr.labels) & VERDICT_LABELS, pr.body
    assert "| passed | " in pr.body and "| passed | 0 |" not in pr.body, pr.body


@pytest.mark.slow
def test_a_service_that_cannot_be_installed_could_not_validate_in_the_installers_words(rollout, capsys):
    repo, prs = rollout
    pr = prs["nobuild-app"]
    assert set(pr.labels) & VERDICT_LABELS == {"not-validated"}, pr.labels  # never checks-failing
    assert "**Passed**" not in pr.body and "**Could not validate**: building the test environment failed" in pr.body
    assert "installing the service itself" in pr.body and "shipyard-backend" in pr.body  # uv's own words
    assert states(repo, capsys)["nobuild-app"] == "could not validate"


@pytest.mark.slow
def test_a_plugin_option_pytest_refuses_could_not_validate_naming_the_plugin(rollout):
    _, prs = rollout
    pr = prs["cov-app"]
    assert set(pr.labels) & VERDICT_LABELS == {"not-validated"}, pr.labels
    assert "**Could not validate**: pytest: error: unrecognized arguments: --cov=cov_app" in pr.body, pr.body
    assert "(`pytest-cov`): declare the plugin with the service's test dependencies" in pr.body


@pytest.mark.slow
def test_the_pr_says_where_the_test_dependencies_came_from(rollout):
    _, prs = rollout
    assert "extra `test` of pyproject.toml" in prs["src-app"].body
    assert "dependency group `test` of pyproject.toml" in prs["scm-app"].body
    assert "Poetry group `dev`" in prs["poetry-app"].body
    assert "extra `requirements-test` of pyproject.toml" in prs["extras-app"].body
    assert "extra `tests` of pyproject.toml" in prs["vcs-app"].body
    assert "`deps` of tox.ini [testenv]" in prs["tox-app"].body
    assert "requirements-test.txt" in prs["newtree-app"].body
    assert "installed the service itself" in prs["src-app"].body
    # setup.py / setup.cfg: read by the readers that plan and bump their pins, into the shared environment
    assert ("Test dependencies from extra `test` of setup.py; runtime dependencies from `setup.py` (install_requires)"
            in prs["setuppy-extras-app"].body)
    assert ("Test dependencies from extra `testing` of setup.cfg; runtime dependencies from `setup.cfg` "
            "(install_requires)" in prs["setupcfg-app"].body)
    assert "runtime dependencies from `setup.py` (install_requires)" in prs["setuppy-app"].body


@pytest.mark.slow
def test_a_conftest_importing_a_missing_module_is_no_tests_ran_with_the_cause(rollout, capsys):
    repo, prs = rollout
    pr = prs["conftest-app"]
    assert "**Passed**" not in pr.body and "**No test ran**" in pr.body and "no-tests-ran" in pr.labels
    assert "Cause: `ModuleNotFoundError: No module named 'gauge_sim'`" in pr.body
    assert "What to do: `gauge_sim` is not installed where the tests run" in pr.body
    assert states(repo, capsys)["conftest-app"] == "no tests ran"


@pytest.mark.slow
def test_a_lock_that_only_installs_on_an_older_python_runs_there_and_says_so(rollout):
    _, prs = rollout
    pr = prs["lock-app"]
    assert "**Passed**" in pr.body, pr.body
    assert "ran 3.10" in pr.body and "not validated on 3.9: the environment does not install there" in pr.body


@pytest.mark.slow
def test_a_declared_python_the_code_cannot_run_on_is_said_and_the_next_one_runs(rollout):
    _, prs = rollout
    pr = prs["strenum-app"]
    assert "**Passed**" in pr.body and "| passed | 1 | 1 |" in pr.body, pr.body
    assert "not validated on 3.10: every test errors there" in pr.body and "StrEnum" in pr.body


@pytest.mark.slow
def test_a_migration_that_breaks_a_declared_python_fails_though_a_newer_one_passes(rollout, capsys):
    """Was **Passed** (on 3.11) with "not validated on 3.10: every test errors there": the base passes on 3.10."""
    repo, prs = rollout
    pr = prs["pyfloor-app"]
    assert set(pr.labels) & VERDICT_LABELS == {"checks-failing"}, pr.body
    assert "**Passed**" not in pr.body
    assert "> - Python 3.10." in pr.body and ", which the service declares: every test errors there after the " \
        "migration (ImportError: arrowish 2.0 was built against numbers-lib 2.x; found numbers-lib 1.5); on the " \
        "base they pass there" in pr.body
    assert states(repo, capsys)["pyfloor-app"] == "failing checks"


@pytest.mark.slow
def test_a_new_tree_that_cannot_import_is_diagnosed_with_a_checked_constraint(rollout):
    _, prs = rollout
    pr = prs["newtree-app"]
    assert "checks-failing" in pr.labels
    assert "arrowish 2.0" in pr.body and "numbers-lib" in pr.body
    assert "`arrowish<2.0`" in pr.body and "checked" in pr.body
