"""What a service's test environment holds, read from its own declarations the way its CI would install it.

Runtime: the lock (uv.lock, poetry.lock) when there is one, else the runtime requirements file
(`requirements.txt`, `requirements/base.txt`, ...) and the dependencies the project declares (pyproject.toml, and
setup.py / setup.cfg `install_requires`, read by the readers that plan and bump them: bot.declared.setup_py, setup_cfg).
Test dependencies: the first of these sources the service has, in this order (the PR names the one used):

1. the check environment configured for the service (`[check-env]` / `[service-check-env.<name>]`);
2. PEP 735 dependency groups and extras whose name says test or dev (`test`, `tests`, `testing`, `dev`,
   `requirements-test`, ...), in pyproject.toml or setup.py / setup.cfg `extras_require`;
3. Poetry groups with such a name (and the legacy `dev-dependencies`); without one, every non-optional
   group, as `poetry install` does;
4. a test or dev requirements file (`requirements-dev.txt`, `requirements/test.txt`, `test-requirements.txt`, ...);
5. the `deps` (and `extras`) of tox's `[testenv]`.

Only that source is installed beside the runtime: a docs or lint requirements file never is, so two files pinning
different versions of one package cannot make the environment unbuildable. Pure: reads files, runs nothing."""
from __future__ import annotations

import configparser
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError

from bot.config import CheckEnvSettings
from bot.declared.requirements import Declaration
from bot.declared.setup_cfg import parse_setup_cfg
from bot.declared.setup_py import parse_setup_py
from bot.validation.ci_install import all_extras_command
from bot.validation.locked import lock_file
from bot.declared.toml_data import read_toml

TEST_WORDS = frozenset({"test", "tests", "testing", "unittest", "unittests", "pytest", "dev", "develop", "development"})
RUNTIME_FILES = ("requirements.txt", "requirements/base.txt", "requirements/main.txt", "requirements/prod.txt",
                 "requirements/production.txt", "requirements/runtime.txt", "requirements/common.txt")
# Among several test/dev requirements files, the first that exists wins (the rest by name): test before dev.
TEST_FILE_ORDER = ("requirements-test.txt", "requirements_test.txt", "requirements-tests.txt", "requirements_tests.txt",
                   "test-requirements.txt", "test_requirements.txt", "requirements/test.txt", "requirements/tests.txt",
                   "requirements/testing.txt", "tests/requirements.txt", "requirements-dev.txt", "requirements_dev.txt",
                   "dev-requirements.txt", "dev_requirements.txt", "requirements/dev.txt", "requirements/development.txt")


@dataclass(frozen=True)
class Selection:
    """Which optional parts of a pyproject (and of its lock) the environment takes."""

    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # PEP 735
    poetry_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class InlineRequirements:
    """Requirement lines that live inside another file (tox's deps): expanded as if that file held them."""

    text: str
    origin: Path


@dataclass(frozen=True)
class EnvPlan:
    """What goes into a service's test environment, and where each part came from."""

    files: tuple[Path, ...] = ()  # requirement files, a lock, or a pyproject.toml (expanded with `selection`)
    selection: Selection = Selection()
    inline: tuple[InlineRequirements, ...] = ()
    test_source: str = ""  # the PR's words for where the test dependencies came from ("" when none found)
    runtime_source: str = ""
    project: Path | None = None  # the service folder when the service itself is installed
    project_reason: str = ""  # why it is (or is not) installed
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        parts = []
        if self.test_source:
            parts.append(f"Test dependencies from {self.test_source}")
        else:
            parts.append("No test dependencies declared (looked for: test/dev dependency groups and extras, Poetry "
                         "groups, test/dev requirements files, tox deps)")
        if self.runtime_source:
            parts.append(f"runtime dependencies from {self.runtime_source}")
        if self.project is not None:
            parts.append(f"installed the service itself ({self.project_reason}), as `pip install -e .` would")
        return "; ".join(parts) + "."


def is_test_name(name: str) -> bool:
    """`test`, `tests`, `dev`, `requirements-test`, `test-deps`, `unit_tests`: a name that says tests or dev."""
    return any(token in TEST_WORDS for token in re.split(r"[-_.]+", canonicalize_name(name)))


def plan_environment(service_dir: Path, configured: CheckEnvSettings | None = None) -> EnvPlan:
    """The declared plan, plus every extra of pyproject.toml when the project's CI installs them all
    (bot.validation.ci_install); a configured check environment is taken as it is."""
    plan = _declared_plan(service_dir, configured)
    if configured is not None and (configured.requirements or configured.extras or configured.groups):
        return plan
    extras = [name for name in _optional(read_pyproject(service_dir)) if name not in plan.selection.extras]
    if not extras or not any(path.name in ("pyproject.toml", "uv.lock", "poetry.lock") for path in plan.files):
        return plan
    command, where = all_extras_command(Path(service_dir))
    if not command:
        return plan
    said = f"every extra ({_names(extras)} too), as `{command}` in `{where}` installs them"
    return dataclasses.replace(plan, selection=dataclasses.replace(plan.selection,
                                                                   extras=(*plan.selection.extras, *extras)),
                               test_source=f"{plan.test_source}; {said}" if plan.test_source else said)


def _declared_plan(service_dir: Path, configured: CheckEnvSettings | None = None) -> EnvPlan:
    service_dir = Path(service_dir)
    pyproject = read_pyproject(service_dir)
    install, reason = _installable(service_dir, pyproject)
    if configured is not None and configured.install_project is not None:
        install, reason = configured.install_project, "configured"
    locked = lock_file(service_dir)
    runtime_files, runtime_source = _runtime(service_dir, pyproject, locked)
    base = dict(project=service_dir if install else None, project_reason=reason, runtime_source=runtime_source)

    setup = setup_declarations(service_dir)
    if configured is not None and (configured.requirements or configured.extras or configured.groups):
        files = tuple(service_dir / name for name in configured.requirements)
        selection = Selection(tuple(configured.extras), tuple(configured.groups))
        if locked is not None or pyproject_file(service_dir, pyproject) is not None or setup:
            files = (*runtime_files, *files)
        return EnvPlan(files=_unique(files), selection=selection,
                       test_source="the check environment configured for this service", **base)

    extras = tuple(name for name in _optional(pyproject) if is_test_name(name))
    groups = tuple(name for name in _groups(pyproject) if is_test_name(name))
    setup_extras = {name: [extra for extra in setup_extras_of(declared) if is_test_name(extra)]
                    for name, declared in setup.items()}
    if extras or groups:
        words = [f"dependency group {_names(groups)}" if groups else "", f"extra {_names(extras)}" if extras else ""]
        return EnvPlan(files=runtime_files, selection=Selection(extras, groups),
                       test_source=" and ".join(filter(None, words)) + " of pyproject.toml", **base)
    if any(setup_extras.values()):
        chosen = tuple(dict.fromkeys(extra for names in setup_extras.values() for extra in names))
        where = " and ".join(f"extra {_names(names)} of {name}" for name, names in setup_extras.items() if names)
        return EnvPlan(files=runtime_files, selection=Selection(chosen), test_source=where, **base)

    poetry = _poetry_groups(pyproject)
    if poetry:
        chosen = tuple(name for name, _ in poetry if is_test_name(name)) or tuple(
            name for name, optional in poetry if not optional)
        if chosen:
            return EnvPlan(files=runtime_files, selection=Selection(poetry_groups=chosen),
                           test_source=f"Poetry group {_names(chosen)} of pyproject.toml", **base)

    test_file = _test_requirements_file(service_dir)
    if test_file is not None:
        files = [*runtime_files, test_file]
        if base["project"] is None and _installs_itself(test_file):
            base.update(project=service_dir, project_reason=f"`-e .` in `{test_file.name}`")
        return EnvPlan(files=_unique(files), test_source=f"`{test_file.relative_to(service_dir).as_posix()}`", **base)

    tox = tox_testenv(service_dir)
    if tox is not None:
        deps, tox_extras, origin, where = tox
        inline = (InlineRequirements(deps, origin),) if deps.strip() else ()
        selection = Selection(extras=tuple(tox_extras))
        return EnvPlan(files=runtime_files, selection=selection, inline=inline,
                       test_source=f"`deps` of {where}" + (f" (extras {_names(tox_extras)})" if tox_extras else ""),
                       **base)
    return EnvPlan(files=runtime_files, **base)


# --- runtime -----------------------------------------------------------------------------------------
def _runtime(service_dir: Path, pyproject: Mapping[str, Any], locked: Path | None) -> tuple[tuple[Path, ...], str]:
    if locked is not None:
        return (locked,), f"the versions locked in `{locked.name}`"
    files: list[Path] = []
    runtime = next((service_dir / name for name in RUNTIME_FILES if (service_dir / name).is_file()), None)
    if runtime is not None:
        files.append(runtime)
    declared = pyproject_file(service_dir, pyproject)
    if declared is not None:
        files.append(declared)
    words = [f"`{path.relative_to(service_dir).as_posix()}`" for path in files]
    for name, found in setup_declarations(service_dir).items():
        files.append(service_dir / name)  # its install_requires, and the extras the plan selects
        if any(d.section == RUNTIME_SECTION for d in found):
            words.append(f"`{name}` (install_requires)")
    return tuple(files), " and ".join(words)


# --- setup.py / setup.cfg ------------------------------------------------------------------------------
SETUP_FILES = ("setup.cfg", "setup.py")
RUNTIME_SECTION = "install_requires"
EXTRA_SECTION = "extras_require."


def setup_declarations(service_dir: Path) -> dict[str, list[Declaration]]:
    """{"setup.py": [...], "setup.cfg": [...]}: the requirements each declares (those it writes as literals),
    read as planning and bumping read them; files that declare none are left out."""
    out = {}
    for name, parse in zip(SETUP_FILES, (parse_setup_cfg, parse_setup_py)):
        path = service_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found = parse(text, name) if "install_requires" in text or "extras_require" in text else []
            if found:
                out[name] = found
    return out


def setup_extras_of(declared: Sequence[Declaration]) -> list[str]:
    return list(dict.fromkeys(d.section.removeprefix(EXTRA_SECTION) for d in declared
                              if d.section.startswith(EXTRA_SECTION)))


def pyproject_file(service_dir: Path, pyproject: Mapping[str, Any]) -> Path | None:
    """The pyproject.toml when it declares anything to install (dependencies, extras, groups, Poetry tables)."""
    project = pyproject.get("project") or {}
    poetry = (pyproject.get("tool") or {}).get("poetry") or {}
    if project.get("dependencies") or project.get("optional-dependencies") or pyproject.get("dependency-groups") \
            or poetry.get("dependencies") or poetry.get("group") or poetry.get("dev-dependencies"):
        return service_dir / "pyproject.toml"
    return None


# --- is the service a package? -----------------------------------------------------------------------
def _installable(service_dir: Path, pyproject: Mapping[str, Any]) -> tuple[bool, str]:
    """A service is installed when its packaging says it is a package, as pip, uv and Poetry decide."""
    tool = pyproject.get("tool") or {}
    poetry = tool.get("poetry") or {}
    if poetry and poetry.get("package-mode") is False:
        return False, "Poetry `package-mode = false`"
    uv_package = (tool.get("uv") or {}).get("package")
    if uv_package is False:
        return False, "`tool.uv.package = false`"
    build = pyproject.get("build-system") or {}
    if build.get("build-backend") or build.get("requires"):
        return True, f"built by `{build.get('build-backend') or 'setuptools'}`"
    if (service_dir / "setup.py").is_file():
        return True, "`setup.py`"
    if uv_package is True:
        return True, "`tool.uv.package = true`"
    return False, "not a package (no `[build-system]` or `setup.py`): tests import it from its folder"


# --- pyproject parts ---------------------------------------------------------------------------------
def read_pyproject(service_dir: Path) -> dict[str, Any]:
    path = Path(service_dir) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        document = read_toml(path.read_text(encoding="utf-8"))
    except (TOMLKitError, UnicodeDecodeError, ValueError):
        return {}  # a broken file is reported by the environment builder, naming it
    return document if isinstance(document, dict) else {}


def _optional(pyproject: Mapping[str, Any]) -> list[str]:
    return sorted(((pyproject.get("project") or {}).get("optional-dependencies") or {}))


def _groups(pyproject: Mapping[str, Any]) -> list[str]:
    groups = sorted(pyproject.get("dependency-groups") or {})
    legacy = ((pyproject.get("tool") or {}).get("uv") or {}).get("dev-dependencies")
    return groups + (["dev"] if legacy and "dev" not in groups else [])


def _poetry_groups(pyproject: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(group, optional) for each Poetry group; the legacy dev-dependencies table is the `dev` group."""
    poetry = (pyproject.get("tool") or {}).get("poetry") or {}
    groups = [(name, bool((table or {}).get("optional"))) for name, table in sorted((poetry.get("group") or {}).items())]
    if poetry.get("dev-dependencies") and "dev" not in {name for name, _ in groups}:
        groups.append(("dev", False))
    return groups


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _unique(paths: Sequence[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))


# --- requirements files ------------------------------------------------------------------------------
def _test_requirements_file(service_dir: Path) -> Path | None:
    for name in TEST_FILE_ORDER:
        if (service_dir / name).is_file():
            return service_dir / name
    others = sorted([*service_dir.glob("*requirements*.txt"), *(service_dir / "requirements").glob("*.txt")])
    for path in others:
        stem = path.stem.replace("requirements", "")
        if path.is_file() and stem.strip("-_.") and is_test_name(stem.strip("-_.")):
            return path
    return None


def _installs_itself(path: Path) -> bool:
    """The file asks for the project itself (`-e .`, `.`, `-e .[test]`)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return any(re.match(r"^(?:(?:-e|--editable)\s*=?\s*)?\.(?:/)?(?:\[[^\]]*\])?\s*(?:#.*)?$", line.strip())
               for line in text.splitlines())


# --- tox ---------------------------------------------------------------------------------------------
_FACTOR = re.compile(r"^[\w!,.{}-]+:\s")
_SUBSTITUTION = re.compile(r"\{[^}]*\}")


def tox_testenv(service_dir: Path) -> tuple[str, list[str], Path, str] | None:
    """(deps as requirements text, extras, the file, "tox.ini [testenv]") from tox.ini, setup.cfg [tox:tox] or
    pyproject's legacy_tox_ini / [tool.tox.env_run_base]; None when there is no testenv."""
    for name, section in (("tox.ini", "testenv"), ("setup.cfg", "testenv")):
        path = service_dir / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
        except configparser.Error:
            continue
        if name == "setup.cfg" and not parser.has_section("tox:tox"):
            continue
        if parser.has_section(section):
            deps = parser.get(section, "deps", fallback="")
            extras = parser.get(section, "extras", fallback="")
            return (_tox_deps(deps, service_dir), _tox_list(extras), path, f"{name} [{section}]")
    pyproject = read_pyproject(service_dir)
    tox = (pyproject.get("tool") or {}).get("tox") or {}
    if isinstance(tox.get("legacy_tox_ini"), str):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(tox["legacy_tox_ini"])
        except configparser.Error:
            return None
        if parser.has_section("testenv"):
            return (_tox_deps(parser.get("testenv", "deps", fallback=""), service_dir),
                    _tox_list(parser.get("testenv", "extras", fallback="")), service_dir / "pyproject.toml",
                    "pyproject.toml legacy_tox_ini [testenv]")
    base = tox.get("env_run_base")
    if isinstance(base, dict):
        deps = base.get("deps") or []
        return (_tox_deps("\n".join(str(d) for d in deps), service_dir), [str(e) for e in base.get("extras") or []],
                service_dir / "pyproject.toml", "pyproject.toml [tool.tox.env_run_base]")
    return None


def _tox_deps(deps: str, service_dir: Path) -> str:
    """tox's deps as a requirements text: `{toxinidir}` made concrete; factor-conditional lines and lines with
    other substitutions (`{env:...}`, `{posargs}`) left out, since they depend on how tox is invoked."""
    lines = []
    for raw in deps.splitlines():
        line = raw.strip().replace("{toxinidir}", ".").replace("{tox_root}", ".")
        if not line or line.startswith("#") or _FACTOR.match(line) or _SUBSTITUTION.search(line):
            continue
        lines.append(re.sub(r"^(-[rc])(?=\S)", r"\1 ", line))
    return "".join(f"{line}\n" for line in lines)


def _tox_list(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\s]+", value) if item.strip() and not _FACTOR.match(item + " ")]
