"""Which Python validation uses: the declared one, lowest first, among the interpreters on this machine (the tests
never download one: UV_PYTHON_DOWNLOADS=never in conftest), and what the PR says about it."""
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from wheels import build_wheel

from bot.validation import interpreters
from bot.validation.environment import python_needed, service_environment
from bot.validation.envs import Interpreter
from bot.validation.interpreters import minor, own_interpreter, present_interpreters
from bot.validation.python_version import Declared, PythonPlan, declared_python, floor_minor, python_plan


def interpreter(version: str) -> Interpreter:
    return Interpreter(Path(f"/opt/python{version}/bin/python3"), "cpython", version, "x86_64")


def test_declarations_in_order_of_precedence(tmp_path):
    assert declared_python(tmp_path) == Declared()
    (tmp_path / "setup.py").write_text('from setuptools import setup\n\nsetup(**{"name": "a", "python_requires": ">=3.9"})\n')
    assert declared_python(tmp_path) == Declared(">=3.9", "setup.py")
    (tmp_path / "setup.cfg").write_text("[options]\npython_requires = >=3.8\n")
    assert declared_python(tmp_path) == Declared(">=3.8", "setup.cfg")
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.11"\n')
    assert declared_python(tmp_path) == Declared(">=3.11,<4", "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nrequires-python = ">=3.10"\n')
    assert declared_python(tmp_path) == Declared(">=3.10", "pyproject.toml")
    (tmp_path / ".python-version").write_text("3.11\n")
    assert declared_python(tmp_path) == Declared("3.11", ".python-version", exact=True)
    assert declared_python(tmp_path, configured="3.12") == Declared("3.12", "configured", exact=True)


def test_python_requires_built_from_a_constant_is_read_as_planning_reads_it(tmp_path):
    (tmp_path / "setup.py").write_text('from setuptools import setup\n\nMIN_PYTHON = "3.9"\n\n'
                                       'setup(name="a", python_requires=f">={MIN_PYTHON}")\n')
    assert declared_python(tmp_path) == Declared(">=3.9", "setup.py")


def test_the_lowest_allowed_version_comes_first(tmp_path):
    present = present_interpreters()
    if len(present) < 2:
        pytest.skip("needs two Python minor versions on this machine (pyenv, uv or the runner's tool cache)")
    floor = minor(present[1].version)
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "a"\nrequires-python = ">={floor}"\n')
    plan = python_plan(tmp_path)
    assert minor(plan.candidates[0].version) == floor and plan.lowest == floor and not plan.unavailable
    assert [minor(i.version) for i in plan.candidates] == [minor(i.version) for i in present[1:]]
    assert plan.describe(plan.candidates[0]) == (f"Python {plan.candidates[0].version} ran the tests: the lowest "
                                                 f"version `>={floor}` (pyproject.toml) allows.")
    newest = present[-1]  # the branch ran there: the base tries it first too
    assert python_plan(tmp_path, prefer=newest).candidates[0] == newest


def test_a_declared_version_nobody_has_falls_back_to_the_bots_own_and_says_so(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nrequires-python = ">=3.99"\n')
    plan = python_plan(tmp_path)
    assert plan.candidates == (own_interpreter(),)
    text = plan.describe(own_interpreter())
    own = own_interpreter().version
    assert text.startswith(f"Declared `>=3.99` (pyproject.toml); ran {minor(own)} ({own}, the bot's own); "
                           "not validated on 3.99: no interpreter here that it allows, and python downloads are off")


def test_a_failed_download_is_said_in_uvs_words(tmp_path, monkeypatch):
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "automatic")
    monkeypatch.setattr(interpreters, "_downloads", interpreters.DownloadState())
    (tmp_path / ".python-version").write_text("3.5.10\n")  # no build of it exists anywhere
    plan = python_plan(tmp_path)
    assert plan.candidates == (own_interpreter(),)
    assert "not validated on 3.5.10: no Python 3.5.10 here, and `uv python install 3.5.10` failed:" in \
        plan.describe(own_interpreter())


def test_the_pr_says_which_python_ran_and_which_did_not_install():
    plan = PythonPlan(Declared(">=3.9", "pyproject.toml"), (interpreter("3.9.18"), interpreter("3.10.13")), lowest="3.9")
    text = plan.describe(interpreter("3.10.13"), ((interpreter("3.9.18"), "the environment does not install there: "
                                                                         "oldyaml==6.0 has no wheel for cp39"),))
    assert text == ("Declared `>=3.9` (pyproject.toml); ran 3.10 (3.10.13); not validated on 3.9: the environment "
                    "does not install there: oldyaml==6.0 has no wheel for cp39.")
    assert PythonPlan(Declared(), ()).describe(interpreter("3.11.7")) == (
        "Python 3.11.7 ran the tests (the bot's own: the service declares no Python version).")


@pytest.mark.parametrize("spec,lowest", [(">=3.8", "3.8"), (">=3.8.1,<4", "3.8"), ("~=3.10", "3.10"),
                                         (">3.9", "3.9"), (">=3.9,!=3.9.*", "3.10"), ("<3.13", ""), ("==3.11.*", "3.11")])
def test_the_lowest_minor_a_range_allows(spec, lowest):
    assert floor_minor(SpecifierSet(spec)) == lowest


def test_python_version_file_comes_first_then_newer_ones_when_it_does_not_install(tmp_path):
    present = present_interpreters()
    if len(present) < 2:
        pytest.skip("needs two Python minor versions on this machine (pyenv, uv or the runner's tool cache)")
    pinned = minor(present[0].version)
    (tmp_path / ".python-version").write_text(f"{pinned}\n")
    plan = python_plan(tmp_path)
    assert [minor(i.version) for i in plan.candidates] == [minor(i.version) for i in present]
    assert plan.describe(present[0]) == f"Python {present[0].version} ran the tests, as `{pinned}` (.python-version) says."
    text = plan.describe(present[1], ((present[0], "pytest-asyncio==1.3.0 depends on Python>=3.10."),))
    assert text == (f"Declared `{pinned}` (.python-version); ran {minor(present[1].version)} ({present[1].version}); "
                    f"not validated on {pinned}: pytest-asyncio==1.3.0 depends on Python>=3.10.")
    assert python_plan(tmp_path, configured=pinned).candidates == (present[0],)  # configured: that one only


UV_REFUSAL = ("setup.py: No solution found when resolving dependencies: Because the current Python version (3.6.15) "
              "does not satisfy Python>=3.10 and pytest-asyncio==1.3.0 depends on Python>=3.10, we can conclude that "
              "pytest-asyncio==1.3.0 cannot be used.")


def test_the_python_an_installer_refusal_names():
    assert python_needed(UV_REFUSAL) == Version("3.10")
    assert python_needed("Because loopkit==1.0.0 requires Python >=3.9 and you require loopkit==1.0") == Version("3.9")
    assert python_needed("oldyaml==6.0 has no wheel for cp39") == Version("0")


@pytest.mark.slow
def test_pythons_below_the_one_a_pin_needs_are_not_tried_and_the_next_ones_are(tmp_path):
    """postfix-mta-sts-resolver's shape: setup.py declares >=3.5.3, the PR pins pytest-asyncio 1.3.0 (Python >= 3.10),
    and 3.6, 3.7, 3.8, 3.9 are installed: three refusals used every attempt and the PR said "could not validate"."""
    minors = sorted({minor(i.version) for i in present_interpreters() if i.implementation == "cpython"},
                    key=lambda text: Version(text))
    if len(minors) < 4:
        pytest.skip("needs four CPython minor versions on this machine")
    lowest, needed = minors[0], minors[3]
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "loopkit", "1.0", {"__init__.py": ""}, requires_python=f">={needed}")
    service = tmp_path / "svc"
    service.mkdir()
    (service / "setup.py").write_text(f'from setuptools import setup\n\nsetup(name="svc", python_requires=">={lowest}")\n')
    (service / "requirements.txt").write_text(f"--find-links {wheels}\nloopkit==1.0\n")
    with service_environment(service, cache_dir=tmp_path / "envs") as prepared:
        assert minor(prepared.interpreter.version) == needed
        assert f"not validated on {lowest}: the environment does not install there" in prepared.description
