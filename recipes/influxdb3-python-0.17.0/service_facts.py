"""The influx rules' view of the service (one per service run: `self.fact(InfluxService, self.analysis)`):
the files that matter, each file's facts, the write API flow, and the service-wide safety decision.

Safety rule above all others: InfluxDBClient3 silently drops a v2 Point (nothing sent, no error), and a v2
client silently drops a v3 Point. So the client never moves unless every v2 import in the service can move
with it; when one cannot (a star import, a dynamic import, the module object passed around, an unparsable
file, the async client, from_config_file(), a module-level write API whose uses cannot follow), the service
is `blocked`: no rule changes code, and every blocking site is listed.
"""
from __future__ import annotations

import re
from functools import cached_property
from pathlib import PurePosixPath

from bot.analysis import ParsedModule, ServiceAnalysis
from bot.change.recipe import DISABLE_OPTION
from bot.change.rule import Rule
from bot.declared.pyproject import parse_pyproject
from bot.declared.requirements import parse_requirements
from bot.declared.setup_cfg import parse_setup_cfg
from bot.declared.setup_py import parse_setup_py

from . import v2_api
from .api_uses import ApiUses, api_uses
from .kept_clients import KeptClient, kept_clients
from .module_facts import ModuleFacts
from .service_index import ServiceIndex
from .write_flow import WriteFlow

# A file none of whose text holds one of these never uses the v2 client (most files of a service).
MENTIONS = ("influx", *sorted(v2_api.API_FACTORIES))
_V2_DISTRIBUTION = re.compile(r"^\s*influxdb[-_]client\b(?![-_]3)", re.IGNORECASE | re.MULTILINE)


class InfluxService:
    def __init__(self, analysis: ServiceAnalysis) -> None:
        self.analysis = analysis
        self.index = ServiceIndex(analysis)
        self._facts: dict[str, ModuleFacts] = {}
        self._api_uses: dict[str, ApiUses] = {}
        self._kept: dict[str, list[KeptClient]] = {}

    @cached_property
    def relevant(self) -> list[ParsedModule]:
        """The parsable modules that mention the client or one of its API factories."""
        return list(self.analysis.modules(self.analysis.files_mentioning(*MENTIONS)))

    def facts(self, parsed: ParsedModule) -> ModuleFacts:
        found = self._facts.get(parsed.path)
        if found is None:
            found = self._facts[parsed.path] = ModuleFacts(parsed)
        return found

    def api_uses(self, parsed: ParsedModule) -> ApiUses:
        found = self._api_uses.get(parsed.path)
        if found is None:
            found = self._api_uses[parsed.path] = api_uses(self.index, self.facts(parsed))
        return found

    @cached_property
    def flow(self) -> WriteFlow:
        return WriteFlow(self)

    def kept(self, parsed: ParsedModule) -> list[KeptClient]:
        """The module's clients that stay on influxdb-client (no half migration: kept_clients)."""
        found = self._kept.get(parsed.path)
        if found is None:
            found = self._kept[parsed.path] = kept_clients(self, parsed)
        return found

    def kept_references(self, parsed: ParsedModule) -> set:
        """The class names (`InfluxDBClient`, `influxdb_client.InfluxDBClient`) of the kept constructions."""
        return {client.class_reference for client in self.kept(parsed)}

    def kept_constructions(self, parsed: ParsedModule) -> set:
        return {client.construction for client in self.kept(parsed)}

    @cached_property
    def unparsable(self) -> list[tuple[str, str]]:
        """(path, "path:line: syntax error: ...") of the files libcst cannot parse that mention influxdb_client."""
        found = []
        for path in self.analysis.files_mentioning(*MENTIONS):
            error = self.analysis.syntax_error(path)
            if error is not None and "influxdb_client" in self.analysis.files[path]:
                found.append((path, error))
        return found

    @cached_property
    def blocking_files(self) -> list[str]:
        """The files holding a use that stops every change (see the module docstring), sorted."""
        files = {path for path, _ in self.unparsable}
        for parsed in self.relevant:
            facts = self.facts(parsed)
            if (any(listed.blocking for listed in facts.listed) or facts.async_refs
                    or facts.factory_calls(v2_api.CONFIG_FILE_FACTORY)
                    or any(client.writes for client in self.kept(parsed))):
                files.add(parsed.path)
        for path, writes in self.flow.modules.items():
            if any(escape.blocking for escape in writes.escapes):
                files.add(path)
        return sorted(files)

    @property
    def blocked(self) -> bool:
        return bool(self.blocking_files)

    @cached_property
    def kept_v2_files(self) -> list[str]:
        """Files still importing influxdb_client once migrated (names with no v3 counterpart)."""
        return sorted(parsed.path for parsed in self.relevant
                      if self.facts(parsed).kept_v2_imports or self.kept(parsed))

    @cached_property
    def dataframes(self) -> bool:
        """DataFrames are queried or written: influxdb3-python[pandas]."""
        return self.flow.dataframes or any(self.api_uses(parsed).dataframes for parsed in self.relevant)


class InfluxRule(Rule):
    """What every rule of this recipe sees besides the shared analysis."""

    @property
    def service(self) -> InfluxService:
        return self.fact(InfluxService, self.analysis)

    @property
    def facts(self) -> ModuleFacts:
        return self.service.facts(self.parsed)

    @property
    def blocked(self) -> bool:
        """Nothing in the service may change (see the module docstring): rules only list."""
        return self.service.blocked

    def enabled(self, rule_id: str) -> bool:
        """A rule whose decisions this one builds on is on (`disable` leaves it out)."""
        return rule_id not in (self.options.get(DISABLE_OPTION) or ())

    def code(self, node) -> str:
        return self.parsed.tree.code_for_node(node)

    def item(self, node, reason: str, suggestion: str | None = None) -> None:
        """A manual item showing the statement holding `node` up to the node's end (several lines when it has)."""
        self.report(node, reason, suggestion, code=self.parsed.statement_code(node))


def requirements_file(files) -> str:
    """Where the PR says requirement changes go: the file declaring influxdb-client, else the first one."""
    candidates = sorted(
        path for path in files
        if PurePosixPath(path).name.startswith("requirements") or path.startswith("requirements/")
        or path == "pyproject.toml")
    declaring = [path for path in [*candidates, *sorted(p for p in files if p in _SETUP_PARSERS)]
                 if _V2_DISTRIBUTION.search(files[path])]
    return (declaring or candidates or ["requirements.txt"])[0]


_SETUP_PARSERS = {"setup.py": parse_setup_py, "setup.cfg": parse_setup_cfg}


def declared_v2(files) -> tuple[str, tuple[str, ...]]:
    """The specifier ("" when unpinned) and extras influxdb-client is declared with (the first declaration)."""
    for path in sorted(files):
        name = PurePosixPath(path).name
        if path == "pyproject.toml":
            declarations = parse_pyproject(files[path], path)
        elif path in _SETUP_PARSERS:  # a package declared only in setup.py / setup.cfg install_requires
            declarations = _SETUP_PARSERS[path](files[path], path)
        elif name.endswith(".txt") and (name.startswith("requirements") or path.startswith("requirements/")):
            declarations, _ = parse_requirements(files[path], path)
        else:
            continue
        for declaration in declarations:
            if declaration.name == v2_api.V2_DISTRIBUTION:
                return declaration.spec, declaration.extras  # [async] is what InfluxDBClientAsync imports need
    return "", ()
