"""How one file uses the private module tenacity._asyncio (gone in 9.x, replaced by tenacity.asyncio).

The rewrite target is `tenacity` itself, not `tenacity.asyncio`: every name tenacity/_asyncio.py
offered that code has a use for is exported by `tenacity` on 8.2.3 and 9.1.2 alike (the reference
proves `from tenacity import AsyncRetrying` on both), whereas `tenacity.asyncio` does not exist on
8.2.3, so a PR rewritten that way could not be tested or rolled back against the old pin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import ExpressionContext

from . import names
from .service_index import ParsedModule, ServiceIndex, dotted_name, import_from_module


@dataclass
class AsyncioUsage:
    """How one file uses tenacity._asyncio, and whether the rewrite can move it."""

    imports: list[cst.CSTNode] = field(default_factory=list)  # Import/ImportFrom statements involved
    unsafe_imports: list[tuple[cst.CSTNode, str]] = field(default_factory=list)  # (node, why)
    patches: list[cst.CSTNode] = field(default_factory=list)  # module object used other than `.SafeName`
    patch_strings: list[cst.SimpleString] = field(default_factory=list)  # "tenacity._asyncio.sleep" targets
    safe_reads: int = 0  # `<module>.AsyncRetrying` and co.; also reachable through a plain `import tenacity`

    @property
    def rewritable(self) -> bool:
        return bool(self.imports or self.safe_reads) and not self.unsafe_imports and not self.patches


def analyze(index: ServiceIndex, parsed: ParsedModule) -> AsyncioUsage:
    usage = AsyncioUsage()
    # A name refers to the module only when some file of the service spells `_asyncio` (see may_name): else the
    # names are not asked about, which spares the file's scopes
    kinds = _NAMES_TOO if index.may_name(_ASYNCIO_MODULE_NAME) else _IMPORTS_AND_STRINGS
    for node in parsed.of_type(*kinds):
        kind = type(node)
        if kind is cst.ImportFrom:
            _classify_import_from(parsed, node, usage)
        elif kind is cst.Import:
            if any(dotted_name(a.name) == names.ASYNCIO_MODULE for a in node.names):
                usage.imports.append(node)
        elif kind is cst.SimpleString:
            value = node.evaluated_value
            if isinstance(value, str) and value.startswith(names.ASYNCIO_MODULE):
                usage.patch_strings.append(node)
        elif _is_module_object(index, parsed, node):
            if _is_safe_member_read(parsed, node):
                usage.safe_reads += 1
            else:
                usage.patches.append(node)
    return usage


_ASYNCIO_MODULE_NAME = names.ASYNCIO_MODULE.rsplit(".", 1)[1]
_IMPORTS_AND_STRINGS = (cst.ImportFrom, cst.Import, cst.SimpleString)
_NAMES_TOO = (*_IMPORTS_AND_STRINGS, cst.Name, cst.Attribute)


def _classify_import_from(parsed: ParsedModule, node: cst.ImportFrom, usage: AsyncioUsage) -> None:
    source = import_from_module(node, parsed.package)
    if source == names.ASYNCIO_MODULE:
        usage.imports.append(node)
        if isinstance(node.names, cst.ImportStar):
            usage.unsafe_imports.append((node, "a star import of tenacity._asyncio cannot be narrowed safely"))
            return
        unsafe = [dotted_name(a.name) for a in node.names if dotted_name(a.name) not in names.ASYNCIO_SAFE_NAMES]
        if unsafe:
            usage.unsafe_imports.append((node, f"tenacity does not export {', '.join(unsafe)} with the same meaning"))
    elif source == "tenacity" and not isinstance(node.names, cst.ImportStar):
        if any(dotted_name(a.name) == "_asyncio" for a in node.names):
            usage.imports.append(node)


def _is_module_object(index: ServiceIndex, parsed: ParsedModule, node: cst.CSTNode) -> bool:
    if index.names_of(parsed, node) != {names.ASYNCIO_MODULE}:
        return False
    return not any(isinstance(a, (cst.Import, cst.ImportFrom)) for a in parsed.ancestors(node))


def _is_safe_member_read(parsed: ParsedModule, node: cst.CSTNode) -> bool:
    parent = parsed.parent(node)
    return (
        isinstance(parent, cst.Attribute)
        and parent.value is node
        and parent.attr.value in names.ASYNCIO_SAFE_NAMES
        and parsed.context(parent) is ExpressionContext.LOAD
    )
