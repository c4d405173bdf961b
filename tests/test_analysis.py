"""The shared service analysis (bot/analysis), on services written in several styles."""
from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from bot.analysis import ServiceAnalysis
from bot.analysis.names import is_subclass
from bot.analysis.service import SharedFiles
from bot.model import ServiceSource


def make(files: dict[str, str]) -> ServiceAnalysis:
    return ServiceAnalysis({p: textwrap.dedent(t) for p, t in files.items()})


def find(parsed, kind, predicate=lambda n: True, index=0):
    return [n for n in parsed.nodes if isinstance(n, kind) and predicate(n)][index]


def code_is(parsed, text):
    return lambda n: parsed.code(n) == text


RETRY = {"tenacity.retry"}

SERVICE = {
    "svc/__init__.py": "from .api import Client\n",
    "svc/api.py": """
        import tenacity
        from tenacity import retry


        class Client:
            @retry
            def fetch(self, key):
                return key

            def fetch_twice(self):
                self.fetch(1)
                return self.fetch.retry.statistics


        @tenacity.retry()
        def ping(host, port=80):
            return host
    """,
    "svc/holder.py": """
        from . import Client
        from .api import ping


        class Holder:
            def __init__(self):
                self.client = None

            def open(self):
                self.client = Client()

            def close(self):
                self.client = None

            def stats(self):
                return self.client.fetch.retry.statistics
    """,
    "tests/conftest.py": """
        import pytest
        from svc.api import Client


        @pytest.fixture
        def client():
            return Client()
    """,
    "tests/test_api.py": """
        from tenacity import retry
        from svc import Client
        import svc.api as api


        def test_fixture(client):
            client.fetch(1)
            assert client.fetch.retry.statistics


        def test_nested():
            @retry
            def flaky():
                return 1

            flaky()
            assert flaky.retry.statistics


        def test_module_attribute():
            api.ping("h")
            assert api.ping.retry.statistics
    """,
}


@pytest.fixture
def service():
    return make(SERVICE)


def test_of_is_cached_by_content_and_parses_each_file_once(monkeypatch):
    monkeypatch.setattr(ServiceAnalysis, "_files", SharedFiles())  # no file parsed by an earlier test
    parses = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parses.append(text) or real(text, *a, **k))
    source = ServiceSource("svc", {p: textwrap.dedent(t) for p, t in SERVICE.items()} | {"README.txt": "x"})
    first = ServiceAnalysis.of(source)
    assert ServiceAnalysis.of(ServiceSource("other-name", dict(source.files))) is first
    assert parses == []  # lazy: nothing parsed until asked
    first.module("svc/api.py")
    first.module("svc/api.py")
    assert len(parses) == 1
    changed = dict(source.files, **{"svc/api.py": source.files["svc/api.py"] + "\n"})
    assert ServiceAnalysis.of(ServiceSource("svc", changed)) is not first


def test_services_with_the_same_file_at_the_same_path_share_its_parsed_module(monkeypatch):
    """A fleet's services often carry copies of one file (a test helper): parsed and analysed once."""
    monkeypatch.setattr(ServiceAnalysis, "_files", SharedFiles())
    parses = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text, *a, **k: parses.append(text) or real(text, *a, **k))
    helper, broken = "def serve():\n    return 1\n", "y = = 2\n"
    a = ServiceAnalysis.of(ServiceSource("a", {"tests/helper.py": helper, "a.py": "x = 1\n", "bad.py": broken}))
    b = ServiceAnalysis.of(ServiceSource("b", {"tests/helper.py": helper, "b.py": "x = 2\n", "bad.py": broken}))
    assert a.module("tests/helper.py") is b.module("tests/helper.py")
    assert a.module("bad.py") is None and b.module("bad.py") is None
    assert a.syntax_error("bad.py") == b.syntax_error("bad.py") == "bad.py:1: syntax error: " + \
        a.syntax_error_at("bad.py")[1]
    assert len(parses) == 2
    moved = ServiceAnalysis.of(ServiceSource("c", {"helper.py": helper}))  # another path: another module name
    assert moved.module("helper.py").dotted == "helper" != a.module("tests/helper.py").dotted
    # an analysis made directly shares nothing (tests/test_analysis_oracle.py compares two of them)
    assert ServiceAnalysis({"tests/helper.py": helper}).module("tests/helper.py") is not a.module("tests/helper.py")


def test_files_mentioning_is_a_text_prefilter(service):
    assert service.files_mentioning("asyncio") == []
    assert service.files_mentioning("HOLDER", "conftest") == ["svc/holder.py"]
    assert service.files_mentioning("pytest.fixture") == ["tests/conftest.py"]
    assert service._parsed == {}


def test_syntax_error_is_one_line_naming_file_and_line_and_newer_syntax_parses():
    analysis = make({"a.py": "x = 1\ny = = 2\n", "b.py": "def first[T](xs: list[T]) -> T:\n    return xs[0]\n"})
    assert analysis.module("a.py") is None
    assert analysis.syntax_error("a.py").startswith("a.py:2: syntax error: ")
    assert "\n" not in analysis.syntax_error("a.py")
    assert analysis.module("b.py") is not None  # PEP 695 generics: newer than the bot's own Python


def test_names_are_absolute_through_relative_imports_and_re_exports(service):
    holder = service.module("svc/holder.py")
    client = find(holder, cst.Name, lambda n: n.value == "Client" and isinstance(holder.parent(n), cst.Call))
    assert service.names_of(holder, client) == {"svc.api.Client"}
    test = service.module("tests/test_api.py")
    ping = find(test, cst.Attribute, code_is(test, "api.ping"))
    assert service.names_of(test, ping) == {"svc.api.ping"}
    assert service.definition("svc.Client").name == "svc.api.Client"


def test_attribute_bindings_keep_every_assignment_and_resets_do_not_hide_the_client(service):
    holder = service.module("svc/holder.py")
    klass = find(holder, cst.ClassDef)
    bindings = service.attribute_bindings(holder, klass, "client")
    assert [(b.line, b.kind, b.is_none) for b in bindings] == [(8, "assign", True), (11, "assign", False),
                                                               (14, "assign", True)]
    read = find(holder, cst.Attribute, code_is(holder, "self.client"), index=-1)
    assert {c.name for c in service.instance_classes(holder, read)} == {"svc.api.Client"}


def test_name_bindings_cover_every_form():
    analysis = make({"m.py": """
        def f(p, *rest, k=1):
            x = make()
            x += 1
            y: int = 2
            with open() as z:
                pass
            for w in z:
                pass
            if (v := 3):
                pass
            a, b = 1, 2
            return p, x, y, z, w, v, a, b
    """})
    parsed = analysis.module("m.py")
    returned = find(parsed, cst.Return).value
    kinds = {parsed.code(e.value): [b.kind for b in analysis.bindings_of(parsed, e.value)] for e in returned.elements}
    assert kinds == {"p": ["param"], "x": ["assign", "augassign"], "y": ["annassign"], "z": ["with"],
                     "w": ["for"], "v": ["walrus"], "a": ["assign"], "b": ["assign"]}
    b = returned.elements[-1].value
    assert parsed.code(analysis.bindings_of(parsed, b)[0].value) == "2"


def test_decorated_functions_include_methods_and_functions_nested_in_tests(service):
    names = [d.name for d in service.decorated(RETRY)]
    assert names == ["svc.api.Client.fetch", "svc.api.ping", "tests.test_api.test_nested.<locals>.flaky"]


def test_references_to_a_method_through_instance_self_attribute_chain_and_fixture(service):
    fetch = service.definition("svc.api.Client.fetch")
    found = {(r.module.path, r.module.code(r.node), r.proven) for r in service.references_to(fetch)}
    assert found == {
        ("svc/api.py", "self.fetch", True),
        ("svc/holder.py", "self.client.fetch", True),
        ("tests/test_api.py", "client.fetch", True),
    }


def test_references_to_nested_and_module_attribute_functions(service):
    flaky, = [d for d in service.decorated(RETRY) if d.short == "flaky"]
    assert [(r.module.code(r.node), r.line) for r in service.references_to(flaky)] == [("flaky", 17), ("flaky", 18)]
    ping = service.definition("svc.api.ping")
    # The import in holder.py binds the name but is no load of it; the test reads it twice.
    assert [(r.module.path, r.module.code(r.node)) for r in service.references_to(ping)] == [
        ("tests/test_api.py", "api.ping"), ("tests/test_api.py", "api.ping")]


def test_name_based_fallback_only_without_collision():
    files = {
        "svc/jobs.py": """
            from tenacity import retry

            class Jobs:
                @retry
                def run(self):
                    pass

            def report(jobs_from_somewhere):
                return jobs_from_somewhere.run.retry.statistics
        """,
    }
    analysis = make(files)
    run, = analysis.decorated(RETRY)
    refs = analysis.references_to(run, fallback_among=analysis.decorated(RETRY))
    assert [(r.module.code(r.node), r.proven) for r in refs] == [("jobs_from_somewhere.run", False)]
    assert analysis.references_to(run) == []
    files["svc/other.py"] = "from tenacity import retry\n\n@retry\ndef run():\n    pass\n"
    collided = make(files)
    run = collided.definition("svc.jobs.Jobs.run")
    assert collided.references_to(run, fallback_among=collided.decorated(RETRY)) == []


def test_call_sites_map_arguments_through_partial_and_tasks():
    analysis = make({"svc/work.py": """
        import asyncio
        import functools


        async def consume(client, topic, *, limit=10):
            pass


        class Worker:
            async def handle(self, client, topic):
                pass

            async def main(self, client):
                await asyncio.gather(consume(client, "a"), self.handle(client, topic="b"))
                async with asyncio.TaskGroup() as group:
                    group.create_task(consume(client, "c", limit=1))
                later = functools.partial(consume, client, "d")
                Worker.handle(self, client, "e")
    """})
    consume = analysis.definition("svc.work.consume")
    sites = analysis.call_sites(consume)
    parsed = analysis.module("svc/work.py")
    mapped = [{k: parsed.code(v) for k, v in s.arguments.items()} for s in sites]
    assert mapped == [{"client": "client", "topic": '"a"'}, {"client": "client", "topic": '"c"', "limit": "1"},
                      {"client": "client", "topic": '"d"'}]
    assert [s.deferred for s in sites] == [False, False, True]
    handle = analysis.definition("svc.work.Worker.handle")
    mapped = [{k: parsed.code(v) for k, v in s.arguments.items()} for s in analysis.call_sites(handle)]
    assert mapped == [{"client": "client", "topic": '"b"'}, {"self": "self", "client": "client", "topic": '"e"'}]


def test_parameters_receiving_follow_a_client_through_helpers_transitively():
    analysis = make({
        "svc/helpers.py": """
            async def listen(client, topic):
                await subscribe_all(client)

            async def subscribe_all(mqtt):
                pass
        """,
        "svc/app.py": """
            import asyncio
            from aiomqtt import Client
            from .helpers import listen


            class App:
                async def run(self):
                    async with Client("broker") as client:
                        self.client = client
                        await asyncio.gather(listen(client, "a"), self.listen_here())
                    self.client = None

                async def listen_here(self):
                    await listen(self.client, "b")
        """,
    })
    app = analysis.module("svc/app.py")
    construction = find(app, cst.Call, code_is(app, 'Client("broker")'))
    flows = analysis.parameters_receiving(app, construction)
    # Reached directly (line 11) and through self.client (line 15): one parameter, listed once.
    assert [(f.function.name, f.parameter, f.hops, f.site.line) for f in flows] == [
        ("svc.helpers.listen", "client", 1, 11),
        ("svc.helpers.subscribe_all", "mqtt", 2, 3),
    ]
    direct = analysis.parameters_receiving(app, construction, transitive=False)
    assert [(f.function.name, f.parameter) for f in direct] == [("svc.helpers.listen", "client")]


def test_factory_and_annotated_parameter_prove_the_class():
    analysis = make({"svc/x.py": """
        class Client:
            def get(self):
                pass

        def make_client() -> "Client":
            return Client()

        def use(c: Client):
            c.get()

        def use_made():
            made = make_client()
            made.get()
    """})
    get = analysis.definition("svc.x.Client.get")
    assert [r.module.code(r.node) for r in analysis.references_to(get)] == ["c.get", "made.get"]


def test_discovery_accepts_syntax_newer_than_the_bots_python_and_refuses_what_libcst_cannot_parse():
    from bot.discover.services import discover
    from bot.discover.snapshot import MemorySnapshot

    files = {
        "services/new/requirements.txt": "tenacity==8.2.3\n",
        "services/new/app.py": "from tenacity import retry\n\n\ndef first[T](xs: list[T]) -> T:\n    return xs[0]\n",
        "services/bad/requirements.txt": "tenacity==8.2.3\n",
        "services/bad/app.py": "def oops(:\n",
    }
    services = {s.name: s for s in discover(MemorySnapshot(files), ("services/*",))[0]}
    assert services["new"].usable and "tenacity" in services["new"].imports
    assert services["new"].source_problems() == []
    # sources are checked when a job needs them (planning reads only the requirement files)
    assert services["bad"].source_problems() == ["services/bad/app.py:1: syntax error: invalid syntax"]


def test_annotated_attributes_async_fixtures_and_write_apis_handed_to_methods():
    analysis = make({
        "svc/store.py": """
            from dataclasses import dataclass


            class Writer:
                def write(self, point):
                    pass


            class Client:
                def write_api(self):
                    return Writer()


            @dataclass
            class Store:
                client: Client

                def save(self, point):
                    self.writer = self.client.write_api()
                    self._flush(self.writer, point)

                def _flush(self, writer, point):
                    writer.write(point)
                    persist(writer)


            def persist(api):
                pass
        """,
        "tests/test_store.py": """
            import pytest
            from svc.store import Client


            @pytest.fixture
            async def client():
                async with Client() as opened:
                    yield opened


            async def test_write(client):
                client.write_api()
        """,
    })
    store = analysis.module("svc/store.py")
    write_api = analysis.definition("svc.store.Client.write_api")
    assert [(r.module.path, r.module.code(r.node)) for r in analysis.references_to(write_api)] == [
        ("svc/store.py", "self.client.write_api"), ("tests/test_store.py", "client.write_api")]
    call = find(store, cst.Call, code_is(store, "self.client.write_api()"))
    assert [(f.function.name, f.parameter, f.hops) for f in analysis.parameters_receiving(store, call)] == [
        ("svc.store.Store._flush", "writer", 1), ("svc.store.persist", "api", 2)]


def test_unannotated_constructor_parameter_is_proven_by_what_callers_pass():
    analysis = make({
        "svc/hub.py": """
            class Hub:
                def __init__(self, host, sink):
                    self.sink = sink

                def attempts(self):
                    return self.sink.save
        """,
        "svc/sink.py": """
            class Sink:
                def save(self, value):
                    pass
        """,
        "tests/test_hub.py": """
            from svc.hub import Hub
            from svc.sink import Sink


            def test_hub():
                sink = Sink()
                Hub("localhost", sink=sink).attempts()
        """,
    })
    save = analysis.definition("svc.sink.Sink.save")
    assert [(r.module.path, r.module.code(r.node), r.proven) for r in analysis.references_to(save)] == [
        ("svc/hub.py", "self.sink.save", True)]
    hub = analysis.module("svc/hub.py")
    param = find(hub, cst.Param, lambda p: p.name.value == "sink")
    assert [(m.path, m.code(v)) for m, v in analysis.arguments_for(hub, param)] == [("tests/test_hub.py", "sink")]


def test_a_function_handed_to_a_helper_is_what_the_callers_pass():
    analysis = make({"svc/report.py": """
        from tenacity import retry


        @retry
        def fetch():
            pass


        def stats_of(fn):
            return fn.retry.statistics


        def unknown(fn):
            return fn.retry.statistics


        def main():
            stats_of(fetch)
            unknown(fetch)
            unknown(print)
    """})
    fetch = analysis.definition("svc.report.fetch")
    parsed = analysis.module("svc/report.py")
    passed_fetch, passed_several = [find(parsed, cst.Name, lambda n: n.value == "fn" and parsed.line(n) == line
                                         and isinstance(parsed.parent(n), cst.Attribute)) for line in (11, 15)]
    assert analysis.definition_of(parsed, passed_fetch) is fetch
    assert analysis.definition_of(parsed, passed_several) is None


def test_configured_decorators_and_module_level_instances():
    analysis = make({
        "svc/policies.py": """
            from tenacity import retry, stop_after_attempt

            STANDARD = retry(stop=stop_after_attempt(3))
        """,
        "svc/client.py": """
            from .policies import STANDARD


            class Client:
                @STANDARD
                def fetch(self):
                    pass


            DEFAULT = Client()
        """,
        "svc/report.py": """
            from .client import DEFAULT


            def attempts():
                return DEFAULT.fetch
        """,
    })
    fetch = analysis.definition("svc.client.Client.fetch")
    assert analysis.decorated(RETRY) == [fetch]
    assert [(r.module.path, r.module.code(r.node)) for r in analysis.references_to(fetch)] == [
        ("svc/report.py", "DEFAULT.fetch")]


HANDED_ON = {
    "svc/sink.py": """
        class Writer:
            def __init__(self, write_api, bucket="b"):
                self.write_api = write_api

            def push(self, point):
                self.write_api.write(bucket="b", record=point)


        def save(write_api, points):
            write_api.write(bucket="b", record=points)
    """,
    "svc/app.py": """
        import functools
        from .sink import Writer, save


        def run(client, points):
            api = client.write_api()
            Writer(api)
            save(api, points)
            later = functools.partial(save, api)
            return Writer(write_api=client.write_api(), bucket="c")


        def typed(writer: Writer):
            writer.push(1)
    """,
}


def test_the_parameter_one_argument_binds_also_of_a_constructor():
    analysis = make(HANDED_ON)
    app = analysis.module("svc/app.py")
    api_reads = [n for n in app.nodes if isinstance(n, cst.Name) and n.value == "api" and app.is_load(n)]
    flows = [analysis.parameter_receiving(app, read) for read in api_reads]
    assert [(f.function.name, f.parameter, f.site.deferred) for f in flows] == [
        ("svc.sink.Writer.__init__", "write_api", False),
        ("svc.sink.save", "write_api", False),
        ("svc.sink.save", "write_api", True),
    ]
    bucket = find(app, cst.SimpleString, code_is(app, '"c"'))
    assert analysis.parameter_receiving(app, bucket).parameter == "bucket"
    assert analysis.parameter_receiving(app, find(app, cst.Name, lambda n: n.value == "points")) is None  # a param


def test_arguments_at_every_call_only_when_every_reference_is_a_call():
    analysis = make(HANDED_ON)
    init = analysis.definition("svc.sink.Writer.__init__")
    passed = analysis.arguments_at_every_call(init, "write_api")  # the annotation `writer: Writer` is no call
    assert [module.code(node) for module, node in passed] == ["api", "client.write_api()"]
    assert analysis.arguments_at_every_call(init, "bucket") is None  # Writer(api) does not pass it
    save = analysis.definition("svc.sink.save")
    assert [module.code(node) for module, node in analysis.arguments_at_every_call(save, "write_api")] == ["api", "api"]

    stored = make({**HANDED_ON, "svc/registry.py": "from .sink import save\n\nHANDLERS = [save]\n"})
    assert stored.arguments_at_every_call(stored.definition("svc.sink.save"), "write_api") is None


def test_a_method_called_through_an_unknown_receiver_may_be_called_with_anything():
    analysis = make(HANDED_ON)
    push = analysis.definition("svc.sink.Writer.push")
    assert not analysis.may_be_called_unseen(push)  # writer: Writer proves the receiver
    assert [m.code(n) for m, n in analysis.arguments_at_every_call(push, "point")] == ["1"]

    unknown = make({**HANDED_ON, "svc/other.py": "def flush_all(things):\n    things.push(2)\n"})
    push = unknown.definition("svc.sink.Writer.push")
    assert unknown.may_be_called_unseen(push)
    assert unknown.arguments_at_every_call(push, "point") is None


def test_source_order_sorts_like_positions_and_visible_assignments_compare_bindings():
    analysis = make({"svc/a.py": """
        URL = "http://a:1"

        def f(x):
            y = x
            return URL, y

        def g():
            URL = "local"
            return URL
    """})
    parsed = analysis.module("svc/a.py")
    names = [n for n in parsed.nodes if isinstance(n, cst.Name)]
    by_position = sorted(names, key=lambda n: (parsed.positions[n].start.line, parsed.positions[n].start.column))
    assert sorted(reversed(names), key=parsed.source_order) == by_position
    urls = [n for n in names if n.value == "URL"]
    in_f, in_g = urls[1], urls[3]
    assert parsed.visible_assignments(in_f, "URL") == parsed.visible_assignments(urls[0], "URL")
    assert parsed.visible_assignments(in_f, "URL") != parsed.visible_assignments(in_g, "URL")


def test_parameter_held_through_aliases_and_an_injected_attribute():
    analysis = make({"m.py": """
        class Listener:
            def __init__(self, client, other):
                self.client = client
                self.other = other
                self.other = make()

            def close(self):
                self.client = None

        def helper(client, flag):
            alias = client
            with alias as entered:
                pass
            flag = 2
            return alias, entered, flag, client

        def read(listener: Listener):
            return listener.client
    """})
    parsed = analysis.module("m.py")
    returned = find(parsed, cst.Return).value
    held = {parsed.code(e.value): analysis.parameter_held(parsed, e.value) for e in returned.elements}
    assert {k: v.name.value if v is not None else None for k, v in held.items()} == {
        "alias": "client", "entered": "client", "flag": None, "client": "client"}
    assert analysis.parameter_held(parsed, find(parsed, cst.Attribute, code_is(parsed, "self.client"))).name.value == \
        "client"  # the reset to None in close() does not hide what __init__ stored
    assert analysis.parameter_held(parsed, find(parsed, cst.Attribute, code_is(parsed, "self.other"))) is None
    assert analysis.parameter_held(parsed, find(parsed, cst.Attribute, code_is(parsed, "listener.client"))) is None


def test_header_code_enclosing_function_with_lambdas_and_loops():
    analysis = make({"m.py": """
        # a comment above
        x = call(
            1,
        )

        async def f(items):
            for item in items:
                g = lambda: item.go()
            [h(i) for i in items]
            return g
    """})
    parsed = analysis.module("m.py")
    line = find(parsed, cst.SimpleStatementLine)
    assert parsed.header_code(line) == "x = call(\n    1,\n)"  # as written, without the comment above
    assert parsed.header_code(find(parsed, cst.For)) == "for item in items:\n    ..."
    go = find(parsed, cst.Call, code_is(parsed, "item.go()"))
    assert isinstance(parsed.enclosing_function(go, lambdas=True), cst.Lambda)
    assert parsed.enclosing_function(go).name.value == "f"
    assert not parsed.in_loop(go)  # the lambda is a function of its own: it runs when called
    assert parsed.in_loop(find(parsed, cst.Lambda)) and parsed.in_loop(find(parsed, cst.Call, code_is(parsed, "h(i)")))
    assert not parsed.in_loop(find(parsed, cst.Return))


def test_children_are_libcsts_in_libcsts_order_on_every_file_of_the_second_fleet():
    """bot.analysis reads a node's children from its fields (libcst rebuilds the node to find them)."""
    import pathlib

    from bot.analysis.names import children
    root = pathlib.Path(__file__).resolve().parent.parent
    checked = 0
    for path in sorted((root / "examples" / "second-fleet").rglob("*.py")):
        stack = [cst.parse_module(path.read_text())]
        while stack:
            node = stack.pop()
            assert [id(c) for c in children(node)] == [id(c) for c in node.children], (path, node)
            stack.extend(node.children)
            checked += 1
    assert checked > 20_000


def test_returned_values_are_the_functions_own_returns_and_yields():
    analysis = make({"m.py": """
        def make(flag):
            def inner():
                return "not mine"
            if flag:
                return build()
            yield part
            return
    """})
    function = analysis.definition("m.make")
    values = analysis.returned_values(function)
    parsed = analysis.module("m.py")
    assert sorted(parsed.code(v) if v is not None else "<bare>" for v in values) == ["<bare>", "build()", "part"]


def test_assigned_value_is_what_an_assignment_gives_the_target_and_statement_code_what_an_item_shows():
    from bot.analysis import assigned_value

    parsed = make({"m.py": textwrap.dedent("""\
        a = b = "both"
        c, d = "c", "d"
        e: str = "annotated"
        f: str
        for g in range(3):
            pass
        with open(a) as h, other(
                b) as i:
            pass
        """)}).module("m.py")
    targets = {n.value: n for n in parsed.nodes if isinstance(n, cst.Name) and not parsed.is_load(n)}
    values = {name: assigned_value(parsed, node) for name, node in targets.items()}
    assert {name: parsed.code(v) if v is not None else None for name, v in values.items()} == {
        "a": '"both"', "b": '"both"', "c": '"c"', "d": '"d"', "e": '"annotated"', "f": None, "g": None,
        "h": None, "i": None}
    inner = next(n for n in parsed.nodes if isinstance(n, cst.Name) and n.value == "b" and parsed.is_load(n))
    assert parsed.statement_code(inner) == "with open(a) as h, other(\n        b) as i:"  # lines up to b's, no body
    assert parsed.statement_code(targets["e"]) == 'e: str = "annotated"'


def test_of_type_gives_every_node_of_the_classes_in_source_order_abstract_classes_included():
    parsed = make({"m.py": """\
        import os


        class Box(Base):
            size = 1

            def grow(self, by=2):
                self.size += by
                return os.path.join("a", str(self.size))


        def free():
            return lambda: None
        """}).module("m.py")
    code = parsed.code
    assert [code(n) for n in parsed.of_type(cst.FunctionDef, cst.Lambda)] == [
        'def grow(self, by=2): self.size += by return os.path.join("a", str(self.size))',
        "def free(): return lambda: None", "lambda: None"]
    assert [code(n) for n in parsed.of_type(cst.Attribute)] == [
        "self.size", "os.path.join", "os.path", "self.size"]
    assert [code(n) for n in parsed.attributes_named("size")] == ["self.size", "self.size"]
    assert [n.attr.value for n in parsed.attributes_named("path")] == ["path"] and parsed.attributes_named("x") == []
    # abstract libcst classes stand for all their concrete subclasses, mixed with concrete ones
    assert [code(n) for n in parsed.of_type(cst.BaseSmallStatement)] == [
        "import os", "size = 1", "self.size += by", 'return os.path.join("a", str(self.size))', "return lambda: None"]
    assert [code(n) for n in parsed.of_type(cst.BaseCompoundStatement, cst.Import)] == [
        "import os", code(parsed.tree.body[1]), code(parsed.tree.body[1].body.body[1]), code(parsed.tree.body[2])]
    assert [type(n) for n in parsed.of_type(cst.Module)] == [cst.Module]
    assert parsed.of_type(cst.While) == []
    # the very nodes of the tree, the same as the isinstance walk over every node, for any mix of classes
    for classes in [(cst.Name,), (cst.BaseExpression,), (cst.Name, cst.BaseExpression), (cst.Param, cst.Arg, cst.Call)]:
        found = parsed.of_type(*classes)
        assert len(found) == len({id(n) for n in found})
        assert all(a is b for a, b in zip(found, [n for n in parsed.nodes if isinstance(n, classes)], strict=True))
    # the class test reads the MRO (abc's first negative answer for an abstract class walks all its subclasses)
    node_classes = [getattr(cst, name) for name in dir(cst) if isinstance(getattr(cst, name), type)
                    and issubclass(getattr(cst, name), cst.CSTNode)]
    for bases in [cst.CSTNode, cst.BaseExpression, (cst.BaseSmallStatement, cst.Name), (cst.BaseBinaryOp, cst.Comma)]:
        assert [is_subclass(k, bases) for k in node_classes + [str, list]] == \
            [issubclass(k, bases) for k in node_classes + [str, list]]
    found = parsed.of_type(cst.Name)
    found.clear()  # a caller's list is its own
    assert [n.value for n in parsed.of_type(cst.Name)] == [
        "os", "Box", "Base", "size", "grow", "self", "by", "self", "size", "by", "os", "path", "join", "str", "self",
        "size", "free", "None"]
