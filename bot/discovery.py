"""Finds services in a snapshot and what each one depends on and imports. Pure: no git, no disk."""
from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field

import libcst as cst

from bot.model import ServiceSource
from bot.pyproject_deps import parse_pyproject
from bot.requirements_file import Declaration, parse_requirements
from bot.service_files import ServiceFiles
from bot.snapshot import Snapshot, files_by_dir, glob_dirs

# The files a codemod may read or change: sources and the configuration pytest and pip read.
SOURCE_SUFFIXES = (".py", ".txt", ".toml", ".ini", ".cfg")
# Dotfiles a codemod may read besides those: the interpreter version a service declares.
SOURCE_DOTFILES = (".python-version",)


@dataclass
class Service:
    name: str
    path: str  # repo-relative directory
    requirement_files: list[str] = field(default_factory=list)  # service-relative, dependency order
    has_pyproject: bool = False
    declarations: list[Declaration] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each one line: "<file>: <reason>"
    # read on first use: planning needs only the requirement files, a job whose PR is current needs nothing
    files: ServiceFiles = field(default_factory=lambda: ServiceFiles.of({}))
    tree: str = ""  # content id of the service directory at the base (git tree id): a job's main input
    _source_problems: list[str] | None = field(default=None, repr=False, compare=False)
    _imports: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def usable(self) -> bool:
        return not self.problems

    def depends_on(self, package: str) -> list[Declaration]:
        return [d for d in self.declarations if d.name == package]

    def source(self) -> ServiceSource:
        return ServiceSource(self.name, dict(self.files))

    @property
    def imports(self) -> set[str]:
        """Top-level modules the service's Python files import (reads and parses them: `plan --json` only)."""
        if self._imports is None:
            self._imports = _imports(self)
        return set(self._imports)

    def source_problems(self) -> list[str]:
        """Problems found by reading every source file (undecodable, syntax errors); reads them all once."""
        if self._source_problems is None:
            self._source_problems = _check_sources(self)
        return list(self._source_problems)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def discover(snapshot: Snapshot, patterns: tuple[str, ...]) -> tuple[list[Service], list[Skipped]]:
    all_paths = list(snapshot.paths())
    services, skipped = [], []
    for pattern in patterns:
        directories = glob_dirs(all_paths, pattern)
        by_dir = files_by_dir(all_paths, directories)
        for directory in directories:
            own = by_dir[directory]
            relative = [p[len(directory) + 1:] for p in own]
            if not _is_service(relative):
                skipped.append(Skipped(directory, "not a service: no requirements*.txt, "
                                                  "requirements/*.txt or pyproject.toml"))
                continue
            services.append(_read_service(snapshot, directory, relative))
    return services, skipped


def _is_service(relative: list[str]) -> bool:
    return any(_is_requirements(p) for p in relative) or "pyproject.toml" in relative


def _is_requirements(path: str) -> bool:
    name = posixpath.basename(path)
    top = "/" not in path
    in_dir = path.startswith("requirements/") and path.count("/") == 1
    return name.endswith(".txt") and ((top and name.startswith("requirements")) or in_dir)


def _read_service(snapshot: Snapshot, directory: str, relative: list[str]) -> Service:
    sources = {rel: snapshot.blob_id(f"{directory}/{rel}") for rel in relative
               if rel in SOURCE_DOTFILES or (rel.endswith(SOURCE_SUFFIXES) and "/." not in "/" + rel)}
    service = Service(name=posixpath.basename(directory), path=directory,
                      files=ServiceFiles(sources, snapshot.reader()), tree=snapshot.tree_id(directory))
    manifests = [rel for rel in sources if _is_requirements(rel) or rel == "pyproject.toml"]
    for rel in manifests:
        if rel not in service.files:
            service.problems.append(f"{directory}/{rel}: unreadable: not UTF-8 text")
    _read_requirements(service, directory, manifests)
    if "pyproject.toml" in service.files:
        service.has_pyproject = True
        try:
            service.declarations += parse_pyproject(service.files["pyproject.toml"], "pyproject.toml")
        except ValueError as exc:
            service.problems.append(f"{directory}/pyproject.toml: {exc}")
    return service


def _read_requirements(service: Service, directory: str, candidates: list[str]) -> None:
    pending = sorted(p for p in candidates if _is_requirements(p) and p in service.files)
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


def _check_sources(service: Service) -> list[str]:
    problems = [f"{service.path}/{rel}: unreadable: not UTF-8 text"
                for rel in service.files.undecodable() if rel.endswith(".py")]
    for rel, text in service.files.items():
        if rel.endswith(".py"):
            try:
                compile(text, rel, "exec", ast.PyCF_ONLY_AST)
            except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte (Python < 3.12)
                if _libcst_parses(text):
                    continue
                problems.append(f"{service.path}/{rel}:{getattr(exc, 'lineno', 1)}: syntax error: "
                                f"{getattr(exc, 'msg', exc)}")
    return problems


def _libcst_parses(text: str) -> bool:
    """The bot's own Python may be older than the service's (PEP 695 generics on a 3.11 bot): the
    codemods parse with libcst, so only what libcst cannot parse either is refused."""
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return False
    return True


def _imports(service: Service) -> set[str]:
    imports: set[str] = set()
    for rel, text in service.files.items():
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError:
            try:
                imports.update(_cst_imports(cst.parse_module(text)))
            except cst.ParserSyntaxError:
                pass
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imports.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imports.add(node.module.split(".")[0])
    return imports


def _cst_imports(module: cst.Module) -> set[str]:
    """Top-level package names imported anywhere in the module (absolute imports only)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import):
            found.update(module.code_for_node(a.name).split(".")[0] for a in node.names)
        elif isinstance(node, cst.ImportFrom):
            if node.module is not None and not node.relative:
                found.add(module.code_for_node(node.module).split(".")[0])
        else:
            stack.extend(node.children)
    return found
