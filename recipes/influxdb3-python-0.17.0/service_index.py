"""What the influx rules ask of the whole service, on top of the shared analysis (bot.analysis): module
constants and settings-class field defaults (to prove that a client URL has a scheme and a port when it
comes from a constant, a settings class default or another module of the service), and which modules
import a module-level name.

One per service run (`self.fact(ServiceIndex, self.analysis)`); files are parsed by the shared analysis,
lazily: only what a question needs.
"""
from __future__ import annotations

from functools import cached_property

import libcst as cst

from bot.analysis import ServiceAnalysis, dotted_name, import_from_module


class ServiceIndex:
    def __init__(self, analysis: ServiceAnalysis) -> None:
        self.analysis = analysis
        self._constants: dict[str, dict[str, list[cst.BaseExpression]]] = {}

    def constants(self, module: str) -> dict[str, list[cst.BaseExpression]]:
        """Top-level `NAME = value` assignments of a service module (dotted name), every one of them."""
        if module not in self._constants:
            parsed = self.analysis.module_named(module)
            self._constants[module] = _assignments(parsed.tree.body) if parsed is not None else {}
        return self._constants[module]

    @cached_property
    def class_fields(self) -> dict[str, dict[str, list[cst.BaseExpression]]]:
        """Class name -> field -> class-level defaults, over every class of the service (parses every file)."""
        fields_by_class: dict[str, dict[str, list[cst.BaseExpression]]] = {}
        for parsed in self.analysis.modules(self.analysis.files_mentioning("class ")):
            for statement in parsed.tree.body:
                if isinstance(statement, cst.ClassDef):
                    fields = fields_by_class.setdefault(statement.name.value, {})
                    for attr, values in _assignments(statement.body.body).items():
                        fields.setdefault(attr, []).extend(values)
        return fields_by_class

    def field_defaults(self, attr: str) -> list[cst.BaseExpression]:
        """Every class-level default of `attr` in the service (any class)."""
        return [value for fields in self.class_fields.values() for value in fields.get(attr, [])]

    def importers(self, module: str, name: str, besides: str) -> list[tuple[str, int]]:
        """(path, line) of every other module reading `name` from `module`: `from module import name`
        anywhere in the file, or the module itself imported where `.name` appears in the text."""
        found = []
        leaf = module.rpartition(".")[2]
        for parsed in self.analysis.modules(self.analysis.files_mentioning(name)):
            if parsed.path == besides:
                continue
            for node in parsed.of_type(cst.ImportFrom, cst.Import):
                if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
                    source = import_from_module(node, parsed.package)
                    names = {dotted_name(alias.name) for alias in node.names}
                    if (source == module and name in names) or (
                            f"{source}.{leaf}" == module and leaf in names and f".{name}" in parsed.text):
                        found.append((parsed.path, parsed.line(node)))
                elif isinstance(node, cst.Import):
                    if module in {dotted_name(alias.name) for alias in node.names} and f".{name}" in parsed.text:
                        found.append((parsed.path, parsed.line(node)))
        return found


def _assignments(body) -> dict[str, list[cst.BaseExpression]]:
    found: dict[str, list[cst.BaseExpression]] = {}
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    found.setdefault(target.value, []).append(small.value)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                if isinstance(small.target, cst.Name):
                    found.setdefault(small.target.value, []).append(small.value)
    return found
