"""What a test's mocking calls are: patchers (unittest.mock, pytest-mock's `mocker`, pytest's `monkeypatch`),
mock factories (Mock, MagicMock, AsyncMock, create_autospec) and the mock API's own attributes."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..names import dotted_name
from ..parsed import ParsedModule

# unittest.mock and the `mock` backport spell the same API.
_MOCK_MODULES = ("unittest.mock", "mock")
PATCH, PATCH_OBJECT, PATCH_DICT, PATCH_MULTIPLE, SETATTR, DELATTR, SETITEM = (
    "patch", "patch.object", "patch.dict", "patch.multiple", "setattr", "delattr", "setitem")
# `Owner.attr = Mock()`: a mock put straight onto an attribute, never undone (the object form without a patcher)
ASSIGN = "assign"
_CONSTANTS = frozenset({"True", "False", "None"})
_PATCH_KINDS = {"patch": PATCH, "patch.object": PATCH_OBJECT, "patch.dict": PATCH_DICT,
                "patch.multiple": PATCH_MULTIPLE}
_MONKEYPATCH_KINDS = {"setattr": SETATTR, "delattr": DELATTR, "setitem": SETITEM}
MOCKER_FIXTURES = frozenset({"mocker", "class_mocker", "module_mocker", "package_mocker", "session_mocker"})
MONKEYPATCH_FIXTURES = frozenset({"monkeypatch"})
MOCK_CLASSES = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock"})
AUTOSPEC = "create_autospec"
CALL_FACTORY = "call"

# Attributes of the mock object itself, never of what it stands for.
MOCK_API = frozenset({
    "return_value", "side_effect", "called", "call_count", "call_args", "call_args_list", "mock_calls",
    "method_calls", "await_count", "await_args", "await_args_list", "awaited", "reset_mock", "configure_mock",
    "attach_mock", "mock_add_spec", "start", "stop", "assert_called", "assert_called_once", "assert_called_with",
    "assert_called_once_with", "assert_any_call", "assert_has_calls", "assert_not_called", "assert_awaited",
    "assert_awaited_once", "assert_awaited_with", "assert_awaited_once_with", "assert_any_await",
    "assert_has_awaits", "assert_not_awaited", "__class__", "_mock_children", "_mock_return_value",
})
EXPECT_CALL = frozenset({"assert_called_with", "assert_called_once_with", "assert_any_call",
                         "assert_awaited_with", "assert_awaited_once_with", "assert_any_await"})
EXPECT_CALLS = frozenset({"assert_has_calls", "assert_has_awaits"})
CALL_RECORDS = frozenset({"call_args", "call_args_list", "await_args", "await_args_list"})
MEMBER_CALL_RECORDS = frozenset({"mock_calls", "method_calls"})


@dataclass(frozen=True, eq=False)
class PatchSite:
    """One patching call: what it replaces and with what.

    kind: patch | patch.object | patch.dict | patch.multiple | setattr | delattr | setitem | assign
    target: the dotted target string (`patch("pkg.mod.Name")`, `monkeypatch.setattr("pkg.mod.Name", x)`)
    owner + attribute: the object form (`patch.object(mod, "Name")`, `monkeypatch.setattr(mod, "Name", x)`,
    `mod.Name = Mock()` / `mod.Name = FakeName`: there the attribute is the target's cst.Name and `call` the
    assigned value)
    value: what replaces it when given (`new=`, the second argument, monkeypatch's value, the assigned mock)
    returns_mock: the call itself evaluates to the mock (mocker.patch); else a patcher (unittest.mock.patch)
    """

    module: ParsedModule
    call: cst.Call | cst.BaseExpression  # the assigned value for kind "assign" (a call, or a name)
    kind: str
    target: cst.SimpleString | None = None
    owner: cst.BaseExpression | None = None
    attribute: cst.SimpleString | cst.Name | None = None
    value: cst.BaseExpression | None = None
    return_value: cst.BaseExpression | None = None
    autospec: bool = False
    returns_mock: bool = False

    @property
    def line(self) -> int:
        return self.module.line(self.call)

    @property
    def target_text(self) -> str | None:
        return _string(self.target)

    @property
    def attribute_text(self) -> str | None:
        return self.attribute.value if isinstance(self.attribute, cst.Name) else _string(self.attribute)


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class MockNames:
    """Recognises mock API calls in one file, by what their names resolve to (not by spelling alone)."""

    def __init__(self, analysis, parsed: ParsedModule) -> None:
        self.analysis = analysis
        self.parsed = parsed

    def _mock_api(self, expression: cst.BaseExpression) -> str | None:
        """"patch", "patch.object", "MagicMock", "call", ... for unittest.mock's names (however imported),
        `mocker.<name>` for pytest-mock, "monkeypatch.setattr" for pytest's monkeypatch; else None."""
        for name in self.analysis.names_of(self.parsed, expression):
            for module in _MOCK_MODULES:
                if name.startswith(module + "."):
                    return name[len(module) + 1:]
        dotted = dotted_name(expression)
        head, _, rest = dotted.partition(".")
        if rest and (head in MOCKER_FIXTURES or head in MONKEYPATCH_FIXTURES) and self._is_fixture_param(expression):
            return ("monkeypatch." if head in MONKEYPATCH_FIXTURES else "") + rest
        return None

    def _is_fixture_param(self, expression: cst.BaseExpression) -> bool:
        root = expression
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return False
        bindings = self.analysis.name_bindings(self.parsed, root)
        return bool(bindings) and all(b.kind == "param" for b in bindings)

    def patch_site(self, call: cst.Call) -> PatchSite | None:
        api = self._mock_api(call.func)
        if api is None:
            return None
        if api.startswith("monkeypatch."):
            kind = _MONKEYPATCH_KINDS.get(api[len("monkeypatch."):])
            return self._monkeypatch(call, kind) if kind else None
        kind = _PATCH_KINDS.get(api)
        if kind is None:
            return None
        returns_mock = not any(self.analysis.names_of(self.parsed, call.func))  # mocker.patch(...) gives the mock
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        autospec = _is_true(keywords.get("autospec")) or keywords.get("spec_set") is not None or _is_true(
            keywords.get("spec"))
        if kind == PATCH:
            target = positional[0] if positional else keywords.get("target")
            new = positional[1] if len(positional) > 1 else keywords.get("new")
            return PatchSite(self.parsed, call, kind, target=target if isinstance(target, cst.SimpleString) else None,
                             value=new, return_value=keywords.get("return_value"), autospec=autospec,
                             returns_mock=returns_mock)
        if kind == PATCH_OBJECT:
            if len(positional) < 2:
                return None
            new = positional[2] if len(positional) > 2 else keywords.get("new")
            attribute = positional[1] if isinstance(positional[1], cst.SimpleString) else None
            return PatchSite(self.parsed, call, kind, owner=positional[0], attribute=attribute, value=new,
                             return_value=keywords.get("return_value"), autospec=autospec, returns_mock=returns_mock)
        if kind in (PATCH_DICT, PATCH_MULTIPLE):
            target = positional[0] if positional else None
            return PatchSite(self.parsed, call, kind, target=target if isinstance(target, cst.SimpleString) else None,
                             owner=None if isinstance(target, cst.SimpleString) else target, returns_mock=returns_mock)
        return None

    def _monkeypatch(self, call: cst.Call, kind: str) -> PatchSite | None:
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if kind == SETITEM:
            return PatchSite(self.parsed, call, kind, owner=positional[0] if positional else None)
        first = positional[0] if positional else keywords.get("target")
        second = positional[1] if len(positional) > 1 else keywords.get("name")
        third = positional[2] if len(positional) > 2 else keywords.get("value")
        if isinstance(first, cst.SimpleString) and (second is None if kind == DELATTR else third is None):
            # monkeypatch.setattr("pkg.mod.Name", value) / monkeypatch.delattr("pkg.mod.Name")
            return PatchSite(self.parsed, call, kind, target=first, value=second)
        return PatchSite(self.parsed, call, kind, owner=first,
                         attribute=second if isinstance(second, cst.SimpleString) else None, value=third)

    def assigned_mock(self, assign: cst.Assign) -> PatchSite | None:
        """`WriteApi.write = Mock()` / `mod.Client = MagicMock(spec=...)` / `Cls.f = create_autospec(f)`, or a name
        (`mod.Client = FakeClient`, `Cls.f = m` after `m = Mock()`): one attribute target. Whether the owner is a
        library or service name, or a mock (then it is a member set on a mock, which the member rules read), and
        whether a named value is a mock or a fake, is for the rules to ask."""
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Attribute):
            return None
        target, value = assign.targets[0].target, assign.value
        if isinstance(value, cst.Attribute) or (isinstance(value, cst.Name) and value.value not in _CONSTANTS):
            return PatchSite(self.parsed, value, ASSIGN, owner=target.value, attribute=target.attr, value=value)
        factory = self.mock_factory(value) if isinstance(value, cst.Call) else None
        if factory is None:
            return None
        return PatchSite(self.parsed, value, ASSIGN, owner=target.value, attribute=target.attr, value=value,
                         autospec=factory[0] == AUTOSPEC)

    def mock_factory(self, call: cst.Call) -> tuple[str, cst.BaseExpression | None, bool] | None:
        """(factory, spec expression, instance) for Mock(spec=C) / MagicMock(C) / create_autospec(C, ...);
        a factory without a spec gives (factory, None, True)."""
        api = self._mock_api(call.func)
        if api is None:
            return None
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if api in MOCK_CLASSES:
            spec = keywords.get("spec", keywords.get("spec_set", positional[0] if positional else None))
            return api, spec, True
        if api == AUTOSPEC:
            spec = positional[0] if positional else keywords.get("spec")
            return api, spec, _is_true(keywords.get("instance"))
        return None

    def is_call_factory(self, expression: cst.BaseExpression) -> bool:
        """`call` (unittest.mock.call, however imported, or mocker.call)."""
        return self._mock_api(expression) == CALL_FACTORY

    def is_sentinel_default(self, expression: cst.BaseExpression) -> bool:
        return self._mock_api(expression) == "DEFAULT"


def _is_true(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"
