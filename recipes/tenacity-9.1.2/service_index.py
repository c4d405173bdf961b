"""tenacity's view of the shared service analysis (bot.analysis): which files matter, which functions
are @retry-decorated, and where calls run concurrently.

Parsing, name resolution (relative imports, the service's re-exports), bindings and references are the
shared analysis's, so every recipe applied to the service in a run parses each file once.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import libcst as cst

from bot.analysis import Definition, ParsedModule, ServiceAnalysis, dotted_name, import_from_module, walk

from . import names

# A file none of whose text contains these cannot hold anything the rules act on.
RELEVANT_WORDS = ("tenacity", "retry", "last_attempt")

__all__ = ["Definition", "ParsedModule", "ServiceIndex", "dotted_name", "import_from_module", "walk"]


class ServiceIndex:
    def __init__(self, analysis: ServiceAnalysis) -> None:
        self.analysis = analysis
        self.relevant_paths = analysis.files_mentioning(*RELEVANT_WORDS)
        self._concurrency: dict[str, bool] = {}
        self._may_name: dict[str, bool] = {}

    def relevant_modules(self) -> list[ParsedModule]:
        return list(self.analysis.modules(self.relevant_paths))

    @property
    def unparsable(self) -> list[tuple[str, str]]:
        return [(path, error) for path in self.relevant_paths
                if (error := self.analysis.syntax_error(path)) is not None]

    # ----- names (shared analysis) ---------------------------------------------------------------

    def names_of(self, parsed: ParsedModule, node: cst.CSTNode) -> set[str]:
        return self.analysis.names_of(parsed, node)

    def may_name(self, word: str) -> bool:
        """Whether a name of the service can resolve to something spelled with `word` (`_asyncio`, say): only when
        a Python file's path or text holds it, since names_of builds names from import statements, module paths
        and the re-exports of the service's modules alone. False spares asking names_of (and resolving scopes)."""
        found = self._may_name.get(word)
        if found is None:
            found = self._may_name[word] = any(word in path or word in text
                                                for path, text in self.analysis.files.items())
        return found

    def refers_to(self, parsed: ParsedModule, node: cst.CSTNode, targets: Iterable[str]) -> bool:
        return self.analysis.refers_to(parsed, node, targets)

    def definition(self, name: str) -> Definition | None:
        return self.analysis.definition(name)

    # ----- retry-decorated functions ----------------------------------------------------------------

    def retry_functions(self) -> list[Definition]:
        """Every @retry-decorated function or method of the service, nested ones included."""
        return self.analysis.decorated(names.RETRY_DECORATOR)

    def is_retry_function(self, definition: Definition | None) -> bool:
        """@retry / @retry(...) on a def, or `f = retry(...)(g)` at module level."""
        if definition is None:
            return False
        node = definition.node
        if isinstance(node, cst.FunctionDef):
            return self.analysis.is_decorated(definition.module, node, names.RETRY_DECORATOR)
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) and isinstance(node.value.func, cst.Call):
            return self.is_retry_decorator(definition.module, node.value.func)
        return False

    def retry_function(self, name: str) -> Definition | None:
        found = self.analysis.definition(name)
        return found if self.is_retry_function(found) else None

    def is_retry_decorator(self, parsed: ParsedModule, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        return self.refers_to(parsed, target, names.RETRY_DECORATOR)

    # ----- concurrency -----------------------------------------------------------------------------

    def uses_concurrency(self, parsed: ParsedModule) -> bool:
        if parsed.path not in self._concurrency:
            self._concurrency[parsed.path] = self._find_concurrency(parsed)
        return self._concurrency[parsed.path]

    def _find_concurrency(self, parsed: ParsedModule) -> bool:
        if any(_is_concurrency_module(t) for t in _all_import_targets(parsed)):
            return True
        for node in parsed.of_type(cst.Call):
            if self.names_of(parsed, node.func) & names.CONCURRENCY_CALLS:
                return True
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in names.CONCURRENCY_METHODS:
                return True
        return False


def _all_import_targets(parsed: ParsedModule) -> Iterator[str]:
    for node in parsed.of_type(cst.Import, cst.ImportFrom):
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
