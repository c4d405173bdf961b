"""Finds services in a snapshot and what each one depends on and imports. Pure: no git, no disk."""
from __future__ import annotations

import ast
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tomlkit.exceptions import TOMLKitError

from bot.declared.pyproject import parse_pyproject
from bot.declared.requirements import Declaration, parse_requirements
from bot.discover.layout import is_root, require_services, service_patterns
from bot.discover.service_files import ServiceFiles, tokenize_encoding  # noqa: F401 (tokenize_encoding: public here too)
from bot.discover.snapshot import Snapshot, files_by_dir, glob_dirs
from bot.model import ServiceSource
from bot.declared.pytest_config import pytest_configs_above
from bot.declared.setup_cfg import file_references, parse_setup_cfg
from bot.declared.setup_py import parse_setup_py
from bot.declared.toml_data import read_toml
from bot.libcst_parsed import was_parsed

if TYPE_CHECKING:
    import libcst as cst

# The files a codemod may read or change: sources and the configuration pytest and pip read;
# lock files and pip-tools inputs too, so lock updates see them (bot.locking).
SOURCE_SUFFIXES = (".py", ".txt", ".toml", ".ini", ".cfg", ".in", ".lock")
_GLOB = re.compile(r"[*?\[]")
# Dotfiles a codemod may read besides those: the interpreter version a service declares.
SOURCE_DOTFILES = (".python-version",)


@dataclass
class Service:
    """One service of the monorepo: its folder, dependency declarations and files."""

    name: str
    path: str  # repo-relative directory
    key: str | None = None  # unique name in branch names and job keys (service_key; default: name)
    requirement_files: list[str] = field(default_factory=list)  # service-relative, dependency order
    has_pyproject: bool = False
    setup_files: list[str] = field(default_factory=list)  # setup.py / setup.cfg when they declare dependencies
    declarations: list[Declaration] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each one line: "<file>: <reason>"
    # read on first use: planning needs only the requirement files, a job whose PR is current needs nothing
    files: ServiceFiles = field(default_factory=lambda: ServiceFiles.of({}))
    links: dict[str, str] = field(default_factory=dict)  # symlinked files -> the repo path of their target
    notes: list[str] = field(default_factory=list)  # files left out, with the reason (one line each)
    tree: str = ""  # content id of everything the service's jobs read (git tree id + shared files)
    _source_problems: list[str] | None = field(default=None, repr=False, compare=False)
    _imports: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def encodings(self) -> dict[str, str]:
        """Files not in UTF-8 (PEP 263), of those read so far: written back as read."""
        return self.files.encodings

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

    def repo_path(self, rel: str) -> str:
        """Where a service-relative file really lives: a symlink's target; `../shared/x.txt` normalised."""
        return self.links.get(rel) or posixpath.normpath(f"{self.path}/{rel}")

    def is_shared(self, rel: str) -> bool:
        """A file outside the service's folder (`-r ../../shared/base.txt`, a symlink to one): read, never written."""
        return rel.startswith("../") or rel in self.links

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


class _TextCache:
    """Files above the services (a monorepo's root pytest.ini) read once per discovery, however many services."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot, self.texts = snapshot, {}

    def __call__(self, path: str) -> str | None:
        if path not in self.texts:
            read_link = getattr(self.snapshot, "link_target", None)
            try:
                linked = read_link is not None and read_link(path) is not None
                self.texts[path] = None if linked else self.snapshot.read(path).decode("utf-8")
            except (KeyError, UnicodeDecodeError):
                self.texts[path] = None
        return self.texts[path]


@dataclass(frozen=True)
class Skipped:
    """A folder the plan leaves out (not a service, no recipe applies, or unreadable), and why."""

    path: str
    reason: str


def discover(snapshot: Snapshot, patterns: tuple[str, ...]) -> tuple[list[Service], list[Skipped]]:
    all_paths = list(snapshot.paths())
    known = set(all_paths)
    texts = _TextCache(snapshot)
    services, skipped = [], []
    for pattern in patterns:
        directories = ["."] if is_root(pattern) else glob_dirs(all_paths, pattern)
        by_dir = {} if directories == ["."] else files_by_dir(all_paths, directories)
        for directory in directories:
            own = all_paths if directory == "." else by_dir[directory]
            relative = sorted(own) if directory == "." else [p[len(directory) + 1:] for p in own]
            if not _is_service(relative):
                skipped.append(Skipped(directory, "not a service: no requirements*.txt, "
                                                  "requirements/*.txt, pyproject.toml, setup.py or setup.cfg"))
                continue
            service = _read_service(snapshot, directory, relative, known)
            for rel, repo_path in pytest_configs_above(directory, known, texts):
                service.files.add(rel, snapshot.blob_id(repo_path))  # shared: read, never written
            service.tree = _content_id(snapshot, service)
            service.key = service_key(pattern, directory) or service.name
            services.append(service)
    return services, skipped


def service_key(pattern: str, directory: str) -> str:
    """A service's name in branch names and job keys: its path below the pattern's fixed leading folders.

    `services/*` + `services/billing` -> `billing` (single-level layouts keep their branch names);
    `teams/*/*` + `teams/a/api` -> `a/api`, so `teams/b/api` gets a branch of its own. The repository
    root has none ("": its branches are `<prefix>/<recipe>`; its jobs go by the project's name)."""
    if is_root(directory):
        return ""
    want = pattern.strip("/").split("/")
    fixed = 0
    while fixed < len(want) - 1 and not _GLOB.search(want[fixed]):
        fixed += 1
    return "/".join(directory.strip("/").split("/")[fixed:])


SETUP_FILES = ("setup.py", "setup.cfg")
_SETUP_PARSERS = {"setup.py": parse_setup_py, "setup.cfg": parse_setup_cfg}


def _is_service(relative: list[str]) -> bool:
    return any(_is_requirements(p) for p in relative) or any(n in relative for n in ("pyproject.toml", *SETUP_FILES))


def _is_requirements(path: str) -> bool:
    name = posixpath.basename(path)
    top = "/" not in path
    in_dir = path.startswith("requirements/") and path.count("/") == 1
    # .in: pip-tools inputs are declarations too (their compiled .txt is regenerated by bot.locking);
    # test-requirements.txt, dev_requirements.txt: where tox- and nox-driven packages pin their test tools
    stem = posixpath.splitext(name)[0]
    named = name.startswith("requirements") or stem.endswith(("-requirements", "_requirements"))
    return name.endswith((".txt", ".in")) and ((top and named) or in_dir)


def _read_service(snapshot: Snapshot, directory: str, relative: list[str], all_paths: set[str]) -> Service:
    service = Service(name=posixpath.basename(directory), path=directory,
                      files=ServiceFiles({}, snapshot.reader()))
    for rel in relative:
        if rel not in SOURCE_DOTFILES and (not rel.endswith(SOURCE_SUFFIXES) or "/." in "/" + rel):
            continue
        source = rel if directory == "." else f"{directory}/{rel}"
        target = _link_target(snapshot, source, all_paths)
        if target is not None:
            if target.startswith("skip: "):
                service.notes.append(f"{source}: {target.removeprefix('skip: ')}")
                continue
            if directory == "." or target.startswith(directory + "/"):
                continue  # the target is one of the service's own files, read as itself
            service.links[rel] = source = target
        service.files.add(rel, snapshot.blob_id(source))
    declaring = [r for r in relative if _is_requirements(r) or r in ("pyproject.toml", *SETUP_FILES)]
    service.files.read_together(declaring)  # each is read below: one round trip to git for all, not one each
    for rel in declaring:
        _check_readable(service, rel)
    referenced = _setup_cfg_files(service, directory, snapshot, all_paths)
    _read_requirements(service, directory, snapshot, all_paths, referenced)
    for rel in SETUP_FILES:
        text = service.files.get(rel)
        # setup.py is parsed with libcst only when it may declare something: most runs never load libcst
        if text is not None and ("install_requires" in text or "extras_require" in text):
            declared = _SETUP_PARSERS[rel](text, rel)
            if declared:
                service.setup_files.append(rel)
                service.declarations += declared
    if "pyproject.toml" in service.files:
        service.has_pyproject = True
        try:
            service.declarations += parse_pyproject(service.files["pyproject.toml"], "pyproject.toml")
        except ValueError as exc:
            service.problems.append(f"{directory}/pyproject.toml: {exc}")
    if directory == ".":
        service.name = _project_name(service.files.get("pyproject.toml", ""))
    return service


def _check_readable(service: Service, rel: str) -> None:
    if service.files.source_id(rel) is not None and rel not in service.files:
        encoding = service.files.undecodable_as(rel)
        service.problems.append(f"{service.repo_path(rel)}: unreadable: not "
                                f"{'UTF-8' if encoding == 'utf-8' else encoding} text")


def _content_id(snapshot: Snapshot, service: Service) -> str:
    """The service folder's tree id, plus the files it reads from elsewhere (symlinks, shared includes)."""
    tree = snapshot.tree_id("" if service.path == "." else service.path)
    outside = sorted((rel, service.files.source_id(rel) or "") for rel in service.files.paths()
                     if service.is_shared(rel))
    if not outside:
        return tree
    return hashlib.sha1(repr((tree, outside)).encode()).hexdigest()


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


def _project_name(pyproject: str) -> str:
    """The root service's name: its project's name, else "root"."""
    try:
        doc = read_toml(pyproject) if pyproject else {}
    except TOMLKitError:
        return "root"
    name = doc.get("project", {}).get("name") or doc.get("tool", {}).get("poetry", {}).get("name")
    return name if isinstance(name, str) and name else "root"


def _setup_cfg_files(service: Service, directory: str, snapshot: Snapshot, all_paths: set[str]) -> list[str]:
    """The files setup.cfg reads its requirements from (`install_requires = file: requirements/base.txt`): read
    and bumped as requirements files; one that is not there is noted, never skipped silently."""
    text = service.files.get("setup.cfg")
    if text is None or "file:" not in text:
        return []
    out = []
    for reference in file_references(text):
        for path in reference.paths:
            rel = posixpath.normpath(path)
            in_repo = posixpath.normpath(rel if directory == "." else f"{directory}/{rel}")
            if rel not in service.files and not in_repo.startswith("../") and in_repo in all_paths:
                service.files.add(rel, snapshot.blob_id(in_repo))  # outside the folder: shared, never written
            if rel in service.files:
                out.append(rel)
            else:
                service.notes.append(f"{service.repo_path('setup.cfg')}:{reference.line}: {reference.section} "
                                     f"reads {path} (`file:`), which does not exist: its requirements are not read")
    return out


def _read_requirements(service: Service, directory: str, snapshot: Snapshot, all_paths: set[str],
                       referenced: list[str] | tuple[str, ...] = ()) -> None:
    pending = sorted(p for p in service.files.paths() if _is_requirements(p) and p in service.files)
    pending += [rel for rel in referenced if rel not in pending]
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
                service.files.add(included, snapshot.blob_id(in_repo))  # a shared file: read, never written
                _check_readable(service, included)
            if included in service.files:
                pending.append(included)
            else:
                service.problems.append(f"{directory}/{rel}: includes {target}, which does not exist")


def _check_sources(service: Service) -> list[str]:
    problems = [f"{service.repo_path(rel)}: unreadable: not {'UTF-8' if enc == 'utf-8' else enc} text"
                for rel, enc in service.files.undecodable().items() if rel.endswith(".py")]
    for rel, text in service.files.items():
        if rel.endswith(".py") and not was_parsed(text):  # libcst parsed it: no syntax error
            if _parses(text, rel):
                continue
            try:
                compile(text, rel, "exec", ast.PyCF_ONLY_AST)
            except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte (Python < 3.12)
                if _libcst_parses(text):
                    continue
                problems.append(f"{service.path}/{rel}:{_error_line(exc, text)}: syntax error: "
                                f"{getattr(exc, 'msg', exc)}")
    return problems


def _error_line(exc: Exception, text: str) -> int:
    """The line compile() names; for a NUL byte, which Python 3.11 refuses with no line (3.10: a ValueError), the
    byte's own line."""
    line = getattr(exc, "lineno", None)
    if line is None and "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
    return line or 1


def _parses(text: str, rel: str) -> bool:
    """Python's parser accepts `text`, known for ~4/5 of the cost of compile(..., PyCF_ONLY_AST) (-3 ms in a first
    run of the example fleet): symtable runs the very parser compile() does (same flags, same grammar version)
    but builds no Python object per AST node. False also when only its later passes (future imports, scopes)
    object: the caller then compiles, whose verdict and message are the ones reported."""
    import symtable  # here: a run that checks no source (plan, status) never loads it
    try:
        symtable.symtable(text, rel, "exec")
    except Exception:  # a SyntaxError, a NUL byte's ValueError, a RecursionError: compile() says which
        return False
    return True


def _libcst_parses(text: str) -> bool:
    """The bot's own Python may be older than the service's (PEP 695 generics on a 3.11 bot): the
    codemods parse with libcst, so only what libcst cannot parse either is refused."""
    import libcst as cst  # here: a run with nothing to compute never loads it
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
            import libcst as cst
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
    import libcst as cst
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


def discover_configured(snapshot: Snapshot, config) -> tuple[list[Service], list[Skipped]]:
    """discover() with the config's globs, or the layout bot.discover.layout infers when `services` is not set;
    raises ConfigError (one line: the globs, what they saw) when no service is found."""
    paths = list(snapshot.paths())
    configured = config.services if config.services_configured else None
    patterns = service_patterns(paths, lambda p: snapshot.read(p).decode("utf-8"), configured, config.source)
    services, skipped = discover(snapshot, patterns)
    require_services(len(services), patterns, [s.path for s in skipped], paths, config.source)
    return services, skipped
