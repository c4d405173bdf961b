"""Renames widgets.old_call -> widgets.new_call; flags widgets.legacy() calls."""
from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bot.codemod import Codemod
from bot.model import AppliedChange, CodemodResult, ManualItem, ServiceSource


class _Rename(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, path: str, flag_legacy: bool) -> None:
        self.path, self.flag_legacy = path, flag_legacy
        self.renamed = 0
        self.manual: list[ManualItem] = []

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value == "widgets":
            if updated.attr.value == "old_call":
                self.renamed += 1
                return updated.with_changes(attr=cst.Name("new_call"))
            if updated.attr.value == "legacy" and self.flag_legacy:
                line = self.get_metadata(PositionProvider, original).start.line
                self.manual.append(ManualItem(self.path, line, "widgets.legacy()", "legacy() was removed in 2.0",
                                              "WID002", "widgets.new_call(mode='legacy')"))
        return updated


class WidgetsCodemod(Codemod):
    RULES = {"WID001": "widgets.old_call -> widgets.new_call", "WID002": "widgets.legacy() needs a human"}

    def migrate(self, service: ServiceSource) -> CodemodResult:
        result = CodemodResult()
        for path, text in sorted(service.python_files().items()):
            wrapper = MetadataWrapper(cst.parse_module(text))
            visitor = _Rename(path, self.options["flag_legacy"])
            new = wrapper.visit(visitor).code
            result.manual += visitor.manual
            if new != text:
                result.changed[path] = new
                result.applied.append(AppliedChange(path, "WID001", "widgets.old_call -> widgets.new_call",
                                                    visitor.renamed))
        return result
