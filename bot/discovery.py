"""Finds services in a snapshot and what each one depends on and imports. Pure: no git, no disk."""
from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from bot.model import ServiceSource
from bot.pyproject_deps import parse_pyproject
from bot.requirements_file import Declaration, parse_requirements
from bot.snapshot import Snapshot, files_under, glob_dirs

# The files a codemod may read or change: sources and the configuration pytest and pip read.
SOURCE_SUFFIXES = (".py", ".txt", ".toml", ".ini", ".cfg")
_GLOB = re.compile(r"[*?\[]")
# Dotfiles a codemod may read besides those: the interpreter version a service declares.
SOURCE_DOTFILES = (".python-version",)


@dataclass
class Service:
    name: str
    path: str  # repo-relative directory
    key: str | None = None  # unique name in branch names and job keys (service_key; default: name)
    requirement_files: list[str] = field(default_factory=list)  # service-relative, dependency order
    has_pyproject: bool = False
    declarations: list[Declaration] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # each one line: "<file>: <reason>"
    files: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key is None:
            self.key = self.name

    @property
    def usable(self) -> bool:
        return not self.problems

    def depends_on(self, package: str) -> list[Declaration]:
        return [d for d in self.declarations if d.name == package]

    def source(self) -> ServiceSource:
        return ServiceSource(self.name, dict(self.files))


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def discover(snapshot: Snapshot, patterns: tuple[str, ...]) -> tuple[list[Service], list[Skipped]]:
    all_paths = list(snapshot.paths())
    services, skipped = [], []
    for pattern in patterns:
        for directory in glob_dirs(all_paths, pattern):
            own = files_under(all_paths, directory)
            relative = [p[len(directory) + 1:] for p in own]
            if not _is_service(relative):
                skipped.append(Skipped(directory, "not a service: no requirements*.txt, "
                                                  "requirements/*.txt or pyproject.toml"))
                continue
            service = _read_service(snapshot, directory, relative)
            service.key = service_key(pattern, directory)
            services.append(service)
    return services, skipped


def service_key(pattern: str, directory: str) -> str:
    """A service's name in branch names and job keys: its path below the pattern's fixed leading folders.

    `services/*` + `services/billing` -> `billing` (single-level layouts keep their branch names);
    `teams/*/*` + `teams/a/api` -> `a/api`, so `teams/b/api` gets a branch of its own."""
    want = pattern.strip("/").split("/")
    fixed = 0
    while fixed < len(want) - 1 and not _GLOB.search(want[fixed]):
        fixed += 1
    return "/".join(directory.strip("/").split("/")[fixed:])


def _is_service(relative: list[str]) -> bool:
    return any(_is_requirements(p) for p in relative) or "pyproject.toml" in relative


def _is_requirements(path: str) -> bool:
    name = posixpath.basename(path)
    top = "/" not in path
    in_dir = path.startswith("requirements/") and path.count("/") == 1
    return name.endswith(".txt") and ((top and name.startswith("requirements")) or in_dir)


def _read_service(snapshot: Snapshot, directory: str, relative: list[str]) -> Service:
    service = Service(name=posixpath.basename(directory), path=directory)
    for rel in relative:
        if rel not in SOURCE_DOTFILES and (not rel.endswith(SOURCE_SUFFIXES) or "/." in "/" + rel):
            continue
        try:
            service.files[rel] = snapshot.read(f"{directory}/{rel}").decode("utf-8")
        except UnicodeDecodeError:
            if _is_requirements(rel) or rel == "pyproject.toml" or rel.endswith(".py"):
                service.problems.append(f"{directory}/{rel}: unreadable: not UTF-8 text")
    _read_requirements(service, directory)
    if "pyproject.toml" in service.files:
        service.has_pyproject = True
        try:
            service.declarations += parse_pyproject(service.files["pyproject.toml"], "pyproject.toml")
        except ValueError as exc:
            service.problems.append(f"{directory}/pyproject.toml: {exc}")
    _read_imports(service, directory)
    return service


def _read_requirements(service: Service, directory: str) -> None:
    pending = sorted(p for p in service.files if _is_requirements(p))
    seen: set[str] = set()
    while pending:
        rel = pending.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        declarations, includes = parse_requirements(service.files[rel], rel)
        service.requirement_files.append(rel)
        service.declarations += declarations
        for target in includes:
            included = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            if included in service.files:
                pending.append(included)
            else:
                service.problems.append(f"{directory}/{rel}: includes {target}, which does not exist")


def _read_imports(service: Service, directory: str) -> None:
    for rel, text in service.files.items():
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            service.problems.append(f"{directory}/{rel}:{exc.lineno}: syntax error: {exc.msg}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                service.imports.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                service.imports.add(node.module.split(".")[0])
