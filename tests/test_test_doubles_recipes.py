"""Issue 17 items 1-2 through the bundled recipes: a service's tests follow the migration (patch targets,
mocked members, call expectations) and every imported name is checked against the real new version.

Only the recipes' public entry point is used (load_recipe(...).codemod().migrate(...)), so these tests run
unchanged against an older checkout too: that is how each was shown failing before the shared rules existed.
Services are written here, in the shapes real projects' tests take (never copied from them).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from bot.change.recipe import load_recipe
from bot.model import ServiceSource

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def migrate(recipe_id: str, files: dict[str, str]):
    recipe = load_recipe(RECIPES / recipe_id)
    source = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = recipe.codemod().migrate(ServiceSource("svc", source))
    return {**source, **result.changed}, result


def items(result, rule_prefix=("DBL", "AUD")):
    return sorted((m.file, m.line, m.rule) for m in result.manual if m.rule.startswith(rule_prefix))


# ----- influxdb3-python ------------------------------------------------------------------------------

INFLUX_SERVICE = {
    "requirements.txt": "influxdb-client==1.50.0\n",
    "pkg/__init__.py": "",
    "pkg/adapter.py": """
        from influxdb_client import InfluxDBClient, Point
        from influxdb_client.client.write_api import SYNCHRONOUS


        class Store:
            def __init__(self, url, token, org, bucket):
                self.client = InfluxDBClient(url=url, token=token, org=org)
                self.write_api = self.client.write_api(write_options=SYNCHRONOUS)
                self.bucket = bucket

            def save(self, value):
                self.write_api.write(bucket=self.bucket, record=Point("m").field("v", value))
        """,
    "tests/conftest.py": """
        from unittest import mock
        import pytest


        @pytest.fixture
        def client():
            with mock.patch("pkg.adapter.InfluxDBClient", autospec=True) as client_cls:
                client = mock.MagicMock()
                client_cls.return_value = client
                yield client


        @pytest.fixture
        def api(client):
            api = mock.MagicMock()
            client.write_api.return_value = api
            return api
        """,
    "tests/test_store.py": """
        from unittest import mock
        from pkg.adapter import Store


        def test_save(client, api):
            Store("http://localhost:8086", "t", "o", "b").save(1)
            assert api.write.called
            assert api.write.call_args.kwargs["bucket"] == "b"


        @mock.patch("pkg.adapter.InfluxDBClient")
        def test_chain(client_cls):
            Store("http://localhost:8086", "t", "o", "b").save(2)
            kwargs = client_cls.return_value.write_api.return_value.write.call_args.kwargs
            assert kwargs["bucket"] == "b"
        """,
}


def test_influx_patch_target_follows_the_service_modules_renamed_import():
    files, _ = migrate("influxdb3-python-0.17.0", INFLUX_SERVICE)
    assert 'from influxdb_client_3 import InfluxDBClient3' in files["pkg/adapter.py"]
    assert 'mock.patch("pkg.adapter.InfluxDBClient3", autospec=True)' in files["tests/conftest.py"]
    assert '@mock.patch("pkg.adapter.InfluxDBClient3")' in files["tests/test_store.py"]


def test_influx_write_api_mock_in_a_fixture_is_remade_on_the_client():
    files, _ = migrate("influxdb3-python-0.17.0", INFLUX_SERVICE)
    assert "client.write = api.write" in files["tests/conftest.py"]
    assert "write_api" not in files["tests/conftest.py"]


def test_influx_call_args_of_the_old_write_follow_the_new_call():
    files, _ = migrate("influxdb3-python-0.17.0", INFLUX_SERVICE)
    test = files["tests/test_store.py"]
    assert 'api.write.call_args.kwargs["database"] == "b"' in test
    assert "kwargs = client_cls.return_value.write.call_args.kwargs" in test
    assert 'kwargs["database"] == "b"' in test


def test_influx_constructor_expectation_lists_the_keyword_the_recipe_added():
    service = dict(INFLUX_SERVICE)
    service["tests/test_build.py"] = """
        from unittest import mock
        from pkg.adapter import Store


        @mock.patch("pkg.adapter.InfluxDBClient")
        def test_build(client_cls):
            Store("http://localhost:8086", "t", "o", "b")
            client_cls.assert_called_once_with(url="http://localhost:8086", token="t", org="o")
        """
    files, result = migrate("influxdb3-python-0.17.0", service)
    assert 'client_cls.assert_called_once_with(host="http://localhost:8086", token="t", org="o")' \
        in files["tests/test_build.py"]
    [item] = [m for m in result.manual if m.file == "tests/test_build.py"]
    assert item.rule == "DBL003" and "database=" in item.reason and "database=..." in item.suggestion


def test_influx_mock_put_straight_onto_the_write_api_class_is_listed_and_its_reads_follow():
    """A test assigning a mock onto WriteApi.write itself (no patcher; at module level, in a fixture, in setUp or in
    the test) and reading the calls back through that name: the migrated code writes through InfluxDBClient3.write,
    so the assignment is listed with what to mock instead, the read of bucket= follows (database=) and the read of
    org=, which the migrated call drops, is listed. The patch form of the same target is rewritten."""
    service = dict(INFLUX_SERVICE)
    service["pkg/adapter.py"] = service["pkg/adapter.py"].replace("bucket=self.bucket,", "bucket=self.bucket, org='o',")
    service["tests/test_direct.py"] = """
        import unittest
        from unittest.mock import MagicMock, Mock, patch

        import influxdb_client
        import pytest
        from influxdb_client.client.write_api import WriteApi
        from pkg.adapter import Store

        influxdb_client.client.write_api.WriteApi.flush = Mock()


        @pytest.fixture
        def writes():
            WriteApi.write = MagicMock()
            return WriteApi.write


        def test_assigned():
            influxdb_client.client.write_api.WriteApi.write = Mock()
            Store("http://localhost:8086", "t", "o", "b").save(1)
            kwargs = influxdb_client.client.write_api.WriteApi.write.call_args_list[0].kwargs
            assert kwargs["bucket"] == "b"
            assert kwargs["org"] == "o"


        def test_monkeypatched(monkeypatch):
            monkeypatch.setattr(WriteApi, "write", Mock())
            Store("http://localhost:8086", "t", "o", "b").save(1)
            assert WriteApi.write.call_args.kwargs["bucket"] == "b"


        def test_patched():
            with patch("influxdb_client.client.write_api.WriteApi.write") as write:
                Store("http://localhost:8086", "t", "o", "b").save(1)
            assert write.call_args.kwargs["bucket"] == "b"


        class DirectTest(unittest.TestCase):
            def setUp(self):
                Store.save = Mock()  # the service's own class: nothing to migrate

            def test_own(self):
                Store("http://localhost:8086", "t", "o", "b").save(1)
                Store.save.assert_called_once_with(1)
        """
    files, result = migrate("influxdb3-python-0.17.0", service)
    test = files["tests/test_direct.py"]
    assert 'call_args_list[0].kwargs\n    assert kwargs["database"] == "b"' in test
    assert 'WriteApi.write.call_args.kwargs["database"] == "b"' in test
    assert 'patch("influxdb_client_3.InfluxDBClient3.write") as write' in test
    assert 'write.call_args.kwargs["database"] == "b"' in test
    assert "Store.save = Mock()" in test and "Store.save.assert_called_once_with(1)" in test
    found = {m.line: (m.rule, m.suggestion) for m in result.manual if m.file == "tests/test_direct.py"}
    assert found == {
        6: ("INF111", None),  # the recipe's own item: the v2 import kept for WriteApi
        9: ("INF111", None),  # influxdb_client.<...> chains: the recipe lists the line, the shared rule adds none
        14: ("DBL001", "influxdb_client_3.InfluxDBClient3.write = MagicMock()"),
        19: ("INF111", None),
        21: ("INF111", None),
        23: ("DBL003", "drop this check"),  # org= is dropped by the migrated write
        27: ("DBL001", "patch influxdb_client_3.InfluxDBClient3.write"),
    }


def test_influx_query_api_mock_is_listed_with_the_test_line():
    service = dict(INFLUX_SERVICE)
    service["tests/test_query.py"] = """
        from unittest import mock


        def test_query(mocker):
            client_cls = mocker.patch("pkg.adapter.InfluxDBClient")
            client_cls.return_value.query_api.return_value.query.return_value = []
        """
    _, result = migrate("influxdb3-python-0.17.0", service)
    [item] = [m for m in result.manual if m.file == "tests/test_query.py"]
    assert (item.rule, item.line) == ("DBL002", 6) and "query_api" in item.reason and item.suggestion


# ----- aiomqtt -----------------------------------------------------------------------------------------

MQTT_SERVICE = {
    "requirements.txt": "asyncio-mqtt==0.16.2\npaho-mqtt==1.6.1\n",
    "pkg/__init__.py": "",
    "pkg/listener.py": """
        import asyncio_mqtt

        HOST, PORT = "broker", 1883


        class Listener:
            def __init__(self):
                self.client = asyncio_mqtt.Client(HOST, PORT, client_id="svc-1")
                self.seen = []

            async def start(self):
                await self.client.connect()

            async def run(self):
                async with self.client.unfiltered_messages() as messages:
                    async for message in messages:
                        self.seen.append(message.payload)

            async def stop(self):
                await self.client.disconnect()
        """,
    "tests/conftest.py": """
        from unittest import mock
        import pytest


        @pytest.fixture(name="mqtt")
        def mqtt_client_class():
            with mock.patch("pkg.listener.asyncio_mqtt.Client") as client_cls:
                client_cls.return_value.connect = mock.AsyncMock()
                client_cls.return_value.disconnect = mock.AsyncMock()
                yield client_cls
        """,
    "tests/test_listener.py": """
        from unittest.mock import call
        import pytest
        from pkg.listener import HOST, PORT, Listener


        async def test_start(mqtt):
            await Listener().start()
            assert mqtt.call_args_list == [call(HOST, PORT, client_id="svc-1")]


        async def test_connect_fails(mqtt):
            mqtt.return_value.connect.side_effect = OSError("refused")
            with pytest.raises(OSError):
                await Listener().start()


        async def test_stop(mqtt):
            await Listener().stop()
            mqtt.return_value.disconnect.assert_awaited_once_with()


        async def test_messages(mqtt):
            mqtt.return_value.unfiltered_messages.side_effect = RuntimeError
            with pytest.raises(RuntimeError):
                await Listener().run()
        """,
}


def test_aiomqtt_mocked_connect_and_disconnect_follow_the_source():
    files, _ = migrate("aiomqtt-2.4.0", MQTT_SERVICE)
    conftest, test = files["tests/conftest.py"], files["tests/test_listener.py"]
    assert 'mock.patch("pkg.listener.aiomqtt.Client")' in conftest
    assert "client_cls.return_value.__aenter__ = mock.AsyncMock()" in conftest
    assert "client_cls.return_value.__aexit__ = mock.AsyncMock()" in conftest
    assert 'mqtt.return_value.__aenter__.side_effect = OSError("refused")' in test
    assert "mqtt.return_value.__aexit__.assert_awaited_once_with(None, None, None)" in test


def test_aiomqtt_call_expectation_behind_a_named_fixture_follows_the_keyword_rename():
    files, _ = migrate("aiomqtt-2.4.0", MQTT_SERVICE)
    assert 'call(HOST, PORT, identifier="svc-1")' in files["tests/test_listener.py"]


def test_aiomqtt_methods_mocked_on_the_class_by_assignment_follow_the_source():
    """`asyncio_mqtt.Client.disconnect = AsyncMock()` (no patcher) and its expectation read through the class: the
    assignment and the read are renamed as the source's calls are, and the expectation gets the arguments the
    migrated source passes (`__aexit__(None, None, None)`), although the recipe itself renamed the module in it."""
    service = dict(MQTT_SERVICE)
    service["tests/test_assigned.py"] = """
        from unittest.mock import AsyncMock
        import asyncio_mqtt
        from pkg.listener import Listener


        async def test_stop():
            asyncio_mqtt.Client.disconnect = AsyncMock()
            await Listener().stop()
            asyncio_mqtt.Client.disconnect.assert_awaited_once_with()
        """
    files, result = migrate("aiomqtt-2.4.0", service)
    test = files["tests/test_assigned.py"]
    assert "aiomqtt.Client.__aexit__ = AsyncMock()" in test
    assert "aiomqtt.Client.__aexit__.assert_awaited_once_with(None, None, None)" in test
    assert [m for m in result.manual if m.file == "tests/test_assigned.py"] == []


def test_aiomqtt_mock_of_a_removed_method_is_listed():
    _, result = migrate("aiomqtt-2.4.0", MQTT_SERVICE)
    [item] = [m for m in result.manual if m.file == "tests/test_listener.py"]
    assert item.rule == "DBL002" and item.line == 23 and "unfiltered_messages" in item.reason
    assert "PropertyMock" in item.suggestion and ".messages" in item.suggestion


# ----- pytest-asyncio: the import audit -------------------------------------------------------------------

def test_pytest_asyncio_import_of_a_name_gone_in_1_3_is_rewritten_from_the_map():
    files, result = migrate("pytest-asyncio-1.3.0", {
        "requirements.txt": "pytest==7.4.4\npytest-asyncio==0.21.2\n",
        "tests/conftest.py": """
            import pytest
            from pytest_asyncio.plugin import SubRequest


            @pytest.fixture
            def name(request: SubRequest) -> str:
                return request.fixturename
            """,
        "tests/test_x.py": "def test_x(name):\n    assert name == 'name'\n",
    })
    assert "from _pytest.fixtures import SubRequest" in files["tests/conftest.py"]
    assert "pytest_asyncio.plugin" not in files["tests/conftest.py"]
    assert items(result) == []


def test_pytest_asyncio_use_of_a_name_the_new_version_lacks_is_listed():
    _, result = migrate("pytest-asyncio-1.3.0", {
        "requirements.txt": "pytest==7.4.4\npytest-asyncio==0.21.2\n",
        "tests/helpers.py": "import pytest_asyncio.plugin\n\nLOOP = pytest_asyncio.plugin.event_loop\n",
    })
    [item] = [m for m in result.manual if m.rule == "AUD001"]
    assert item.file == "tests/helpers.py" and "event_loop" in item.reason and "1.3.0" in item.reason


# ----- tenacity (in the rule form: the shared rules are in its registry) -----------------------------------

def test_tenacity_patch_through_a_service_module_stays_when_its_import_only_moved():
    files, result = migrate("tenacity-9.1.2", {
        "requirements.txt": "tenacity==8.2.3\n",
        "svc/__init__.py": "",
        "svc/jobs.py": "from tenacity._asyncio import AsyncRetrying\n\nRETRYING = AsyncRetrying\n",
        "tests/test_jobs.py": """
            from unittest import mock


            def test_job():
                with mock.patch("svc.jobs.AsyncRetrying") as retrying:
                    assert retrying
            """,
    })
    assert files["svc/jobs.py"].startswith("from tenacity import AsyncRetrying")
    assert 'mock.patch("svc.jobs.AsyncRetrying")' in files["tests/test_jobs.py"]
    assert items(result) == []


def test_tenacity_patch_of_the_removed_module_is_listed_once():
    _, result = migrate("tenacity-9.1.2", {
        "requirements.txt": "tenacity==8.2.3\n",
        "svc/jobs.py": "import tenacity\n",
        "tests/test_jobs.py": "from unittest import mock\n\n\ndef test_job():\n"
                              "    with mock.patch('tenacity._asyncio.sleep'):\n        pass\n",
    })
    assert sorted((m.file, m.line) for m in result.manual) == [("tests/test_jobs.py", 5)]


def test_tenacity_import_audit_lists_a_name_9_1_2_does_not_have():
    _, result = migrate("tenacity-9.1.2", {
        "requirements.txt": "tenacity==8.2.3\n",
        "svc/waits.py": "from tenacity.compat import get_callback_name\n",
    })
    assert items(result) == [("svc/waits.py", 1, "AUD001")]


def test_influx_mock_on_the_package_s_own_spelling_of_write_api_follows_the_same_signature():
    """`influxdb_client.WriteApi` is the package's re-export of `influxdb_client.client.write_api.WriteApi`: a mock put
    on either spelling records what the migrated code passes to InfluxDBClient3.write (one signature entry serves
    every spelling the map sends to the same new name)."""
    service = dict(INFLUX_SERVICE)
    service["pkg/adapter.py"] = service["pkg/adapter.py"].replace("bucket=self.bucket,", "bucket=self.bucket, org='o',")
    service["tests/test_package_spelling.py"] = """
        from unittest import mock

        import influxdb_client
        from influxdb_client import WriteApi
        from pkg.adapter import Store


        def test_top_level_spelling():
            influxdb_client.WriteApi.write = mock.MagicMock()
            Store("http://localhost:8086", "t", "o", "b").save(1)
            _, kwargs = influxdb_client.WriteApi.write.call_args
            assert kwargs["bucket"] == "b"
            assert kwargs["org"] == "o"


        def test_imported_name():
            WriteApi.write = mock.Mock()
            Store("http://localhost:8086", "t", "o", "b").save(1)
            assert WriteApi.write.call_args.kwargs["bucket"] == "b"
        """
    files, result = migrate("influxdb3-python-0.17.0", service)
    test = files["tests/test_package_spelling.py"]
    assert test.count('kwargs["database"] == "b"') == 2 and 'kwargs["bucket"]' not in test
    items = {(m.line, m.rule) for m in result.manual if m.file == "tests/test_package_spelling.py"}
    assert (13, "DBL003") in items  # org=, which the migrated write drops
