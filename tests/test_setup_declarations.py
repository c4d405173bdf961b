"""setup.py and setup.cfg declarations (issue 17.5): `install_requires` and `extras_require` are a service's
declarations like requirements files and pyproject.toml: discovered, planned, bumped in the file's own style
(libcst for setup.py, line edits for setup.cfg), and never listed as a pin the bot cannot bump."""
from __future__ import annotations

import pytest

from bot.change.apply import apply_recipe
from bot.change.recipe import load_recipes
from bot.config import BUNDLED_RECIPES, Config
from bot.discover.services import discover, discover_configured
from bot.discover.snapshot import MemorySnapshot
from bot.plan.jobs import make_plan

RECIPES = {r.id: r for r in load_recipes([BUNDLED_RECIPES])}
TENACITY = RECIPES["tenacity-9.1.2"]
CODE = "from tenacity import retry\n"

SETUP_PY = '''from setuptools import find_packages, setup

setup(
    name="feeder",
    packages=find_packages(),
    install_requires=[
        "requests>=2.28",
        'tenacity>=8.2,<9',  # retries
    ],
    extras_require={"test": ["pytest>=8"]},
)
'''
SETUP_CFG = '''[metadata]
name = feeder

[options]
packages = find:
install_requires =
    click>=8
    tenacity==8.2.3
    tenacity-extras>=1

[options.extras_require]
test =
    pytest>=8
'''


def test_a_package_declared_only_in_setup_py_is_a_service_with_a_job():
    files = {"setup.py": SETUP_PY, "feeder/__init__.py": CODE}
    services, _ = discover_configured(MemorySnapshot(files), Config(source=""))
    [service] = services
    assert service.path == "." and [d.spec for d in service.depends_on("tenacity")] == [">=8.2,<9"]
    [job] = make_plan(services, [], [TENACITY], Config(source="")).jobs
    assert job.branch == "upgrade-bot/tenacity-9.1.2"


def test_a_monorepo_service_declared_only_in_setup_cfg_is_a_service():
    files = {"services/feeder/setup.cfg": SETUP_CFG, "services/feeder/feeder/__init__.py": CODE,
             "services/other/setup.py": SETUP_PY.replace("tenacity", "backoff")}
    services, skipped = discover(MemorySnapshot(files), ("services/*",))
    assert sorted(s.name for s in services) == ["feeder", "other"] and skipped == []
    jobs = make_plan(services, skipped, [TENACITY], Config(source="")).jobs
    assert [j.service.name for j in jobs] == ["feeder"]


def _migrated(files: dict[str, str], recipe=TENACITY):
    services, _ = discover(MemorySnapshot({f"services/feeder/{p}": t for p, t in files.items()}), ("services/*",))
    return apply_recipe(services[0], recipe)


def test_install_requires_in_setup_py_is_bumped_keeping_its_style():
    change = _migrated({"setup.py": SETUP_PY, "feeder/__init__.py": CODE})
    assert change.changed["setup.py"] == SETUP_PY.replace("'tenacity>=8.2,<9',", "'tenacity>=9.1.2,<10',")
    assert not [m for m in change.manual if m.file == "setup.py"], change.manual
    assert any(a.file == "setup.py" and "tenacity" in a.description for a in change.applied)


def test_install_requires_in_setup_cfg_is_bumped_keeping_its_style():
    change = _migrated({"setup.cfg": SETUP_CFG, "feeder/__init__.py": CODE})
    # a library's runtime dependency: an exact pin stays exact only where it was exact (install_requires was)
    assert change.changed["setup.cfg"] == SETUP_CFG.replace("    tenacity==8.2.3\n", "    tenacity==9.1.2\n")
    assert not [m for m in change.manual if m.file == "setup.cfg"], change.manual


AIOMQTT = RECIPES["aiomqtt-2.4.0"]
SETUP_PY_CONSTANT = '''import setuptools

REQUIRES = [
    "asyncio-mqtt>=0.16,<0.17",  # the broker client
]

setuptools.setup(
    name="feeder",
    install_requires=REQUIRES,
    extras_require={
        "test": ["pytest>=8", "asyncio-mqtt==0.16.2"],
    },
)
'''


def test_a_renamed_package_in_a_module_constant_and_extras_of_setup_py():
    change = _migrated({"setup.py": SETUP_PY_CONSTANT}, AIOMQTT)
    # a library's runtime dependency gets a floor (the old name's bounds say nothing of the new package), an
    # added package too (never `==` in install_requires); the runtime declaration sets the spec for the file
    assert change.changed["setup.py"] == SETUP_PY_CONSTANT.replace(
        '    "asyncio-mqtt>=0.16,<0.17",  # the broker client\n',
        '    "aiomqtt>=2.4.0",  # the broker client\n    "paho-mqtt>=2.1.0",\n').replace(
        '"asyncio-mqtt==0.16.2"', '"aiomqtt>=2.4.0"')


@pytest.mark.parametrize("shape", ["f-string", "built by code"])
def test_a_requirement_setup_py_builds_at_run_time_is_not_a_declaration(shape):
    element = {"f-string": 'f"tenacity>={MIN}"', "built by code": '"tenacity" + ">=8"'}[shape]
    text = f'from setuptools import setup\nMIN = "8"\nsetup(install_requires=[{element}, "requests"])\n'
    services, _ = discover(MemorySnapshot({"services/a/setup.py": text}), ("services/*",))
    assert [d.name for d in services[0].declarations] == ["requests"]


def test_setup_cfg_at_the_root_with_tool_settings_only_is_not_a_project():
    files = {"setup.cfg": "[flake8]\nmax-line-length = 100\n", "services/a/requirements.txt": "tenacity==8.2.3\n"}
    services, _ = discover_configured(MemorySnapshot(files), Config(source=""))
    assert [s.path for s in services] == ["services/a"]


def test_an_escaped_requirement_string_is_listed_and_holds_the_job_back():
    text = 'from setuptools import setup\nsetup(install_requires=["tenacity>=8; python_version >= \\"3.8\\""])\n'
    change = _migrated({"setup.py": text, "feeder/__init__.py": CODE})
    [item] = [m for m in change.manual if m.file == "setup.py"]
    assert item.rule == "REQ002" and item.suggestion == 'tenacity>=9.1.2; python_version >= "3.8"'


def test_extras_held_in_a_module_level_dict_are_declarations():
    text = ('from setuptools import setup\n\nEXTRAS = {\n    "retry": ["tenacity>=8,<9"],\n}\n\n'
            'setup(name="x", install_requires=["requests"], extras_require=EXTRAS)\n')
    change = _migrated({"setup.py": text, "feeder/__init__.py": CODE})
    assert change.changed["setup.py"] == text.replace('"tenacity>=8,<9"', '"tenacity>=9.1.2,<10"')


SETUP_CFG_FILE_VALUES = '''[metadata]
name = feeder

[options]
packages = find:
install_requires = file: deps/runtime.txt, deps/gone.txt
'''


def test_requirements_setup_cfg_reads_from_files_are_declarations_and_bumped():
    """`install_requires = file: deps/runtime.txt`: a name no requirements-file search finds. A missing file is
    noted, never skipped silently."""
    change = _migrated({"setup.cfg": SETUP_CFG_FILE_VALUES, "deps/runtime.txt": "click>=8\ntenacity==8.2.3\n",
                        "feeder/__init__.py": CODE})
    assert change.changed["deps/runtime.txt"] == "click>=8\ntenacity==9.1.2\n" and "setup.cfg" not in change.changed
    services, _ = discover(MemorySnapshot({"services/feeder/setup.cfg": SETUP_CFG_FILE_VALUES,
                                           "services/feeder/deps/runtime.txt": "tenacity==8.2.3\n"}), ("services/*",))
    [service] = services
    assert [d.file for d in service.depends_on("tenacity")] == ["deps/runtime.txt"]
    assert service.notes == ["services/feeder/setup.cfg:6: install_requires reads deps/gone.txt (`file:`), which does "
                             "not exist: its requirements are not read"]
