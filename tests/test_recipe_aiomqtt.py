"""The asyncio-mqtt -> aiomqtt 2.4.0 recipe.

Fast tests check the codemod on the example fleet and its rule/fixture bookkeeping (the generic
fixture runner in test_recipes_machinery.py checks every before/after case). The slow tests prove
the recipe by execution: the fleet's MQTT services run their tests against a real mosquitto broker
on asyncio-mqtt 0.16.2 + paho 1.6.1 before, and on aiomqtt 2.4.0 + paho 2.1.0 after migration.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest
import tomlkit

from bot.analysis import ServiceAnalysis, is_test_path
from bot.change.apply import apply_recipe
from bot.change.doubles import SHARED_RULE_IDS
from bot.change.fixtures import fixture_cases
from bot.change.recipe import load_recipe
from bot.config import BUNDLED_RECIPES
from bot.declared.requirements import edit_requirements
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.model import ServiceSource
from bot.validation.envs import ensure_env

RECIPE = load_recipe(BUNDLED_RECIPES / "aiomqtt-2.4.0")
FLEET = Path(__file__).resolve().parents[1] / "examples" / "fleet" / "services"
MQTT_SERVICES = ("data-retention", "websocket-ingestion")
BRIDGE_TESTS = "tests/test_mqtt_bridge.py"
# Recipe-internal modules: load_recipe imported the recipe folder as a package.
_PACKAGE = RECIPE.codemod_class.__module__.rpartition(".")[0]
mqtt_names = importlib.import_module(f"{_PACKAGE}.mqtt_names")
recipe_ids = importlib.import_module(f"{_PACKAGE}.ids")
# the recipe's own rules; migration.toml's shared rules (bot.change.doubles) come last in RULES
OWN_RULES = [rule for rule in RECIPE.codemod_class.RULES if rule.ID not in SHARED_RULE_IDS]
RULE_IDS = [rule.ID for rule in OWN_RULES]
MANUAL_RULES = frozenset(rule.ID for rule in OWN_RULES if rule.KIND == "manual")


def read_service(directory: Path) -> ServiceSource:
    files = {
        path.relative_to(directory).as_posix(): path.read_text()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
        and (path.suffix == ".py" or path.name.startswith("requirements") or path.name == "pytest.ini")
    }
    return ServiceSource(directory.name, files)


def migrate_files(files: dict[str, str], disabled: frozenset[str] = frozenset()) -> dict[str, str]:
    """The files the codemod changes (optionally with some rules disabled), by path."""
    return RECIPE.codemod({"disable": sorted(disabled)}).migrate(ServiceSource("svc", files)).changed


def migrated(service: ServiceSource, disabled: frozenset[str] = frozenset()) -> dict[str, str]:
    """The service's files after the recipe: codemod (optionally without some rules) + requirement edits."""
    files = dict(service.files)
    files.update(migrate_files(service.python_files(), disabled))
    for path in [p for p in files if p.startswith("requirements")]:
        files[path] = edit_requirements(files[path], path, RECIPE.requirement_edits,
                                        allow_add=path == "requirements.txt").text
    return files


def listing():
    """The recipe with MQ024 off: what the other rules list and rewrite around a use that blocks the migration
    (by default such a use keeps the whole service on asyncio-mqtt; see the no-half-migration tests)."""
    return RECIPE.codemod({"disable": ["MQ024"]})


# --- the fleet's MQTT code ----------------------------------------------------------------------


@pytest.mark.parametrize("name", MQTT_SERVICES)
def test_fleet_service_is_fully_automatic_and_idempotent(name):
    service = read_service(FLEET / name)
    result = RECIPE.codemod().migrate(service)

    assert result.manual == []
    assert set(result.changed) == {f"{name.replace('-', '_')}/mqtt_bridge.py", BRIDGE_TESTS}
    again = RECIPE.codemod().migrate(ServiceSource(name, {**service.files, **result.changed}))
    assert again.changed == {} and again.applied == []
    for text in result.changed.values():
        assert "asyncio_mqtt" not in text and "messages()" not in text and "_messages(" not in text


def test_fleet_rules_applied_per_file():
    def rules_of(name):
        result = RECIPE.codemod().migrate(read_service(FLEET / name))
        return {(change.file, change.rule) for change in result.applied}

    bridge_rules = ("MQ001", "MQ002", "MQ004", "MQ005", "MQ006", "MQ007", "MQ011")
    assert rules_of("data-retention") == {
        ("data_retention/mqtt_bridge.py", rule) for rule in bridge_rules
    } | {("tests/test_mqtt_bridge.py", rule) for rule in ("MQ001", "MQ008", "MQ010")}
    assert rules_of("websocket-ingestion") == {
        ("websocket_ingestion/mqtt_bridge.py", rule) for rule in ("MQ001", "MQ004", "MQ009", "MQ010", "MQ011")
    } | {("tests/test_mqtt_bridge.py", rule) for rule in ("MQ001", "MQ004")}


def test_filtered_consumer_becomes_guarded_loop_over_client_messages():
    result = RECIPE.codemod().migrate(read_service(FLEET / "websocket-ingestion"))
    bridge = result.changed["websocket_ingestion/mqtt_bridge.py"]
    lines = [line.strip() for line in bridge.splitlines()]
    loop = lines.index("async for message in client.messages:")

    assert lines[loop + 1:loop + 4] == [
        "if not message.topic.matches(TEMPERATURE_FILTER):", "continue", 'room = message.topic.value.split("/")[1]'
    ]
    assert "outdoor=message.topic.value == OUTDOOR_TOPIC" in bridge
    assert "max_queued_incoming_messages=MAX_BUFFERED_READINGS," in bridge
    assert any("delivered (0.16 dropped them)" in note for note in result.notes)


def test_requirements_change_together_including_a_paho_upper_bound():
    for name in MQTT_SERVICES:
        text = migrated(read_service(FLEET / name))["requirements.txt"]
        assert "aiomqtt==2.4.0\npaho-mqtt==2.1.0\n" in text
        assert "asyncio-mqtt" not in text and "<2" not in text


# --- rules, fixtures and manual items ----------------------------------------------------------


def test_rule_ids_are_stable_and_contiguous():
    assert RULE_IDS == [f"MQ{n:03d}" for n in range(1, len(RULE_IDS) + 1)]
    assert [rule for rule in RECIPE.rules() if rule not in SHARED_RULE_IDS] == RULE_IDS
    assert MANUAL_RULES == {f"MQ{n:03d}" for n in [*range(12, 21), 24]}  # MQ021-MQ023 rewrite
    # the ids the consumer plan decides for are the rule classes' own
    constants = {value for name, value in vars(recipe_ids).items() if name.isupper()}
    assert constants <= set(RULE_IDS)
    listed = {recipe_ids.SEVERAL_CONSUMERS, recipe_ids.STREAM_NOT_REWRITABLE, recipe_ids.MESSAGE_LEAVES_LOOP,
              recipe_ids.TOPIC_ALREADY_OBJECT, recipe_ids.QUEUE_MAXSIZE_UNPLACED}
    assert listed <= MANUAL_RULES and not (constants - listed) & MANUAL_RULES


def test_every_rule_is_exercised_by_a_fixture():
    applied, expected_manual = set(), set()
    for case in fixture_cases(RECIPE):
        before = {p.relative_to(case / "before").as_posix(): p.read_text()
                  for p in (case / "before").rglob("*.py")}
        applied |= {change.rule for change in RECIPE.codemod().migrate(ServiceSource(case.name, before)).applied}
        if (case / "case.toml").is_file():
            settings = tomlkit.parse((case / "case.toml").read_text()).unwrap()
            expected_manual |= {item["rule"] for item in settings.get("manual", [])}
    shared = set(SHARED_RULE_IDS)  # migration.toml's rules: each exercised by a fixture too
    assert (applied | expected_manual) - shared == set(RULE_IDS)
    assert expected_manual - shared == set(MANUAL_RULES)
    assert set(RECIPE.rules()) & shared <= applied | expected_manual


def test_manual_item_names_file_line_old_code_and_suggestion():
    service = ServiceSource("svc", {"svc/session.py": textwrap.dedent('''\
        from asyncio_mqtt import Client


        class Session:
            async def start(self, host):
                self.client = Client(host, client_id="s")
                await self.client.connect(timeout=5)
        ''')})
    result = RECIPE.codemod().migrate(service)

    [item] = result.manual
    assert (item.file, item.line, item.rule) == ("svc/session.py", 7, "MQ016")
    assert item.old_code == "await self.client.connect(timeout=5)"
    assert item.suggestion.startswith("Client(..., timeout=5)")
    assert "dropped `timeout=5`" in item.reason
    assert 'Client(host, identifier="s")' in result.changed["svc/session.py"]
    assert "await self.client.__aenter__()" in result.changed["svc/session.py"]


def test_second_consumer_added_elsewhere_turns_the_rewrite_into_a_manual_item():
    single = textwrap.dedent('''\
        from asyncio_mqtt import Client


        async def run(host, sink):
            async with Client(host) as client:
                async with client.filtered_messages("a/+") as messages:
                    async for message in messages:
                        sink(message.topic)
        ''')
    double = single + (
        '        async with client.filtered_messages("b/+") as others:\n'
        "            async for message in others:\n"
        "                sink(message.topic)\n"
    )
    rewritten = listing().migrate(ServiceSource("svc", {"m.py": single}))
    flagged = listing().migrate(ServiceSource("svc", {"m.py": double}))

    assert "client.messages" in rewritten.changed["m.py"] and rewritten.manual == []
    assert [(m.rule, m.line) for m in flagged.manual] == [("MQ012", 6), ("MQ012", 9)]
    assert "filtered_messages" in flagged.changed["m.py"]  # only the import moved


WORKER_CLASS = textwrap.dedent('''\
    import asyncio

    from asyncio_mqtt import Client


    class Bridge:
        async def run(self, host: str) -> None:
            async with Client(host) as client:
                await client.subscribe("sensors/#")
                await asyncio.gather(self._temperatures(client), self._humidity(client))

        async def _temperatures(self, client: Client) -> None:
            async with client.filtered_messages("sensors/+/temp") as messages:
                async for message in messages:
                    print(message.payload)

        async def _humidity(self, client: Client) -> None:
            async with client.filtered_messages("sensors/+/hum") as messages:
                async for message in messages:
                    print(message.payload)
    ''')


def test_one_client_handed_to_several_coroutines_is_listed_never_rewritten():
    result = listing().migrate(ServiceSource("svc", {"svc/bridge.py": WORKER_CLASS}))

    assert [(m.rule, m.line) for m in result.manual] == [("MQ012", 13), ("MQ012", 18)]
    for item in result.manual:
        assert "2 consumers read the client created at svc/bridge.py:8" in item.reason
        assert "svc/bridge.py:13, svc/bridge.py:18" in item.reason
        assert "message.topic.matches" in item.suggestion
    migrated_text = result.changed["svc/bridge.py"]
    assert "client.messages:" not in migrated_text and migrated_text.count("filtered_messages(") == 2


def test_task_group_tasks_in_two_files_are_two_consumers_of_one_client():
    handlers = (
        "async def humidity(client, sink):\n"
        "    async with client.filtered_messages(\"h/+\") as messages:\n"
        "        async for message in messages:\n"
        "            sink(message)\n"
    )
    bridge = textwrap.dedent('''\
        import asyncio

        from asyncio_mqtt import Client

        from svc import handlers


        async def temperatures(client, sink):
            async with client.filtered_messages("t/+") as messages:
                async for message in messages:
                    sink(message)


        async def run(host, sink):
            async with Client(host) as client, asyncio.TaskGroup() as tasks:
                tasks.create_task(temperatures(client, sink))
                tasks.create_task(handlers.humidity(client, sink))
        ''')
    single = bridge.replace("        tasks.create_task(handlers.humidity(client, sink))\n", "")
    files = {"svc/__init__.py": "", "svc/handlers.py": handlers}

    several = listing().migrate(ServiceSource("svc", {**files, "svc/bridge.py": bridge}))
    alone = listing().migrate(ServiceSource("svc", {**files, "svc/bridge.py": single}))

    assert sorted((m.file, m.line, m.rule) for m in several.manual) == [
        ("svc/bridge.py", 9, "MQ012"), ("svc/handlers.py", 2, "MQ012")]
    assert "svc/handlers.py" not in several.changed
    # handlers.humidity() is no longer called: the one consumer left is rewritten, and the uncalled
    # helper is listed with the true reason (nothing calls it), not "not created in this file".
    assert "async for message in client.messages:" in alone.changed["svc/bridge.py"]
    [item] = [m for m in alone.manual if m.rule != "MQ014"]  # MQ014: the message is handed to sink()
    assert (item.file, item.rule) == ("svc/handlers.py", "MQ013")
    assert "parameter of humidity(), which nothing in the service calls" in item.reason


def test_method_reading_the_objects_client_started_in_a_loop_is_several_consumers():
    service = ServiceSource("svc", {"svc/listener.py": textwrap.dedent('''\
        import asyncio

        from asyncio_mqtt import Client


        class Listener:
            async def start(self, host):
                self.client = Client(host)
                await self.client.connect()
                self.tasks = [asyncio.create_task(self.listen(f)) for f in ("a/#", "b/#")]

            async def listen(self, topic_filter):
                async with self.client.filtered_messages(topic_filter) as messages:
                    async for message in messages:
                        print(message.payload)

            async def stop(self):
                await self.client.disconnect()
                self.client = None
        ''')})
    result = listing().migrate(service)

    [item] = result.manual
    assert (item.rule, item.line) == ("MQ012", 13)
    assert "listen() started at svc/listener.py:10 (repeatedly)" in item.reason
    assert "await self.client.__aenter__()" in result.changed["svc/listener.py"]


INJECTED_LISTENER = textwrap.dedent('''\
    from asyncio_mqtt import Client


    class Listener:
        def __init__(self, client, topic_filter):
            self.client = client
            self.topic_filter = topic_filter

        async def listen(self, sink):
            async with self.client.filtered_messages(self.topic_filter) as messages:
                async for message in messages:
                    sink(message.payload)
    ''')


@pytest.mark.parametrize("annotation", ["", ": Client"])
def test_objects_sharing_an_injected_client_are_several_consumers(annotation):
    listener = INJECTED_LISTENER.replace("client, topic_filter", f"client{annotation}, topic_filter")
    app = textwrap.dedent('''\
        import asyncio

        from asyncio_mqtt import Client

        from svc.listener import Listener


        async def run(host, sink):
            async with Client(host) as client:
                temperatures = Listener(client, "t/#")
                humidity = Listener(client, "h/#")
                await asyncio.gather(temperatures.listen(sink), humidity.listen(sink))
        ''')
    alone = app.replace('        humidity = Listener(client, "h/#")\n', "").replace(", humidity.listen(sink)", "")
    files = {"svc/__init__.py": "", "svc/listener.py": listener}

    shared = listing().migrate(ServiceSource("svc", {**files, "svc/app.py": app}))
    single = listing().migrate(ServiceSource("svc", {**files, "svc/app.py": alone}))

    [item] = shared.manual
    assert (item.file, item.line, item.rule) == ("svc/listener.py", 10, "MQ012")
    assert "2 consumers read the client created at svc/app.py:9" in item.reason
    assert "Listener() called at svc/app.py:10, Listener() called at svc/app.py:11" in item.reason
    assert "filtered_messages" in shared.changed["svc/listener.py"]
    assert single.manual == []
    assert "async for message in self.client.messages:" in single.changed["svc/listener.py"]


def test_class_call_sites_map_arguments_to_init():
    analysis = ServiceAnalysis({"svc/__init__.py": "", "svc/listener.py": INJECTED_LISTENER,
                                "svc/app.py": "from svc.listener import Listener\n\nl = Listener(c, topic_filter=f)\n"})
    klass = analysis.definition("svc.listener.Listener")
    [site] = analysis.call_sites(klass)
    assert {name: analysis.module("svc/app.py").code(value) for name, value in site.arguments.items()} == {
        "client": "c", "topic_filter": "f"}


def test_call_sites_know_when_they_start_their_callee_repeatedly():
    app = textwrap.dedent('''\
        import asyncio
        import functools


        async def work(n):
            pass


        async def main():
            await work(0)
            tasks = [asyncio.create_task(work(n)) for n in range(3)]
            for n in range(3):
                await work(n)
            for n in range(3):
                asyncio.create_task(work(n))
            later = functools.partial(work, 1)
        ''')
    analysis = ServiceAnalysis({"svc/__init__.py": "", "svc/app.py": app})
    sites = analysis.call_sites(analysis.definition("svc.app.work"))
    assert [(site.line, site.repeated) for site in sites] == [(10, False), (11, True), (13, False), (15, True),
                                                             (16, True)]
    assert [is_test_path(p) for p in ("tests/x.py", "svc/test_x.py", "svc/x_test.py", "conftest.py", "svc/testing.py",
                                      "svc/contest.py")] == [True, True, True, True, False, False]


def test_queue_maxsize_reason_says_why_it_stays():
    files = {p: (FIXTURES / "manual-queue-maxsize-unplaced" / "before" / p).read_text()
             for p in ("svc/sized.py", "svc/main.py", "svc/consumer.py")}
    manual = {(m.file, m.line): m.reason for m in RECIPE.codemod().migrate(ServiceSource("svc", files)).manual}
    assert manual[("svc/sized.py", 7)].endswith(
        "`QUEUE_SIZE` is not a literal, and the client is created in another file (svc/main.py:7).")
    assert manual[("svc/consumer.py", 18)].endswith(
        "`limit` does not mean the same where the client is created (svc/consumer.py:16).")


def test_consumer_called_only_by_tests_with_a_fake_client_is_listed():
    consumer = (
        "from asyncio_mqtt import Client\n\n\n"
        "async def consume(client: Client, sink):\n"
        "    async with client.messages() as messages:\n"
        "        async for message in messages:\n"
        "            sink(message.payload)\n"
    )
    test = (
        "from unittest.mock import MagicMock\n\nfrom svc.consumer import consume\n\n\n"
        "async def test_consume():\n    await consume(MagicMock(), print)\n"
    )
    result = listing().migrate(ServiceSource("svc", {"svc/consumer.py": consumer, "tests/test_consumer.py": test}))

    [item] = result.manual
    assert (item.file, item.line, item.rule) == ("svc/consumer.py", 5, "MQ012")
    assert "called only by tests with test doubles (tests/test_consumer.py:7)" in item.reason


def test_paho_types_imported_without_building_a_paho_client_need_no_item():
    service = ServiceSource("svc", {"svc/types.py": (
        "from paho.mqtt.client import MQTTMessage\n"
        "import paho.mqtt.client as mqtt\n\n\n"
        "def topic_of(message: MQTTMessage) -> str:\n"
        "    return message.topic\n\n\n"
        "def raw() -> mqtt.Client:\n"
        "    return mqtt.Client(\"legacy-id\")\n"
    )})
    result = RECIPE.codemod().migrate(service)
    [item] = result.manual
    assert (item.rule, item.line) == ("MQ017", 10)
    assert "positional client id stays the client id" in item.reason
    assert 'return mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, "legacy-id")' in result.changed["svc/types.py"]


def test_checklist_old_code_is_the_statement_without_the_comment_above_it():
    before = fixture_tree("client-in-loop-bound-function", "before")
    [item] = RECIPE.codemod().migrate(ServiceSource("svc", before)).manual
    assert (item.rule, item.line, item.old_code) == ("MQ018", 21, "return Client(host)")


def test_streams_on_an_exit_stack_say_why_they_are_several_consumers():
    before = fixture_tree("manual-streams-on-an-exit-stack", "before")
    looped, catch_all, lone = listing().migrate(ServiceSource("svc", before)).manual
    assert "made in a loop (one stream per iteration) and `client` has other streams at line 15" in looped.reason
    assert "`client` has other streams at line 14" in catch_all.reason
    assert looped.suggestion == catch_all.suggestion and "in ONE task" in looped.suggestion
    assert (lone.rule, lone.suggestion) == ("MQ013", "async for message in client.messages: ...")


def test_paho_client_imported_by_name_is_listed_not_rewritten():
    """Without a module to spell CallbackAPIVersion through, the positional id is listed: it raises ValueError."""
    service = ServiceSource("svc", {"svc/raw.py": (
        "from paho.mqtt.client import Client as PahoClient\n\n\n"
        "def raw() -> PahoClient:\n"
        "    return PahoClient(\"legacy-id\")\n"
    )})
    result = listing().migrate(service)
    [item] = result.manual
    assert (item.rule, item.line, item.old_code) == ("MQ017", 5, 'return PahoClient("legacy-id")')
    assert "positional client id raises ValueError" in item.reason and result.changed == {}


def test_unparsable_file_is_left_alone_with_a_note():
    result = RECIPE.codemod().migrate(ServiceSource("svc", {"bad.py": "import asyncio_mqtt\ndef (:\n"}))
    assert result.changed == {} and "bad.py was left unchanged" in result.notes[0]


def test_codemod_does_not_touch_its_input():
    service = read_service(FLEET / "websocket-ingestion")
    snapshot = dict(service.files)
    RECIPE.codemod().migrate(service)
    assert dict(service.files) == snapshot


# --- proof by execution (real envs, real mosquitto) ---------------------------------------------


def run_bridge_tests(directory: Path, python: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PATH": f"{os.environ.get('PATH', '')}:/usr/sbin"}
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", BRIDGE_TESTS],
                          cwd=directory, env=environment, capture_output=True, text=True, timeout=300)


def write_service(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def summary(run: subprocess.CompletedProcess) -> str:
    """pytest's closing line ("5 passed in 0.9s"); tasks dying after it may still write to stderr."""
    counts = [line for line in run.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return counts[-1].strip("= ") if counts else f"exit {run.returncode}: {run.stderr.strip()[-300:]}"


def passed(run: subprocess.CompletedProcess) -> int:
    found = re.search(r"(\d+) passed", summary(run))
    return int(found.group(1)) if found else 0


# Rules that change what the fleet's tests observe when left out. MQ011 moves a queue bound, which
# the tests cannot observe without flooding the broker; it is checked by fixtures only.
LOAD_BEARING = frozenset(RULE_IDS) - MANUAL_RULES - {"MQ011"}
IMPORT_RULES = frozenset({"MQ001", "MQ002", "MQ003"})


@pytest.mark.slow
@pytest.mark.parametrize("name", MQTT_SERVICES)
def test_recipe_is_proven_by_the_service_tests_on_a_real_broker(name, tmp_path):
    service = read_service(FLEET / name)
    old_dir = shutil.copytree(FLEET / name, tmp_path / "old" / name, ignore=shutil.ignore_patterns("__pycache__"))
    old_python = ensure_env([old_dir / "requirements-dev.txt"])
    old_run = run_bridge_tests(old_dir, old_python)
    assert old_run.returncode == 0, summary(old_run)

    new_dir = write_service(tmp_path / "new" / name, migrated(service))
    new_python = ensure_env([new_dir / "requirements-dev.txt"])
    new_run = run_bridge_tests(new_dir, new_python)
    assert new_run.returncode == 0, new_run.stdout[-3000:]
    assert passed(new_run) == passed(old_run) >= 5

    # Only the imports renamed (what the Phase 2 script did, done correctly): it must fail.
    api_rules = frozenset(RULE_IDS) - IMPORT_RULES
    naive_dir = write_service(tmp_path / "naive" / name, migrated(service, api_rules))
    naive_run = run_bridge_tests(naive_dir, new_python)
    assert naive_run.returncode != 0, summary(naive_run)

    # Each rewrite the service needs is load-bearing: leaving any one out fails a test.
    used = {change.rule for change in RECIPE.codemod().migrate(service).applied} & LOAD_BEARING
    survived = []
    for rule in sorted(used):
        partial_dir = write_service(tmp_path / f"without-{rule}" / name, migrated(service, frozenset({rule})))
        if run_bridge_tests(partial_dir, new_python).returncode == 0:
            survived.append(rule)
    assert used and survived == []


@pytest.mark.slow
def test_name_tables_match_the_installed_aiomqtt(tmp_path):
    python = ensure_env(requirement_lines=["aiomqtt==2.4.0", "paho-mqtt==2.1.0"])
    checks = "\n".join(
        f"import {module}; missing = {sorted(names)!r}; "
        f"assert not [n for n in missing if not hasattr({module}, n)], {module!r}"
        for module, names in mqtt_names.NEW_MODULE_NAMES.items()
    )
    run = subprocess.run([str(python), "-c", checks], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.slow
def test_fixture_outputs_import_on_aiomqtt_2_4(tmp_path):
    """Every aiomqtt import the fixtures' after/ trees contain resolves on the real package."""
    statements = set()
    for case in fixture_cases(RECIPE):
        for path in (case / "after").rglob("*.py") if (case / "after").is_dir() else []:
            for line in cst.parse_module(path.read_text()).body:
                if isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], (cst.Import, cst.ImportFrom)):
                    code = cst.Module([line]).code.strip()
                    if "aiomqtt" in code and "asyncio_mqtt" not in code:
                        statements.add(code)
    python = ensure_env(requirement_lines=["aiomqtt==2.4.0", "paho-mqtt==2.1.0"])
    run = subprocess.run([str(python), "-c", "\n".join(sorted(statements))], capture_output=True, text=True)
    assert len(statements) >= 10 and run.returncode == 0, run.stderr


# --- fixtures' rewrites run on aiomqtt 2.4.0 against a real broker ----------------------------

FIXTURES = RECIPE.folder / "fixtures"
# Each scenario drives a fixture's migrated code (after/ over before/) with a second client publishing.
SCENARIOS = {
    "client-reset-to-none": """
        from svc.relay import Relay
        relay = Relay(HOST, PORT)
        for _ in range(2):  # aiomqtt clients are reusable: open/close twice
            relay.seen.clear()
            await relay.open()
            pump = asyncio.create_task(relay.pump(2))
            await publish("relay/a", "relay/b")
            await asyncio.wait_for(pump, 5)
            assert relay.seen == ["relay/a", "relay/b"], relay.seen
            assert relay.identity() == "relay"
            await relay.close()
    """,
    "manual-connect-disconnect": """
        from svc.session import Session
        session = Session(HOST)
        session.client = None
        import aiomqtt
        original = aiomqtt.Client.__init__
        aiomqtt.Client.__init__ = lambda self, host, **kw: original(self, host, port=PORT, **kw)
        for _ in range(2):
            await asyncio.wait_for(session.start(), 5)
            await session.client.publish("session/x", "1")
            await session.stop()
    """,
    "messages-in-closure": """
        from svc.collector import collect, collect_topics
        task = asyncio.create_task(collect(HOST, PORT, 2))
        await asyncio.sleep(0.5)
        await publish("closure/a", "closure/b")
        assert await asyncio.wait_for(task, 5) == ["closure/a", "closure/b"]
        task = asyncio.create_task(collect_topics(HOST, PORT, 1))
        await asyncio.sleep(1)
        await publish("closure/c")
        assert await asyncio.wait_for(task, 5) == ["closure/c"]
    """,
    "stream-read-directly": """
        from svc import status
        async def run(coroutine, *topics):
            task = asyncio.create_task(coroutine)
            await asyncio.sleep(1)
            await publish(*topics)
            return await asyncio.wait_for(task, 5)
        assert await run(status.first_two(HOST, PORT), "status/x/deeper", "status/a", "status/b") == (
            "status/a", "STATUS/B")
        assert await run(status.collected(HOST, PORT, 2), "collect/a", "collect/b") == [b"collect/a", b"collect/b"]
        assert await run(status.nested(HOST, PORT), "nested/a") == "nested/a"
        assert await run(status.first_alert(HOST, PORT), "alerts/x/deeper", "alerts/x") == [b"alerts/x"]
    """,
    "consumer-injected-single": """
        from svc.app import run
        task = asyncio.create_task(run(HOST, PORT, 2))
        await asyncio.sleep(0.5)
        await publish("injected/a", "injected/a/deeper", "injected/b")
        assert await asyncio.wait_for(task, 5) == ["injected/a", "injected/b"]
    """,
    "queue-maxsize-other-file": """
        import aiomqtt
        from svc import main
        original = aiomqtt.Client.__init__
        seen = {}
        def init(self, host, *args, **kw):
            if kw.get("identifier") == "queue-main":
                seen.update(kw)
                kw["port"] = PORT
            original(self, host, *args, **kw)
        aiomqtt.Client.__init__ = init
        received = []
        task = asyncio.create_task(main.run(HOST, received.append))
        await asyncio.sleep(1)
        await publish("queue/a")
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        assert received == [b"queue/a"] and seen.get("max_queued_incoming_messages") == 25, (received, seen)
    """,
    "manual-queue-maxsize-unplaced": """
        import aiomqtt
        from svc import consumer
        original = aiomqtt.Client.__init__
        seen = {}
        def init(self, host, **kw):
            seen.update(kw)
            original(self, host, port=PORT, **kw)
        aiomqtt.Client.__init__ = init
        received = []
        task = asyncio.create_task(consumer.run(HOST, received.append))
        await asyncio.sleep(0.5)
        async with aiomqtt.Client(HOST, identifier="sub-check") as client:
            await client.subscribe("#")
        assert seen.get("max_queued_incoming_messages") == 10, seen
        task.cancel()
    """,
    "paho-client-callback-version": """
        import warnings
        from svc.status import announce, make_audit_client, make_status_client
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            status, audit = make_status_client("status-check", seen), make_audit_client(seen)
        assert (status._client_id, audit._client_id) == (b"status-check", b"audit")
        status.connect(HOST, PORT)
        status.loop_start()
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.1)
        status.loop_stop()
        status.disconnect()
        assert seen == [("connected", 0)], seen  # the 1.x on_connect(client, userdata, flags, rc) still runs
        await announce(HOST, PORT)
    """,
    "client-in-loop-bound-function": """
        from svc.heartbeat import Heartbeat
        beat = Heartbeat()
        await asyncio.wait_for(beat.start(HOST, PORT), 5)
        assert beat.client.identifier == "heartbeat"
    """,
    "aiomqtt-1x-service": """
        from svc.gateway import Gateway, reachable
        assert await reachable(HOST, PORT) and not await reachable(HOST, 1)
        gateway = Gateway(HOST, PORT)
        task = asyncio.create_task(gateway.latest_first(2))
        for _ in range(50):  # queue_type and the identifier moved to Client(): the subscription may not be there yet
            await publish("gateway/a")
            if gateway.seen:
                break
            await asyncio.sleep(0.1)
        await publish("gateway/b")
        await asyncio.wait_for(task, 5)
        assert gateway.seen[0] == "gateway:gateway/a" and gateway.seen[-1] == "gateway:gateway/b", gateway.seen
        gateway.seen.clear()
        task = asyncio.create_task(gateway.doors(2))
        for _ in range(50):
            await publish("doors/d1/state", "doors/d1/battery")
            await asyncio.sleep(0.1)
            if gateway.seen:
                break
        await publish("doors/d2/state")
        await asyncio.wait_for(task, 5)
        assert gateway.seen[0] == "d1" and "battery" not in gateway.seen, gateway.seen
    """,
}
SCENARIO_MAIN = """
import asyncio, sys
import aiomqtt
HOST, PORT = sys.argv[1], int(sys.argv[2])

async def publish(*topics):
    async with aiomqtt.Client(HOST, PORT) as sender:
        for topic in topics:
            await sender.publish(topic, topic, qos=1)

async def scenario():
{body}

asyncio.run(scenario())
print("scenario ok")
"""


def mosquitto_broker():
    spec = importlib.util.spec_from_file_location(
        "fleet_mqtt_broker", FLEET / "websocket-ingestion" / "tests" / "mqtt_broker.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.running_mosquitto()


def fixture_tree(case: str, side: str) -> dict[str, str]:
    trees = ["before"] if side == "before" else ["before", "after"]
    files = {}
    for tree in trees:
        root = FIXTURES / case / tree
        files.update({p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.py")})
    return files


def aiomqtt_2_env(root: Path) -> Path:
    """The fleet's migrated MQTT service env (aiomqtt 2.4.0, paho 2.1.0, pytest, pytest-asyncio): cached."""
    service = read_service(FLEET / "websocket-ingestion")
    write_service(root, {p: t for p, t in migrated(service).items() if p.startswith("requirements")})
    return ensure_env([root / "requirements-dev.txt"])


@pytest.mark.slow
def test_fixture_rewrites_run_on_aiomqtt_2_4_against_a_real_broker(tmp_path):
    python = aiomqtt_2_env(tmp_path / "requirements")
    failures = []
    with mosquitto_broker() as broker:
        for case, body in SCENARIOS.items():
            directory = write_service(tmp_path / case, fixture_tree(case, "after"))
            script = SCENARIO_MAIN.format(body=textwrap.indent(textwrap.dedent(body), "    "))
            run = subprocess.run([str(python), "-c", script, broker.host, str(broker.port)], cwd=directory,
                                 capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"})
            if "scenario ok" not in run.stdout:
                failures.append(f"{case}: {run.stderr.strip()[-800:]}")
    assert failures == []


@pytest.mark.slow
def test_unmigrated_paho_client_with_a_positional_id_fails_on_paho_2(tmp_path):
    """MQ023 is load-bearing: migrated without it, the fixture's paho client raises on paho 2.1.0.
    (MQ024 is disabled too: without MQ023 the positional client id is a use the codemod cannot move, which
    would otherwise hold the whole service back on asyncio-mqtt.)"""
    python = aiomqtt_2_env(tmp_path / "requirements")
    before = fixture_tree("paho-client-callback-version", "before")
    without_mq023 = migrate_files(before, frozenset({"MQ023", "MQ024"}))
    directory = write_service(tmp_path / "without-MQ023", {**before, **without_mq023})
    run = subprocess.run([str(python), "-c", "from svc.status import make_status_client; make_status_client('x', [])"],
                         cwd=directory, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"})
    assert run.returncode != 0 and "ValueError: Unsupported callback API version" in run.stderr, run.stderr


@pytest.mark.slow
def test_mocked_client_assertions_pass_only_when_migrated_with_the_source(tmp_path):
    python = aiomqtt_2_env(tmp_path / "requirements")
    case = "mocked-client-keywords"
    before = fixture_tree(case, "before")
    planned = migrate_files(before)
    # the shared DBL003 rewrites the same call expectations when MQ022 is off: both off is "source only"
    without_mq022 = migrate_files(before, frozenset({"MQ022", "DBL003"}))
    outcomes = {}
    for name, files in {"migrated": planned, "source only": without_mq022}.items():
        directory = write_service(tmp_path / name.replace(" ", "-"), {**before, **files})
        (directory / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
        outcomes[name] = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                                        cwd=directory, capture_output=True, text=True, timeout=120)
    assert outcomes["migrated"].returncode == 0, outcomes["migrated"].stdout[-2000:]
    assert passed(outcomes["migrated"]) == 4
    assert "3 failed" in summary(outcomes["source only"]), summary(outcomes["source only"])


# --- issue 17: no half migration (17.3), no false items (17.7) --------------------------------


def discovered(files: dict[str, str]):
    (service,), _ = discover(MemorySnapshot({f"services/svc/{p}": t for p, t in files.items()}), ("services/*",))
    return service


def test_a_dropped_timeout_equal_to_aiomqtt_2_4s_default_is_not_an_item():
    """0.16's connect()/disconnect() waited 10 s by default; aiomqtt 2.4.0's Client(timeout=None) waits 10 s
    for __aenter__/__aexit__ too (client.py: `if timeout is None: timeout = 10`), so dropping timeout=10 changes
    nothing a human must look at. Another value still does."""
    service = ServiceSource("svc", {"svc/session.py": textwrap.dedent('''\
        from asyncio_mqtt import Client


        class Session:
            async def start(self, host):
                self.client = Client(host)
                await self.client.connect(timeout=10)

            async def stop(self):
                await self.client.disconnect(timeout=10.0)

            async def restart(self):
                await self.client.connect(timeout=30)
        ''')})
    result = RECIPE.codemod().migrate(service)

    assert [(m.rule, m.line) for m in result.manual] == [("MQ016", 13)]
    text = result.changed["svc/session.py"]
    assert text.count("await self.client.__aenter__()") == 2 and "__aexit__(None, None, None)" in text


def test_no_half_migration_a_blocking_use_keeps_the_service_on_asyncio_mqtt():
    """Two consumers of one client cannot be rewritten (aiomqtt 2 would split messages between them), and the
    old package cannot stay beside the new one for that client (see the execution test below): the service is
    not migrated at all, requirements included, and the job says why and lists the blocking uses."""
    files = {"requirements.txt": "asyncio-mqtt==0.16.2\npaho-mqtt==1.6.1\n", "svc/__init__.py": "",
             "svc/bridge.py": WORKER_CLASS}
    change = apply_recipe(discovered(files), RECIPE)

    assert change.changed == {} and change.applied == [] and change.requirement_edits == []
    assert "svc/bridge.py:13 (MQ012), svc/bridge.py:18 (MQ012)" in change.held_back
    assert [(m.rule, m.line) for m in change.manual] == [("MQ012", 13), ("MQ024", 13), ("MQ012", 18)]
    [item] = [m for m in change.manual if m.rule == "MQ024"]
    assert "paho-mqtt 2" in item.reason and "asyncio-mqtt" in item.reason


def test_no_half_migration_each_kind_of_blocking_use():
    blocking = {
        "removed method": "async def stop(client: Client):\n    await client.force_disconnect()\n",
        "unmappable connect": "async def start(client: Client, **options):\n    await client.connect(**options)\n",
        "stream on an exit stack": "async def run(client: Client, stack):\n"
                                   "    return await stack.enter_async_context(client.unfiltered_messages())\n",
        "consumer of an unknown client": "async def run(client):\n    async with client.unfiltered_messages() as ms:\n"
                                         "        async for m in ms:\n            print(m.payload)\n",
    }
    for name, body in blocking.items():
        code = "from asyncio_mqtt import Client\n\n\n" + body
        result = RECIPE.codemod().migrate(ServiceSource("svc", {"svc/app.py": code}))
        assert result.changed == {} and result.held_back, name
        assert "MQ024" in {m.rule for m in result.manual}, name
    names = RECIPE.codemod().migrate(ServiceSource("svc", {"svc/app.py": "from asyncio_mqtt.error import Gone\n"}))
    assert names.changed == {} and "MQ020" in names.held_back
    # disable = ["MQ024"]: the former behaviour, the rest migrated and the blocking use listed for the PR
    allowed = RECIPE.codemod({"disable": ["MQ024"]}).migrate(ServiceSource("svc", {"svc/bridge.py": WORKER_CLASS}))
    assert "from aiomqtt import Client" in allowed.changed["svc/bridge.py"] and not allowed.held_back


@pytest.mark.slow
def test_asyncio_mqtt_cannot_run_beside_aiomqtt_2_4(tmp_path):
    """Why a blocking use holds the whole service back instead of keeping asyncio-mqtt for one client: both
    install together (different import names), but aiomqtt 2.4.0 needs paho-mqtt>=2.1 and asyncio-mqtt 0.16.2's
    Client() calls paho's message_retry_set, which paho 2 removed."""
    python = ensure_env(requirement_lines=["asyncio-mqtt==0.16.2", "aiomqtt==2.4.0", "paho-mqtt==2.1.0"])
    script = ("import asyncio, asyncio_mqtt, aiomqtt\n"
              "async def main():\n"
              "    aiomqtt.Client('127.0.0.1')\n"
              "    asyncio_mqtt.Client('127.0.0.1')\n"
              "asyncio.run(main())\n")
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "has no attribute 'message_retry_set'" in run.stderr, run.stderr[-500:]


def test_a_client_made_by_a_factory_function_is_a_new_client_per_call():
    """`client = make_client(host)` where make_client() returns a new Client: each call is its own client, so a
    consumer reading one of them is its only consumer (real projects build clients in such helpers)."""
    factory = textwrap.dedent('''\
        from asyncio_mqtt import Client


        def make_client(host: str) -> Client:
            client = Client(host, client_id="worker")
            return client
        ''')
    worker = textwrap.dedent('''\
        from svc.factory import make_client


        async def listen(host, sink):
            async with make_client(host) as client:
                async with client.unfiltered_messages() as messages:
                    async for message in messages:
                        sink(message.payload)


        async def other(host, sink):
            client = make_client(host)
            async with client:
                async with client.filtered_messages("a/#") as messages:
                    async for message in messages:
                        sink(message.payload)
        ''')
    result = RECIPE.codemod().migrate(ServiceSource("svc", {"svc/__init__.py": "", "svc/factory.py": factory,
                                                            "svc/worker.py": worker}))
    assert not result.held_back and [m.rule for m in result.manual] == ["MQ018"]  # a plain function builds it
    assert result.changed["svc/worker.py"].count("async for message in client.messages:") == 2
    assert 'Client(host, identifier="worker")' in result.changed["svc/factory.py"]


# --- aiomqtt 1.x: the same 2.0 changes under the same package name (recipe.toml [[also-from]]) ----------

GATEWAY_1X = (FIXTURES / "aiomqtt-1x-service" / "before" / "svc" / "gateway.py").read_text()
ON_2X = "import aiomqtt\n\n\nasync def main(host):\n    async with aiomqtt.Client(host, identifier='x') as client:\n" \
        "        async for message in client.messages:\n            print(message.topic.value)\n"


def planned_jobs(files: dict[str, str]):
    from bot.config import Config
    from bot.plan.jobs import make_plan
    (service,), skipped = discover(MemorySnapshot({f"services/svc/{p}": t for p, t in files.items()}), ("services/*",))
    plan = make_plan([service], skipped, [RECIPE], Config(source=""))
    return service, plan


@pytest.mark.parametrize("declared,bumped", [
    ("aiomqtt>=1.2,<2", "aiomqtt>=2.4.0,<3"),  # a range stays a range
    ("aiomqtt==1.2.1", "aiomqtt==2.4.0"),
    ("aiomqtt~=1.2", "aiomqtt>=2.4.0,<3"),  # the existing bump rules (bot.declared.spec_style)
    ("aiomqtt", "aiomqtt==2.4.0"),  # admits 2.x too: planned because the code is on 1.x
])
def test_a_service_on_aiomqtt_1x_gets_a_job_with_its_requirement_bumped(declared, bumped):
    files = {"requirements.txt": f"{declared}\npaho-mqtt>=1.6,<2\n", "svc/gateway.py": GATEWAY_1X}
    service, plan = planned_jobs(files)
    assert [job.recipe.id for job in plan.jobs] == ["aiomqtt-2.4.0"]
    change = apply_recipe(service, RECIPE)
    assert change.held_back == "" and change.changed["svc/gateway.py"] != GATEWAY_1X
    # no import rename, no asyncio-mqtt added; aiomqtt 1.x's paho-mqtt<2 cap moves with it
    assert change.changed["requirements.txt"].splitlines() == [bumped, "paho-mqtt>=2.1.0,<3"]
    assert "asyncio_mqtt" not in change.changed["svc/gateway.py"]


@pytest.mark.parametrize("declared", ["aiomqtt>=2", "aiomqtt==2.4.0", "aiomqtt>=2.0,<3", "aiomqtt"])
def test_a_service_already_on_aiomqtt_2_gets_no_job(declared):
    service, plan = planned_jobs({"requirements.txt": f"{declared}\n", "svc/listen.py": ON_2X})
    assert plan.jobs == []
    [skipped] = plan.not_applicable
    assert skipped.reason.startswith("aiomqtt-2.4.0: ")


def test_an_aiomqtt_1x_use_the_codemod_cannot_move_keeps_the_service_on_1x():
    files = {"requirements.txt": "aiomqtt>=1.2,<2\n",
             "svc/stop.py": "import aiomqtt\n\n\nasync def stop(client: aiomqtt.Client):\n    await client.force_disconnect()\n"}
    service, plan = planned_jobs(files)
    change = apply_recipe(service, RECIPE)
    assert change.changed == {} and change.held_back.startswith("services/svc: aiomqtt stays at 1.x")
    [item] = [m for m in change.manual if m.rule == "MQ024"]
    assert (item.file, item.line) == ("svc/stop.py", 5) and "aiomqtt 1.x API" in item.reason


@pytest.mark.slow
def test_an_aiomqtt_1x_fixtures_tests_pass_on_2_4_once_migrated(tmp_path):
    """The aiomqtt-1x-service fixture's mocked tests (autospec'd class, connect side effect, client_id read from
    call_args) pass on aiomqtt 2.4.0 with the migrated source (its broker run is a SCENARIOS entry)."""
    python = aiomqtt_2_env(tmp_path / "requirements")
    directory = write_service(tmp_path / "svc", fixture_tree("aiomqtt-1x-service", "after"))
    (directory / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=directory,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and passed(run) == 2, run.stdout[-2000:]


def test_a_consumer_fed_by_a_fixture_client_in_tests_keeps_its_queue_bound_on_the_production_client():
    """The tests' fixture client is a client of its own (one per test), so the consumer stays single; its bound
    moves to the Client() production code builds, as when the tests passed a mock."""
    files = {
        "svc/app.py": "from asyncio_mqtt import Client\n\n\nasync def consume(client, sink):\n"
                      "    async with client.messages(queue_maxsize=5) as messages:\n"
                      "        async for message in messages:\n            sink(message.payload)\n\n\n"
                      "async def main(host, sink):\n    async with Client(host) as client:\n        await consume(client, sink)\n",
        "tests/conftest.py": "import pytest\nfrom asyncio_mqtt import Client\n\n\n@pytest.fixture\nasync def office():\n"
                             "    async with Client('localhost') as client:\n        yield client\n",
        "tests/test_app.py": "from svc.app import consume\n\n\nasync def test_consume(office):\n    await consume(office, print)\n",
    }
    result = RECIPE.codemod().migrate(ServiceSource("svc", files))
    assert result.manual == [] and not result.held_back
    assert "async with Client(host, max_queued_incoming_messages=5) as client:" in result.changed["svc/app.py"]
    assert "async for message in client.messages:" in result.changed["svc/app.py"]
    assert "Client('localhost') as client" in result.changed["tests/conftest.py"]


@pytest.mark.parametrize("constraint,planned", [("^1.2", True), ("^2.0", False), ("1.2.1", True), ("2.4.0", False)])
def test_a_poetry_constraint_is_read_as_its_range(constraint, planned):
    pyproject = (f'[tool.poetry]\nname = "svc"\nversion = "1"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                 f'aiomqtt = "{constraint}"\n')
    _, plan = planned_jobs({"pyproject.toml": pyproject, "svc/gateway.py": GATEWAY_1X if planned else ON_2X})
    assert [job.recipe.id for job in plan.jobs] == (["aiomqtt-2.4.0"] if planned else [])
