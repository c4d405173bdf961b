"""Cached, isolated virtual environments holding a service's own requirements.

An environment is keyed by what it contains, not by who asked for it: the fully expanded requirement
content (``-r``/``-c`` followed, comments and whitespace dropped, requirement lines sorted; for a locked
project the pins exported from its lock file and the lock's digest) plus the interpreter's version. So two services pinning the same things share one environment, and the
baseline/after runs of a migration that does not touch requirements share it too.

Builds go to ``<cache>/.<key>.building-*`` and are renamed to ``<cache>/<key>`` only once complete, under
a per-key file lock: a crashed build leaves a temp dir that is never mistaken for a finished env (it is
removed by the next builder of that key), and two concurrent builders of one key do the work once.
The bot's own environment is never touched: ``uv`` is always told which interpreter to install into.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bot.declared.toml_data import read_toml
from bot.validation.locked import (LOCK_FILES, UV_LOCK, LockReadError, lock_file, poetry_locked_pins,
                                   uv_export_command, uv_locked_pins)
from bot.validation.poetry_deps import poetry_requirements
from bot.validation.test_deps import (EXTRA_SECTION, RUNTIME_SECTION, SETUP_FILES, InlineRequirements, Selection,
                                     is_test_name, plan_environment, setup_declarations, setup_extras_of)

CACHE_DIR_VARIABLE = "UPGRADE_BOT_CACHE"
UV_BINARY_VARIABLE = "UPGRADE_BOT_UV"
# Bump when the key's input or the env layout changes, so old envs are not reused by mistake.
KEY_SCHEMA = "1"
COMPLETE_MARKER = "upgrade-bot-env.json"
GENERATED_REQUIREMENTS = "upgrade-bot-requirements.in"
GENERATED_CONSTRAINTS = "upgrade-bot-constraints.in"

# "-r file", "-rfile", "--requirement=file" (and the same for constraints)
_INCLUDE_RE = re.compile(r"^(-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?<=-r)|(?<=-c))(\S.*)$")
_OPTION_WITH_PATH_RE = re.compile(r"^(-f|--find-links|-e|--editable)(?:\s*=\s*|\s+)(\S.*)$")


class EnvBuildError(RuntimeError):
    """An environment could not be built; ``reason`` is one line, ``source`` the file that caused it."""

    def __init__(self, reason: str, source: Path | None = None):
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


@dataclass(frozen=True)
class RequirementLine:
    """One logical line of a requirements source, remembered with where it came from."""

    text: str  # as written (whitespace collapsed, local paths made absolute): what gets installed
    origin: Path
    line_number: int  # 1-based; 0 when unknown

    @property
    def key_text(self) -> str:
        return normalise_requirement(self.text)

    @property
    def package_name(self) -> str | None:
        try:
            return canonicalize_name(Requirement(_strip_line_options(self.text)).name)
        except InvalidRequirement:
            return None


@dataclass
class ExpandedRequirements:
    """Requirement sources flattened into what is installed and what the cache key hashes."""

    requirements: list[RequirementLine] = field(default_factory=list)
    constraints: list[RequirementLine] = field(default_factory=list)
    options: list[RequirementLine] = field(default_factory=list)  # index / find-links: order matters
    sources: list[Path] = field(default_factory=list)  # every file read, includes too
    lock_digest: str = ""  # sha256 of the lock file the pins come from; "" when not locked

    def key_content(self) -> str:
        lines = [f"lock {self.lock_digest}"] if self.lock_digest else []
        lines += [f"option {line.key_text}" for line in self.options]
        lines += sorted({f"require {line.key_text}" for line in self.requirements})
        lines += sorted({f"constrain {line.key_text}" for line in self.constraints})
        return "\n".join(lines)

    def origin_of_package(self, name: str) -> RequirementLine | None:
        wanted = canonicalize_name(name)
        for line in self.requirements + self.constraints:
            if line.package_name == wanted:
                return line
        return None


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter that can build test environments."""

    path: Path
    implementation: str
    version: str
    machine: str

    @property
    def key_text(self) -> str:
        return f"{self.implementation}-{self.version}-{self.machine}"


# ---------------------------------------------------------------------------------------------------
# Which files to install


def requirement_sources(service_dir: Path) -> list[Path]:
    """The files a service's test environment is built from (bot.validation.test_deps decides which),
    without those another one includes with ``-r``. ``[]`` for a directory that is no service."""
    return drop_included(plan_environment(Path(service_dir)).files)


def drop_included(files: Sequence[Path]) -> list[Path]:
    """The files no other one of them includes (``-r``), nor covers: a pip-compile'd test file already pins
    every runtime package, and installing the runtime file beside it could only disagree with it."""
    included: set[Path] = set()
    for path in files:
        if path.suffix == ".txt":
            included |= _transitively_included(path) - {path.resolve()}
    kept = [path for path in files if path.resolve() not in included]
    names = {path: _package_names(path) for path in kept if path.suffix == ".txt"}
    return [path for path in kept if not (names.get(path) and any(
        other != path and names[path] <= names[other] for other in names if kept.index(other) > kept.index(path)))]


def _package_names(path: Path) -> set[str]:
    try:
        expanded = expand_requirements([path])
    except EnvBuildError:
        return set()
    return {line.package_name for line in expanded.requirements if line.package_name}


def _transitively_included(path: Path) -> set[Path]:
    """Files reached from ``path`` through ``-r`` (constraints do not install anything)."""
    seen: set[Path] = set()
    pending = [path.resolve()]
    while pending:
        current = pending.pop()
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        for _, line in _logical_lines(current.read_text(encoding="utf-8", errors="replace")):
            match = _INCLUDE_RE.match(line)
            if match and match.group(1) in ("-r", "--requirement"):
                pending.append((current.parent / match.group(2).strip()).resolve())
    return seen


# ---------------------------------------------------------------------------------------------------
# Expanding sources into requirement lines


def expand_requirements(
    requirement_files: Sequence[Path] = (), requirement_lines: Sequence[str] = (),
    selection: Selection | None = None, inline: Sequence[InlineRequirements] = (),
) -> ExpandedRequirements:
    """selection: which extras and groups of a pyproject (or its lock) to take; None: those named like tests.
    inline: requirement lines held in another file (tox's deps), expanded as if that file held them."""
    expanded = ExpandedRequirements()
    for path in requirement_files:
        path = Path(path)
        if not path.is_file():
            raise EnvBuildError("requirement file not found", path)
        if path.name == "pyproject.toml":
            expanded.sources.append(path)
            expanded.requirements += _expand_pyproject(path, selection)
        elif path.name in LOCK_FILES:
            _expand_lock(path, expanded, selection)
        elif path.name in SETUP_FILES:
            expanded.sources.append(path)
            expanded.requirements += _expand_setup(path, selection)
        else:
            _expand_requirements_file(path, expanded, into="requirements", stack=())
    for block in inline:
        expanded.sources.append(block.origin)
        _expand_requirements_text(block.text, block.origin, expanded, "requirements", ())
    inline_origin = Path("<requirement_lines>")
    for number, line in enumerate(requirement_lines, start=1):
        for _, logical in _logical_lines(line):
            expanded.requirements.append(RequirementLine(logical, inline_origin, number))
    return expanded


def _expand_requirements_file(path: Path, expanded: ExpandedRequirements, into: str, stack: tuple) -> None:
    resolved = path.resolve()
    if resolved in stack:  # an include cycle: pip would loop forever, the content is already here
        return
    expanded.sources.append(path)
    _expand_requirements_text(path.read_text(encoding="utf-8", errors="replace"), path, expanded, into,
                              stack + (resolved,))


def _expand_requirements_text(text: str, path: Path, expanded: ExpandedRequirements, into: str, stack: tuple) -> None:
    """Lines of `path` (or held in it): includes and local paths are relative to its folder."""
    for number, line in _logical_lines(text):
        include = _INCLUDE_RE.match(line)
        if include:
            target = path.parent / include.group(2).strip()
            if "://" in include.group(2):
                raise EnvBuildError(f"cannot follow remote include {line!r}", path)
            if not target.is_file():
                raise EnvBuildError(f"{line!r}: included file not found", path)
            target_list = "constraints" if include.group(1) in ("-c", "--constraint") else into
            _expand_requirements_file(target, expanded, target_list, stack)
            continue
        if _installs_own_folder(line, path.parent):
            continue  # `-e .`: the project itself, installed per checkout on top (bot.validation.project_install)
        line = _absolutise_local_path(line, path.parent)
        entry = RequirementLine(line, path, number)
        if line.startswith("-") and not _is_editable(line):
            expanded.options.append(entry)
        elif into == "constraints":
            expanded.constraints.append(entry)
        else:
            expanded.requirements.append(entry)


def _expand_lock(path: Path, expanded: ExpandedRequirements, selection: Selection | None) -> None:
    """The locked versions of what the pyproject beside the lock declares for runtime and tests."""
    pyproject = path.parent / "pyproject.toml"
    if not pyproject.is_file():
        raise EnvBuildError("lock file without a pyproject.toml beside it", path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.name == UV_LOCK:
            document = _parse_toml(pyproject)
            chosen = selection or default_selection(document)
            command = uv_export_command(find_uv(), document, chosen.extras, chosen.groups)
            pins = uv_locked_pins(path.parent, command, _uv_environment())
        else:
            declared = [line.text for line in _expand_pyproject(pyproject, selection)]
            pins = poetry_locked_pins(text, declared, path.parent)
    except LockReadError as error:
        raise EnvBuildError(str(error), path) from error
    lines = text.splitlines()
    for pin in pins:
        number = next((i for i, line in enumerate(lines, 1) if pin.name and line.strip() == f'name = "{pin.name}"'), 0)
        entry = RequirementLine(pin.text, path, number)
        (expanded.options if pin.name is None else expanded.requirements).append(entry)
    expanded.sources += [path, pyproject]
    expanded.lock_digest = hashlib.sha256(text.encode()).hexdigest()


def _parse_toml(path: Path) -> dict:
    try:
        return read_toml(path.read_text(encoding="utf-8"))
    except Exception as error:  # tomlkit raises several unrelated types
        raise EnvBuildError(f"invalid TOML: {error}".splitlines()[0], path) from error


def default_selection(document: dict) -> Selection:
    """Without a plan: the extras, groups and Poetry groups named like tests."""
    project = document.get("project") or {}
    poetry = (document.get("tool") or {}).get("poetry") or {}
    return Selection(tuple(name for name in project.get("optional-dependencies") or {} if is_test_name(name)),
                     tuple(name for name in document.get("dependency-groups") or {} if is_test_name(name)),
                     tuple(name for name in poetry.get("group") or {} if is_test_name(name)))


def _expand_pyproject(path: Path, selection: Selection | None = None) -> list[RequirementLine]:
    """Project dependencies plus the selected extras and dependency groups (the project itself is
    installed apart, when it is a package: bot.validation.project_install)."""
    text = path.read_text(encoding="utf-8")
    document = _parse_toml(path)
    chosen = selection or default_selection(document)
    project = document.get("project") or {}
    own_name = canonicalize_name(project["name"]) if project.get("name") else None
    optional = {canonicalize_name(k): v for k, v in (project.get("optional-dependencies") or {}).items()}
    groups = {canonicalize_name(k): v for k, v in (document.get("dependency-groups") or {}).items()}

    collected: list[str] = []

    def add_requirement(spec: str, seen_extras: set[str]) -> None:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            collected.append(spec)
            return
        if own_name and canonicalize_name(requirement.name) == own_name:
            for extra in sorted(requirement.extras):  # "myproject[test]" inside an extra
                add_extra(canonicalize_name(extra), seen_extras)
            return
        collected.append(spec)

    def add_extra(name: str, seen_extras: set[str]) -> None:
        if name in seen_extras:
            return
        seen_extras.add(name)
        for spec in optional.get(name, []):
            add_requirement(spec, seen_extras)

    def add_group(name: str, seen_groups: set[str]) -> None:
        if name in seen_groups:
            return
        seen_groups.add(name)
        for item in groups.get(name, []):
            if isinstance(item, dict) and "include-group" in item:
                add_group(canonicalize_name(item["include-group"]), seen_groups)
            elif isinstance(item, str):
                add_requirement(item, set())

    for spec in [*(project.get("dependencies") or []), *poetry_requirements(document, chosen.poetry_groups)]:
        add_requirement(spec, set())
    seen_extras: set[str] = set()
    seen_groups: set[str] = set()
    for name in chosen.extras:
        add_extra(canonicalize_name(name), seen_extras)
    for name in chosen.groups:
        add_group(canonicalize_name(name), seen_groups)
    legacy_dev = ((document.get("tool") or {}).get("uv") or {}).get("dev-dependencies") or []
    if "dev" in {canonicalize_name(name) for name in chosen.groups} and "dev" not in groups:
        for spec in legacy_dev:
            add_requirement(spec, set())

    lines = text.splitlines()
    result = []
    for spec in dict.fromkeys(collected):  # the same spec in two extras is one requirement
        number = next((i for i, line in enumerate(lines, 1) if spec in line), 0)
        result.append(RequirementLine(" ".join(spec.split()), path, number))
    return result


def _expand_setup(path: Path, selection: Selection | None) -> list[RequirementLine]:
    """A setup.py's or setup.cfg's `install_requires` plus the selected extras (None: those named like tests), as
    the readers that plan and bump them read them; what the file computes at build time is left to the service's
    own install (bot.validation.project_install)."""
    declared = setup_declarations(path.parent).get(path.name, [])
    extras = {canonicalize_name(e) for e in (selection.extras if selection is not None
                                            else [e for e in setup_extras_of(declared) if is_test_name(e)])}
    lines = []
    for declaration in declared:
        extra = declaration.section.removeprefix(EXTRA_SECTION)
        if declaration.section == RUNTIME_SECTION or (extra != declaration.section and canonicalize_name(extra) in extras):
            lines.append(RequirementLine(requirement_text(declaration), path, declaration.line))
    return list(dict.fromkeys(lines))


def requirement_text(declaration) -> str:
    """A declared requirement written back as one requirement line."""
    extras = f"[{','.join(declaration.extras)}]" if declaration.extras else ""
    target = f" @ {declaration.url}" if declaration.url else declaration.spec
    marker = f"; {declaration.marker}" if declaration.marker else ""
    return f"{declaration.raw_name}{extras}{target}{marker}"


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, content) of each non-empty line, pip-style: ``\\`` continues a line,
    ``#`` at the start or after whitespace starts a comment."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        joined = " ".join(pending)
        pending = []
        content = re.sub(r"(^|\s)#.*$", "", joined)
        content = " ".join(content.split())
        if content:
            yield start, content
    if pending:
        content = " ".join(re.sub(r"(^|\s)#.*$", "", " ".join(pending)).split())
        if content:
            yield start, content


def _is_editable(line: str) -> bool:
    return line.startswith(("-e ", "-e=", "--editable"))


_OWN_FOLDER = re.compile(r"^(?:(?:-e|--editable)(?:\s*=\s*|\s+))?\.(?:/)?(?:\[[^\]]*\])?$")


def _installs_own_folder(line: str, base: Path) -> bool:
    """`-e .`, `.`, `-e .[test]`: the folder holding the requirements file, i.e. the service itself. Kept out of
    the shared environment: its path is a temporary checkout's, different on every run."""
    return bool(_OWN_FOLDER.match(line.strip()))


def _absolutise_local_path(line: str, base: Path) -> str:
    """Local paths are relative to the file naming them; the generated file lives elsewhere."""
    option = _OPTION_WITH_PATH_RE.match(line)
    if option:
        return f"{option.group(1)} {_absolute_target(option.group(2).strip(), base)}"
    if line.startswith((".", "~")):
        target, _, rest = line.partition(" ")
        return f"{_absolute_target(target, base)} {rest}".strip()
    return line


def _absolute_target(target: str, base: Path) -> str:
    """``./libs/common[extra]`` -> ``/abs/libs/common[extra]``; URLs and absolute paths unchanged."""
    if "://" in target or target.startswith(("file:", "/")) or not target.startswith((".", "~")):
        return target
    path_part, bracket, extras = target.partition("[")
    return str((base / os.path.expanduser(path_part)).resolve()) + bracket + extras


def _strip_line_options(text: str) -> str:
    return re.split(r"\s--?[a-z]", " " + text, maxsplit=1)[0].strip()


def normalise_requirement(text: str) -> str:
    """A canonical spelling, so ``Six == 1.16.0`` and ``six==1.16.0`` hash alike."""
    requirement_part = _strip_line_options(text)
    line_options = sorted(text[len(requirement_part):].split()) if text.startswith(requirement_part) else []
    try:
        requirement = Requirement(requirement_part)
    except InvalidRequirement:
        return " ".join(text.split())
    canonical = canonicalize_name(requirement.name)
    if requirement.extras:
        canonical += "[" + ",".join(sorted(canonicalize_name(e) for e in requirement.extras)) + "]"
    if requirement.url:
        canonical += f" @ {requirement.url}"
    else:
        canonical += str(requirement.specifier)
    if requirement.marker:
        canonical += f"; {requirement.marker}"
    return " ".join([canonical, *line_options])


# ---------------------------------------------------------------------------------------------------
# Interpreter and key


def find_uv() -> str:
    """UPGRADE_BOT_UV, else the uv installed with the bot (a dependency, so the version it was built for), else
    one on PATH. The bot's own comes before PATH: a cron or pipx runs the bot's executable without its venv on
    PATH, where the first `uv` may be an older one or a pyenv shim that needs a shell."""
    configured = os.environ.get(UV_BINARY_VARIABLE)
    if configured:
        return configured
    try:
        import uv  # the PyPI package ships the binary

        return uv.find_uv_bin()
    except (ImportError, OSError, TypeError):
        # its lookup is not found (FileNotFoundError), or fails outright: a TypeError where sysconfig has no "EXE",
        # seen in the third fleet's rollout processes; PATH is then as good a guess as before
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise EnvBuildError("uv is not installed (pip install uv, or set UPGRADE_BOT_UV)")


def resolve_interpreter(python: str | None = None) -> Interpreter:
    """``None`` means the bot's own interpreter (only as a base: nothing is installed into it);
    a path is used as is; anything else is a request such as ``3.10`` that ``uv python find`` answers."""
    if python is None:
        return _describe_interpreter(sys.executable)
    if os.sep in python or Path(python).is_file():
        if not Path(python).is_file():
            raise EnvBuildError(f"Python interpreter not found: {python}")
        return _describe_interpreter(python)
    found = subprocess.run(
        [find_uv(), "python", "find", python], check=False, capture_output=True, text=True, env=_uv_environment()
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise EnvBuildError(f"no Python interpreter matches {python!r}: {_first_uv_error(found.stderr)}")
    return _describe_interpreter(found.stdout.strip())


@functools.cache
def _describe_interpreter(path: str) -> Interpreter:
    probe = "import platform; print(platform.python_implementation(), platform.python_version(), platform.machine())"
    result = subprocess.run([path, "-c", probe], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise EnvBuildError(f"cannot run Python interpreter {path}: {result.stderr.strip()[:200]}")
    implementation, version, machine = result.stdout.split()
    return Interpreter(Path(path), implementation.lower(), version, machine)


# uv's own settings that change where packages come from: the same pins from another index are another env
INDEX_VARIABLES = ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS")


def env_key(expanded: ExpandedRequirements, interpreter: Interpreter) -> str:
    indexes = "".join(f"index {name}={os.environ[name]}\n" for name in INDEX_VARIABLES if os.environ.get(name))
    content = f"schema {KEY_SCHEMA}\npython {interpreter.key_text}\n{indexes}{expanded.key_content()}"
    return hashlib.sha256(content.encode()).hexdigest()[:24]


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "upgrade-bot" / "envs"


def env_python(env_dir: Path) -> Path:
    """The env's interpreter. Never resolve it: the venv's python is a symlink to the base one."""
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def is_complete(env_dir: Path) -> bool:
    return (env_dir / COMPLETE_MARKER).is_file() and env_python(env_dir).exists()


# ---------------------------------------------------------------------------------------------------
# Building


def ensure_env(
    requirement_files: Sequence[Path] | None = None,
    *,
    requirement_lines: Sequence[str] = (),
    cache_dir: Path | None = None,
    python: str | None = None,
    selection: Selection | None = None,
    inline: Sequence[InlineRequirements] = (),
) -> Path:
    """The python executable of a cached env holding these requirements, built when missing."""
    interpreter = resolve_interpreter(python)
    expanded = expand_requirements(requirement_files or (), requirement_lines, selection, inline)
    key = env_key(expanded, interpreter)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = cache / key
    if is_complete(final):
        return env_python(final)
    cache.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(cache / f".{key}.lock"):
        if is_complete(final):  # another process built it while we waited
            return env_python(final)
        _remove_leftovers(cache, key)
        build_dir = Path(tempfile.mkdtemp(prefix=f".{key}.building-", dir=cache))
        try:
            _build(build_dir, expanded, interpreter)
            _write_marker(build_dir, key, expanded, interpreter)
            build_dir.chmod(0o755)  # mkdtemp makes it private; the env is shared by whoever reads the cache
            os.rename(build_dir, final)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
    return env_python(final)


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(cache: Path, key: str) -> None:
    """Under the key's lock no one else is building it, so any temp dir of that key is from a crash;
    a final dir without its marker was not made by us and cannot be trusted either."""
    for leftover in cache.glob(f".{key}.building-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    final = cache / key
    if final.exists() and not is_complete(final):
        shutil.rmtree(final, ignore_errors=True)


def _build(build_dir: Path, expanded: ExpandedRequirements, interpreter: Interpreter) -> None:
    uv = find_uv()
    created = _run_uv(
        [uv, "venv", "--relocatable", "--python", str(interpreter.path), str(build_dir)], cwd=build_dir
    )
    if created.returncode != 0:
        raise EnvBuildError(f"uv venv failed: {_first_uv_error(created.stderr)}")
    if not expanded.requirements:
        return
    requirements_file = build_dir / GENERATED_REQUIREMENTS
    requirements_file.write_text(
        "".join(f"{line.text}\n" for line in expanded.options + expanded.requirements), encoding="utf-8"
    )
    command = [uv, "pip", "install", "--python", str(env_python(build_dir)), "-r", str(requirements_file)]
    if expanded.constraints:
        constraints_file = build_dir / GENERATED_CONSTRAINTS
        constraints_file.write_text("".join(f"{line.text}\n" for line in expanded.constraints), encoding="utf-8")
        command += ["-c", str(constraints_file)]
    installed = _run_uv(command, cwd=build_dir)
    if installed.returncode != 0:
        raise _install_error(installed.stderr, expanded, requirements_file)


def _run_uv(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, env=_uv_environment())


def _uv_environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH")}
    environment["NO_COLOR"] = "1"  # plain "error:"/"cause:" lines we can quote
    environment["UV_NO_PROGRESS"] = "1"
    return environment


def _first_uv_error(stderr: str) -> str:
    """``error: <what>`` joined with its first ``cause:`` line and, when uv gives a chain of them, the last one
    (the root: "Because shipyard-backend was not found in the package registry ..."): one line that says why."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    error = next((line[len("error:"):].strip() for line in lines if line.startswith("error:")), None)
    causes = [line[len("cause:"):].strip() for line in lines if line.startswith("cause:")]
    if error is None:
        return (lines[-1] if lines else "uv failed without output")[:400]
    return ": ".join([error, *causes[:1], *causes[1:][-1:]])[:600]


def _install_error(stderr: str, expanded: ExpandedRequirements, generated: Path) -> EnvBuildError:
    """Name the source behind a uv failure: the line at the position uv reports in our generated file,
    else the first requirement whose package the message names, else the first source."""
    reason = _first_uv_error(stderr)
    ordered = expanded.options + expanded.requirements
    position = re.search(r"`([^`]*)` at position (\d+)", reason)
    if position and Path(position.group(1)).name == generated.name:
        line_index = generated.read_bytes()[: int(position.group(2))].count(b"\n")
        if line_index < len(ordered):
            culprit = ordered[line_index]
            where = f"{culprit.origin.name} line {culprit.line_number}" if culprit.line_number else culprit.origin.name
            return EnvBuildError(reason.replace(position.group(0), where), culprit.origin)
    mentioned = {canonicalize_name(word) for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", stderr)}
    for line in expanded.requirements + expanded.constraints:
        if line.package_name and line.package_name in mentioned:
            return EnvBuildError(reason, line.origin)
    return EnvBuildError(reason, expanded.sources[0] if expanded.sources else None)


def _write_marker(build_dir: Path, key: str, expanded: ExpandedRequirements, interpreter: Interpreter) -> None:
    marker = {
        "key": key,
        "python": interpreter.key_text,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sources": [str(path) for path in expanded.sources],
        "content": expanded.key_content().splitlines(),
    }
    (build_dir / COMPLETE_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
