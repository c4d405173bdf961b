"""influxdb-client (v2 API) -> influxdb3-python 0.17.0.

Safety rule above all others: InfluxDBClient3 silently drops a v2 Point (nothing sent, no error).
So the client never moves unless every v2 import in the service can move with it; when one cannot
(star import, dynamic import, module object passed around, unparsable file) no code is changed and
the blocking sites are listed as manual items.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from bot.analysis import ServiceAnalysis
from bot.codemod import Codemod
from bot.declared.pyproject import parse_pyproject
from bot.declared.requirements import parse_requirements
from bot.model import AppliedChange, CodemodResult, ManualItem, RequirementEdit, ServiceSource

from . import rules, v2_api
from .analysis import ModuleAnalysis
from .edits import PlanTransformer
from .module_context import ModuleContext
from .helper_flow import HelperFlow
from .service_index import ServiceIndex

TARGET_PACKAGE = "influxdb3-python"
V2_DISTRIBUTION = "influxdb-client"
TARGET_SPEC = "==0.17.0"
_MAX_PASSES = 6
_V2_DISTRIBUTION = re.compile(r"^\s*influxdb[-_]client\b(?![-_]3)", re.IGNORECASE | re.MULTILINE)


class InfluxDB3Codemod(Codemod):
    RULES = rules.RULES

    def migrate(self, service: ServiceSource) -> CodemodResult:
        result = CodemodResult()
        service_analysis = ServiceAnalysis.of(service)
        analyses, blocking = _analyse_until_stable(service_analysis, ServiceIndex(service_analysis))
        for _, analysis in analyses:
            result.manual.extend(analysis.manual)
        result.manual.extend(item for item in blocking if item not in result.manual)
        result.manual.sort(key=lambda item: (item.file, item.line, item.rule))
        kept_v2 = sorted({path for path, analysis in analyses if analysis.kept_v2_imports})
        if blocking or kept_v2:
            _keep_v2_declared(service, result, kept_v2 if not blocking else sorted({i.file for i in blocking}))
        if blocking:
            result.notes.append(
                "No code was changed: some influxdb_client uses cannot be moved safely (see the checklist). "
                "InfluxDBClient3 silently drops a v2 Point and a v2 client silently drops a v3 Point, so the "
                "client and Point only move together, everywhere in the service.")
            return result

        for path, analysis in analyses:
            if analysis.plan.is_empty():
                continue
            new_text = analysis.ctx.module.visit(PlanTransformer(analysis.plan)).code
            if new_text != service.files[path]:
                result.changed[path] = new_text
                result.applied.extend(
                    AppliedChange(file=path, rule=rule, description=description, count=count)
                    for (rule, description), count in sorted(analysis.applied.items()))

        if any(analysis.uses_dataframes for _, analysis in analyses):
            result.requirement_edits.append(RequirementEdit(
                action="set", package=TARGET_PACKAGE, spec=TARGET_SPEC, extras=("pandas",)))
            result.applied.append(AppliedChange(
                file=_requirements_file(service), rule=rules.PANDAS_EXTRA,
                description="influxdb3-python[pandas]: DataFrames are queried or written"))
        result.notes.extend(_notes(result))
        # Listed like every recipe in the rule form lists them (bot.change.engine): by file, rule, description.
        result.applied.sort(key=lambda change: (change.file, change.rule, change.description))
        return result


def _analyse_until_stable(service: ServiceAnalysis, index: ServiceIndex):
    """Every module's analysis, once the helpers that receive write APIs are agreed on (see helper_flow):
    each pass approves the helper parameters that every caller offered; a pass that changes nothing ends."""
    approved, refused = frozenset(), {}
    for _ in range(_MAX_PASSES):
        flow = HelperFlow(service, approved=approved, refused=refused)
        analyses, blocking = _analyse(service, index, flow)
        following = flow.next_approved()
        if following == approved:
            return analyses, blocking
        approved = following
    flow = HelperFlow(service, refused=refused)  # no agreement: follow no helper (each one is listed)
    return _analyse(service, index, flow)


def _analyse(service: ServiceAnalysis, index: ServiceIndex, flow: HelperFlow):
    analyses: list[tuple[str, ModuleAnalysis]] = []
    blocking: list[ManualItem] = []
    # A plain-text prefilter: most modules never touch InfluxDB, and parsing plus metadata is the cost.
    paths = set(service.files_mentioning("influx", *v2_api.API_FACTORIES))
    paths |= {function.module.path for function, _ in flow.approved}
    paths |= {reference.module.path for binding in flow.shared_bindings() for reference in service.references_to(binding)}
    for path in sorted(paths):
        parsed = service.module(path)
        if parsed is None:
            if "influxdb_client" in service.files[path]:
                blocking.append(ManualItem(
                    file=path, line=1, old_code="", rule=rules.NO_V3_EQUIVALENT,
                    reason=f"The file does not parse ({service.syntax_error(path)}) and mentions "
                           "influxdb_client; the client is not moved while Point might stay on v2 here."))
            continue
        analysis = ModuleAnalysis(ModuleContext(parsed, index), flow).run()
        analyses.append((path, analysis))
        blocking.extend(analysis.blocking)
    return analyses, blocking


def _keep_v2_declared(service: ServiceSource, result: CodemodResult, importing: list[str]) -> None:
    """influxdb-client stays declared while code still imports it: dropping it would be an ImportError."""
    spec, extras = _declared_v2(service)
    result.requirement_edits.append(RequirementEdit(action="add", package=V2_DISTRIBUTION, spec=spec, extras=extras))
    result.applied.append(AppliedChange(
        file=_requirements_file(service), rule=rules.V2_KEPT,
        description=f"{V2_DISTRIBUTION}{spec} kept next to {TARGET_PACKAGE}: still imported"))
    result.notes.append(
        f"{V2_DISTRIBUTION} stays declared next to {TARGET_PACKAGE}: the service still imports influxdb_client "
        f"in {', '.join(importing)} (see the checklist); remove it once those imports are gone.")


def _declared_v2(service: ServiceSource) -> tuple[str, tuple[str, ...]]:
    """The specifier ("" when unpinned) and extras influxdb-client is declared with (the first declaration)."""
    for path in sorted(service.files):
        name = PurePosixPath(path).name
        if path == "pyproject.toml":
            declarations = parse_pyproject(service.files[path], path)
        elif name.endswith(".txt") and (name.startswith("requirements") or path.startswith("requirements/")):
            declarations, _ = parse_requirements(service.files[path], path)
        else:
            continue
        for declaration in declarations:
            if declaration.name == V2_DISTRIBUTION:
                return declaration.spec, declaration.extras  # [async] is what InfluxDBClientAsync imports need
    return "", ()


def _requirements_file(service: ServiceSource) -> str:
    candidates = sorted(
        path for path in service.files
        if PurePosixPath(path).name.startswith("requirements") or path.startswith("requirements/")
        or path == "pyproject.toml")
    declaring = [path for path in candidates if _V2_DISTRIBUTION.search(service.files[path])]
    return (declaring or candidates or ["requirements.txt"])[0]


def _notes(result: CodemodResult) -> list[str]:
    notes = []
    applied_rules = {change.rule for change in result.applied}
    if rules.IMPORTS in applied_rules:
        notes.append("Point, WritePrecision and InfluxDBError moved to influxdb_client_3 together with the "
                     "client: InfluxDBClient3 silently ignores a v2 Point, so they must never be split.")
    if rules.SYNC_WRITE in applied_rules:
        notes.append("InfluxDBClient3 writes synchronously by default, so write_api(write_options=SYNCHRONOUS) "
                     "calls became client.write(record=..., database=...); org= on writes was dropped (the "
                     "client's org applies).")
    if any(item.rule == rules.FLUX_QUERY for item in result.manual):
        notes.append("InfluxDB 3 does not run Flux. Each query is a checklist item; simple pipelines come with "
                     "a suggested SQL query and the change its consumer needs (Arrow table instead of "
                     "FluxTables). Check the per-series caveats where noted.")
    return notes
