"""The influxdb-client (v2) -> influxdb3-python 0.17.0 recipe.

Fast part: the recipe's fixtures (before/after, manual items, idempotency), its rules, the Flux->SQL
translator, the Point invariant, and what the codemod does to the example fleet's InfluxDB code.
Slow part (marker `slow`): proof by execution. Each InfluxDB service's storage tests run against a
loopback capture server with influxdb-client 1.50.0 before migration, then with influxdb3-python
0.17.0 after the codemod; tests marked manual_migration must fail, and for their stated reason only.
A Phase-2-style migration (client renamed, Point left on v2) must fail on the new version. The SQL
suggested for Flux queries must run on DataFusion (InfluxDB 3's engine) and select the same rows.
Virtual environments come from the bot's own env cache (bot.validation.envs.ensure_env).
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import libcst as cst
import pytest

from bot.change.doubles import SHARED_RULE_IDS
from bot.change.fixtures import read_tree
from bot.declared.requirements import edit_requirements
from bot.model import RequirementEdit, ServiceSource
from bot.validation.envs import ensure_env

ROOT = Path(__file__).resolve().parents[1]
RECIPE_DIR = ROOT / "recipes" / "influxdb3-python-0.17.0"
FIXTURES = RECIPE_DIR / "fixtures"
FLEET = ROOT / "examples" / "fleet" / "services"
INFLUX_SERVICES = [
    "air-quality-service", "calendar-service", "carbon-intensity-service", "electricity-pricing-service",
    "sports-api", "weather-api", "energy-correlator", "energy-forecasting", "smart-meter-service",
    "observability-dashboard", "admin-api", "data-retention", "api-automation-edge", "data-api",
    "websocket-ingestion",
]


def _recipe_module(name: str):
    """Import a module of the recipe folder the way the bot does: the folder is a package."""
    package = "upgrade_bot_recipe_influxdb3_python_0_17_0"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            package, RECIPE_DIR / "__init__.py", submodule_search_locations=[str(RECIPE_DIR)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)
    return importlib.import_module(f"{package}.{name}")


def _codemod():
    config = tomllib.loads((RECIPE_DIR / "recipe.toml").read_text())
    module_file, class_name = config["recipe"]["codemod"].split(":")
    return getattr(_recipe_module(Path(module_file).stem), class_name)(config.get("options", {}))


def service_source(directory: Path) -> ServiceSource:
    """What the bot hands a codemod: .py files plus the config and requirements files."""
    wanted = {}
    for path, text in read_tree(directory).items():
        name = Path(path).name
        if (path.endswith(".py") or name in ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")
                or (name.startswith("requirements") and name.endswith(".txt"))
                or (path.startswith("requirements/") and name.endswith(".txt"))):
            wanted[path] = text
    return ServiceSource(directory.name, wanted)


@functools.lru_cache(maxsize=None)
def _fleet_migration(service: str):
    source = service_source(FLEET / service)
    return source, _codemod().migrate(source)


def _migration(name: str):
    """(source, result) of a fixture case, or of a fleet service for "fleet:<service>"."""
    if name.startswith("fleet:"):
        return _fleet_migration(name.split(":", 1)[1])
    source = ServiceSource(name, read_tree(FIXTURES / name / "before"))
    return source, _codemod().migrate(source)


# --- fixtures ------------------------------------------------------------------------------------

CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "before").is_dir())


def _case_config(case: Path) -> dict:
    path = case / "case.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


# Before/after, unchanged and idempotency checks of every case run in test_recipes_machinery.py.


@pytest.mark.parametrize("case", CASES)
def test_manual_items_point_at_the_original_source(case):
    before = read_tree(FIXTURES / case / "before")
    for item in _codemod().migrate(ServiceSource(case, before)).manual:
        assert item.rule in _codemod().rule_texts()
        source_line = before[item.file].splitlines()[item.line - 1]
        assert item.old_code.splitlines()[0].strip() in source_line or source_line.strip() in item.old_code
        assert item.reason


def test_rule_ids_are_stable_and_each_has_a_fixture():
    codemod = _codemod()
    own = set(codemod.rule_texts()) - set(SHARED_RULE_IDS)  # + migration.toml's shared rules (bot.change.doubles)
    assert all(rule.startswith("INF") and len(rule) == 6 for rule in own)
    seen = set()
    for case in CASES:
        result = codemod.migrate(ServiceSource(case, read_tree(FIXTURES / case / "before")))
        seen |= {change.rule for change in result.applied} | {item.rule for item in result.manual}
    assert seen == set(codemod.rule_texts())


def test_there_are_unchanged_cases():
    assert [case for case in CASES if case.startswith("unchanged")]
    for case in CASES:
        if case.startswith("unchanged"):
            assert not (FIXTURES / case / "after").exists()


# --- requirements ----------------------------------------------------------------------------------

def test_dataframes_add_the_pandas_extra():
    result = _codemod().migrate(ServiceSource("frames", read_tree(FIXTURES / "inf008-dataframes" / "before")))

    edit = RequirementEdit(action="set", package="influxdb3-python", spec="==0.17.0", extras=("pandas",))
    assert result.requirement_edits == [edit]
    (change,) = [c for c in result.applied if c.rule == "INF008"]
    assert change.file == "requirements.txt"


def test_flux_query_data_frame_adds_the_pandas_extra_too():
    before = read_tree(FIXTURES / "inf101-flux-query-simple" / "before")
    result = _codemod().migrate(ServiceSource("reads", before))
    # influxdb-client too: the clients built and queried in one function stay on it (INF112)
    assert [(edit.package, edit.extras) for edit in result.requirement_edits] == [
        ("influxdb-client", ()), ("influxdb3-python", ("pandas",))]


def test_no_dataframes_no_requirement_edit():
    result = _codemod().migrate(ServiceSource("s", read_tree(FIXTURES / "inf006-sync-write" / "before")))
    assert result.requirement_edits == []


def _requirements_after(case: str, requirements: str) -> str:
    """requirements.txt once the recipe's own edits and the codemod's are applied, as the bot does."""
    recipe = tomllib.loads((RECIPE_DIR / "recipe.toml").read_text())
    edits = [RequirementEdit(action=e["action"], package=e["package"], spec=e.get("spec", ""),
                             new_package=e.get("new-package", "")) for e in recipe["requirements"]]
    files = {**read_tree(FIXTURES / case / "before"), "requirements.txt": requirements}
    result = _codemod().migrate(ServiceSource(case, files))
    return edit_requirements(requirements, "requirements.txt", [*edits, *result.requirement_edits],
                             allow_add=True).text


@pytest.mark.parametrize("case", ["inf111-unmapped-name", "inf107-config-file-blocks", "inf111-star-import-blocks",
                                  "inf112-client-built-with-its-query-api", "inf112-query-only-client-stays"])
def test_influxdb_client_stays_declared_while_the_service_imports_it(case):
    after = _requirements_after(case, "influxdb-client==1.50.0\nrequests==2.32.3\n")
    assert sorted(filter(None, after.splitlines())) == ["influxdb-client==1.50.0", "influxdb3-python==0.17.0", "requests==2.32.3"]


def test_the_async_client_keeps_influxdb_client_with_its_extras():
    after = _requirements_after("inf106-async-client", "influxdb-client[async]==1.50.0\n")
    assert sorted(filter(None, after.splitlines())) == ["influxdb-client[async]==1.50.0", "influxdb3-python==0.17.0"]


@pytest.mark.parametrize("case", ["inf006-sync-write", "inf107-from-env"])
def test_influxdb_client_is_dropped_once_nothing_imports_it(case):
    after = _requirements_after(case, "influxdb-client==1.50.0\n")
    assert after.splitlines() == ["influxdb3-python==0.17.0"]


@pytest.mark.parametrize("name", CASES + [f"fleet:{s}" for s in INFLUX_SERVICES])
def test_no_v2_factory_is_called_on_the_v3_class(name):
    _, result = _migration(name)
    for text in result.changed.values():
        assert not re.search(r"InfluxDBClient3\s*\.\s*from_(env_properties|config_file)", text)


def test_a_helper_also_called_with_something_else_is_listed_with_the_reason():
    result = _codemod().migrate(ServiceSource("s", read_tree(FIXTURES / "inf110-write-api-escapes" / "before")))
    (item,) = [i for i in result.manual if i.line == 15]
    assert "handed to send_all() (svc/escapes.py:9, parameter write_api)" in item.reason
    assert "not every call of it hands it a write API" in item.reason
    assert "send_all(write_api, points)" in result.changed["svc/escapes.py"]
    (chained,) = [i for i in result.manual if i.line == 38]  # forward_all() hands it on to _forward()
    assert "handed to forward_all()" in chained.reason and "hands the object on to _forward()" in chained.reason


# --- the Point invariant -------------------------------------------------------------------------

def _v2_point_imports(files: dict[str, str]) -> list[str]:
    """Every `from influxdb_client... import Point` (v2) left anywhere in the service's modules."""
    leftovers = []

    class Imports(cst.CSTVisitor):
        def visit_ImportFrom(self, node) -> None:
            module = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
            if module.split(".")[0] == "influxdb_client" and not isinstance(node.names, cst.ImportStar):
                leftovers.extend(f"{path}:Point" for alias in node.names if alias.evaluated_name == "Point")

    for path, text in files.items():
        if path.endswith(".py"):
            cst.parse_module(text).visit(Imports())
    return leftovers


@pytest.mark.parametrize("name", CASES + [f"fleet:{s}" for s in INFLUX_SERVICES])
def test_client_never_moves_without_point(name):
    source, result = _migration(name)
    migrated = {**source.files, **result.changed}
    if any("InfluxDBClient3" in result.changed.get(path, "") for path in result.changed):
        assert _v2_point_imports(migrated) == []


# --- Flux -> SQL -----------------------------------------------------------------------------------

@pytest.mark.parametrize("flux, sql", [
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "cpu")',
     """SELECT * FROM "cpu" WHERE time >= now() - INTERVAL '1 hour' ORDER BY time"""),
    ('from(bucket: "b") |> range(start: -1h30m, stop: now()) '
     '|> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage" and r["host"] == "a")',
     """SELECT time, "host", "usage" FROM "cpu" WHERE time >= now() - INTERVAL '1 hour 30 minutes' """
     """AND time < now() AND "host" = 'a' AND "usage" IS NOT NULL ORDER BY time"""),
    ('from(bucket: "b") |> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z) '
     '|> filter(fn: (r) => r._measurement == "t") |> filter(fn: (r) => r._field == "c") |> mean()',
     """SELECT AVG("c") AS "c" FROM "t" WHERE time >= TIMESTAMP '2024-01-01T00:00:00Z' """
     """AND time < TIMESTAMP '2024-01-02T00:00:00Z'"""),
    ('from(bucket: "b") |> range(start: -7d) |> filter(fn: (r) => r._measurement == "m" and r._field == "v" '
     'and r._value > 10) |> sort(columns: ["_value"], desc: true) |> limit(n: 3, offset: 1)',
     """SELECT time, "v" FROM "m" WHERE time >= now() - INTERVAL '7 days' AND "v" > 10 AND "v" IS NOT NULL """
     """ORDER BY "v" DESC LIMIT 3 OFFSET 1"""),
    ('from(bucket: "b") |> range(start: -1d) |> filter(fn: (r) => r._measurement == "m" '
     'and (r.room == "a" or r.room == "b") and r.floor != "0") |> first()',
     """SELECT * FROM "m" WHERE time >= now() - INTERVAL '1 day' AND "room" IN ('a', 'b') AND "floor" <> '0' """
     """ORDER BY time ASC LIMIT 1"""),
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "o\'k") '
     '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> yield(name: "x")',
     """SELECT * FROM "o'k" WHERE time >= now() - INTERVAL '1 hour' ORDER BY time"""),
])
def test_simple_flux_translates_to_sql(flux, sql):
    assert _recipe_module("flux_sql").flux_to_sql(flux).sql == sql


@pytest.mark.parametrize("flux, reason", [
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m") '
     '|> aggregateWindow(every: 1m, fn: mean)', "aggregateWindow() has no simple SQL equivalent"),
    ('from(bucket: "b") |> filter(fn: (r) => r._measurement == "m")', "no range()"),
    ('from(bucket: "b") |> range(start: -1h)', "no _measurement filter"),
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m") |> limit(n: 2) '
     '|> last()', "changes the meaning"),
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r.host =~ /web/)', "cannot read Flux"),
    ('import "strings"\nfrom(bucket: "b")', "unexpected"),
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m" and exists r.host)',
     "`exists` in a filter"),
    ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m" or r._field == "x")',
     "different columns"),
])
def test_other_flux_is_refused_with_a_reason(flux, reason):
    flux_sql = _recipe_module("flux_sql")
    with pytest.raises(flux_sql.UnsupportedFlux, match=re.escape(reason)):
        flux_sql.flux_to_sql(flux)


def test_per_series_operations_carry_a_caveat():
    translation = _recipe_module("flux_sql").flux_to_sql(
        'from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m") '
        '|> sort(columns: ["_time"]) |> limit(n: 5)')
    (caveat,) = translation.caveats
    assert "sort() and limit() per series" in caveat


def test_fstring_values_become_query_parameters_never_sql_text():
    advice = _recipe_module("query_items").advise(
        "query", "self._client", "tables =",
        ('from(bucket: "__p0__") |> range(start: -__p1__h) '
         '|> filter(fn: (r) => r._measurement == "m" and r.host == "__p2__") |> limit(n: __p3__)',
         ["self._bucket", "hours", "host", "n"]))
    first_line = advice.suggestion.splitlines()[0]
    assert first_line == (
        """tables = self._client.query(query='SELECT * FROM "m" WHERE time >= now() - CAST($hours AS INTERVAL) """
        """AND "host" = $host ORDER BY time LIMIT $n', database=self._bucket, """
        """query_parameters={"hours": f"{hours} hours", "host": host, "n": n})""")
    assert "# consumer:" in advice.suggestion


def test_a_name_built_at_run_time_gets_no_sql():
    advice = _recipe_module("query_items").advise(
        "query", "client", None,
        ('from(bucket: "b") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "__p0__")', ["table"]))
    assert advice.suggestion is None
    assert "names cannot be query parameters" in advice.reason


@pytest.mark.parametrize("name", CASES + [f"fleet:{s}" for s in INFLUX_SERVICES])
def test_suggested_sql_never_interpolates_python_values(name):
    _, result = _migration(name)
    for item in result.manual:
        if item.rule == "INF101" and item.suggestion:
            call = _suggestion_call(item.suggestion)
            query = next(arg.value for arg in call.args if arg.keyword and arg.keyword.value == "query")
            assert not isinstance(query, cst.FormattedString), item.suggestion


# --- the example fleet (static) ----------------------------------------------------------------------

FLEET_MANUAL_RULES = {
    "air-quality-service": ["INF112", "INF101"],
    "calendar-service": [],
    "carbon-intensity-service": [],
    "electricity-pricing-service": ["INF107"],
    "sports-api": ["INF101"],
    "weather-api": ["INF101"],
    "energy-correlator": ["INF112", "INF104"],
    "energy-forecasting": ["INF101"],
    "smart-meter-service": ["INF105"],
    "observability-dashboard": ["INF101", "INF101"],
    "admin-api": ["INF103"],
    "data-retention": ["INF102"],
    "api-automation-edge": [],
    "data-api": ["INF112", "INF101", "INF101"],
    "websocket-ingestion": [],
}


# A client built in its constructor with batching write APIs stays on v2, and with it every Point.
FLEET_KEPT_ON_V2 = {"energy-correlator"}


@pytest.mark.parametrize("service", INFLUX_SERVICES)
def test_fleet_service_is_migrated_with_the_expected_checklist(service):
    package = service.replace("-", "_")

    source, result = _fleet_migration(service)

    storage = f"{package}/storage.py"
    if service in FLEET_KEPT_ON_V2:  # no half migration (INF112): nothing in the service moves
        assert result.changed == {}
    else:
        assert "influxdb_client_3" in result.changed[storage]
    assert [item.rule for item in result.manual] == FLEET_MANUAL_RULES[service]
    assert {item.file for item in result.manual} <= {storage}
    assert _codemod().migrate(ServiceSource(service, {**source.files, **result.changed})).changed == {}


def test_only_weather_api_needs_the_pandas_extra():
    needing = [s for s in INFLUX_SERVICES if any(e.extras for e in _fleet_migration(s)[1].requirement_edits)]
    assert needing == ["weather-api"]


def test_influxdb_client_stays_declared_where_a_client_stays_on_v2():
    keeping = [s for s in INFLUX_SERVICES
               if any(e.package == "influxdb-client" for e in _fleet_migration(s)[1].requirement_edits)]
    assert keeping == ["air-quality-service", "energy-correlator", "data-api"]


def test_manual_migration_tests_name_a_registered_marker():
    for service in INFLUX_SERVICES:
        tests = (FLEET / service / "tests" / "test_storage.py").read_text()
        if "manual_migration" in tests:
            assert "manual_migration(reason, raises)" in (FLEET / service / "pytest.ini").read_text(), service


# --- proof by execution (slow) ------------------------------------------------------------------------

COMMON_PINS = ["pytest==8.3.5", "pytest-asyncio==0.23.8", "tenacity==8.2.3", "asyncio-mqtt==0.16.2",
               "paho-mqtt==1.6.1"]
VENVS = {
    "old": ["influxdb-client==1.50.0", *COMMON_PINS],
    "new": ["influxdb3-python[pandas]==0.17.0", *COMMON_PINS],
    # The Phase 2 trap: influxdb-client still installed (e.g. pulled in transitively) next to v3.
    "naive": ["influxdb3-python[pandas]==0.17.0", "influxdb-client==1.50.0", *COMMON_PINS],
    # DataFusion is the SQL engine of InfluxDB 3: the suggested SQL must run on it.
    "sql": ["datafusion==55.0.0", "pyarrow==26.0.1"],
}

OUTCOME_PLUGIN = '''
import json, os
import pytest

RESULTS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or report.failed:
        marker = item.get_closest_marker("manual_migration")
        error = call.excinfo
        RESULTS.append({
            "test": item.name, "when": report.when, "outcome": report.outcome,
            "manual": marker is not None, "raises": marker.kwargs.get("raises") if marker else None,
            "error_type": error.typename if error else None, "error": str(error.value) if error else None,
        })


def pytest_collectreport(report):
    if report.failed:
        RESULTS.append({"test": report.nodeid, "when": "collect", "outcome": "failed", "manual": False,
                        "raises": None, "error_type": "CollectError", "error": str(report.longrepr)})


def pytest_sessionfinish(session):
    with open(os.environ["INFLUX_OUTCOMES"], "w") as handle:
        json.dump(RESULTS, handle)
'''


def _venv(kind: str) -> Path:
    return ensure_env(requirement_lines=VENVS[kind])


@pytest.fixture(scope="module")
def pythons():
    return {kind: _venv(kind) for kind in ("old", "new", "naive")}


def _run_storage_tests(python: Path, service_dir: Path, work: Path) -> list[dict]:
    plugin_dir = work / "plugin"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    (plugin_dir / "influx_outcomes.py").write_text(OUTCOME_PLUGIN)
    outcomes = work / f"outcomes-{service_dir.name}-{python.parent.parent.name}.json"
    env = {**os.environ, "PYTHONPATH": str(plugin_dir), "INFLUX_OUTCOMES": str(outcomes),
           "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "influx_outcomes",
         "tests/test_storage.py"],
        cwd=service_dir, env=env, capture_output=True, text=True, timeout=300)
    assert outcomes.exists(), completed.stdout + completed.stderr
    results = json.loads(outcomes.read_text())
    assert results, completed.stdout + completed.stderr
    return results


def _copy_service(service: str, destination: Path) -> Path:
    shutil.copytree(FLEET / service, destination,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return destination


def _migrate_copy(service: str, destination: Path) -> Path:
    copy = _copy_service(service, destination)
    result = _codemod().migrate(service_source(copy))
    for path, text in result.changed.items():
        (copy / path).write_text(text)
    return copy


def _failures(results: list[dict]) -> list[dict]:
    return [r for r in results if r["outcome"] != "passed"]


@pytest.mark.slow
@pytest.mark.parametrize("service", INFLUX_SERVICES)
def test_storage_tests_pass_on_old_and_after_migration_on_new(service, pythons, tmp_path):
    old_results = _run_storage_tests(pythons["old"], _copy_service(service, tmp_path / "old"), tmp_path)
    assert _failures(old_results) == [], "must pass on influxdb-client 1.50.0 before migration"

    migration = _codemod().migrate(service_source(FLEET / service))
    keeps_v2 = any(edit.package == "influxdb-client" for edit in migration.requirement_edits)
    # The PR declares influxdb-client next to influxdb3-python when a client stays on v2: validated so.
    new_results = _run_storage_tests(pythons["naive" if keeps_v2 else "new"], _migrate_copy(service, tmp_path / "new"),
                                     tmp_path)
    kept = " ".join(item.reason for item in migration.manual if item.rule == "INF112")

    for result in new_results:
        if result["manual"] and result["outcome"] == "passed":
            # The use the test exercises kept its client on v2 (no half migration), which says so.
            assert result["raises"] in kept, result
        elif result["manual"]:
            # A manual item fails, and for its own reason: the v2 API the human must replace is missing
            # (AttributeError), or the deployment must change (from_env(): ValueError naming the variables).
            assert result["outcome"] == "failed", result
            assert result["error_type"] in ("AttributeError", "ValueError"), result
            assert result["raises"] in result["error"], result
        else:
            assert result["outcome"] == "passed", result
    assert len(new_results) == len(old_results)


def _leave_point_on_v2(text: str) -> str:
    """Phase 2's migration: the client import renamed, Point (and WritePrecision) left on influxdb_client."""
    left_behind = ("Point", "WritePrecision")

    class Split(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original_node, updated_node):
            statement = updated_node.body[0]
            if not (isinstance(statement, cst.ImportFrom) and statement.module is not None
                    and cst.helpers.get_full_name_for_node(statement.module) == "influxdb_client_3"):
                return updated_node
            kept = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in statement.names
                    if a.evaluated_name not in left_behind]
            moved = [a.evaluated_name for a in statement.names if a.evaluated_name in left_behind]
            return cst.FlattenSentinel([
                updated_node.with_changes(body=[statement.with_changes(names=kept)]),
                cst.parse_statement(f"from influxdb_client import {', '.join(moved)}"),
            ])

    return cst.parse_module(text).visit(Split()).code


@pytest.mark.slow
@pytest.mark.parametrize("service, silent_test, nothing_received", [
    # Both say "the capture server received no write".
    ("air-quality-service", "test_readings_are_written_as_line_protocol", "assert [] =="),
    ("websocket-ingestion", "test_batch_is_written_as_points", "expected 1, got 0"),
])
def test_naive_migration_fails_and_the_bots_passes(service, silent_test, nothing_received, pythons, tmp_path):
    migrated = _migrate_copy(service, tmp_path / "bot")
    naive = _copy_service(service, tmp_path / "naive")
    storage = f"{service.replace('-', '_')}/storage.py"
    (naive / storage).write_text(_leave_point_on_v2((migrated / storage).read_text()))

    # With influxdb-client uninstalled (the requirement change) the tests cannot even import the service.
    (no_v2,) = _run_storage_tests(pythons["new"], naive, tmp_path / "a")
    assert no_v2["when"] == "collect" and "No module named 'influxdb_client'" in no_v2["error"]

    # With influxdb-client still installed (pulled in by something else) the writes are silently dropped.
    dropped = {r["test"]: r for r in _failures(_run_storage_tests(pythons["naive"], naive, tmp_path / "b"))}
    assert silent_test in dropped
    assert nothing_received in dropped[silent_test]["error"]

    # The bot's migration of the same service passes that test in that same environment.
    bot = {r["test"]: r for r in _run_storage_tests(pythons["naive"], migrated, tmp_path / "c")}
    assert bot[silent_test]["outcome"] == "passed"


# --- the suggested SQL, run on DataFusion (slow) ------------------------------------------------------

DATAFUSION_RUNNER = r'''
import datetime as dt, json, re, sys
import datafusion, pyarrow as pa

NOW = dt.datetime.now(dt.timezone.utc)
cases = json.load(sys.stdin)
results = []
for case in cases:
    sql = case["sql"]
    table = re.search(r'FROM "([^"]+)"', sql).group(1)
    names = [n for n in dict.fromkeys(re.findall(r'"([^"]+)"', sql)) if n != table]
    rows = case.get("rows") or [{}]
    columns = {"time": pa.array([NOW - dt.timedelta(minutes=r.get("age_min", 1)) for r in rows],
                                pa.timestamp("ns", tz="UTC"))}
    for name in names:
        textual = re.search(rf'"{re.escape(name)}" (=|<>|IN) \(?[\'$]', sql)
        values = [r.get(name) for r in rows]
        columns[name] = pa.array(values, pa.string() if textual else pa.float64())
    context = datafusion.SessionContext()
    context.register_record_batches(table, [pa.table(columns).to_batches()])
    try:
        frame = context.sql(sql, param_values=case.get("params") or None)
        got = [{k: v for k, v in row.items() if k != "time"} for row in frame.to_pylist()]
        results.append({"sql": sql, "rows": got})
    except Exception as error:  # reported, the test fails on it
        results.append({"sql": sql, "error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)
'''


def _suggestion_call(suggestion: str) -> cst.Call:
    statement = cst.parse_statement(suggestion.splitlines()[0]).body[0]
    return getattr(statement, "value", statement)


def _suggested_sql(suggestion: str) -> dict:
    """The SQL of a suggestion's client.query(...) call and a stand-in for each query parameter: f-string
    fields become 1 ("1 hours"), a bare value after LIMIT/OFFSET the integer 1, any other the text "1"."""
    call = _suggestion_call(suggestion)
    arguments = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    sql = arguments["query"].evaluated_value
    params = {}
    if "query_parameters" in arguments:
        for element in arguments["query_parameters"].elements:
            name, value = element.key.evaluated_value, element.value
            if isinstance(value, cst.FormattedString):
                params[name] = "".join(part.value if isinstance(part, cst.FormattedStringText) else "1"
                                       for part in value.parts)
            elif re.search(rf"\b(LIMIT|OFFSET) \${name}\b", sql):
                params[name] = 1
            else:
                params[name] = "1"
    return {"sql": sql, "params": params}


def _all_suggestions() -> list[str]:
    suggestions = []
    for case in CASES:
        result = _codemod().migrate(ServiceSource(case, read_tree(FIXTURES / case / "before")))
        suggestions += [item.suggestion for item in result.manual if item.rule == "INF101" and item.suggestion]
    for service in INFLUX_SERVICES:
        suggestions += [item.suggestion for item in _fleet_migration(service)[1].manual
                        if item.rule == "INF101" and item.suggestion]
    return suggestions


def _run_on_datafusion(cases: list[dict]) -> list[dict]:
    completed = subprocess.run([str(_venv("sql")), "-c", DATAFUSION_RUNNER], input=json.dumps(cases),
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.slow
def test_every_suggested_sql_runs_on_datafusion():
    cases = [_suggested_sql(suggestion) for suggestion in _all_suggestions()]
    assert len(cases) >= 8 and any(case["params"] for case in cases)

    results = _run_on_datafusion(cases)

    assert [r for r in results if "error" in r] == []


@pytest.mark.slow
def test_suggested_sql_selects_what_the_flux_selected():
    flux_to_sql = _recipe_module("flux_sql").flux_to_sql
    rows = [  # one series per room; age in minutes
        {"room": "kitchen", "celsius": 21.0, "age_min": 10},
        {"room": "kitchen", "celsius": 23.0, "age_min": 50},
        {"room": "kitchen", "celsius": 30.0, "age_min": 120},  # outside a 1h range
        {"room": "hall", "celsius": 18.0, "age_min": 5},
        {"room": "kitchen", "celsius": None, "age_min": 1},  # no celsius field at that time
    ]
    base = 'from(bucket: "home") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "temperature"'
    cases = {
        base + ' and r.room == "kitchen" and r._field == "celsius") |> last()': [{"room": "kitchen", "celsius": 21.0}],
        base + ' and r.room == "kitchen" and r._field == "celsius") |> mean()': [{"celsius": 22.0}],
        base + ' and r._field == "celsius") |> sort(columns: ["_value"], desc: true) |> limit(n: 2)':
            [{"celsius": 23.0}, {"celsius": 21.0}],
        base + ' and r._field == "celsius" and r._value < 22.0)': [{"celsius": 21.0}, {"celsius": 18.0}],
    }
    sqls = [flux_to_sql(flux).sql for flux in cases]

    results = _run_on_datafusion([{"sql": sql, "rows": rows} for sql in sqls])

    assert [r.get("rows", r.get("error")) for r in results] == list(cases.values())


# --- migrated fixtures, run on influxdb3-python 0.17.0 (slow) ------------------------------------------

DRIVER_PREAMBLE = r'''
import http.server, json, os, sys, threading, urllib.parse
import pyarrow as pa, pyarrow.flight as flight

WRITES = []
STATUS = int(os.environ.get("CAPTURE_STATUS", "204"))


class Capture(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        url = urllib.parse.urlsplit(self.path)
        WRITES.append({"path": url.path, "params": dict(urllib.parse.parse_qsl(url.query)), "lines": body.split("\n")})
        payload = b'{"message": "refused"}' if STATUS >= 400 else b""
        self.send_response(STATUS)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class Flight(flight.FlightServerBase):
    tickets = []

    def do_get(self, context, ticket):
        Flight.tickets.append(json.loads(ticket.ticket.decode()))
        return flight.RecordBatchStream(pa.table({"value": [1.0]}))


server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
threading.Thread(target=server.serve_forever, daemon=True).start()
CAPTURE = f"http://127.0.0.1:{server.server_port}"
flight_server = Flight("grpc+tcp://127.0.0.1:0")
threading.Thread(target=flight_server.serve, daemon=True).start()
FLIGHT = f"http://127.0.0.1:{flight_server.port}"
sys.path.insert(0, os.getcwd())
'''


def _migrated_case(case: str, destination: Path) -> Path:
    before = read_tree(FIXTURES / case / "before")
    result = _codemod().migrate(ServiceSource(case, before))
    for path, text in {**before, **result.changed}.items():
        (destination / path).parent.mkdir(parents=True, exist_ok=True)
        (destination / path).write_text(text)
    return destination


def _drive(python: Path, directory: Path, code: str, **env) -> dict:
    completed = subprocess.run([str(python), "-c", DRIVER_PREAMBLE + code], cwd=directory,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_helpers_handed_the_client_write_through_it(pythons, tmp_path):
    directory = _migrated_case("inf006-helpers-take-the-write-api", tmp_path)
    outcome = _drive(pythons["new"], directory, r'''
from influxdb_client_3 import InfluxDBClient3, Point
import svc.app as app
app.URL = CAPTURE
app.record([1.0, 2.0])
writer = app.writer_for(InfluxDBClient3(host=CAPTURE, token="t", org="o"))
writer.push(Point("m").field("v", 3.0))
writer.close()
app.Recorder().record(4.0)
import svc.chain as chain
chain.run([5.0, 6.0], url=CAPTURE)
print(json.dumps(WRITES))
''')
    assert [(w["params"]["bucket"], w["lines"]) for w in outcome] == [
        ("metrics", ["m v=1", "m v=2"]), ("metrics", ["m v=3"]), ("metrics", ["m v=4"]),
        ("chain", ["m v=5"]), ("chain", ["m v=6"])]


@pytest.mark.slow
def test_a_helper_reached_along_two_chains_writes_through_the_client(pythons, tmp_path):
    directory = _migrated_case("inf006-helpers-reached-twice", tmp_path)
    outcome = _drive(pythons["new"], directory, r'''
import svc.app as app
app.publish(1.0, url=CAPTURE)
print(json.dumps(WRITES))
''')
    assert [(w["params"]["bucket"], w["lines"]) for w in outcome] == [("relayed", ["m v=1"]), ("relayed", ["m v=2"])]


@pytest.mark.slow
def test_a_client_built_with_its_query_api_still_constructs_and_writes(pythons, tmp_path):
    """No half migration: main made this constructor build an InfluxDBClient3 and call its missing query_api()."""
    directory = _migrated_case("inf112-client-built-with-its-query-api", tmp_path)
    writes = _drive(pythons["naive"], directory, r'''
import svc.adapter as adapter
store = adapter.MetricsAdapter(url=CAPTURE)
store.insert(0.5)
store.close()
print(json.dumps(WRITES))
''')
    assert [(w["path"], w["params"]["bucket"], w["lines"]) for w in writes] == [
        ("/api/v2/write", "metrics", ["cpu load=0.5"])]


@pytest.mark.slow
def test_a_query_only_client_stays_on_v2_while_the_writer_moves(pythons, tmp_path):
    directory = _migrated_case("inf112-query-only-client-stays", tmp_path)
    outcome = _drive(pythons["naive"], directory, r'''
import svc.ingest as ingest, svc.report as report
ingest.URL = report.URL = CAPTURE
ingest.ingest([1, 2])
total = report.error_total()  # the v2 client posts its Flux query (the capture server answers with no table)
print(json.dumps({"writes": WRITES, "total": total}))
''')
    assert [w["path"] for w in outcome["writes"]] == ["/api/v2/write", "/api/v2/query"]
    assert outcome["writes"][0]["lines"] == ["http_errors count=1i", "http_errors count=2i"]
    assert outcome["writes"][0]["params"]["bucket"] == "errors" and outcome["total"] == 0


@pytest.mark.slow
def test_renamed_host_constructs_and_writes(pythons, tmp_path):
    writes = _drive(pythons["new"], _migrated_case("inf108-unverified-url", tmp_path), r'''
from influxdb_client_3 import Point
import svc.urls as urls
os.environ["INFLUX_URL"] = CAPTURE
port = CAPTURE.rsplit(":", 1)[1]
clients = [urls.from_environment_variable(), urls.from_settings(urls.Settings({"INFLUX_URL": CAPTURE})),
           urls.from_fstring("127.0.0.1", port)]
for client in clients:
    client.write(record=Point("m").field("v", 1), database="b")
print(json.dumps(WRITES))
''')
    assert [w["lines"] for w in writes] == [["m v=1i"]] * 3


@pytest.mark.slow
def test_constructor_arguments_map_onto_the_v3_client(pythons, tmp_path):
    writes = _drive(pythons["new"], _migrated_case("inf109-constructor-args", tmp_path), r'''
from influxdb_client_3 import Point
import svc.ctor as ctor


class Settings:
    def timeout_ms(self):
        return 2_000


# tagged() last: in both client versions default tags reach every later Point of the process
for make in (lambda: ctor.computed_timeout(2, CAPTURE), lambda: ctor.timeout_from_settings(Settings(), CAPTURE),
             lambda: ctor.tagged(CAPTURE)):
    make().write(record=Point("m").field("v", 1), database="b")
print(json.dumps(WRITES))
''')
    assert [w["lines"] for w in writes] == [["m v=1i"], ["m v=1i"], ["m,site=lab v=1i"]]


@pytest.mark.slow
def test_from_env_reads_the_new_variables(pythons, tmp_path):
    writes = _drive(pythons["new"], _migrated_case("inf107-from-env", tmp_path), r'''
os.environ.update(INFLUX_HOST=CAPTURE, INFLUX_TOKEN="t", INFLUX_DATABASE="b")
import svc.env as env
env.save(1.5)
print(json.dumps(WRITES))
''')
    assert [(w["params"]["bucket"], w["lines"]) for w in writes] == [("b", ["m v=1.5"])]


@pytest.mark.slow
def test_kept_v2_imports_still_import_and_the_write_error_keeps_its_status(pythons, tmp_path):
    outcome = _drive(pythons["naive"], _migrated_case("inf111-unmapped-name", tmp_path), r'''
import svc.retention as retention, svc.errors as errors
from influxdb_client_3 import InfluxDBClient3, Point
status = retention.save(1.0, url=CAPTURE)
try:
    InfluxDBClient3(host=CAPTURE, token="t", database="b").write(record=Point("m").field("v", 1.0))
except Exception as error:
    described = errors.describe(error)
print(json.dumps({"status": status, "described": described, "rules": type(retention.rules(1)).__name__}))
''', CAPTURE_STATUS="401")
    assert outcome == {"status": 401, "described": "401 Unauthorized", "rules": "BucketRetentionRules"}


@pytest.mark.slow
def test_suggested_query_parameters_reach_the_server_apart_from_the_sql(pythons, tmp_path):
    suggestion = next(s for s in _all_suggestions() if "query_parameters" in s).splitlines()[0]
    call = cst.Module([]).code_for_node(_suggestion_call(suggestion)).replace("self.", "")
    ticket = _drive(pythons["new"], tmp_path, f'''
from influxdb_client_3 import InfluxDBClient3
client = InfluxDBClient3(host=FLIGHT, token="t", database="d")


class Values(dict):  # every name the suggestion reads: the client, or a hostile value
    def __missing__(self, name):
        return client if name in ("client", "_client") else "x' OR '1'='1"


exec({call!r}, {{}}, Values())
print(json.dumps(Flight.tickets[-1]))
''')
    assert "OR '1'='1" not in ticket["sql_query"] and "$" in ticket["sql_query"]
    assert "x' OR '1'='1" in ticket["params"].values()


@pytest.mark.slow
def test_a_v2_write_api_silently_drops_a_v3_point(pythons, tmp_path):
    """Why a v2 client left in place (InfluxDBClientAsync, from_config_file) blocks the move of Point."""
    writes = _drive(pythons["naive"], tmp_path, r'''
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client_3 import Point
client = InfluxDBClient(url=CAPTURE, token="t", org="o")
client.write_api(write_options=SYNCHRONOUS).write(bucket="b", record=Point("m").field("v", 1))
print(json.dumps(WRITES))
''')
    assert writes == []


@pytest.mark.parametrize("case", ["inf106-async-client", "inf107-config-file-blocks"])
def test_a_v2_client_left_in_place_blocks_every_change(case):
    result = _codemod().migrate(ServiceSource(case, read_tree(FIXTURES / case / "before")))
    assert result.changed == {}
    assert any("a v2 client silently drops a v3 Point" in note for note in result.notes)


@pytest.mark.slow
def test_an_optional_client_import_still_degrades_when_the_library_is_missing(pythons, tmp_path):
    """The renamed fallback binding is what `is None` checks read when influxdb_client_3 is absent."""
    directory = _migrated_case("inf002-optional-import-fallback", tmp_path)
    probe = ("import json, svc.history as h\n"
             "try:\n    h.open_client(); opened = 'built'\n"
             "except RuntimeError as error:\n    opened = str(error)\n"
             "print(json.dumps({'available': h.history_available(), 'opened': opened}))")
    outcomes = {}
    for kind in ("old", "new"):  # "old" has influxdb-client only: the import fails and the fallback applies
        completed = subprocess.run([str(pythons[kind]), "-c", probe], cwd=directory, capture_output=True,
                                   text=True, timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert completed.returncode == 0, completed.stderr
        outcomes[kind] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcomes == {"old": {"available": False, "opened": "metrics client not installed"},
                        "new": {"available": True, "opened": "built"}}


@pytest.mark.slow
def test_an_imported_module_write_api_imports_and_writes_through_the_client(pythons, tmp_path):
    directory = _migrated_case("inf006-imported-module-write-api", tmp_path)
    outcome = _drive(pythons["new"], directory, r'''
os.environ["INFLUX_URL"] = CAPTURE
from influxdb_client_3 import Point
import svc.storage.influx_store as store, svc.collector as collector, svc.report as report
collector.record_reading("s1", 1.5)
report.send_summary(Point("summary").field("n", 2))
store.save(Point("m").field("v", 3.0))
print(json.dumps(WRITES))
''')
    assert [(w["params"]["bucket"], w["lines"]) for w in outcome] == [
        ("readings", ["reading,sensor=s1 value=1.5"]), ("summaries", ["summary n=2i"]), ("readings", ["m v=3"])]
