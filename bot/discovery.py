"""Finds services in a snapshot and what each one depends on and imports. Pure: no git, no disk."""
from __future__ import annotations

import ast
import io
import posixpath
import tokenize
from dataclasses import dataclass, field

import libcst as cst

from bot.model import ServiceSource
from bot.pyproject_deps import parse_pyproject
from bot.requirements_file import Declaration, parse_requirements
from bot.snapshot import Snapshot, files_under, glob_dirs

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
    imports: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # each one line: "<file>: <reason>"
    files: dict[str, str] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)  # files not in UTF-8 (PEP 263): written back as read
    links: dict[str, str] = field(default_factory=dict)  # symlinked files -> the repo path of their target
    notes: list[str] = field(default_factory=list)  # files left out, with the reason (one line each)

    def repo_path(self, rel: str) -> str:
        """Where a service-relative file really lives: a symlink's target; `../shared/x.txt` normalised."""
        return self.links.get(rel) or posixpath.normpath(f"{self.path}/{rel}")

    def is_shared(self, rel: str) -> bool:
        """A file outside the service's folder (`-r ../../shared/base.txt`, a symlink to one): read, never written."""
        return rel.startswith("../") or rel in self.links

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
    known = set(all_paths)
    services, skipped = [], []
    for pattern in patterns:
        for directory in glob_dirs(all_paths, pattern):
            own = files_under(all_paths, directory)
            relative = [p[len(directory) + 1:] for p in own]
            if not _is_service(relative):
                skipped.append(Skipped(directory, "not a service: no requirements*.txt, "
                                                  "requirements/*.txt or pyproject.toml"))
                continue
            services.append(_read_service(snapshot, directory, relative, known))
    return services, skipped


def _is_service(relative: list[str]) -> bool:
    return any(_is_requirements(p) for p in relative) or "pyproject.toml" in relative


def _is_requirements(path: str) -> bool:
    name = posixpath.basename(path)
    top = "/" not in path
    in_dir = path.startswith("requirements/") and path.count("/") == 1
    return name.endswith(".txt") and ((top and name.startswith("requirements")) or in_dir)


def _read_service(snapshot: Snapshot, directory: str, relative: list[str], all_paths: set[str]) -> Service:
    service = Service(name=posixpath.basename(directory), path=directory)
    for rel in relative:
        if rel not in SOURCE_DOTFILES and (not rel.endswith(SOURCE_SUFFIXES) or "/." in "/" + rel):
            continue
        source = f"{directory}/{rel}"
        target = _link_target(snapshot, source, all_paths)
        if target is not None:
            if target.startswith("skip: "):
                service.notes.append(f"{source}: {target.removeprefix('skip: ')}")
                continue
            if target.startswith(directory + "/"):
                continue  # the target is one of the service's own files, read as itself
            service.links[rel] = source = target
        _read_file(service, snapshot, rel, source)
    _read_requirements(service, directory, snapshot, all_paths)
    if "pyproject.toml" in service.files:
        service.has_pyproject = True
        try:
            service.declarations += parse_pyproject(service.files["pyproject.toml"], "pyproject.toml")
        except ValueError as exc:
            service.problems.append(f"{directory}/pyproject.toml: {exc}")
    _read_imports(service, directory)
    return service


def _read_file(service: Service, snapshot: Snapshot, rel: str, source: str) -> None:
    data = snapshot.read(source)
    encoding = tokenize_encoding(data) if rel.endswith(".py") else "utf-8"
    try:
        service.files[rel] = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        if _is_requirements(rel) or rel == "pyproject.toml" or rel.endswith(".py"):
            service.problems.append(f"{source}: unreadable: not {'UTF-8' if encoding == 'utf-8' else encoding} text")
        return
    if encoding != "utf-8":
        service.encodings[rel] = encoding


def tokenize_encoding(data: bytes) -> str:
    """A Python file's encoding as Python reads it: a BOM or a PEP 263 coding line, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec named in the coding line
        return "utf-8"
    return "utf-8" if encoding == "utf-8" else encoding


def _link_target(snapshot: Snapshot, path: str, all_paths: set[str]) -> str | None:
    """None for a regular file; the repo path of a symlink's target file; "skip: <reason>" for a link
    the bot does not follow (out of the repository, dangling, or to a folder)."""
    read_link = getattr(snapshot, "link_target", None)  # a snapshot type without links has none
    raw = read_link(path) if read_link else None
    if raw is None:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), raw))
    if posixpath.isabs(raw) or target.startswith("../") or target == "..":
        return f"skip: symlink to {raw}, outside the repository: not read or changed"
    seen = {path}
    while target in all_paths and snapshot.link_target(target) is not None and target not in seen:
        seen.add(target)  # a link to a link inside the repository
        target = posixpath.normpath(posixpath.join(posixpath.dirname(target), snapshot.link_target(target)))
    if target not in all_paths or target in seen:
        return f"skip: symlink to {raw}, which is not a file in the repository: not read or changed"
    return target


def _read_requirements(service: Service, directory: str, snapshot: Snapshot, all_paths: set[str]) -> None:
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
            in_repo = posixpath.normpath(f"{directory}/{included}")
            if included not in service.files and included.startswith("../") and not in_repo.startswith("../") \
                    and in_repo in all_paths:
                _read_file(service, snapshot, included, in_repo)  # a shared file: read, never written
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
            # The bot's own Python may be older than the service's (PEP 695 generics on a 3.11 bot): the
            # codemods parse with libcst, so only what libcst cannot parse either is refused.
            try:
                service.imports.update(_cst_imports(cst.parse_module(text)))
            except cst.ParserSyntaxError:
                service.problems.append(f"{directory}/{rel}:{exc.lineno}: syntax error: {exc.msg}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                service.imports.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                service.imports.add(node.module.split(".")[0])


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
