"""Small questions about libcst nodes, shared by the rule modules."""
from __future__ import annotations

import libcst as cst


def is_method_call(call: cst.Call, method: str) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == method


def last_name(node) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def names_in(node: cst.CSTNode) -> set:
    found = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name) -> None:
            found.add(name)

    node.visit(_Names())
    return found


def chain_base(node) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def chain_path(node) -> list[str]:
    path = []
    while isinstance(node, cst.Attribute):
        path.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        path.append(node.value)
    return list(reversed(path))


def with_base(node, base: str):
    if isinstance(node, cst.Name):
        return cst.Name(base)
    return node.with_changes(value=with_base(node.value, base)).deep_clone()


def argument(call: cst.Call, keyword: str, position: int):
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and not arg.star and index == position:
            return arg.value
    return None
