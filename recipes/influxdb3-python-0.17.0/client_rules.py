"""The client class: InfluxDBClient -> InfluxDBClient3 (INF002), its constructor's arguments (INF003, INF004,
INF108, INF109) and its factories (INF009, INF107)."""
from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from bot.analysis import ParsedModule, walk
from bot.change.edit_plan import keyword_argument, laid_out_arguments
from bot.change.rule import MANUAL, REWRITE, Invalid, Valid

from . import v2_api
from .arguments import with_keyword
from .service_facts import InfluxRule
from .service_index import ServiceIndex
from .values import candidate_strings, has_scheme_and_port

V3_CLIENT = v2_api.MOVED_NAMES[v2_api.CLIENT]


@dataclass(frozen=True)
class ConstructorArg:
    """One argument of an InfluxDBClient(...) call, and the keyword it binds."""

    index: int
    arg: cst.Arg
    keyword: str | None  # the v2 keyword it binds (positional ones by InfluxDBClient's order), None: unknown


def constructor_arguments(call: cst.Call) -> list[ConstructorArg]:
    """The arguments of an `InfluxDBClient(...)` call (those passed with * or ** left out)."""
    found = []
    for index, arg in enumerate(call.args):
        if arg.star:
            continue
        if arg.keyword is not None:
            keyword = arg.keyword.value
        elif index < len(v2_api.CLIENT_POSITIONAL):
            keyword = v2_api.CLIENT_POSITIONAL[index]
        else:
            keyword = None
        found.append(ConstructorArg(index, arg, keyword))
    return found


def url_verified(index: ServiceIndex, parsed: ParsedModule, value: cst.BaseExpression) -> bool:
    """Every string the URL can be has a scheme and an explicit port (InfluxDBClient3 defaults to 443)."""
    candidates = candidate_strings(value, index, parsed)
    return bool(candidates) and all(has_scheme_and_port(url) for url in candidates)


class _ClientRule(InfluxRule):
    def constructor(self, node: cst.Call) -> bool:
        """A construction that moves to InfluxDBClient3 (kept ones stay as they are: INF112)."""
        return node in self.facts.constructors and node not in self.service.kept_constructions(self.parsed)

    def env_factory(self, node: cst.Call) -> bool:
        return (node in self.facts.factory_calls(v2_api.ENV_FACTORY)
                and node not in self.service.kept_constructions(self.parsed))

    def url_verified(self, value: cst.BaseExpression) -> bool:
        return self.fact(url_verified, self.service.index, self.parsed, value)


class ClientClass(_ClientRule):
    """Also: positional constructor arguments become keywords (InfluxDBClient3's positional order is host,
    org, database, token), so INF003/INF004 see every argument by name."""

    ID = "INF002"
    KIND = REWRITE
    MESSAGE = "InfluxDBClient -> InfluxDBClient3 (constructor calls, annotations, context managers kept)"
    APPLIED = "InfluxDBClient -> InfluxDBClient3"
    EXAMPLES_WITH = ("INF001",)
    VALID = [Valid("""
        from influxdb_client_3 import InfluxDBClient3

        def open_client(url) -> InfluxDBClient3:
            return InfluxDBClient3(host=url, token="token", database="metrics")
        """, name="already v3")]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient

            def open_client(token) -> "InfluxDBClient":
                with InfluxDBClient("http://localhost:8086", token) as client:
                    return client
            """, after="""
            from influxdb_client_3 import InfluxDBClient3

            def open_client(token) -> "InfluxDBClient3":
                with InfluxDBClient3(url="http://localhost:8086", token=token) as client:
                    return client
            """, name="positional arguments become keywords (INF003 renames url=)"),
        Invalid("""
            try:
                from influxdb_client import InfluxDBClient
            except ImportError:  # optional
                InfluxDBClient = None

            def available():
                return InfluxDBClient is not None
            """, after="""
            try:
                from influxdb_client_3 import InfluxDBClient3
            except ImportError:  # optional
                InfluxDBClient3 = None

            def available():
                return InfluxDBClient3 is not None
            """, name="the fallback binding of an optional import is renamed with it"),
    ]

    def begin_file(self) -> None:
        if self.blocked:
            self.renamed, self.strings = set(), set()
            return
        kept = self.service.kept_references(self.parsed)
        self.renamed, self.strings = set(self.facts.client_renames) - kept, set(self.facts.client_strings)
        moved = [reference for reference in self.facts.client_refs if reference not in kept]
        if moved:
            self.count(len(moved))

    def visit_Name(self, node: cst.Name) -> None:
        if node in self.renamed:
            self.rename(node, V3_CLIENT, count=0)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node in self.strings:
            quote = node.quote
            self.replace(node, lambda updated: updated.with_changes(value=f"{quote}{V3_CLIENT}{quote}"), count=0)

    def visit_Call(self, node: cst.Call) -> None:
        if self.blocked or not self.constructor(node):
            return
        for argument in constructor_arguments(node):
            if argument.arg.keyword is None and argument.keyword is not None:
                self.replace(argument.arg, lambda updated, k=argument.keyword: with_keyword(updated, k), count=0)


class UrlToHost(_ClientRule):
    ID = "INF003"
    KIND = REWRITE
    MESSAGE = ("InfluxDBClient(url=U) -> InfluxDBClient3(host=U) (INF108 lists U when its scheme and port are not "
               "proven)")
    EXAMPLES_WITH = ("INF001", "INF002")
    VALID = [Valid("""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3(host="http://localhost:8181", token="t", database="db")
        """)]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient

            client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
            """, after="""
            from influxdb_client_3 import InfluxDBClient3

            client = InfluxDBClient3(host="http://localhost:8086", token="t", org="o")
            """, name="scheme and port proven"),
        Invalid("""
            from influxdb_client import InfluxDBClient

            def connect(settings):
                return InfluxDBClient(settings.influx_url, settings.token)
            """, after="""
            from influxdb_client_3 import InfluxDBClient3

            def connect(settings):
                return InfluxDBClient3(host=settings.influx_url, token=settings.token)
            """, name="renamed anyway (url= is a TypeError); INF108 lists it"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.blocked or not self.constructor(node):
            return
        for argument in constructor_arguments(node):
            if argument.keyword == "url":
                # Keeping url= is a TypeError on every construction, so it is always renamed; only the
                # value's scheme and port (InfluxDBClient3 defaults to 443) may still need a human (INF108).
                checked = "verified" if self.url_verified(argument.arg.value) else "listed for checking"
                self.replace(argument.arg, lambda updated: with_keyword(updated, "host"),
                             description=f"url= -> host= (scheme and port {checked})")


class Timeout(_ClientRule):
    ID = "INF004"
    KIND = REWRITE
    MESSAGE = "InfluxDBClient(timeout=N) -> InfluxDBClient3(write_timeout=N, query_timeout=N)"
    APPLIED = "timeout= -> write_timeout= + query_timeout= (ms)"
    EXAMPLES_WITH = ("INF001", "INF002", "INF003")
    VALID = [Valid("""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3(host="http://localhost:8181", token="t", write_timeout=5_000)
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(
            url="http://localhost:8086",
            timeout=10_000,
        )
        """, after="""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3(
            host="http://localhost:8086",
            write_timeout=10_000,
            query_timeout=10_000,
        )
        """)]

    def visit_Call(self, node: cst.Call) -> None:
        if self.blocked or not self.constructor(node):
            return
        for argument in constructor_arguments(node):
            if argument.keyword == "timeout":
                # Keeping timeout= is a TypeError on every construction: both v3 timeouts get the value.
                self.replace(node, lambda updated, i=argument.index: _split_timeout(updated, i))


def _split_timeout(call: cst.Call, index: int) -> cst.Call:
    """timeout=N -> write_timeout=N, query_timeout=N (both in milliseconds, like v2's timeout)."""
    timeout = call.args[index]
    copy = keyword_argument("query_timeout", timeout.value.deep_clone())
    return laid_out_arguments(call, [*call.args[:index], with_keyword(timeout, "write_timeout"), copy,
                                     *call.args[index + 1:]])


class UnverifiedUrl(_ClientRule):
    ID = "INF108"
    KIND = MANUAL
    MESSAGE = "manual: host= (renamed from url=) whose scheme and explicit port could not be verified"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        URL = "https://influx.example.com:8086"
        client = InfluxDBClient(url=URL, token="t", org="o")
        """, name="a constant with a scheme and a port")]
    INVALID = [Invalid("""
        import os
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url=os.environ["INFLUX_URL"], token="t", org="o")
        """, items=[4])]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.constructor(node):
            return
        for argument in constructor_arguments(node):
            if argument.keyword == "url" and not self.url_verified(argument.arg.value):
                self.item(argument.arg,
                          "url= was renamed to host= (InfluxDBClient3 rejects url=). Check that the URL has a scheme "
                          "and an explicit port: InfluxDBClient3 defaults to 443 ('http://influxdb' talks to port "
                          "443) and a host without a scheme ('influxdb:8086') fails at construction; the codemod "
                          "could not prove this value has both.",
                          f"host={self.code(argument.arg.value)}  # e.g. 'http://influxdb:8181'")


class ConstructorArgument(_ClientRule):
    ID = "INF109"
    KIND = MANUAL
    MESSAGE = "manual: client constructor argument with no verified v3 mapping"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o", verify_ssl=False)
        """)]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient

            client = InfluxDBClient(url="http://localhost:8086", token="t", profilers=["query"])
            """, items=[3], name="an argument InfluxDBClient3 does not know"),
        Invalid("""
            from influxdb_client import InfluxDBClient

            def connect(settings):
                return InfluxDBClient(**settings)
            """, items=[4], name="arguments passed with **"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.constructor(node):
            return
        for index, arg in enumerate(node.args):
            if arg.star:
                self.item(node, "Arguments passed with * or ** cannot be checked: InfluxDBClient3 rejects url= and "
                                "timeout= (TypeError); use host= (with scheme and port) and write_timeout=/"
                                "query_timeout=.")
                continue
            keyword = next(a.keyword for a in constructor_arguments(node) if a.index == index)
            if keyword == "timeout":
                if any(isinstance(inner, cst.Call) for inner in walk(arg.value)):
                    self.item(arg, "timeout= became write_timeout= and query_timeout= (both in milliseconds, like "
                                   "v2's timeout), each with this expression, so it is now evaluated twice: check that "
                                   "it has no side effects, or compute it once before the call.",
                              f"timeout_ms = {self.code(arg.value)}; InfluxDBClient3(..., "
                              "write_timeout=timeout_ms, query_timeout=timeout_ms)")
            elif keyword != "url" and keyword not in v2_api.CLIENT_PASSTHROUGH:
                self.item(arg, f"InfluxDBClient3 has no verified mapping for {keyword or 'this argument'}.")


class FromEnv(_ClientRule):
    ID = "INF009"
    KIND = REWRITE
    MESSAGE = "InfluxDBClient.from_env_properties() -> InfluxDBClient3.from_env() (INF107 lists the new variables)"
    APPLIED = "from_env_properties() -> from_env()"
    EXAMPLES_WITH = ("INF001", "INF002")
    VALID = [Valid("""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3.from_env()
        """)]
    INVALID = [Invalid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient.from_env_properties()
        """, after="""
        from influxdb_client_3 import InfluxDBClient3

        client = InfluxDBClient3.from_env()
        """)]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.blocked and self.env_factory(node):
            self.rename(node.func.attr, v2_api.V3_ENV_FACTORY)


class EnvConfig(_ClientRule):
    ID = "INF107"
    KIND = MANUAL
    MESSAGE = "manual: from_env() reads new variables (deployment change); from_config_file() blocks the move"
    VALID = [Valid("""
        from influxdb_client import InfluxDBClient

        client = InfluxDBClient(url="http://localhost:8086", token="t", org="o")
        """)]
    INVALID = [
        Invalid("""
            from influxdb_client import InfluxDBClient

            client = InfluxDBClient.from_env_properties()
            """, items=[3], name="from_env reads other variables"),
        Invalid("""
            from influxdb_client import InfluxDBClient

            client = InfluxDBClient.from_config_file("influx.ini")
            """, items=[3], name="from_config_file blocks the move"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if node in self.facts.factory_calls(v2_api.CONFIG_FILE_FACTORY):
            self.item(node, "InfluxDBClient3 has no from_config_file(), and a v2 client kept for it would silently "
                            "drop the v3 Points the migrated code builds (nothing sent, no error), so nothing was "
                            "changed: build InfluxDBClient3(host=..., token=..., database=...) from the file's values, "
                            "or use InfluxDBClient3.from_env(), then run the recipe again.",
                      "InfluxDBClient3(host=<url from the file>, token=<token>, org=<org>, database=<bucket>)")
        elif self.env_factory(node):
            self.item(node, "from_env_properties() became InfluxDBClient3.from_env(), which reads other variables "
                            "(INFLUX_HOST, INFLUX_TOKEN, INFLUX_DATABASE required, else ValueError; INFLUX_ORG, "
                            "INFLUX_WRITE_TIMEOUT, INFLUX_QUERY_TIMEOUT optional): the deployment must set them.",
                      "# deployment: " + ", ".join(f"{old} -> {new}" for old, new in v2_api.ENV_VARIABLES.items())
                      + ", new INFLUX_DATABASE")
