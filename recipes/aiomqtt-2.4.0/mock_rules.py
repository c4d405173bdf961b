"""MQ022: tests that mock the Client class and assert its constructor keywords move with the source.

The codemod renames `Client(client_id=...)` to `identifier=`; a test that patches the class and asserts
`mock_client.assert_called_with(..., client_id=...)` (or compares `call(..., client_id=...)`, or reads
`call_args.kwargs["client_id"]`) would then fail on the migrated PR. A mock counts as the Client class
when it comes from `patch("<module>.Client")`, `patch.object(<module>, "Client")`, `mocker.patch(...)`
or `monkeypatch.setattr(...)` whose target resolves (through the service's imports) to asyncio-mqtt's
Client, bound by `with ... as m`, `m = ...`, a `@patch(...)` decorator's parameter or a pytest fixture
returning it.
"""
from __future__ import annotations

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis, dotted_name
from bot.change.rule import REWRITE, Invalid, Valid

from .facts import MqttRule
from .mqtt_names import CLIENT_QUALIFIED_NAMES, RELEVANT_WORDS

PATCHERS = ("patch", "patch.object", "mock.patch", "mock.patch.object", "unittest.mock.patch",
            "unittest.mock.patch.object", "mocker.patch", "mocker.patch.object", "monkeypatch.setattr")
ASSERTIONS = frozenset({"assert_called_with", "assert_called_once_with", "assert_any_call"})
CALL_FACTORIES = frozenset({"call", "mock.call", "unittest.mock.call"})
OLD_KEYWORD, NEW_KEYWORD = "client_id", "identifier"


class MockedClientKeywords(MqttRule):
    ID = "MQ022"
    KIND = REWRITE
    MESSAGE = "tests asserting a mocked Client's constructor keywords: client_id= -> identifier="
    VALID = [Valid("""
        from unittest import mock


        def test_connects():
            with mock.patch("svc.db.Connection") as connection:
                connection.assert_called_with("h", client_id="x")
        """, name="another class's mock")]
    INVALID = [Invalid({"svc/__init__.py": "", "svc/app.py": "from asyncio_mqtt import Client\n", "tests/test_app.py": """
        from unittest import mock


        def test_identity():
            with mock.patch("svc.app.Client") as client_class:
                client_class.assert_called_once_with("h", client_id="x")
                assert client_class.call_args.kwargs["client_id"] == "x"
        """}, after={"svc/__init__.py": "", "svc/app.py": "from asyncio_mqtt import Client\n", "tests/test_app.py": """
        from unittest import mock


        def test_identity():
            with mock.patch("svc.app.Client") as client_class:
                client_class.assert_called_once_with("h", identifier="x")
                assert client_class.call_args.kwargs["identifier"] == "x"
        """})]

    def begin_file(self) -> None:
        self.mocks: set[str] = set()
        if OLD_KEYWORD in self.parsed.text:
            self.mocks = client_mock_names(self.analysis, self.parsed) | self.fact(fixture_mocks, self.analysis)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.mocks:
            return
        if _asserts_on_mock(node, self.mocks) or (
                dotted_name(node.func) in CALL_FACTORIES and _statement_mentions(self.parsed, node, self.mocks)):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == OLD_KEYWORD:
                    self.rename(arg.keyword, NEW_KEYWORD)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.mocks and node.evaluated_value == OLD_KEYWORD and _reads_call_args(self.parsed, node, self.mocks):
            self.replace_string(node, NEW_KEYWORD)


def fixture_mocks(analysis: ServiceAnalysis) -> frozenset[str]:
    """pytest fixtures of the service that return or yield a Client mock (usable from any test file)."""
    found: set[str] = set()
    for parsed in analysis.modules(analysis.files_mentioning(*RELEVANT_WORDS)):
        if "patch" in parsed.text or "setattr" in parsed.text:  # no patcher, no mock of the Client
            found |= fixture_mock_names(analysis, parsed)
    return frozenset(found)


def client_mock_names(analysis: ServiceAnalysis, parsed: ParsedModule) -> set[str]:
    """Names that hold a mock of the Client class in this file (by the patch that creates them)."""
    names: set[str] = set()
    for node in parsed.of_type(cst.Call):
        if _patches_client(analysis, parsed, node):
            names |= _names_bound_to(parsed, node)
    return names


def fixture_mock_names(analysis: ServiceAnalysis, parsed: ParsedModule) -> set[str]:
    """pytest fixtures defined in this file that return or yield a Client mock."""
    mocks = client_mock_names(analysis, parsed)
    found = set()
    for node in parsed.of_type(cst.Return, cst.Yield):
        value = node.value
        patched = isinstance(value, cst.Call) and _patches_client(analysis, parsed, value)
        if patched or (isinstance(value, cst.Name) and value.value in mocks):
            function = parsed.enclosing_function(node)
            if function is not None and any("fixture" in dotted_name(getattr(d.decorator, "func", d.decorator))
                                            for d in function.decorators):
                found.add(function.name.value)
    return found


def _patches_client(analysis: ServiceAnalysis, parsed: ParsedModule, call: cst.Call) -> bool:
    patcher = dotted_name(call.func.func if isinstance(call.func, cst.Call) else call.func)
    if not patcher.endswith(PATCHERS) or not call.args:
        return False
    values = [arg.value for arg in call.args]
    if patcher.endswith(("object", "setattr")) and len(values) >= 2 and isinstance(values[1], cst.SimpleString):
        owner = analysis.names_of(parsed, values[0]) or {dotted_name(values[0])}
        target = {f"{name}.{values[1].evaluated_value}" for name in owner}
    elif isinstance(values[0], cst.SimpleString) and isinstance(values[0].evaluated_value, str):
        target = {values[0].evaluated_value}
    else:
        return False
    return any(analysis.canonical(name) in CLIENT_QUALIFIED_NAMES for name in target)


def _names_bound_to(parsed: ParsedModule, patch: cst.Call) -> set[str]:
    """`with patch(...) as m`, `m = patch(...).start()`, `m = mocker.patch(...)`, `@patch(...)` -> m;
    monkeypatch.setattr(target, m) -> m."""
    if dotted_name(patch.func).endswith("setattr"):
        last = patch.args[-1].value
        return {last.value} if isinstance(last, cst.Name) else set()
    node: cst.CSTNode = patch
    parent = parsed.parent(node)
    if isinstance(parent, cst.Attribute) and parent.attr.value == "start":
        node, parent = parsed.parent(parent), parsed.parent(parsed.parent(parent))
    if isinstance(parent, cst.WithItem) and parent.asname is not None and isinstance(parent.asname.name, cst.Name):
        return {parent.asname.name.value}
    if isinstance(parent, cst.Assign):
        return {t.target.value for t in parent.targets if isinstance(t.target, cst.Name)}
    if isinstance(parent, cst.Decorator):
        return _decorator_parameter(parsed, parent)
    return set()


def _decorator_parameter(parsed: ParsedModule, decorator: cst.Decorator) -> set[str]:
    """`@patch` decorators hand their mocks to the test's last parameters, the bottom decorator first."""
    function = parsed.parent(decorator)
    if not isinstance(function, cst.FunctionDef):
        return set()
    patches = [d for d in function.decorators if "patch" in dotted_name(getattr(d.decorator, "func", d.decorator))]
    params = [p for p in function.params.params if p.name.value not in ("self", "cls")]
    position = len(patches) - 1 - patches.index(decorator)  # bottom decorator -> first mock parameter
    mock_params = params[:len(patches)] if len(params) >= len(patches) else []
    return {mock_params[position].name.value} if position < len(mock_params) else set()


def _asserts_on_mock(call: cst.Call, mocks: set[str]) -> bool:
    func = call.func
    return (isinstance(func, cst.Attribute) and func.attr.value in ASSERTIONS
            and dotted_name(func.value).split(".")[0] in mocks)


def _statement_mentions(parsed: ParsedModule, node: cst.CSTNode, mocks: set[str]) -> bool:
    """`assert m.call_args_list == [call(...)]`, `m.assert_has_calls([call(...)])`: the statement names a mock."""
    pending = [parsed.statement_of(node)]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Name) and current.value in mocks:
            return True
        pending.extend(current.children)
    return False


def _reads_call_args(parsed: ParsedModule, string: cst.SimpleString, mocks: set[str]) -> bool:
    """`m.call_args.kwargs["client_id"]` / `m.call_args[1]["client_id"]`."""
    index = parsed.parent(parsed.parent(string))  # SimpleString -> Index -> SubscriptElement
    subscript = parsed.parent(index) if index is not None else None
    if not isinstance(subscript, cst.Subscript):
        return False
    receiver = dotted_name(subscript.value.value if isinstance(subscript.value, cst.Subscript) else subscript.value)
    parts = receiver.split(".")
    return len(parts) >= 2 and parts[0] in mocks and "call_args" in parts
