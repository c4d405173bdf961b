"""One parsed Python file with the libcst metadata the planners need, resolved once."""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis

FUNCTION_TYPES = (cst.FunctionDef, cst.Lambda)
LOOP_TYPES = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class Source:
    """A file of the service analysis: its tree and metadata, shared with every other recipe (parsed once)."""

    def __init__(self, parsed: ParsedModule, analysis: ServiceAnalysis) -> None:
        self.path = parsed.path
        self.parsed = parsed
        self.analysis = analysis
        # The planners key their edits by these very nodes, and the applier visits this tree.
        self.module = parsed.tree
        self.positions, self.parents, self.scopes = parsed.positions, parsed.parents, parsed.scopes

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        """The node's source; compound statements are shown by their header with the body elided.

        Comment lines above a statement are not its code: a checklist's "old" line shows the statement only.
        """
        if isinstance(node, (cst.With, cst.For, cst.While, cst.If, cst.Try, cst.FunctionDef, cst.ClassDef)):
            node = node.with_changes(
                leading_lines=(), body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Expr(cst.Ellipsis())])])
            )
        elif isinstance(node, cst.SimpleStatementLine):
            node = node.with_changes(leading_lines=())
        return self.module.code_for_node(node).strip()

    def statement_code(self, node: cst.CSTNode) -> str:
        return self.code(self.statement_of(node))

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        for ancestor in self.ancestors(node, include_self=True):
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return ancestor
        return node

    def ancestors(self, node: cst.CSTNode, include_self: bool = False) -> Iterator[cst.CSTNode]:
        current = node if include_self else self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Lambda | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, FUNCTION_TYPES):
                return ancestor
        return None

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.ClassDef):
                return ancestor
        return None

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return any(ancestor is container for ancestor in self.ancestors(node))

    def in_loop_within_function(self, node: cst.CSTNode) -> bool:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, FUNCTION_TYPES):
                return False
            if isinstance(ancestor, LOOP_TYPES):
                return True
        return False

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        scope = self.scopes.get(node)
        if scope is None:
            return set()
        return {qualified.name for qualified in scope.get_qualified_names_for(node)}
