"""Service-wide facts the per-file analysis needs: parsed modules, module constants, class fields.

Used to prove that a client URL has a scheme and a port when the URL comes from a constant, a
settings class default or an import from another module of the same service.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst


@dataclass
class ServiceIndex:
    modules: dict[str, cst.Module] = field(default_factory=dict)  # path -> parsed module
    module_names: dict[str, str] = field(default_factory=dict)  # path -> dotted module name
    unparsable: dict[str, str] = field(default_factory=dict)  # path -> parser message
    constants: dict[str, dict[str, list[cst.BaseExpression]]] = field(default_factory=dict)
    class_fields: dict[str, dict[str, list[cst.BaseExpression]]] = field(default_factory=dict)

    @classmethod
    def build(cls, python_files: dict[str, str]) -> "ServiceIndex":
        index = cls()
        for path, text in sorted(python_files.items()):
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError as error:
                index.unparsable[path] = str(error).splitlines()[0]
                continue
            index.modules[path] = module
            name = module_name(path)
            index.module_names[path] = name
            index.constants[name] = _assignments(module.body)
            for statement in module.body:
                if isinstance(statement, cst.ClassDef):
                    fields = index.class_fields.setdefault(statement.name.value, {})
                    for attr, values in _assignments(statement.body.body).items():
                        fields.setdefault(attr, []).extend(values)
        return index

    def field_defaults(self, attr: str) -> list[cst.BaseExpression]:
        """Every class-level default of `attr` in the service (any class)."""
        return [value for fields in self.class_fields.values() for value in fields.get(attr, [])]


def module_name(path: str) -> str:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve_relative(current_module: str, is_package: bool, dots: int, target: str | None) -> str:
    """`from ..x import y` inside `current_module` -> absolute dotted name of x."""
    package = current_module.split(".") if is_package else current_module.split(".")[:-1]
    if dots > 1:
        package = package[: len(package) - (dots - 1)]
    return ".".join([*package, *([target] if target else [])])


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
