"""The shared test-double rules and the import audit on plain data: a small recipe of this file (`oldlib` 1 ->
`newlib` 2, whose one rule renames the import) followed by the shared rules bound to its migration map.
What each shape of test (fixtures by pytest name, @patch decorators, mocker, monkeypatch, plain mocks plugged
into a patch, fakes) must become, and what must be left alone."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from bot.analysis import ServiceAnalysis, import_from_module
from bot.analysis.doubles import DoubleValues
from bot.analysis.migration_map import MigrationMapError, format_path, member_path, parse_migration_map
from bot.change.doubles import migration_rules, double_rules
from bot.change.edit_plan import EditPlan
from bot.change.engine import RuleCodemod
from bot.change.examples import example_problems
from bot.change.import_editor import ImportEditor
from bot.change.rule import REWRITE, Rule
from bot.model import ServiceSource

MAP = {
    "names": {"oldlib": "newlib", "oldlib.Client": "newlib.NewClient"},
    "gone": {"oldlib.legacy": {"why": "legacy() was removed in 2.0", "suggestion": "newlib.modern()"}},
    "classes": {"oldlib.Client": {
        "init": {"keywords": {"client_id": "identifier"}, "dropped": ["retry"]},
        "members": {
            "connect": "open",
            "stream": {"removed": "no stream() in 2.0", "suggestion": "client.messages"},
            "fetch_api().get": {"to": "get", "keywords": {"bucket": "database"}, "dropped": ["org"],
                                "positional": ["bucket", "org", "record"]},
            "fetch_api().flush": "flush",
        }}},
}


class RenameImport(Rule):
    """The recipe's own rule: `from oldlib import Client` -> `from newlib import NewClient` (and its uses)."""

    ID = "OLD001"
    KIND = REWRITE
    MESSAGE = "oldlib -> newlib"

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.options.get("keep_old") and self.path.startswith("pkg/"):
            return  # a half migration: this module keeps the old client
        if import_from_module(node, self.parsed.package) == "oldlib" and not isinstance(node.names, cst.ImportStar):
            self.imports.set_module(node, "newlib")
            for alias in node.names:
                if alias.name.value == "Client":
                    self.imports.rename(alias, "NewClient")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if isinstance(alias.name, cst.Name) and alias.name.value == "oldlib":
                self.imports.rename(alias, "newlib")

    def visit_Name(self, node: cst.Name) -> None:
        if self.options.get("keep_old") and self.path.startswith("pkg/"):
            return
        if node.value == "Client" and not isinstance(self.parsed.parent(node), cst.ImportAlias) \
                and self.analysis.names_of(self.parsed, node) == {"oldlib.Client"}:
            self.rename(node, "NewClient")


class _DropHelper(Rule):
    ID = "OLD002"
    KIND = REWRITE
    MESSAGE = "drops oldlib.helper (2.0 removed it)"

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if isinstance(node.name, cst.Name) and node.name.value == "helper" and self.path.startswith("pkg/"):
            self.imports.drop(node)


def codemod(mapping=None, *rules):
    rules = rules or double_rules(parse_migration_map(mapping or MAP))
    return type("Demo", (RuleCodemod,), {"RULES": (RenameImport, *rules)})


def migrate(files: dict[str, str], mapping=None, options=None, rules=()):
    source = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = codemod(mapping, *rules)(options or {}).migrate(ServiceSource("svc", source))
    return {**source, **result.changed}, result


ADAPTER = """
    from oldlib import Client


    def make():
        client = Client("h", client_id="x")
        client.connect()
        client.fetch_api().get(bucket="b", record=1)
        return client
    """


def service(**tests: str) -> dict[str, str]:
    return {"pkg/__init__.py": "", "pkg/adapter.py": ADAPTER, **{f"tests/{k}.py": v for k, v in tests.items()}}


# ----- the migration map --------------------------------------------------------------------------------

def test_member_paths_read_and_print_alike():
    assert member_path("fetch_api().get") == ("fetch_api", "()", "get")
    assert format_path(("fetch_api", "()", "get")) == "fetch_api().get"


def test_a_module_entry_maps_what_is_under_it_unless_a_longer_entry_says_otherwise():
    mapping = parse_migration_map({"names": {"a": "b", "a.err.E": "b.E"}})
    assert mapping.new_name("a.x.Y") == "b.x.Y"
    assert mapping.new_name("a.err.E") == "b.E"
    assert mapping.replacement_for("b.err.E") == "b.E"  # what the module-wide rename made of it


@pytest.mark.parametrize("data, message", [
    ({"name": {}}, "unknown table 'name'"),
    ({"classes": {"a.B": {"members": {"x": {"removed": "why", "to": "y"}}}}}, "either removed or moved"),
    ({"classes": {"a.B": {"init": {"keyword": {}}}}}, "classes.a.B.init: unknown key 'keyword'"),
    ({"audit": {"packages": "x", "table": "t.json", "environment": []}}, "audit.packages must be an array"),
])
def test_a_bad_map_is_one_line_naming_the_file_and_the_key(data, message):
    with pytest.raises(MigrationMapError, match=message) as caught:
        parse_migration_map(data, "recipes/x/migration.toml")
    assert str(caught.value).startswith("recipes/x/migration.toml: ") and "\n" not in str(caught.value)


# ----- patch targets (DBL001) ----------------------------------------------------------------------------

def test_every_patcher_form_follows_the_service_modules_renamed_import():
    files, result = migrate(service(test_a="""
        from unittest import mock
        from unittest.mock import patch
        import pkg.adapter
        from pkg import adapter


        @patch("pkg.adapter.Client")
        def test_deco(client_cls):
            pass


        def test_forms(mocker, monkeypatch):
            mocker.patch("pkg.adapter.Client")
            mocker.patch.object(adapter, "Client")
            monkeypatch.setattr("pkg.adapter.Client", mock.MagicMock())
            monkeypatch.setattr(pkg.adapter, "Client", mock.MagicMock())
            with mock.patch.object(pkg.adapter, "Client"):
                pass
        """))
    test = files["tests/test_a.py"]
    assert "Client\"" not in test.replace("NewClient\"", "")
    assert test.count('"pkg.adapter.NewClient"') == 3 and test.count('"NewClient"') == 3
    assert [i for i in result.manual] == []


def test_patch_object_on_a_library_class_follows_its_members_under_any_old_spelling():
    """`@patch.object(oldlib.client.Client, "connect")` after the test's `import oldlib...` became newlib's: a renamed
    member is renamed (also when the class is spelled through another module the map sends to the same new class),
    a member that kept its name is left alone (no item: the class the owner names now has it)."""
    mapping = {**MAP, "names": {**MAP["names"], "oldlib.client.Client": "newlib.NewClient"}}
    files, result = migrate(service(test_a="""
        from unittest import mock
        import oldlib


        @mock.patch.object(oldlib.Client, "connect")
        @mock.patch.object(oldlib.client.Client, "connect")
        @mock.patch.object(oldlib.Client, "close")
        def test_it(close, connect, connect_too):
            pass


        def test_multiple():
            with mock.patch.multiple(oldlib.Client, connect=mock.DEFAULT, close=mock.DEFAULT, autospec=True):
                pass
            with mock.patch.multiple("pkg.adapter.Client", connect=mock.DEFAULT, stream=mock.DEFAULT):
                pass
        """), mapping)
    test = files["tests/test_a.py"]
    assert test.count('"open"') == 2 and '"close"' in test
    assert "multiple(oldlib.Client, open=mock.DEFAULT, close=mock.DEFAULT, autospec=True)" in test
    assert 'multiple("pkg.adapter.NewClient", open=mock.DEFAULT, stream=mock.DEFAULT)' in test
    assert [(m.line, m.rule, m.suggestion) for m in result.manual] == [(15, "DBL001", "client.messages")]  # stream() is gone


def test_a_library_target_is_renamed_unless_the_service_still_imports_the_old_name():
    tests = """
        from unittest import mock


        def test_it():
            with mock.patch("oldlib.Client"):
                pass
        """
    files, _ = migrate(service(test_a=tests))
    assert 'mock.patch("newlib.NewClient")' in files["tests/test_a.py"]
    half = service(test_a=tests)
    half["pkg/legacy.py"] = "import oldlib.Client as C\n"  # a module the recipe did not move (half migration)
    files, _ = migrate(half, rules=double_rules(parse_migration_map(MAP)))
    assert 'mock.patch("oldlib.Client")' in files["tests/test_a.py"]


def test_a_target_the_recipe_kept_old_stays_and_its_mocks_too():
    files, result = migrate(service(test_a="""
        from unittest import mock


        def test_it():
            with mock.patch("pkg.adapter.Client") as client_cls:
                client_cls.return_value.connect.side_effect = OSError
        """), options={"keep_old": True}, rules=double_rules(parse_migration_map(MAP)))
    # keep_old: the recipe left pkg/adapter.py on oldlib (no half migration), so its tests stay as they are
    assert 'mock.patch("pkg.adapter.Client")' in files["tests/test_a.py"]
    assert "client_cls.return_value.connect.side_effect" in files["tests/test_a.py"]
    assert result.manual == []


def test_a_removed_name_and_a_vanished_binding_are_listed_with_the_test_line():
    files, result = migrate({
        "pkg/__init__.py": "", "pkg/adapter.py": "from oldlib import Client, helper\n\nCLIENT = Client\n",
        "tests/test_a.py": """
            from unittest import mock


            def test_it(mocker):
                mocker.patch("oldlib.legacy")
                mocker.patch("pkg.adapter.gone_helper")
            """,
    })
    found = sorted((m.line, m.rule, m.suggestion) for m in result.manual)
    assert found == [(5, "DBL001", "newlib.modern()")]  # pkg.adapter.gone_helper never existed: not ours to say


def test_a_name_gone_with_its_whole_package_is_listed_unless_the_service_keeps_the_package():
    """influx's map says all of influxdb_client that it does not map is gone (a module-wide [gone] entry): a test
    patching such a name breaks once the package is no longer installed, not while the service keeps it."""
    mapping = {**MAP, "gone": {"oldlib": "oldlib's other APIs have no counterpart in newlib"}}
    tests = "def test_it(mocker):\n    mocker.patch('oldlib.admin.Users')\n    mocker.patch('oldlib.Client')\n"
    files, result = migrate(service(test_a=tests), mapping)
    assert [(i.line, i.rule, i.reason.split(": ", 1)[1]) for i in result.manual] == [
        (2, "DBL001", "oldlib's other APIs have no counterpart in newlib")]
    assert "mocker.patch('newlib.NewClient')" in files["tests/test_a.py"]
    kept = {**service(test_a=tests), "pkg/reports.py": "from oldlib.reports import export\n"}
    files, result = migrate(kept, mapping)
    assert result.manual == [] and "mocker.patch('oldlib.admin.Users')" in files["tests/test_a.py"]


def test_a_name_the_recipe_dropped_from_a_service_module_is_listed():
    files, result = migrate({
        "pkg/__init__.py": "", "pkg/adapter.py": "from oldlib import Client, helper\n\nCLIENT = Client\n",
        "tests/test_a.py": "from pkg import adapter\n\n\ndef test_it(mocker, monkeypatch):\n"
                           "    mocker.patch('pkg.adapter.helper')\n    mocker.patch.object(adapter, 'helper')\n"
                           "    monkeypatch.setattr(adapter, 'helper', None)\n",
    }, rules=[_DropHelper, *double_rules(parse_migration_map(MAP))])
    assert [(i.file, i.line, i.rule) for i in result.manual] == [("tests/test_a.py", n, "DBL001") for n in (5, 6, 7)]
    assert all("pkg.adapter no longer imports what `pkg.adapter.helper` named" in i.reason for i in result.manual)


def test_sys_modules_keys_follow_a_renamed_module():
    files, _ = migrate(service(test_a="""
        import sys
        from unittest import mock


        def test_it(monkeypatch):
            with mock.patch.dict(sys.modules, {"oldlib": mock.MagicMock()}):
                pass
            monkeypatch.setitem(sys.modules, "oldlib", mock.MagicMock())
        """))
    assert files["tests/test_a.py"].count('"newlib"') == 2


# ----- mocked members (DBL002) ------------------------------------------------------------------------------

def test_fixtures_are_found_by_their_pytest_name_nearest_conftest_first():
    files, _ = migrate({
        **service(),
        "tests/conftest.py": """
            import pytest
            from unittest import mock


            @pytest.fixture(name="client")
            def far_away():
                return mock.MagicMock()
            """,
        "tests/unit/conftest.py": """
            import pytest
            from unittest import mock


            @pytest.fixture(name="client")
            def client_fixture():
                with mock.patch("pkg.adapter.Client") as client_cls:
                    yield client_cls.return_value
            """,
        "tests/unit/test_a.py": "def test_it(client):\n    client.connect.side_effect = OSError\n",
        "tests/test_b.py": "def test_other(client):\n    client.connect.side_effect = OSError\n",
    })
    assert "client.open.side_effect" in files["tests/unit/test_a.py"]
    assert "client.connect.side_effect" in files["tests/test_b.py"]  # the root conftest's client is no Client


def test_a_patcher_re_exported_under_another_name_is_still_followed():
    files, _ = migrate({
        **service(),
        "tests/helpers.py": "from unittest.mock import patch as swap\n",
        "tests/test_a.py": """
            from tests.helpers import swap


            @swap("pkg.adapter.Client")
            def test_it(client_cls):
                client_cls.return_value.connect.assert_called_once()
            """,
    })
    test = files["tests/test_a.py"]
    assert '@swap("pkg.adapter.NewClient")' in test and "client_cls.return_value.open" in test


@pytest.mark.parametrize(("extra", "mocks"), [
    ({}, False),  # no file names a mock: the rules skip the service's tests
    ({"tests/helpers.py": "from unittest.mock import patch as swap\n"}, True),
    ({"tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef c(monkeypatch):\n    return monkeypatch\n"}, True),
    ({"tests/mock.py": "def patch(target):\n    return target\n"}, True),  # resolves like the `mock` package
])
def test_a_service_holds_mocks_when_some_file_can_make_one(extra, mocks):
    files = {**service(test_a="def test_it():\n    assert True\n"), **extra}
    assert DoubleValues(ServiceAnalysis(files)).any_mocks() is mocks


def test_patch_decorators_hand_their_mocks_bottom_up_after_self():
    files, _ = migrate(service(test_a="""
        import unittest
        from unittest import mock


        class TestIt(unittest.TestCase):
            @mock.patch("pkg.adapter.other")
            @mock.patch("pkg.adapter.Client")
            def test_it(self, client_cls, other):
                client_cls.return_value.connect.assert_called_once()
                other.connect.assert_called_once()
        """))
    test = files["tests/test_a.py"]
    assert "client_cls.return_value.open.assert_called_once()" in test
    assert "other.connect.assert_called_once()" in test


def test_plain_mocks_plugged_into_a_patch_stand_for_what_they_replace():
    files, result = migrate(service(test_a="""
        from unittest import mock


        def test_lambda(monkeypatch):
            fake = mock.MagicMock()
            monkeypatch.setattr("pkg.adapter.Client", lambda *args, **kwargs: fake)
            fake.connect.assert_called_once()


        def test_return_value(mocker):
            instance = mock.MagicMock()
            mocker.patch("pkg.adapter.Client", return_value=instance)
            instance.stream.return_value = []


        def test_spec():
            client = mock.create_autospec(pkg_client(), instance=True)
            client.connect()
        """))
    test = files["tests/test_a.py"]
    assert "fake.open.assert_called_once()" in test
    assert [(m.line, m.rule) for m in result.manual] == [(13, "DBL002")]


def test_mocks_handed_out_one_per_call_by_side_effect_stand_for_instances():
    files, result = migrate(service(test_a="""
        from unittest import mock


        def test_it(mocker):
            first, second = mock.MagicMock(), mock.MagicMock()
            client_cls = mocker.patch("pkg.adapter.Client")
            client_cls.side_effect = [first, second]
            first.connect.side_effect = OSError
            third = mock.MagicMock()
            mocker.patch("pkg.adapter.Client", side_effect=[third])
            third.stream.return_value = []
        """))
    assert "first.open.side_effect" in files["tests/test_a.py"]
    assert [(m.line, m.rule) for m in result.manual] == [(11, "DBL002")]


def test_an_accessor_alias_is_remade_on_the_client_or_listed():
    files, result = migrate(service(test_a="""
        from unittest import mock
        import pytest


        @pytest.fixture
        def client():
            with mock.patch("pkg.adapter.Client") as client_cls:
                yield client_cls.return_value


        @pytest.fixture
        def api(client):
            return client.fetch_api.return_value


        def test_alias(client, api):
            api.get.assert_called_once()
            api.flush.assert_not_called()


        def test_plugged(client):
            api = mock.MagicMock()
            client.fetch_api.return_value = api
            api.get.assert_called_once()


        def test_accessor_itself(client):
            client.fetch_api.assert_called_once_with()
        """))
    test = files["tests/test_a.py"]
    assert "return client\n" in test  # the api fixture now hands on the client: api.get is client.get
    assert "client.get = api.get" in test and "fetch_api.return_value = api" not in test
    [item] = result.manual
    assert (item.line, item.rule) == (28, "DBL002") and "fetch_api" in item.reason


def test_a_hand_written_fake_is_listed_member_by_member():
    _, result = migrate(service(test_a="""
        from pkg import adapter


        class FakeClient:
            def __init__(self, host, client_id=None):
                self.host = host

            def connect(self):
                pass

            def stream(self):
                return []


        def test_it(monkeypatch):
            monkeypatch.setattr(adapter, "Client", FakeClient)
            adapter.make()
        """))
    assert [(m.line, m.rule) for m in result.manual] == [(5, "DBL002"), (8, "DBL002"), (11, "DBL002")]
    assert "open" in result.manual[1].suggestion and "client_id -> identifier" in result.manual[0].suggestion


def test_a_mock_of_an_unrelated_class_with_the_same_member_names_is_left_alone():
    tests = """
        from unittest import mock


        def test_it():
            with mock.patch("pkg.other.Connection") as conn:
                conn.return_value.connect.side_effect = OSError
                conn.return_value.stream.return_value = []
                conn.assert_called_once_with(client_id="x")
        """
    files, result = migrate({**service(test_a=tests), "pkg/other.py": "class Connection:\n    pass\n"})
    assert files["tests/test_a.py"] == textwrap.dedent(tests).lstrip("\n")
    assert result.manual == []


# ----- call expectations (DBL003) -------------------------------------------------------------------------

def test_expectations_follow_renamed_and_dropped_keywords_and_keyworded_positionals():
    files, result = migrate(service(test_a="""
        from unittest import mock
        from unittest.mock import call


        @mock.patch("pkg.adapter.Client")
        def test_it(client_cls):
            client_cls.assert_called_once_with("h", client_id="x", retry=3)
            assert client_cls.call_args == call("h", client_id="x")
            args, kwargs = client_cls.call_args
            assert kwargs["client_id"] == "x"
            assert client_cls.call_args[1].get("client_id") == "x"
            get = client_cls.return_value.fetch_api.return_value.get
            get.assert_called_once_with("b", "o", 1)
            assert get.call_args.kwargs["org"] == "o"
        """))
    test = files["tests/test_a.py"]
    assert 'client_cls.assert_called_once_with("h", identifier="x")' in test
    assert 'call("h", identifier="x")' in test
    assert 'kwargs["identifier"]' in test and '.get("identifier")' in test
    assert 'get.assert_called_once_with(bucket="b", org="o", record=1)' not in test
    assert [(m.line, m.rule) for m in result.manual] == [(14, "DBL003")]  # reads org=, which the call drops


def test_mock_calls_of_a_member_follow_its_rename():
    files, result = migrate(service(test_a="""
        from unittest import mock
        from unittest.mock import call


        @mock.patch("pkg.adapter.Client")
        def test_it(client_cls):
            assert client_cls.return_value.mock_calls == [call.connect()]
            assert client_cls.return_value.method_calls == [call.stream()]
            fetch = client_cls.return_value.fetch_api.return_value
            assert fetch.mock_calls == [call.get("b", "o", 1)]
        """))
    test = files["tests/test_a.py"]
    assert "[call.open()]" in test and 'fetch.mock_calls == [call.get(bucket="b", org="o", record=1)]' not in test
    assert [(m.line, m.rule) for m in result.manual] == [(8, "DBL003")]  # stream() is gone: listed, not guessed


def test_expected_member_calls_through_an_accessor_move_with_it_and_the_accessor_call_is_listed():
    files, result = migrate(service(test_a="""
        from unittest import mock
        from unittest.mock import call


        @mock.patch("pkg.adapter.Client")
        def test_it(client_cls):
            client = client_cls.return_value
            assert client.mock_calls == [call.fetch_api(), call.fetch_api().get("b", "o", 1)]
            client.assert_has_calls([call.fetch_api().flush()])
        """))
    test = files["tests/test_a.py"]
    assert '[call.fetch_api(), call.get(database="b", record=1)]' in test  # org= is dropped by the migrated call
    assert "client.assert_has_calls([call.flush()])" in test
    assert [(m.line, m.rule, m.suggestion) for m in result.manual] == [(8, "DBL003", "drop this expected call")]


def test_reads_of_recorded_calls_follow_the_signature_in_loops_indexes_and_unpacking():
    """logtap's `{c.kwargs["bucket"] for c in write_api.write.call_args_list}` met a KeyError after the influx
    migration (the call is `write(..., database=...)`): every way a test reads the calls a mock recorded."""
    files, result = migrate(service(test_a="""
        from unittest import mock


        @mock.patch("pkg.adapter.Client")
        def test_it(client_cls):
            get = client_cls.return_value.fetch_api.return_value.get
            assert {c.kwargs["bucket"] for c in get.call_args_list} == {"b"}
            for c in get.call_args_list:
                assert c[1]["bucket"] == "b" and "bucket" in c.kwargs
            for args, kwargs in get.await_args_list[1:]:
                assert kwargs.get("bucket") == "b"
            first = get.call_args_list[0]
            assert first.kwargs["bucket"] == "b"
            assert get.call_args.args[0] == "b"
            assert get.call_args_list[0][0][2] == 1
            args, _ = get.call_args
            assert args[0] == "b"
            assert [c.kwargs["org"] for c in get.call_args_list] == ["o"]
            assert client_cls.mock_calls[0].kwargs["client_id"] == "x"
            assert all(c == mock.call(bucket="b", record=1) for c in get.call_args_list)
            calls = get.call_args_list
            assert calls[0].kwargs["bucket"] == "b"
        """))
    test = files["tests/test_a.py"]
    assert 'c.kwargs["database"] for c in get.call_args_list' in test
    assert 'c[1]["database"] == "b" and "database" in c.kwargs' in test
    assert 'kwargs.get("database")' in test and 'first.kwargs["database"]' in test
    assert 'get.call_args.kwargs["database"] == "b"' in test  # the migrated code passes it by keyword
    assert 'get.call_args_list[0][0].kwargs["record"] == 1' not in test
    assert 'get.call_args_list[0].kwargs["record"] == 1' in test
    assert 'mock.call(database="b", record=1) for c in get.call_args_list' in test
    assert 'calls[0].kwargs["database"]' in test
    found = {m.line: (m.rule, m.suggestion) for m in result.manual}
    assert found == {
        17: ("DBL003", 'kwargs["database"]'),  # args[0] of an unpacked call: its kwargs are not at hand
        18: ("DBL003", "drop this check"),  # org= is dropped by the migrated call
        19: ("DBL003", 'client_cls.mock_calls[0].kwargs["identifier"]'),  # maybe a child's call: listed
    }


# ----- examples made from the map, and the engine's original= ------------------------------------------------

def test_bound_rules_carry_examples_made_from_their_map_and_they_hold():
    rules = double_rules(parse_migration_map(MAP))
    demo = type("Only", (RuleCodemod,), {"RULES": rules})
    assert [r.ID for r in rules] == ["DBL001", "DBL002", "DBL003"]
    for rule in rules:
        assert rule.INVALID
        for example in [*rule.VALID, *rule.INVALID]:
            assert example_problems(demo, {}, rule, example) == [], (rule.ID, example.name)


def test_a_map_with_nothing_for_a_rule_does_not_bind_it():
    rules = double_rules(parse_migration_map({"names": {"a.B": "a.C"}}))
    assert [r.ID for r in rules] == ["DBL001"]


def test_rules_following_another_codemod_read_old_names_in_the_original():
    original = {path: textwrap.dedent(text).lstrip("\n") for path, text in service(test_a="""
        from unittest import mock


        def test_it():
            with mock.patch("pkg.adapter.Client") as client_cls:
                client_cls.return_value.connect.side_effect = OSError
        """).items()}
    migrated = dict(original, **{"pkg/adapter.py": original["pkg/adapter.py"].replace(
        "from oldlib import Client", "from newlib import NewClient").replace("Client(", "NewClient(")})
    shared = type("Shared", (RuleCodemod,), {"RULES": double_rules(parse_migration_map(MAP))})
    result = shared({}).migrate(ServiceSource("svc", migrated), original=ServiceSource("svc", original))
    test = result.changed["tests/test_a.py"]
    assert 'mock.patch("pkg.adapter.NewClient")' in test and "return_value.open.side_effect" in test


# ----- the edit plan and import editor pieces the shared rules use ------------------------------------------

def test_the_edit_plan_says_where_an_edited_statement_came_from():
    from bot.analysis import ServiceAnalysis
    analysis = ServiceAnalysis.of(ServiceSource("s", {"m.py": "import a\nx = 1\ny = 2\n"}))
    parsed = analysis.module("m.py")
    plan = EditPlan(parsed)
    x_line, y_line = parsed.tree.body[1], parsed.tree.body[2]
    plan.replace_code(x_line, "x = 3")
    plan.insert_after(x_line, ["z = 4"])
    tree = plan.apply()
    assert [plan.origin(s) for s in tree.body] == [parsed.tree.body[0], x_line, x_line, y_line]
    assert plan.touched(x_line) and not plan.touched(y_line)
    assert plan.touched(x_line.body[0].value)  # inside a statement replaced whole


def test_move_name_reads_a_name_from_its_new_module_on_the_edited_file():
    from bot.analysis import ServiceAnalysis
    analysis = ServiceAnalysis.of(ServiceSource("s", {"m.py": "from p.plugin import A, SubRequest as R\n"}))
    plan = EditPlan(analysis.module("m.py"))
    editor = ImportEditor(plan)
    editor.move_name("p.plugin", "SubRequest", "_pytest.fixtures", "SubRequest")
    assert plan.code() == "from p.plugin import A\nfrom _pytest.fixtures import SubRequest as R\n"


# ----- the import audit (AUD001) ---------------------------------------------------------------------------

def audit_folder(tmp_path: Path) -> Path:
    (tmp_path / "migration.toml").write_text(
        '[names]\n"newlib.old_place.Thing" = "newlib.Thing"\n\n'
        '[gone]\n"newlib.legacy" = { why = "legacy() was removed", suggestion = "newlib.modern()" }\n\n'
        '[audit]\npackages = ["newlib"]\ntable = "api-table.json"\nenvironment = ["newlib==2.0"]\n')
    (tmp_path / "api-table.json").write_text(json.dumps({
        "packages": ["newlib"], "versions": {"newlib": "2.0"},
        "modules": {"newlib": {"names": ["NewClient", "Thing", "modern", "sub"], "classes": {
            "NewClient": "newlib.NewClient"}},
            "newlib.sub": {"names": ["helper"], "classes": {}}},
        "classes": {"newlib.NewClient": ["open", "get"]}, "unimportable": {}}))
    return tmp_path


def test_the_audit_lists_missing_names_on_the_lines_of_the_original_file(tmp_path):
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    files, result = migrate({
        "app.py": """
            import os
            from oldlib import Client
            from newlib import Thing, Missing
            import newlib.sub
            import newlib.nothere


            def run(newlib_local):
                newlib.sub.helper()
                newlib.sub.gone()
                newlib.legacy()
                newlib.NewClient.open
                newlib.NewClient.connect
                newlib_local.whatever
            """,
        "tests/test_app.py": "from unittest import mock\n\n\ndef test_it():\n    mock.patch('newlib.NewClient.stream')\n",
    }, rules=[r for r in rules if r.ID == "AUD001"])
    found = sorted((m.file, m.line, m.reason.split(" in ")[0]) for m in result.manual)
    assert found == [
        ("app.py", 3, "newlib has no 'Missing'"),
        ("app.py", 5, "newlib has no 'nothere'"),
        ("app.py", 10, "newlib.sub has no 'gone'"),
        ("app.py", 11, "newlib has no 'legacy'"),
        ("app.py", 13, "newlib.NewClient has no 'connect'"),
        ("tests/test_app.py", 5, "newlib.NewClient has no 'stream'"),
    ]
    assert next(m for m in result.manual if m.line == 11).suggestion == "newlib.modern()"


def test_the_audit_rewrites_an_import_the_map_knows_the_new_place_of(tmp_path):
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    files, result = migrate({"app.py": "from newlib.old_place import Thing\n"},
                            rules=[r for r in rules if r.ID == "AUD001"])
    assert files["app.py"] == "from newlib import Thing\n" and result.manual == []


def test_the_audit_follows_a_patch_target_through_the_services_own_module(tmp_path):
    """aiomysensors' autouse fixture patched "pkg.transport.mqtt.base62" (paho's base62, private in paho 2): every
    test errored at setup, and no item said why."""
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    _, result = migrate({
        "pkg/__init__.py": "",
        "pkg/adapter.py": "from newlib import sub\n\n\ndef run():\n    return sub.helper()\n",
        "tests/test_adapter.py": "from unittest import mock\n\n\ndef test_it():\n"
                                 "    mock.patch('pkg.adapter.sub.helper')\n    mock.patch('pkg.adapter.sub.gone')\n",
    }, rules=[r for r in rules if r.ID == "AUD001"])
    [item] = result.manual
    assert (item.file, item.line) == ("tests/test_adapter.py", 6)
    assert "`pkg.adapter.sub.gone` (that is `newlib.sub.gone`)" in item.reason


def test_the_audit_follows_patch_object_and_setattr_on_module_objects(tmp_path):
    """`patch.object(module, "name")` / `monkeypatch.setattr(module, "name", v)` / `mocker.patch.object`: the
    module is the new version's (imported by the test) or the service's own (whose import of it is followed)."""
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    _, result = migrate({
        "pkg/__init__.py": "",
        "pkg/adapter.py": "from newlib import sub\nimport newlib\n\n\ndef run():\n    return sub.helper()\n",
        "tests/test_adapter.py": """
            from unittest import mock
            import newlib.sub
            from newlib import sub
            from pkg import adapter
            import pkg.adapter


            def test_it(monkeypatch, mocker):
                mock.patch.object(newlib.sub, "helper")
                mock.patch.object(newlib.sub, "gone")
                mock.patch.object(sub, "gone")
                monkeypatch.setattr(newlib, "legacy", None)
                mocker.patch.object(adapter.sub, "gone")
                mocker.patch.object(pkg.adapter.newlib, "legacy")
                mocker.patch.object(newlib.NewClient, "stream")
                mocker.patch.object(newlib.NewClient, "open")
                monkeypatch.delattr(newlib.sub, "gone")
                monkeypatch.setattr(newlib.sub, "gone", None, raising=False)
                mock.patch.object(newlib.sub, "gone", create=True)
            """,
    }, rules=[r for r in rules if r.ID == "AUD001"])
    found = [(m.line, m.reason.split(" in newlib 2.0")[0]) for m in result.manual]
    assert found == [(10, "newlib.sub has no 'gone'"), (11, "newlib.sub has no 'gone'"), (12, "newlib has no 'legacy'"),
                     (13, "newlib.sub has no 'gone'"), (14, "newlib has no 'legacy'"),
                     (15, "newlib.NewClient has no 'stream'"), (17, "newlib.sub has no 'gone'")]
    assert "`adapter.sub.gone` (that is `newlib.sub.gone`)" in result.manual[3].reason
    assert result.manual[2].suggestion == "newlib.modern()"


def test_an_audit_item_in_a_file_the_recipe_edited_is_on_the_decorators_line(tmp_path):
    """Following `adapter.sub` through the test file's own imports once made the edit plan apply the file again,
    and the items of that file lost their lines (all on line 1, twice)."""
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    _, result = migrate({
        "pkg/__init__.py": "",
        "pkg/adapter.py": "from newlib import sub\n",
        "tests/test_adapter.py": """
            from unittest import mock
            from oldlib import Client
            from pkg import adapter


            @mock.patch.object(adapter.sub, "gone")
            @mock.patch.object(adapter.sub, "helper")
            def test_it(helper, gone):
                assert Client
            """,
    }, rules=[r for r in rules if r.ID == "AUD001"])
    assert [(m.file, m.line) for m in result.manual] == [("tests/test_adapter.py", 6)]


def test_the_audit_suggests_the_one_public_module_that_has_a_missing_name(tmp_path):
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    _, result = migrate({"app.py": "from newlib import helper, nowhere\n"}, rules=[r for r in rules if r.ID == "AUD001"])
    [helper, nowhere] = sorted(result.manual, key=lambda m: "nowhere" in m.reason)
    assert "'helper'" in helper.reason and helper.reason.endswith("the version has it in newlib.sub")
    assert helper.suggestion == "from newlib.sub import helper"  # listed, not rewritten: maybe another object
    assert "'nowhere'" in nowhere.reason and nowhere.suggestion is None


def test_the_audit_examples_made_from_the_table_hold(tmp_path):
    rules = migration_rules(audit_folder(tmp_path) / "migration.toml")
    audit = next(r for r in rules if r.ID == "AUD001")
    demo = type("Only", (RuleCodemod,), {"RULES": rules})
    for example in [*audit.VALID, *audit.INVALID]:
        assert example_problems(demo, {}, audit, example) == [], example.name


def test_a_migration_map_beside_a_codemod_not_in_the_rule_form_is_refused_in_one_line(tmp_path):
    from bot.change.recipe import load_recipe
    from bot.errors import RecipeError

    tmp_path = tmp_path / "oldlib-2.0"
    tmp_path.mkdir()

    (tmp_path / "recipe.toml").write_text('[recipe]\ntitle = "t"\npackage = "oldlib"\nversion = "2.0"\n'
                                          'codemod = "codemod.py:Plain"\n\n[[requirements]]\naction = "set"\n'
                                          'package = "oldlib"\nspec = "==2.0"\n')
    (tmp_path / "codemod.py").write_text("from bot.codemod import Codemod\n\n\nclass Plain(Codemod):\n"
                                         "    def migrate(self, service):\n        raise NotImplementedError\n")
    (tmp_path / "migration.toml").write_text('[names]\n"oldlib" = "newlib"\n')
    with pytest.raises(RecipeError, match=r"migration\.toml: the shared rules it drives need a codemod in the rule"):
        load_recipe(tmp_path).codemod_class


def test_a_mock_assigned_straight_onto_a_name_is_a_patch_that_is_never_undone():
    """pyobs' `WriteApi.write = Mock()` shape: a mock put onto a library class's attribute or a service module's name
    by plain assignment (module level, fixture, setUp, test) and read back through that name. The assignment
    follows the rename a patch.object of it gets, its reads follow too, a removed name is listed; the service's own
    names are left alone."""
    files, result = migrate(service(test_a="""
        from unittest import TestCase, mock
        import pytest
        import oldlib
        import pkg.adapter

        oldlib.Client.connect = mock.Mock()


        @pytest.fixture
        def streams():
            oldlib.Client.stream = mock.MagicMock()
            return oldlib.Client.stream


        class TestMake(TestCase):
            def setUp(self):
                pkg.adapter.Client = mock.MagicMock()

            def test_make(self):
                pkg.adapter.make()
                pkg.adapter.Client.assert_called_once_with("h", client_id="x")
                pkg.adapter.Client.return_value.connect.assert_called_once_with()


        def test_connect(monkeypatch):
            monkeypatch.setattr(oldlib.Client, "connect", mock.Mock())
            pkg.adapter.make = mock.Mock()
            oldlib.Client.connect.assert_called_once_with()
            pkg.adapter.make.assert_not_called()
        """))
    test = files["tests/test_a.py"]
    assert "oldlib.Client.open = mock.Mock()" in test
    assert "pkg.adapter.NewClient = mock.MagicMock()" in test
    assert 'pkg.adapter.NewClient.assert_called_once_with("h", identifier="x")' in test
    assert "pkg.adapter.NewClient.return_value.open.assert_called_once_with()" in test
    assert 'monkeypatch.setattr(oldlib.Client, "open", mock.Mock())' in test
    assert "oldlib.Client.open.assert_called_once_with()" in test
    assert "pkg.adapter.make = mock.Mock()" in test and "pkg.adapter.make.assert_not_called()" in test
    found = sorted((m.line, m.rule, m.old_code, m.suggestion) for m in result.manual)
    assert found == [(11, "DBL001", "oldlib.Client.stream = mock.MagicMock()", "client.messages")]  # stream() is gone
    # the mock put on pkg.adapter's name replaced that name only: oldlib.Client itself is no mock
    assert "oldlib.Client.open.assert_called_once_with()" in test and "oldlib.NewClient" not in test


def test_a_member_mocked_on_the_class_itself_follows_the_members_signature():
    """`patch.object(Client, "connect")` / `Client.connect = Mock()`: the mock sits on the class, so the calls it records
    are the instance calls without self, and an expectation of them follows the member's signature change."""
    members = {**MAP["classes"]["oldlib.Client"]["members"], "connect": {"to": "open", "keywords": {"timeout": "deadline"}}}
    mapping = {**MAP, "classes": {"oldlib.Client": {**MAP["classes"]["oldlib.Client"], "members": members}}}
    files, result = migrate(service(test_a="""
        from unittest import mock
        import oldlib


        def test_it():
            with mock.patch.object(oldlib.Client, "connect") as connect:
                pass
            connect.assert_called_once_with(timeout=1)
            oldlib.Client.connect = mock.Mock()
            oldlib.Client.connect.assert_called_once_with(timeout=2)
        """), mapping)
    test = files["tests/test_a.py"]
    assert 'mock.patch.object(oldlib.Client, "open") as connect' in test
    assert "connect.assert_called_once_with(deadline=1)" in test
    assert "oldlib.Client.open = mock.Mock()" in test
    assert "oldlib.Client.open.assert_called_once_with(deadline=2)" in test
    assert result.manual == []


def test_a_patch_of_a_member_a_service_subclass_inherits_from_a_migrated_class_is_listed():
    """`patch.multiple(Tuned, connect=DEFAULT)` for the service's `class Tuned(Client)`: the member is the library's,
    renamed in the new version; listed (the subclass is the recipe's to list), unless the subclass defines it."""
    files = service(test_a="""
        from unittest import mock
        from pkg.tuned import Own, Tuned


        def test_it():
            with mock.patch.multiple(Tuned, connect=mock.DEFAULT, tune=mock.DEFAULT):
                pass
            with mock.patch.multiple(Own, connect=mock.DEFAULT), mock.patch("pkg.tuned.Tuned.stream"):
                pass
        """)
    files["pkg/tuned.py"] = """
        from oldlib import Client


        class Tuned(Client):
            def tune(self):
                pass


        class Own(Tuned):
            def connect(self):
                pass
        """
    migrated, result = migrate(files)
    assert migrated["tests/test_a.py"] == textwrap.dedent(files["tests/test_a.py"]).lstrip("\n")
    found = sorted((m.line, m.suggestion) for m in result.manual if m.rule == "DBL001")
    assert found == [(6, "patch Tuned.open"), (8, "client.messages")]  # Own defines connect itself
    _, kept = migrate(files, options={"keep_old": True})
    assert [m for m in kept.manual if m.rule == "DBL001"] == []  # the subclass stays on oldlib


def test_a_named_mock_or_fake_assigned_onto_a_name_is_followed_too():
    """`m = Mock(); oldlib.Client.connect = m` (m then stands for connect) and `pkg.adapter.Client = FakeClient` (a
    hand-written fake by assignment: the target follows the import's rename, the fake's gone members are listed)."""
    members = {**MAP["classes"]["oldlib.Client"]["members"], "connect": {"to": "open", "keywords": {"timeout": "deadline"}}}
    mapping = {**MAP, "classes": {"oldlib.Client": {**MAP["classes"]["oldlib.Client"], "members": members}}}
    files, result = migrate(service(test_a="""
        from unittest import mock
        import oldlib
        import pkg.adapter


        class FakeClient:
            def stream(self):
                return []


        def test_it():
            connect = mock.Mock()
            oldlib.Client.connect = connect
            pkg.adapter.Client = FakeClient
            connect.assert_called_once_with(timeout=1)
            oldlib.Client.connect.assert_called_once_with(timeout=2)
        """), mapping)
    test = files["tests/test_a.py"]
    assert "oldlib.Client.open = connect" in test and "pkg.adapter.NewClient = FakeClient" in test
    assert "connect.assert_called_once_with(deadline=1)" in test
    assert "oldlib.Client.open.assert_called_once_with(deadline=2)" in test
    assert [(m.line, m.rule) for m in result.manual] == [(7, "DBL002")]  # FakeClient.stream: gone in 2.0


def test_a_class_plugged_into_a_mock_by_assignment_is_no_fake_of_the_mocked_class():
    files, result = migrate(service(test_a="""
        from unittest import mock


        class Streams:
            def stream(self):
                return []


        @mock.patch("pkg.adapter.Client")
        def test_it(client_cls):
            client_cls.return_value.helper = Streams
        """))
    assert result.manual == []
