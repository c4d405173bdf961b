"""Which expressions provably hold an asyncio-mqtt Client, and which client object each one holds.

Answered from the service analysis' bindings (bot.analysis), once per service run (`self.fact(Clients, ...)`).
A name holds a client when its one binding is `async with Client(...) as c`, `c = Client(...)`, a parameter
or variable annotated `Client`, a call of a service function that returns a new Client (each call its own
client), or a plain alias of one of those. `self.c` holds one when every binding of it
in its class (in any method) does: resets to None (`self.c = None` in close()) do not hide the client, but a
binding to anything not provably a client makes it unknown.

Each client object is one ClientOrigin, whoever asks: the consumers of one client are counted by it.

A parameter of a test or of a pytest fixture holds what the fixture pytest gives it for that name
(bot.analysis.doubles' lookup: `@pytest.fixture(name=...)`, the test's class, its module, conftest.py files from its
folder up) when every value the fixture returns or yields provably holds a client. A function-scoped fixture that
builds its client itself makes a new client for every test: each test requesting it holds its own (two tests
reading it are not two consumers of one client). A fixture of a wider scope, one that hands on a client it got
elsewhere, or one other fixtures request (a test may then reach its client by two paths) holds one client for
all its requesters, so its readers are counted together.
"""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from bot.analysis import FIXTURE_DECORATORS, ParsedModule, ServiceAnalysis, is_test_path
from bot.analysis.doubles import DoubleValues
from bot.analysis.flow import function_of_param
from bot.analysis.functions import fixture_name

from .mqtt_names import CLIENT_QUALIFIED_NAMES

MAX_ALIAS_DEPTH = 8


@dataclass(frozen=True, eq=False)
class ClientOrigin:
    """One client object: its construction (None: made in several places), or the parameter receiving it."""

    module: ParsedModule
    construction: cst.Call | None
    parameter: cst.Param | None = None
    factory: cst.Call | None = None  # `make_client(...)`: a service function returning a new Client each call

    def where(self) -> str:
        if self.construction is not None:
            return f"created at {self.module.path}:{self.module.line(self.construction)}"
        if self.factory is not None:
            return f"made by {self.module.header_code(self.factory.func)}() at {self.module.path}:" \
                   f"{self.module.line(self.factory)}"
        return "held by one object attribute (created in several places)"


class Clients:
    def __init__(self, analysis: ServiceAnalysis) -> None:
        self.analysis = analysis
        self._origins: dict[cst.CSTNode, ClientOrigin] = {}  # construction, or what holds the client otherwise
        self._doubles: DoubleValues | None = None
        self._fixture_requests: frozenset[str] | None = None

    def is_client_class(self, parsed: ParsedModule, expression: cst.BaseExpression) -> bool:
        return bool(self.analysis.names_of(parsed, expression) & CLIENT_QUALIFIED_NAMES)

    def is_construction(self, parsed: ParsedModule, expression: cst.BaseExpression | None) -> bool:
        return isinstance(expression, cst.Call) and self.is_client_class(parsed, expression.func)

    def origin(self, parsed: ParsedModule, expression: cst.BaseExpression, depth: int = 0) -> ClientOrigin | None:
        """The client `expression` provably holds, else None."""
        if depth > MAX_ALIAS_DEPTH:
            return None
        if isinstance(expression, cst.Name):
            bindings = self.analysis.name_bindings(parsed, expression)
            return self._bound(bindings[0], depth) if len(bindings) == 1 else None
        if self.attribute_bindings(parsed, expression):
            return self._attribute(parsed, expression, depth)  # type: ignore[arg-type]
        return None

    def attribute_bindings(self, parsed: ParsedModule, expression: cst.BaseExpression) -> list:
        """Every binding of `self.<attr>` in the expression's class, in every method (empty for others)."""
        if not isinstance(expression, cst.Attribute) or self.analysis.self_class(parsed, expression.value) is None:
            return []
        return self.analysis.bindings_of(parsed, expression)

    def _bound(self, binding, depth: int) -> ClientOrigin | None:
        parsed = binding.module
        if binding.kind == "param":
            from_fixture = self._fixture_client(parsed, binding.target, depth)
            if from_fixture is not None:
                return from_fixture
            annotation = binding.target.annotation
            if annotation is not None and self.is_client_class(parsed, annotation.annotation):
                return self._one(binding.target, parsed, None, binding.target)
            return None
        if binding.kind == "annassign" and binding.value is None:
            if self.is_client_class(parsed, binding.statement.annotation.annotation):
                return self._one(binding.target, parsed, None)
            return None
        if binding.kind not in ("assign", "annassign", "with"):
            return None
        return self._value(parsed, binding.value, depth)

    def _value(self, parsed: ParsedModule, value: cst.BaseExpression | None, depth: int) -> ClientOrigin | None:
        if isinstance(value, cst.Await):
            value = value.expression
        if self.is_construction(parsed, value):
            return self._one(value, parsed, value)  # type: ignore[arg-type]
        if isinstance(value, (cst.Name, cst.Attribute)):
            return self.origin(parsed, value, depth + 1)
        if isinstance(value, cst.Call) and self._factory(parsed, value, depth):
            # each call makes its own client; where it is built (shared by every call) is not this client's
            return self._one(value, parsed, None, factory=value)
        return None

    def _factory(self, parsed: ParsedModule, call: cst.Call, depth: int) -> bool:
        """`call` calls a service function every return of which is a new Client: built right there, or a name
        bound to one in that function (`client = Client(...); ...; return client`)."""
        function = self.analysis.definition_of(parsed, call.func)
        if function is None or not function.is_function or depth > MAX_ALIAS_DEPTH:
            return False
        returned = self.analysis.returned_values(function)
        if not returned:
            return False
        for value in returned:
            origin = self._value(function.module, value, depth + 1) if value is not None else None
            if origin is None or origin.construction is None or origin.parameter is not None:
                return False
            if not function.module.is_inside(origin.construction, function.node):
                return False  # a client kept elsewhere (a module global): the same one on every call
        return True

    def _attribute(self, parsed: ParsedModule, expression: cst.Attribute, depth: int) -> ClientOrigin | None:
        """One client per attribute, whatever the number of places that (re)create it."""
        bindings = self.attribute_bindings(parsed, expression)
        clients = []
        for binding in bindings:
            if binding.is_none:
                continue
            value = binding.value
            if value is expression or not (self.is_construction(parsed, value)
                                           or isinstance(value, (cst.Name, cst.Attribute))):
                return None
            found = self._value(parsed, value, depth)
            if found is None:
                return None
            clients.append(found)
        if not clients:
            return None
        if len(clients) == 1 and clients[0].parameter is not None:
            return clients[0]  # injected (`self.client = client` in __init__): traced to the callers
        constructions = {id(c.construction): c for c in clients}
        if len(constructions) == 1 and clients[0].construction is not None:
            return clients[0]
        return self._one(bindings[0].statement, parsed, None)

    # ----- pytest fixtures ----------------------------------------------------------------------------

    @property
    def doubles(self) -> DoubleValues:
        if self._doubles is None:
            self._doubles = DoubleValues(self.analysis)
        return self._doubles

    def _fixture_client(self, parsed: ParsedModule, param: cst.Param, depth: int) -> ClientOrigin | None:
        """The client the fixture pytest passes to `param` of a test or fixture holds (see the module docstring)."""
        requester = function_of_param(parsed, param)
        if requester is None or param.star or depth > MAX_ALIAS_DEPTH or not self._called_by_pytest(parsed, requester):
            return None
        fixture = self.doubles.fixture(parsed, requester, param.name.value)
        if fixture is None or not isinstance(fixture.node, cst.FunctionDef):
            return None
        values = self.analysis.returned_values(fixture)
        origins = {self._value(fixture.module, value, depth + 1) if value is not None else None for value in values}
        if len(origins) != 1 or None in origins:
            return None
        (origin,) = origins
        built_here = origin.construction is not None and fixture.module.is_inside(origin.construction, fixture.node)
        if (built_here and not self._is_fixture(parsed, requester) and _scope(fixture.node) == "function"
                and fixture_name(fixture) not in self._requested_by_fixtures()):
            return self._one((requester, fixture.node), fixture.module, origin.construction)  # type: ignore[arg-type]
        return origin

    def _called_by_pytest(self, parsed: ParsedModule, function: cst.FunctionDef) -> bool:
        return self._is_fixture(parsed, function) or (
            is_test_path(parsed.path) and function.name.value.startswith("test"))

    def _is_fixture(self, parsed: ParsedModule, function: cst.FunctionDef) -> bool:
        return self.analysis.is_decorated(parsed, function, FIXTURE_DECORATORS)

    def _requested_by_fixtures(self) -> frozenset[str]:
        """Names that some fixture's parameters request (by name alone: which fixture each gets is not asked)."""
        if self._fixture_requests is None:
            self._fixture_requests = frozenset(
                param.name.value for fixture in self.analysis.decorated(FIXTURE_DECORATORS)
                if isinstance(fixture.node, cst.FunctionDef) for param in fixture.node.params.params)
        return self._fixture_requests

    def _one(self, key: cst.CSTNode, parsed: ParsedModule, construction: cst.Call | None,
             parameter: cst.Param | None = None, factory: cst.Call | None = None) -> ClientOrigin:
        found = self._origins.get(key)
        if found is None:
            found = self._origins[key] = ClientOrigin(parsed, construction, parameter, factory)
        return found


def _scope(fixture: cst.FunctionDef) -> str:
    """A fixture's `scope=` ("function" when not given; "unknown" when not a plain string)."""
    for decorator in fixture.decorators:
        if isinstance(decorator.decorator, cst.Call):
            for arg in decorator.decorator.args:
                if arg.keyword is not None and arg.keyword.value == "scope":
                    value = arg.value
                    return str(value.evaluated_value) if isinstance(value, cst.SimpleString) else "unknown"
    return "function"
