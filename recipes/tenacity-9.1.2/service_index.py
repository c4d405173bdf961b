"""Parses every Python file of a service once and answers "what does this name refer to?".

Names are resolved with libcst's scope analysis, then made absolute (relative imports are
resolved against the file's package) and followed through the service's own re-exports, so
`from svc.retrying import fetch` in a test and `from . import retrying; retrying.fetch` both
lead to the `def fetch` in svc/retrying.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import libcst as cst
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from . import names

_PROVIDERS = (PositionProvider, QualifiedNameProvider, ParentNodeProvider, ExpressionContextProvider)
_MAX_RESOLVE_DEPTH = 8
# A file none of whose text contains these cannot hold anything the rules act on.
_RELEVANT_WORDS = ("tenacity", "retry", "last_attempt")


@dataclass
class ParsedModule:
    path: str
    dotted: str
    package: str
    wrapper: MetadataWrapper
    relevant: bool  # mentions tenacity/retry at all: only these files are rewritten or reviewed
    bindings: dict[str, str] = field(default_factory=dict)  # top-level imported name -> absolute target
    _metadata: Mapping | None = None
    _nodes: list[cst.CSTNode] | None = None

    @property
    def tree(self) -> cst.Module:
        return self.wrapper.module

    @property
    def metadata(self) -> Mapping:
        # Scope analysis is the expensive part; files that never mention tenacity only pay for it
        # when another file's name resolves into them.
        if self._metadata is None:
            self._metadata = self.wrapper.resolve_many(_PROVIDERS)
        return self._metadata

    @property
    def nodes(self) -> list[cst.CSTNode]:
        """Every node of the file (the parent map already holds them: no second traversal)."""
        if self._nodes is None:
            self._nodes = [self.tree, *self.metadata[ParentNodeProvider].keys()]
        return self._nodes

    def get(self, provider, node: cst.CSTNode, default=None):
        value = self.metadata[provider].get(node, default)
        # resolve_many hands out some values as lazy thunks (libcst >= 1.2; visitors get them unwrapped).
        # No metadata value proper is callable: nodes, sets of names, code ranges, enum members.
        return value() if callable(value) else value

    def line(self, node: cst.CSTNode) -> int:
        return self.get(PositionProvider, node).start.line

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.get(ParentNodeProvider, node)

    def context(self, node: cst.CSTNode):
        return self.get(ExpressionContextProvider, node)

    def code(self, node: cst.CSTNode) -> str:
        """The node's source on one line (PR checklists are one line per item)."""
        text = self.tree.code_for_node(node).strip()
        return re.sub(r"\s*\n\s*", " ", text)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)


@dataclass(frozen=True)
class Definition:
    name: str  # absolute dotted name, e.g. "svc.retrying.Client.fetch"
    module: ParsedModule
    node: cst.CSTNode  # FunctionDef, ClassDef, or the Assign of `f = retry(...)(g)`
    is_retry_decorated: bool
    is_async: bool = False


def module_name(path: str) -> tuple[str, str]:
    """(dotted module name, package used for relative imports) of a service-relative path."""
    parts = path[:-3].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        dotted = ".".join(parts[:-1])
        return dotted, dotted
    return ".".join(parts), ".".join(parts[:-1])


class ServiceIndex:
    def __init__(self, files: Mapping[str, str]) -> None:
        self.modules: dict[str, ParsedModule] = {}
        self.by_dotted: dict[str, ParsedModule] = {}
        self.unparsable: list[tuple[str, str]] = []
        for path in sorted(files):
            if not path.endswith(".py"):
                continue
            try:
                wrapper = MetadataWrapper(cst.parse_module(files[path]))
            except cst.ParserSyntaxError as exc:
                self.unparsable.append((path, str(exc).splitlines()[0]))
                continue
            dotted, package = module_name(path)
            text = files[path].lower()
            relevant = any(word in text for word in _RELEVANT_WORDS)
            parsed = ParsedModule(path, dotted, package, wrapper, relevant)
            parsed.bindings = _top_level_bindings(parsed)
            self.modules[path] = parsed
            self.by_dotted.setdefault(dotted, parsed)
        self.definitions: dict[str, Definition] = {}
        for parsed in self.modules.values():
            self._collect_definitions(parsed)
        self._concurrency: dict[str, bool] = {}

    def relevant_modules(self) -> list[ParsedModule]:
        return [m for m in self.modules.values() if m.relevant]

    # ----- name resolution -------------------------------------------------------------------

    def names_of(self, parsed: ParsedModule, node: cst.CSTNode) -> set[str]:
        """Canonical absolute names a Name/Attribute may refer to (empty when unknown).

        Other nodes get nothing: libcst labels a Call with its callee's names, and `fetch()` is not `fetch`.
        """
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return set()
        found = set()
        for qualified in parsed.get(QualifiedNameProvider, node, ()):
            if qualified.source is QualifiedNameSource.BUILTIN:
                found.add("builtins." + qualified.name)
            elif qualified.source is QualifiedNameSource.LOCAL:
                if "<locals>" not in qualified.name and parsed.dotted:
                    found.add(self.canonical(f"{parsed.dotted}.{qualified.name}"))
            else:
                found.add(self.canonical(absolute(qualified.name, parsed.package)))
        return found

    def refers_to(self, parsed: ParsedModule, node: cst.CSTNode, targets: frozenset[str] | set[str]) -> bool:
        found = self.names_of(parsed, node)
        return bool(found) and found <= set(targets)

    def canonical(self, name: str, depth: int = 0) -> str:
        """Follows `from .x import y` re-exports inside the service until a definition or an outside name."""
        if name in self.definitions or depth > _MAX_RESOLVE_DEPTH:
            return name
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.by_dotted.get(".".join(parts[:cut]))
            if owner is None:
                continue
            target = owner.bindings.get(parts[cut])
            if target is None:
                return name
            return self.canonical(".".join([target, *parts[cut + 1:]]), depth + 1)
        return name

    def retry_function(self, name: str) -> Definition | None:
        found = self.definitions.get(name)
        return found if found is not None and found.is_retry_decorated else None

    # ----- facts about the service -----------------------------------------------------------

    def is_retry_decorator(self, parsed: ParsedModule, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        return self.refers_to(parsed, target, names.RETRY_DECORATOR)

    def uses_concurrency(self, parsed: ParsedModule) -> bool:
        if parsed.path not in self._concurrency:
            self._concurrency[parsed.path] = self._find_concurrency(parsed)
        return self._concurrency[parsed.path]

    def _collect_definitions(self, parsed: ParsedModule) -> None:
        if not parsed.dotted:
            return
        for statement in parsed.tree.body:
            if isinstance(statement, cst.FunctionDef):
                self._add_function(parsed, f"{parsed.dotted}.{statement.name.value}", statement)
            elif isinstance(statement, cst.ClassDef):
                class_name = f"{parsed.dotted}.{statement.name.value}"
                self.definitions[class_name] = Definition(class_name, parsed, statement, False)
                for member in statement.body.body:
                    if isinstance(member, cst.FunctionDef):
                        self._add_function(parsed, f"{class_name}.{member.name.value}", member)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    # `fetch = retry(stop=...)(_fetch)`: decoration without the @ syntax.
                    if (parsed.relevant and isinstance(small, cst.Assign) and len(small.targets) == 1
                            and isinstance(small.targets[0].target, cst.Name)
                            and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Call)
                            and self.is_retry_decorator(parsed, small.value.func)):
                        name = f"{parsed.dotted}.{small.targets[0].target.value}"
                        self.definitions[name] = Definition(name, parsed, small, True)

    def _add_function(self, parsed: ParsedModule, name: str, node: cst.FunctionDef) -> None:
        decorated = parsed.relevant and any(self.is_retry_decorator(parsed, d.decorator) for d in node.decorators)
        self.definitions[name] = Definition(name, parsed, node, decorated, node.asynchronous is not None)

    def _find_concurrency(self, parsed: ParsedModule) -> bool:
        if any(_is_concurrency_module(t) for t in _all_import_targets(parsed)):
            return True
        for node in parsed.nodes:
            if isinstance(node, cst.Call):
                if self.names_of(parsed, node.func) & names.CONCURRENCY_CALLS:
                    return True
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in names.CONCURRENCY_METHODS:
                    return True
        return False


def absolute(name: str, package: str) -> str:
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    base = package.split(".") if package else []
    if level > 1:
        base = base[: max(0, len(base) - (level - 1))]
    rest = name[level:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def dotted_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted_name(node.value)}.{node.attr.value}"
    return ""


def import_from_module(node: cst.ImportFrom, package: str) -> str:
    module = dotted_name(node.module) if node.module is not None else ""
    return absolute("." * len(node.relative) + module, package)


def _top_level_bindings(parsed: ParsedModule) -> dict[str, str]:
    bindings: dict[str, str] = {}
    for statement in parsed.tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    target = dotted_name(alias.name)
                    if alias.asname is not None:
                        bindings[dotted_name(alias.asname.name)] = target
                    else:
                        head = target.split(".")[0]
                        bindings[head] = head
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                source = import_from_module(small, parsed.package)
                for alias in small.names:
                    imported = dotted_name(alias.name)
                    local = dotted_name(alias.asname.name) if alias.asname is not None else imported
                    bindings[local] = f"{source}.{imported}" if source else imported
    return bindings


def _all_import_targets(parsed: ParsedModule) -> Iterator[str]:
    for node in parsed.nodes:
        if isinstance(node, cst.Import):
            for alias in node.names:
                yield dotted_name(alias.name)
        elif isinstance(node, cst.ImportFrom):
            source = import_from_module(node, parsed.package)
            yield source
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    yield f"{source}.{dotted_name(alias.name)}"


def _is_concurrency_module(target: str) -> bool:
    return any(target == m or target.startswith(m + ".") for m in names.CONCURRENCY_MODULES)


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
