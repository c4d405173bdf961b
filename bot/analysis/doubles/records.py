"""Reads of the calls a mock recorded: which mock's calls an expression holds, and which part of one call.

    m.call_args, m.await_args, m.call_args_list[i]          one call of m
    c  in  `for c in m.call_args_list` / `[... for c in m.await_args_list]` / `c = m.call_args_list[0]`
    m.mock_calls[i], `for c in m.method_calls`              one call recorded on m: of m or of a child (`mixed`)
    record.kwargs, record[1], `_, kwargs = record`, `for args, kwargs in m.call_args_list`    its keywords
    record.args, record[0], `args, _ = record`                                              its positionals

A call taken from `call_args*` / `await_args*` is a 2-tuple (args, kwargs); one taken from `mock_calls` /
`method_calls` is a 3-tuple (name, args, kwargs) and may be a call of one of m's children, so what it holds
is not provably a call of m (`mixed`): rules list reads of those rather than rewrite them.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..parsed import ParsedModule
from .values import Double, DoubleValues

CALL, KWARGS, ARGS = "call", "kwargs", "args"
_ONE_CALL = frozenset({"call_args", "await_args"})
_CALLS_OF_MOCK = frozenset({"call_args_list", "await_args_list"})
_CALLS_ON_MOCK = frozenset({"mock_calls", "method_calls"})
_MAX_DEPTH = 6


@dataclass(frozen=True)
class RecordRead:
    """`part` (call | kwargs | args) of one call recorded on `mock`.

    mixed: taken from mock_calls / method_calls (maybe a call of a child); record: the expression that is the
    one call when it is spelled where the read is (`c`, `m.call_args`), so `record.args[0]` can become
    `record.kwargs["k"]`; None when the part was unpacked into a name of its own."""

    mock: Double
    part: str
    mixed: bool = False
    record: cst.BaseExpression | None = None


class CallRecords:
    """Recognises reads of recorded calls in a service's tests (see the module docstring)."""

    def __init__(self, values: DoubleValues) -> None:
        self.values = values

    def read(self, parsed: ParsedModule, node: cst.BaseExpression, depth: int = 0) -> RecordRead | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, cst.Attribute):
            if node.attr.value in _ONE_CALL:
                mock = self.values.value(parsed, node.value)
                return RecordRead(mock, CALL, record=node) if mock is not None else None
            if node.attr.value in (KWARGS, ARGS):
                inner = self.read(parsed, node.value, depth + 1)
                if inner is not None and inner.part == CALL:
                    return RecordRead(inner.mock, node.attr.value, inner.mixed, inner.record)
            return None
        if isinstance(node, cst.Subscript):
            index = subscript_index(node)
            if index is None:
                return None
            listed = self.calls(parsed, node.value)
            if listed is not None:
                mock, mixed = listed
                return RecordRead(mock, CALL, mixed, node)
            inner = self.read(parsed, node.value, depth + 1)
            if inner is not None and inner.part == CALL:
                part = _tuple_part(index, inner.mixed)
                return RecordRead(inner.mock, part, inner.mixed, inner.record) if part else None
            return None
        if isinstance(node, cst.Name):
            return self._name(parsed, node, depth)
        return None

    def calls(self, parsed: ParsedModule, node: cst.BaseExpression) -> tuple[Double, bool] | None:
        """(mock, mixed) when `node` is a list of its recorded calls (`m.call_args_list`, `m.mock_calls[1:]`)."""
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            node = node.value
        if isinstance(node, cst.Name):  # calls = m.call_args_list
            bindings = self.values.analysis.name_bindings(parsed, node)
            found = [self.calls(b.module, b.value) if b.kind == "assign" and b.value is not None
                     and not isinstance(b.value, cst.Name) else None for b in bindings]
            if not found or any(f is None for f in found) or len({(f[0].key, f[1]) for f in found}) != 1:
                return None
            return found[0]
        if isinstance(node, cst.Attribute) and node.attr.value in (_CALLS_OF_MOCK | _CALLS_ON_MOCK):
            mock = self.values.value(parsed, node.value)
            return (mock, node.attr.value in _CALLS_ON_MOCK) if mock is not None else None
        return None

    def _name(self, parsed: ParsedModule, name: cst.Name, depth: int) -> RecordRead | None:
        found: list[RecordRead | None] = []
        for binding in self.values.analysis.name_bindings(parsed, name):
            if binding.kind == "assign" and binding.value is not None:
                read = self.read(binding.module, binding.value, depth + 1)
                found.append(RecordRead(read.mock, read.part, read.mixed) if read is not None else None)
            elif binding.kind == "assign" and isinstance(binding.statement, cst.Assign):
                statement = binding.statement
                found.append(self._unpacked(binding, binding.module, statement.value, statement.targets[0].target,
                                            depth))
            elif binding.kind == "for" and isinstance(binding.statement, (cst.For, cst.CompFor)):
                statement = binding.statement
                listed = self.calls(binding.module, statement.iter)
                one = RecordRead(listed[0], CALL, listed[1]) if listed is not None else None
                found.append(one if statement.target is binding.target else
                             self._unpacked(binding, binding.module, None, statement.target, depth, one))
            else:
                return None
        if not found or any(f is None for f in found):
            return None
        first = found[0]
        same = all(f.mock.key == first.mock.key and f.part == first.part and f.mixed == first.mixed for f in found)
        return RecordRead(first.mock, first.part, first.mixed, name if first.part == CALL else None) if same else None

    def _unpacked(self, binding, parsed: ParsedModule, value: cst.BaseExpression | None, target: cst.BaseExpression,
                  depth: int, call: RecordRead | None = None) -> RecordRead | None:
        """`args, kwargs = m.call_args`, `for args, kwargs in m.call_args_list`, `[(args, kwargs)] =
        m.call_args_list`: what the name gets, following the unpacking from the outer target inwards."""
        path = _path_to(target, binding.target)
        if path is None:
            return None
        listed = self.calls(parsed, value) if value is not None and call is None else None
        if call is None and listed is None and value is not None:
            call = self.read(parsed, value, depth + 1)
        holder = target
        for index in path:
            if listed is not None:  # one element of a list of calls: a call
                call, listed = RecordRead(listed[0], CALL, listed[1]), None
            elif call is not None and call.part == CALL:
                if len(holder.elements) != (3 if call.mixed else 2):
                    return None
                part = _tuple_part(index, call.mixed)
                if part is None or holder.elements[index].value is not binding.target:
                    return None
                return RecordRead(call.mock, part, call.mixed)
            else:
                return None
            holder = holder.elements[index].value
        return None


def _path_to(target: cst.BaseExpression, name: cst.BaseExpression) -> list[int] | None:
    """Element indexes from an unpacking target down to `name` (None: not in it, or behind a star)."""
    if target is name:
        return []
    if isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            if isinstance(element, cst.Element):
                inner = _path_to(element.value, name)
                if inner is not None:
                    return [index, *inner]
    return None


def subscript_index(node: cst.Subscript) -> int | None:
    """`x[2]` -> 2; None for anything but one integer index."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    return int(value.value) if isinstance(value, cst.Integer) else None


def subscript_key(node: cst.Subscript) -> cst.SimpleString | None:
    """`x["k"]` -> the string node; None for anything else."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    return value if isinstance(value, cst.SimpleString) else None


def _tuple_part(index: int, mixed: bool) -> str | None:
    """A call_args entry is (args, kwargs); a mock_calls entry is (name, args, kwargs)."""
    parts = (None, ARGS, KWARGS) if mixed else (ARGS, KWARGS)
    return parts[index] if 0 <= index < len(parts) else None
