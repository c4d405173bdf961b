"""ServiceAnalysis: the service's files, parsed lazily and once per run, and name resolution across them."""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar, Iterable, Iterator

import libcst as cst
from libcst.metadata import QualifiedNameSource

from bot.libcst_parsed import record_parsed
from bot.model import ServiceSource

from .names import absolute, module_name
from .parsed import ParsedModule

_MAX_RESOLVE_DEPTH = 8
_CACHE_SIZE = 2  # a run applies all recipes of a service in a row; more would only hold memory (and slow GC)


@dataclass(frozen=True, eq=False)
class Definition:
    """A function, class or module-level variable of the service."""

    name: str  # absolute dotted name; nested functions read "svc.mod.test_x.<locals>.helper"
    module: ParsedModule
    node: cst.CSTNode  # FunctionDef, ClassDef, or the Assign/AnnAssign of a module-level variable
    owner: "Definition | None" = None  # the class of a method

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, cst.FunctionDef)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, cst.ClassDef)

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, cst.FunctionDef) and self.node.asynchronous is not None

    @property
    def line(self) -> int:
        return self.module.line(self.node)

    def describe(self) -> str:
        return f"{self.module.path}:{self.line}"


class ServiceCore:
    """Files, lazy parsing, qualified names and re-exports. The richer questions live in subclasses' mixins."""

    _cache: ClassVar["OrderedDict[str, ServiceCore]"] = OrderedDict()
    _files: ClassVar["SharedFiles"]  # set below the class
    _shared: "SharedFiles | None" = None  # _files, for the analyses `of` makes

    @classmethod
    def of(cls, service: ServiceSource):
        """The analysis of these exact files, shared by every recipe applied to them in this process (and
        each parsed file by every analysis that has the same file at the same path)."""
        key = _fingerprint(service)
        found = cls._cache.get(key)
        if found is None:
            found = cls(service.python_files())
            found._shared = cls._files
            cls._cache[key] = found
            while len(cls._cache) > _CACHE_SIZE:
                cls._cache.popitem(last=False)
        else:
            cls._cache.move_to_end(key)
        return found

    def __init__(self, python_files: dict[str, str]) -> None:
        self.files = dict(python_files)
        self._lowered: dict[str, str] = {}
        self._parsed: dict[str, ParsedModule | None] = {}
        self._errors: dict[str, tuple[int, str]] = {}  # path -> (line, libcst's reason)
        self.path_of: dict[str, str] = {}  # dotted module name -> path (first wins, like the import system)
        for path in sorted(self.files):
            self.path_of.setdefault(module_name(path)[0], path)
        self._definitions: dict[int, Definition] = {}  # id(node) -> its Definition
        # id(node) -> (its module, names_of's answer): recipes ask about the same names again and again, and the
        # answer follows the service's re-exports (keyed by id: a node's hash is a Python-level call)
        self._names: dict[int, tuple[ParsedModule, frozenset[str]]] = {}
        self._memo: dict = {}  # answers of the analysis mixins, keyed by question

    # ----- files -----------------------------------------------------------------------------

    def files_mentioning(self, *words: str) -> list[str]:
        """Paths (sorted) whose text contains any of `words`, case-insensitively: a plain text prefilter,
        so a recipe never parses a file that cannot matter to it. No words: every file."""
        wanted = [w.lower() for w in words]
        found = []
        for path in sorted(self.files):
            if not wanted:
                found.append(path)
                continue
            text = self._lowered.get(path)
            if text is None:
                text = self._lowered[path] = self.files[path].lower()
            if any(w in text for w in wanted):
                found.append(path)
        return found

    def module(self, path: str) -> ParsedModule | None:
        """The parsed file, or None when it is not a Python file of the service or libcst cannot parse it
        (then `syntax_error(path)` says why, in one line)."""
        if path in self._parsed:
            return self._parsed[path]
        parsed = None
        if path in self.files:
            if self._shared is not None:
                parsed, error = self._shared.parsed(path, self.files[path])
            else:
                parsed, error = _parse(path, self.files[path])
            if error is not None:
                self._errors[path] = error
        self._parsed[path] = parsed
        return parsed

    def modules(self, paths: Iterable[str]) -> Iterator[ParsedModule]:
        """The parsable modules among `paths`, in order."""
        for path in paths:
            parsed = self.module(path)
            if parsed is not None:
                yield parsed

    def syntax_error(self, path: str) -> str | None:
        """"path:line: syntax error: reason" when libcst cannot parse the file, else None."""
        found = self.syntax_error_at(path)
        return f"{path}:{found[0]}: syntax error: {found[1]}" if found else None

    def syntax_error_at(self, path: str) -> tuple[int, str] | None:
        """(line, reason) when libcst cannot parse the file, else None."""
        self.module(path)
        return self._errors.get(path)

    def module_named(self, dotted: str) -> ParsedModule | None:
        path = self.path_of.get(dotted)
        return self.module(path) if path is not None else None

    # ----- names -----------------------------------------------------------------------------

    def names_of(self, parsed: ParsedModule, node: cst.CSTNode) -> set[str]:
        """Absolute names a Name/Attribute may refer to: relative imports resolved, followed through the
        service's re-exports, "builtins." for builtins. Names local to a function are not included
        (see `definition_of` for those). A Call gets nothing: `fetch()` is not `fetch`."""
        known = self._names.get(id(node))
        if known is not None and known[0] is parsed:
            return set(known[1])
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return set()
        found = set()
        for qualified in parsed.qualified_names(node):
            if qualified.source is QualifiedNameSource.BUILTIN:
                # libcst >= 1.x already spells builtins "builtins.x"; older versions gave "x".
                name = qualified.name
                found.add(name if name.startswith("builtins.") else "builtins." + name)
            elif qualified.source is QualifiedNameSource.LOCAL:
                if "<locals>" not in qualified.name and parsed.dotted:
                    found.add(self.canonical(f"{parsed.dotted}.{qualified.name}"))
            else:
                found.add(self.canonical(absolute(qualified.name, parsed.package)))
        self._names[id(node)] = (parsed, frozenset(found))
        return found

    def refers_to(self, parsed: ParsedModule, node: cst.CSTNode, targets: Iterable[str]) -> bool:
        """True when every name `node` may refer to is one of `targets` (and there is at least one)."""
        found = self.names_of(parsed, node)
        return bool(found) and found <= set(targets)

    def canonical(self, name: str, depth: int = 0) -> str:
        """Follows `from .x import y` re-exports inside the service until a definition or an outside name."""
        if depth > _MAX_RESOLVE_DEPTH:
            return name
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.module_named(".".join(parts[:cut]))
            if owner is None:
                continue
            head = parts[cut]
            if head in owner.top_level:
                return name
            target = owner.import_bindings.get(head)
            if target is None:
                return name
            return self.canonical(".".join([target, *parts[cut + 1:]]), depth + 1)
        return name

    # ----- definitions -----------------------------------------------------------------------

    def definition(self, name: str) -> Definition | None:
        """The function, class, method or module variable of the service with this absolute name."""
        name = self.canonical(name)
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.module_named(".".join(parts[:cut]))
            if owner is None:
                continue
            node = owner.top_level.get(parts[cut])
            rest = parts[cut + 1:]
            if node is None or len(rest) > 1:
                return None
            found = self._define(owner, node, f"{owner.dotted}.{parts[cut]}", None)
            if not rest:
                return found
            return self.member(found, rest[0]) if found.is_class else None
        return None

    def definition_for(self, parsed: ParsedModule, node: cst.CSTNode) -> Definition:
        """The Definition of a FunctionDef/ClassDef (any depth) or module-level Assign of `parsed`."""
        known = self._definitions.get(id(node))
        if known is not None:
            return known
        owner = None
        if isinstance(node, cst.FunctionDef):
            klass = parsed.method_class(node)
            owner = self.definition_for(parsed, klass) if klass is not None else None
        qualname = self._qualname(parsed, node)
        return self._define(parsed, node, f"{parsed.dotted}.{qualname}" if parsed.dotted else qualname, owner)

    def _define(self, parsed: ParsedModule, node: cst.CSTNode, name: str, owner: Definition | None) -> Definition:
        known = self._definitions.get(id(node))
        if known is None:
            known = self._definitions[id(node)] = Definition(name, parsed, node, owner)
        return known

    def member(self, klass: Definition, attr: str, depth: int = 0) -> Definition | None:
        """A method defined in `klass` or (inside the service) one of its base classes."""
        assert isinstance(klass.node, cst.ClassDef)
        for statement in klass.node.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == attr:
                return self._define(klass.module, statement, f"{klass.name}.{attr}", klass)
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        for base in klass.node.bases:
            for name in self.names_of(klass.module, base.value):
                found = self.definition(name)
                if found is not None and found.is_class:
                    method = self.member(found, attr, depth + 1)
                    if method is not None:
                        return method
        return None

    def _qualname(self, parsed: ParsedModule, node: cst.CSTNode) -> str:
        if any(node is statement for statement in parsed.tree.body):
            return node.name.value if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else self._target_name(parsed, node)
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            return self._target_name(parsed, node)
        parts = [node.name.value]
        for ancestor in parsed.ancestors(node):
            if isinstance(ancestor, cst.ClassDef):
                parts.append(ancestor.name.value)
            elif isinstance(ancestor, cst.FunctionDef):
                parts.extend(["<locals>", ancestor.name.value])
        return ".".join(reversed(parts))

    @staticmethod
    def _target_name(parsed: ParsedModule, node: cst.CSTNode) -> str:
        target = node.targets[0].target if isinstance(node, cst.Assign) else node.target
        return target.value if isinstance(target, cst.Name) else parsed.code(target)


class SharedFiles:
    """Parsed files by path and text, shared by the analyses `ServiceAnalysis.of` makes: services of a fleet often
    carry the same file (a test helper copied into each: 15 copies on the example fleet), and a ParsedModule
    depends on its path and text alone. A file met in a second service is kept (the last `size` such); one
    met once is reused only while an analysis still holds it, so unique files go with their service."""

    def __init__(self, size: int = 128, remembered: int = 4096) -> None:
        self.size, self.remembered = size, remembered
        self.kept: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        self.met: OrderedDict[tuple[str, str], object] = OrderedDict()  # a weak reference, or (None, error)

    def parsed(self, path: str, text: str) -> tuple[ParsedModule | None, tuple[int, str] | None]:
        key = (path, text)
        found = self.kept.get(key)
        if found is not None:
            self.kept.move_to_end(key)
            return found
        earlier = self.met.pop(key, None)
        if earlier is None:
            found = _parse(path, text)
            self.met[key] = weakref.ref(found[0]) if found[0] is not None else found
            while len(self.met) > self.remembered:
                self.met.popitem(last=False)
            if found[0] is not None:
                record_parsed(text)
            return found
        alive = earlier() if isinstance(earlier, weakref.ref) else earlier
        found = (alive, None) if isinstance(alive, ParsedModule) else alive or _parse(path, text)
        self.kept[key] = found
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)
        return found


ServiceCore._files = SharedFiles()


def _parse(path: str, text: str) -> tuple[ParsedModule | None, tuple[int, str] | None]:
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return None, (max(exc.raw_line, 1), exc.message.removeprefix("parser error: "))
    dotted, package = module_name(path)
    return ParsedModule(path, dotted, package, text, tree), None


def _fingerprint(service: ServiceSource) -> str:
    digest = hashlib.sha256()
    for path, text in sorted(service.python_files().items()):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()
