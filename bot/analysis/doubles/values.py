"""What each mock in a service's tests stands for: a Double is an absolute name (the class, function or module
the mock replaces, in its OLD meaning) and the steps from it (calls and attributes).

    with patch("pkg.adapter.Client") as client_cls:        client_cls      -> asyncio_mqtt.Client
        client_cls.return_value.connect                     ...             -> asyncio_mqtt.Client ().connect
    api = MagicMock(); mock_client.write_api.return_value = api
                                                            api             -> influxdb_client.InfluxDBClient ().write_api ()

A mock gets its meaning from the patch that makes it (`patch`, `patch.object`, `mocker.patch`, `@patch`
decorators handing it to the test's parameters, `monkeypatch.setattr` with it as the value, a mock assigned
straight onto a name: `WriteApi.write = Mock()`, after which `WriteApi.write.call_args` is that mock), from a spec
(`MagicMock(spec=C)`, `create_autospec(C)`), from a fixture returning or yielding it (found by its pytest
name: `@pytest.fixture(name=...)`, the test's class, its module, then conftest.py files from its folder up),
or, for a plain `MagicMock()`, from where it is plugged in (`x.return_value = it`, `return_value=it`,
`patch(..., new=it)`). A mock whose meaning is not provable has none (None): rules never guess.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Union

import libcst as cst

from ..functions import FIXTURE_DECORATORS, fixture_name
from ..names import children, dotted_name
from ..parsed import ParsedModule
from .patches import (
    ASSIGN, DELATTR, MOCK_API, PATCH, PATCH_OBJECT, SETATTR, MockNames, PatchSite,
)

CALL = "()"
_MAX_DEPTH = 12
_NOT_FIXTURES = frozenset({"self", "cls", "request", "mocker", "monkeypatch", "tmp_path", "capsys", "caplog"})
# What entering a context manager gives back is the object itself for the clients tests mock.
_ENTER = frozenset({"__enter__", "__aenter__"})


@dataclass(frozen=True)
class Double:
    """A mock standing for `before` (absolute, old meaning) reached by `steps` ("()" calls, attribute names).

    patch: the patch that made the root mock (its target is what the test spells); autospec: made with
    autospec/spec_set, so every attribute it is given must exist on what it stands for."""

    before: str
    steps: tuple[str, ...] = ()
    patch: PatchSite | None = None
    autospec: bool = False
    anon: int | None = None  # a plain MagicMock() not yet tied to anything (internal)
    spelling: str | None = None  # a dotted name whose meaning after the run's edits is where `before` went


    def then(self, *steps: str) -> "Double":
        return replace(self, steps=normalized(self.steps + steps))

    @property
    def key(self) -> tuple:
        return (self.before, self.anon, self.steps)

    @property
    def member_path(self) -> tuple[str, ...]:
        """The steps from an instance: a leading call (the class mock's return_value) is the instance."""
        return self.steps[1:] if self.steps[:1] == (CALL,) else self.steps


Value = Union[Double, tuple, None]


def normalized(steps: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for step in steps:
        if step == CALL and out and out[-1] in _ENTER:
            out.pop()  # `async with client as c`: c is the client
            continue
        out.append(step)
    return tuple(out)


class DoubleValues:
    """The meaning of mocks in a service's test files (see the module docstring)."""

    def __init__(self, analysis, canonical=None) -> None:
        self.analysis = analysis
        # what a dotted patch target denotes (the service's imports before the migration)
        self.canonical = canonical or analysis.canonical
        self._names: dict[str, MockNames] = {}
        self._raw: dict[int, Value] = {}
        self._resolved: dict[tuple, Double | None] = {}
        self._equations: dict[int, list[Double]] | None = None
        self._fixtures: dict[tuple[str, str], list] | None = None
        self._patches: dict[str, list[PatchSite]] = {}
        self._replaced: dict[str, Double] | None = None
        self._replaced_attributes: frozenset[str] = frozenset()

    # ----- files and patches --------------------------------------------------------------------

    def any_mocks(self) -> bool:
        """Whether the service can hold a mock at all. Every Double starts at a call of unittest.mock's (or
        `mock`'s) API, reached through an import that spells "mock" in some file of the service (re-exports
        included), or at pytest-mock's `mocker*` / pytest's `monkeypatch` fixtures; a module of the service's
        own named `mock` would resolve like the library. A service with none of these (most services: their
        tests use no mocks) needs no walk over its tests, and the rules skip it before parsing them."""
        analysis = self.analysis
        return (bool(analysis.files_mentioning("mock", "monkeypatch"))
                or any("mock" in path.lower() for path in analysis.files))

    def mock_files(self) -> list[ParsedModule]:
        """The service's files that use mocking (their text mentions it)."""
        return list(self.analysis.modules(self.analysis.files_mentioning("mock", "patch", "monkeypatch")))

    def names(self, parsed: ParsedModule) -> MockNames:
        found = self._names.get(parsed.path)
        if found is None:
            found = self._names[parsed.path] = MockNames(self.analysis, parsed)
        return found

    def patches(self, parsed: ParsedModule) -> list[PatchSite]:
        found = self._patches.get(parsed.path)
        if found is None:
            names = self.names(parsed)
            found = [site for node in parsed.of_type(cst.Call, cst.Assign)
                     if (site := names.patch_site(node) if isinstance(node, cst.Call) else names.assigned_mock(node))
                     is not None]
            self._patches[parsed.path] = found
        return found

    # ----- values -------------------------------------------------------------------------------

    def value(self, parsed: ParsedModule, node: cst.BaseExpression) -> Double | None:
        """What `node` stands for, when provable."""
        raw = self.raw(parsed, node)
        return self.resolve(raw) if isinstance(raw, Double) else None

    def resolve(self, raw: Double, depth: int = 0) -> Double | None:
        if raw.anon is None:
            return raw
        if depth > _MAX_DEPTH:
            return None
        key = (raw.anon, depth)
        if key in self._resolved:
            root = self._resolved[key]
        else:
            self._resolved[key] = None  # a plug that leads back to itself proves nothing
            candidates = {}
            for plugged in self.equations().get(raw.anon, []):
                found = self.resolve(plugged, depth + 1)
                if found is not None:
                    candidates.setdefault(found.key, found)
            root = next(iter(candidates.values())) if len(candidates) == 1 else None
            self._resolved[key] = root
        return root.then(*raw.steps) if root is not None else None

    def raw(self, parsed: ParsedModule, node: cst.BaseExpression, depth: int = 0) -> Value:
        key = id(node)
        if key in self._raw:
            return self._raw[key]
        if depth > _MAX_DEPTH:
            return None
        self._raw[key] = None  # recursion guard
        found = self._raw_value(parsed, node, depth + 1)
        self._raw[key] = found
        return found

    def _raw_value(self, parsed: ParsedModule, node: cst.BaseExpression, depth: int) -> Value:
        if isinstance(node, cst.Await):
            return self.raw(parsed, node.expression, depth)
        if isinstance(node, cst.Tuple):
            return tuple(self.raw(parsed, e.value, depth) if isinstance(e, cst.Element) else None for e in node.elements)
        if isinstance(node, cst.Call):
            return self._call_value(parsed, node, depth)
        if isinstance(node, cst.Attribute):
            if self.analysis.bindings_of(parsed, node):  # self.attr, bound in the class (setUp)
                return self._bound_value(parsed, node, depth)
            base = self.raw(parsed, node.value, depth)
            if not isinstance(base, Double):
                return self.replaced_by_mock(parsed, node)
            attr = node.attr.value
            if attr == "return_value":
                return base.then(CALL)
            return None if attr in MOCK_API else base.then(attr)
        if isinstance(node, cst.Name):
            return self._bound_value(parsed, node, depth)
        return None

    def _call_value(self, parsed: ParsedModule, call: cst.Call, depth: int) -> Value:
        names = self.names(parsed)
        site = names.patch_site(call)
        if site is not None:
            return self.patched(site, depth)
        factory = names.mock_factory(call)
        if factory is not None:
            kind, spec, instance = factory
            if spec is None:
                return Double("", anon=id(call))
            meaning = self._meaning(parsed, spec)
            if meaning is None:
                return None
            return Double(meaning, (CALL,) if instance else (), autospec=kind == "create_autospec",
                          spelling=_spelled(parsed, spec))
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "start":  # patcher.start()
            return self.raw(parsed, call.func.value, depth)
        base = self.raw(parsed, call.func, depth)
        return base.then(CALL) if isinstance(base, Double) else None

    def patched(self, site: PatchSite, depth: int = 0) -> Double | None:
        """The mock a patch puts in place (None when it is given a value of its own that is no mock)."""
        if site.kind in (SETATTR, DELATTR):
            return None  # monkeypatch returns nothing; its value is tied to the target in equations()
        if site.value is not None:
            value = self.raw(site.module, site.value, depth)
            return value if isinstance(value, Double) else None
        target = self.patch_target(site, depth)
        if target is None:
            return None
        return replace(target, patch=site, autospec=site.autospec)

    def patch_target(self, site: PatchSite, depth: int = 0) -> Double | None:
        """What a patch replaces, in its old meaning."""
        if site.kind in (PATCH, SETATTR, DELATTR) and site.target_text:
            return Double(self.canonical(site.target_text), spelling=site.target_text)
        if site.kind in (PATCH_OBJECT, SETATTR, DELATTR, ASSIGN) and site.owner is not None and site.attribute_text:
            owner = self.raw(site.module, site.owner, depth)
            if isinstance(owner, Double):
                resolved = self.resolve(owner)
                return resolved.then(site.attribute_text) if resolved is not None else None
            meaning = self._meaning(site.module, site.owner)
            if meaning is None:
                return None
            return Double(self.canonical(f"{meaning}.{site.attribute_text}"),
                          spelling=f"{meaning}.{site.attribute_text}")
        return None

    def replaced_by_mock(self, parsed: ParsedModule, node: cst.Attribute) -> Double | None:
        """`WriteApi.write` read where a test put a mock straight onto it (`WriteApi.write = Mock()`,
        `monkeypatch.setattr(WriteApi, "write", Mock())`): the name is the mock from then on, with no handle of
        its own, so the test reads its calls through the name. Only attribute reads: `from m import f` bound the
        original before any test ran."""
        if node.attr.value not in self.replaced_attributes():  # most attributes: no name lookup
            return None
        owner = self._meaning(parsed, node.value)
        return self._replaced.get(f"{owner}.{node.attr.value}") if owner else None

    def replaced_attributes(self) -> frozenset[str]:
        """The attribute names some test puts a mock onto by name (empty in most services: nothing to look up)."""
        if self._replaced is None:
            self._replaced = {}  # a named value's meaning is read while these are gathered: none yet
            self._replaced = self._mocks_put_on_names()
            self._replaced_attributes = frozenset(name.rsplit(".", 1)[-1] for name in self._replaced)
        return self._replaced_attributes

    def _mocks_put_on_names(self) -> dict[str, Double]:
        """`owner.attribute` -> the mock a test assigned or monkeypatched onto it. The owner is taken by its
        meaning and the attribute as spelled: a mock put on `pkg.adapter.Client` replaces the module's name only,
        not the `oldlib.Client` it imported (owners are followed through the service's own re-exports). Owners are
        read by name only: a member of a mock set to a mock is a member, not a name."""
        found: dict[str, Double] = {}
        for parsed in self.mock_files():
            names = self.names(parsed)
            for site in self.patches(parsed):
                if site.kind not in (ASSIGN, SETATTR) or not self.is_mock_value(parsed, names, site.value):
                    continue
                if site.target_text:
                    spelled = site.target_text
                    owner, _, attribute = spelled.rpartition(".")
                    owner = self.canonical(owner) if owner else None
                else:
                    owner = self._meaning(parsed, site.owner) if site.owner is not None else None
                    attribute = site.attribute_text
                if owner and attribute:
                    spelled = f"{owner}.{attribute}"
                    found.setdefault(spelled, Double(self.canonical(spelled), spelling=spelled, patch=site,
                                                     autospec=site.autospec))
        return found

    def stands_in(self, site: PatchSite) -> bool:
        """An assignment puts a double in place (a mock, or a class of the tests: a fake), not a value of its own
        (`WriteApi.write = original` putting the real one back)."""
        value = site.value
        return value is not None and (self.is_mock_value(site.module, self.names(site.module), value)
                                      or self._class_of(site.module, value) is not None)

    def is_mock_value(self, parsed: ParsedModule, names: MockNames, value: cst.BaseExpression | None) -> bool:
        """A mock factory's call, or a name holding a plain mock (`m = Mock()`; a fake class is no mock)."""
        if isinstance(value, cst.Call):
            return names.mock_factory(value) is not None
        raw = self.raw(parsed, value) if isinstance(value, cst.Name) else None
        return isinstance(raw, Double) and raw.anon is not None and not raw.steps

    def _meaning(self, parsed: ParsedModule, expression: cst.BaseExpression) -> str | None:
        names = self.analysis.names_of(parsed, expression)
        return next(iter(names)) if len(names) == 1 else None

    def _bound_value(self, parsed: ParsedModule, node: cst.BaseExpression, depth: int) -> Value:
        bindings = [b for b in self.analysis.bindings_of(parsed, node) if not b.is_none]
        if not bindings:
            return None
        found: list[Value] = []
        for binding in bindings:
            if binding.kind == "param":
                found.append(self.parameter(binding.module, binding.target, depth))
            elif binding.kind in ("assign", "annassign", "walrus", "with", "class-attr"):
                if binding.value is not None:
                    found.append(self.raw(binding.module, binding.value, depth))
                else:
                    found.append(self._unpacked(binding, depth))
            else:
                return None
        first = found[0]
        if all(_same(first, other) for other in found[1:]):
            return first
        return None

    def _unpacked(self, binding, depth: int) -> Value:
        """`client, api = fixture_value`: the element of a tuple value."""
        statement = binding.statement
        if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
            return None
        target = statement.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)):
            return None
        index = next((i for i, e in enumerate(target.elements) if e.value is binding.target), None)
        value = self.raw(binding.module, statement.value, depth)
        if index is None or not isinstance(value, tuple) or len(value) != len(target.elements):
            return None
        return value[index]

    # ----- parameters: @patch decorators and fixtures --------------------------------------------

    def parameter(self, parsed: ParsedModule, param: cst.Param, depth: int = 0) -> Value:
        function = parsed.enclosing_function(param)
        if function is None or param.star:
            return None
        injected = self.decorator_patches(parsed, function)
        if param.name.value in injected:
            return self.patched(injected[param.name.value], depth)
        name = param.name.value
        if name in _NOT_FIXTURES:
            return None
        fixture = self.fixture(parsed, function, name)
        return self.fixture_value(fixture, depth) if fixture is not None else None

    def decorator_patches(self, parsed: ParsedModule, function: cst.FunctionDef) -> dict[str, PatchSite]:
        """Parameter name -> the `@patch(...)` whose mock it receives: the bottom decorator's mock comes first,
        then (for a method) the class's patch decorators', after `self`."""
        names = self.names(parsed)
        sites = []
        for decorator in reversed(function.decorators):
            site = names.patch_site(decorator.decorator) if isinstance(decorator.decorator, cst.Call) else None
            if site is not None and site.value is None and site.kind in (PATCH, PATCH_OBJECT):
                sites.append(site)
        klass = parsed.method_class(function)
        if klass is not None:
            for decorator in reversed(klass.decorators):
                site = names.patch_site(decorator.decorator) if isinstance(decorator.decorator, cst.Call) else None
                if site is not None and site.value is None and site.kind in (PATCH, PATCH_OBJECT):
                    sites.append(site)
        if not sites:
            return {}
        params = [p for p in function.params.params]
        if klass is not None and params and not _is_static(function):
            params = params[1:]
        # pytest fixtures come after the mocks only for unittest-style signatures; mocks take the first slots
        return {param.name.value: site for param, site in zip(params, sites)}

    def fixture(self, parsed: ParsedModule, requester: cst.FunctionDef, name: str):
        """The fixture pytest gives `requester` for `name`: one in the requester's class, its module, then the
        nearest conftest.py from the file's folder up (a fixture requesting its own name gets the next one)."""
        candidates = self.fixtures_by_name().get(name, [])
        if not candidates:
            return None
        klass = parsed.method_class(requester)
        own = [f for f in candidates if f.module is parsed and f.node is not requester]
        in_class = [f for f in own if klass is not None and f.owner is not None and f.owner.node is klass]
        if in_class:
            return in_class[0] if len(in_class) == 1 else None
        module_level = [f for f in own if f.owner is None]
        if module_level:
            return module_level[0] if len(module_level) == 1 else None
        folder = parsed.path.rsplit("/", 1)[0] if "/" in parsed.path else ""
        while True:
            conftest = f"{folder}/conftest.py" if folder else "conftest.py"
            here = [f for f in candidates if f.module.path == conftest and f.owner is None and f.node is not requester]
            if here:
                return here[0] if len(here) == 1 else None
            if not folder:
                return None
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""

    def fixtures_by_name(self) -> dict[str, list]:
        if self._fixtures is None:
            found: dict[str, list] = {}
            for definition in self.analysis.decorated(FIXTURE_DECORATORS):
                found.setdefault(fixture_name(definition), []).append(definition)
            self._fixtures = found
        return self._fixtures

    def fixture_value(self, fixture, depth: int = 0) -> Value:
        values = [self.raw(fixture.module, node.value, depth) for node in _returns(fixture.node)]
        if not values:
            return None
        first = values[0]
        return first if all(_same(first, other) for other in values[1:]) else None

    # ----- plain mocks, tied to what they are plugged into -----------------------------------------

    def equations(self) -> dict[int, list[Double]]:
        """Plain mock (its creating call's id) -> what it is plugged in as."""
        if self._equations is None:
            self._equations = {}
            for parsed in self.mock_files():
                for node in parsed.of_type(cst.Assign, cst.Call):
                    if isinstance(node, cst.Assign):
                        for target in node.targets:
                            if isinstance(target.target, cst.Attribute) and target.target.attr.value == "side_effect":
                                self._plug_each(parsed, node.value, self.raw(parsed, target.target.value))
                            elif isinstance(target.target, cst.Attribute):
                                into = self.plugged_target(parsed, target.target)
                                if into is None and (site := self.names(parsed).assigned_mock(node)) is not None:
                                    into = self.patch_target(site)  # `WriteApi.write = m`: m stands for it
                                self._plug(parsed, node.value, into)
                    elif isinstance(node, cst.Call):
                        self._plug_call(parsed, node)
        return self._equations

    def plugged_target(self, parsed: ParsedModule, target: cst.Attribute) -> Double | None:
        """What `target` of `target = value` is on the mock it belongs to (`client.return_value` -> Client ())."""
        base = self.raw(parsed, target.value)
        if not isinstance(base, Double):
            return None
        attr = target.attr.value
        if attr == "return_value":
            return base.then(CALL)
        return None if attr in MOCK_API else base.then(attr)

    def _plug(self, parsed: ParsedModule, value: cst.BaseExpression, into: Double | None) -> None:
        if into is None:
            return
        if isinstance(value, cst.Lambda):  # lambda *a, **k: fake  -> calling the target gives fake
            self._plug(parsed, value.body, into.then(CALL))
            return
        plugged = self.raw(parsed, value)
        if isinstance(plugged, Double) and plugged.anon is not None and not plugged.steps:
            if not (into.anon == plugged.anon):
                self._equations.setdefault(plugged.anon, []).append(into)

    def _plug_each(self, parsed: ParsedModule, values: cst.BaseExpression, mock: Value) -> None:
        """`m.side_effect = [a, b]` / `side_effect=[a, b]`: each call of m returns the next one."""
        if isinstance(mock, Double) and isinstance(values, (cst.List, cst.Tuple)):
            for element in values.elements:
                if isinstance(element, cst.Element):
                    self._plug(parsed, element.value, mock.then(CALL))

    def _plug_call(self, parsed: ParsedModule, call: cst.Call) -> None:
        names = self.names(parsed)
        site = names.patch_site(call)
        if site is not None:
            target = self.patch_target(site)
            if target is not None:
                target = replace(target, patch=site, autospec=site.autospec)
                if site.value is not None:
                    self._plug(parsed, site.value, target)
                if site.return_value is not None:
                    self._plug(parsed, site.return_value, target.then(CALL))
                side_effect = next((a.value for a in call.args if a.keyword is not None
                                    and a.keyword.value == "side_effect"), None)
                if side_effect is not None:
                    self._plug_each(parsed, side_effect, target)
            return
        if names.mock_factory(call) is not None:
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "return_value":
                    made = self.raw(parsed, call)
                    if isinstance(made, Double):
                        self._plug(parsed, arg.value, made.then(CALL))
                elif arg.keyword is not None and arg.keyword.value == "side_effect":
                    self._plug_each(parsed, arg.value, self.raw(parsed, call))

    # ----- hand-written fakes ---------------------------------------------------------------------

    def fakes(self) -> Iterator[tuple[PatchSite, Double, ParsedModule, cst.ClassDef]]:
        """(patch, what it replaces, module, class) for a class of the tests put in place of something:
        `monkeypatch.setattr(adapter, "Client", FakeClient)`, `patch("pkg.Client", FakeClient)`, `new=`,
        `adapter.Client = FakeClient`."""
        for parsed in self.mock_files():
            for site in self.patches(parsed):
                if site.value is None:
                    continue
                value = site.value.body if isinstance(site.value, cst.Lambda) else site.value
                klass = self._class_of(parsed, value)
                target = self.patch_target(site) if klass is not None else None
                if target is not None and site.kind == ASSIGN and target.steps:
                    continue  # `mock.return_value = FakeClient`: a value plugged into a mock, not a stand-in
                if target is not None:
                    yield site, target, klass[0], klass[1]

    def _class_of(self, parsed: ParsedModule, value: cst.BaseExpression) -> tuple[ParsedModule, cst.ClassDef] | None:
        if not isinstance(value, (cst.Name, cst.Attribute)):
            return None
        definition = self.analysis.definition_of(parsed, value)
        if definition is None or not definition.is_class:
            return None
        return definition.module, definition.node


def _spelled(parsed: ParsedModule, expression: cst.BaseExpression) -> str | None:
    """`Client` in tests/test_x.py -> "tests.test_x.Client": followed through the test's own imports."""
    dotted = dotted_name(expression)
    if not dotted or not parsed.dotted:
        return None
    return f"{parsed.dotted}.{dotted}"


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, Double) and isinstance(b, Double):
        return a.key == b.key
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return False


def _returns(function: cst.FunctionDef) -> Iterator[cst.Return | cst.Yield]:
    """The function's own return and yield values (nested functions, classes and lambdas excluded)."""
    stack = list(children(function.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return) and node.value is not None:
            yield node
        elif isinstance(node, cst.Yield) and node.value is not None and not isinstance(node.value, cst.From):
            yield node
        stack.extend(children(node))


def _is_static(function: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) == "staticmethod" for d in function.decorators)
