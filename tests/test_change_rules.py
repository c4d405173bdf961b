"""The rule form (bot.change): one traversal per file, one edit plan, one import editor. Plain data only."""
from __future__ import annotations

import gc
import textwrap
import weakref

import libcst as cst
import pytest

from bot.analysis import ServiceAnalysis
from bot.change.edit_plan import EditConflict, EditPlan, append_argument, keyword_argument, laid_out_arguments
from bot.change.engine import RuleCodemod, check_registry
from bot.change.import_editor import APPENDED, ImportEditor
from bot.change.rule import MANUAL, Invalid, Rule, RuleDefinitionError, Valid
from bot.model import ServiceSource


def parsed(code: str, path: str = "svc/app.py"):
    code = textwrap.dedent(code).lstrip("\n")
    analysis = ServiceAnalysis({path: code})
    return analysis, analysis.module(path)


def nodes(module, kind, where=lambda n: True):
    return [n for n in module.nodes if isinstance(n, kind) and where(n)]


def plan_of(code: str) -> tuple[EditPlan, object]:
    _, module = parsed(code)
    return EditPlan(module), module


# ----- the edit plan ----------------------------------------------------------------------------

def test_nested_edits_compose_and_untouched_code_is_kept_byte_for_byte():
    plan, module = plan_of("""
        import pkg  # keep me
        value = pkg.old_call(pkg.old_name,  "pkg.mod.Old")   # odd spacing stays
        """)
    call = nodes(module, cst.Call)[0]
    plan.replace(call.func, lambda f: f.with_changes(attr=cst.Name("new_call")))
    plan.rename(call.args[0].value.attr, "new_name")
    plan.replace_string(call.args[1].value, "pkg.mod.New")
    plan.replace(call, lambda c: append_argument(c, keyword_argument("strict", "True")))
    assert plan.code() == ('import pkg  # keep me\n'
                           'value = pkg.new_call(pkg.new_name,  "pkg.mod.New", strict=True)   # odd spacing stays\n')


def test_an_argument_appended_without_a_trailing_comma_keeps_the_calls_layout():
    plan, module = plan_of("""
        c = Client(
            host, port, keepalive=30, retry=10
        )
        f(
            a,
            b
        )
        """)
    first, second = nodes(module, cst.Call)
    plan.remove(first.args[-1])  # the new last argument keeps the line break before `)`
    plan.replace(first, lambda c: append_argument(c, keyword_argument("size", "5")))
    plan.replace(second, lambda c: append_argument(c, keyword_argument("c", "1")))
    assert plan.code() == ("c = Client(\n    host, port, keepalive=30, size=5\n)\n"
                           "f(\n    a,\n    b,\n    c=1\n)\n")


def test_arguments_rebuilt_in_another_order_or_number_keep_the_calls_layout():
    plan, module = plan_of("""
        write(
            "b",
            point,
        )
        Client(url, timeout=5
        )
        one(
            only,
        )
        """)
    write, client, one = nodes(module, cst.Call)
    plan.replace(write, lambda c: laid_out_arguments(c, [keyword_argument("record", c.args[1].value),
                                                         keyword_argument("database", c.args[0].value)]))
    plan.replace(client, lambda c: laid_out_arguments(c, [c.args[0], keyword_argument("write_timeout", "5"),
                                                          keyword_argument("query_timeout", "5")]))
    plan.replace(one, lambda c: append_argument(c, keyword_argument("more", "1")))
    assert plan.code() == ('write(\n    record=point,\n    database="b",\n)\n'
                           "Client(url, write_timeout=5, query_timeout=5\n)\n"
                           "one(\n    only,\n    more=1,\n)\n")


def test_a_whole_replacement_over_an_inner_edit_is_refused_naming_both_rules():
    plan, module = plan_of("x = f(a)\n")
    call = nodes(module, cst.Call)[0]
    plan.rename(call.args[0].value, "b", rule="R001")
    plan.replace(call, cst.parse_expression("g()"), rule="R002")
    with pytest.raises(EditConflict, match=r"svc/app.py:1: rule R002 replaces `f\(a\)` whole, dropping edits made "
                                           r"inside it by R001"):
        plan.apply()


def test_removing_arguments_aliases_and_statements_keeps_commas_and_comments():
    plan, module = plan_of("""
        from pkg import a, b, c
        from pkg import (
            d,
            e,
        )
        import gone

        # about x
        x = f(1, 2, key=3)
        y = 1; z = 2
        """)
    aliases = {a.name.value: a for a in nodes(module, cst.ImportAlias)}
    plan.remove(aliases["c"])
    plan.remove(aliases["e"])
    plan.remove(aliases["gone"])
    call = nodes(module, cst.Call)[0]
    plan.remove(call.args[2])
    plan.remove(module.statement_of(call))
    plan.remove(nodes(module, cst.Assign)[-1])
    assert plan.code() == textwrap.dedent("""\
        from pkg import a, b
        from pkg import (
            d,
        )

        # about x
        y = 1
        """)


def test_inserted_statements_take_the_place_of_a_removed_line():
    plan, module = plan_of("""
        import os

        from tenacity import iscoroutinefunction
        """)
    alias = nodes(module, cst.ImportAlias)[-1]
    plan.remove(alias)
    plan.insert_after(alias, ["from inspect import iscoroutinefunction\n"])
    assert plan.code() == "import os\n\nfrom inspect import iscoroutinefunction\n"


def test_insert_before_keeps_what_stood_above_the_statement_above_the_group():
    plan, module = plan_of("""
        def f():
            '''doc'''
            # comment
            return 1
        """)
    ret = nodes(module, cst.Return)[0]
    plan.insert_before(ret, ["x = 2\n"])
    assert plan.code() == "def f():\n    '''doc'''\n    # comment\n    x = 2\n    return 1\n"


# ----- the import editor --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "add", "expected"), [
    ("import json\nimport zlib\n\nimport requests\n", ("os",), "import json\nimport os\nimport zlib\n\nimport requests\n"),
    ("import requests\n", ("asyncio",), "import asyncio\n\nimport requests\n"),
    ("import os\n\nx = 1\n", ("pytest",), "import os\n\nimport pytest\n\nx = 1\n"),
    ("from tenacity import retry\n", ("tenacity", "AsyncRetrying"), "from tenacity import retry, AsyncRetrying\n"),
    ('"""doc."""\n\n\ndef f():\n    pass\n', ("pytest",), '"""doc."""\n\n\nimport pytest\n\n\ndef f():\n    pass\n'),
    ("import os\n", ("os",), "import os\n"),
])
def test_new_imports_join_their_isort_group(code, add, expected):
    _, module = parsed(code)
    plan = EditPlan(module)
    ImportEditor(plan, frozenset({"svc"})).add(*add)
    assert plan.code() == expected


def test_appended_imports_go_after_the_leading_imports_as_libcst_places_them():
    _, module = parsed("import tenacity\nfrom tenacity import retry\n\nx = 1\n")
    plan = EditPlan(module)
    ImportEditor(plan).add("inspect", placement=APPENDED)
    assert plan.code() == "import tenacity\nfrom tenacity import retry\nimport inspect\n\nx = 1\n"


def test_import_lines_are_edited_through_the_same_plan():
    _, module = parsed("from tenacity._asyncio import AsyncRetrying\nimport asyncio_mqtt as mqtt\nimport asyncio\n")
    plan = EditPlan(module)
    imports = ImportEditor(plan)
    imports.set_module(nodes(module, cst.ImportFrom)[0], "tenacity")
    imports.rename(nodes(module, cst.ImportAlias)[1], "aiomqtt")
    imports.remove_if_unused("asyncio")
    assert plan.code() == "from tenacity import AsyncRetrying\nimport aiomqtt as mqtt\n"


# ----- rules and the engine -------------------------------------------------------------------------

class RenameOldCall(Rule):
    ID = "TST001"
    MESSAGE = "pkg.old_call -> pkg.new_call"
    APPLIED = "renamed {n} call(s)"
    VALID = [Valid("import other\nother.old_call()\n")]
    INVALID = [Invalid("import pkg\npkg.old_call()\n", after="import pkg\npkg.new_call()\n")]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.analysis.names_of(self.parsed, node) == {"pkg.old_call"}:
            self.rename(node.attr, "new_call")


class FlagLegacy(Rule):
    ID = "TST002"
    KIND = MANUAL
    MESSAGE = "pkg.legacy() needs a human"
    INVALID = [Invalid("import pkg\npkg.legacy()\n", items=[2])]

    def visit_Call(self, node: cst.Call) -> None:
        if self.analysis.names_of(self.parsed, node.func) == {"pkg.legacy"}:
            self.report(node, "legacy() is gone", "pkg.new_call(mode='legacy')")
            self.report(node, "legacy() is gone", "pkg.new_call(mode='legacy')")  # the same item: listed once


class Toy(RuleCodemod):
    MENTIONS = ("pkg",)
    RULES = (RenameOldCall, FlagLegacy)


def test_rules_run_in_one_traversal_and_report_under_their_own_ids():
    files = {"svc/a.py": "import pkg\npkg.legacy()\npkg.old_call()\npkg.old_call()\n",
             "svc/b.py": "x = 1\n", "svc/broken.py": "import pkg\nprint 'py2'\n"}
    result = Toy().migrate(ServiceSource("svc", files))
    assert result.changed == {"svc/a.py": "import pkg\npkg.legacy()\npkg.new_call()\npkg.new_call()\n"}
    assert [(a.file, a.rule, a.description, a.count) for a in result.applied] == [
        ("svc/a.py", "TST001", "renamed 2 call(s)", 2)]
    assert [(m.file, m.line, m.rule, m.old_code) for m in result.manual] == [("svc/a.py", 2, "TST002", "pkg.legacy()")]
    assert result.notes[0].startswith("svc/broken.py was not changed: libcst cannot parse it (svc/broken.py:2: ")


def test_a_finished_run_is_freed_by_reference_counting():
    """What a run reached (edited trees, plans, facts) goes when its result is made, not at the collector's
    next pass: a fleet's worth of finished runs would otherwise wait in memory for it."""
    runs = []

    class Watched(Toy):
        def result(self, run):
            run.fact(id, run)  # as recipes ask (`run.fact(pytest_file, run, parsed)`): a fact keyed by the run itself
            runs.append(weakref.ref(run))
            files = weakref.ref(next(iter(run.files.values())).edits)
            runs.append(files)
            return super().result(run)

    files = {"svc/a.py": "import pkg\npkg.legacy()\npkg.old_call()\n"}
    gc.disable()
    try:
        result = Watched().migrate(ServiceSource("svc", files))
        assert [ref() for ref in runs] == [None, None]
    finally:
        gc.enable()
    assert result.changed == {"svc/a.py": "import pkg\npkg.legacy()\npkg.new_call()\n"}


def test_disabled_rules_do_nothing_and_unknown_ids_are_refused():
    files = {"svc/a.py": "import pkg\npkg.legacy()\npkg.old_call()\n"}
    result = Toy({"disable": ["TST001"]}).migrate(ServiceSource("svc", files))
    assert not result.changed and [m.rule for m in result.manual] == ["TST002"]
    with pytest.raises(ValueError, match="no rule 'TST009'"):
        Toy({"disable": ["TST009"]}).migrate(ServiceSource("svc", files))


def test_a_manual_rule_cannot_edit():
    class Sneaky(Rule):
        ID = "TST003"
        KIND = MANUAL
        MESSAGE = "lists only"

        def visit_Name(self, node: cst.Name) -> None:
            self.rename(node, "other")

    class Recipe(RuleCodemod):
        RULES = (Sneaky,)

    with pytest.raises(TypeError, match="TST003 is a MANUAL rule"):
        Recipe().migrate(ServiceSource("svc", {"a.py": "x = 1\n"}))


def test_the_registry_states_and_checks_order():
    class Later(Rule):
        ID = "TST004"
        MESSAGE = "needs TST001's edits"
        AFTER = {"TST001": "reads which calls were renamed"}

    check_registry("Ok", (RenameOldCall, Later))
    with pytest.raises(RuleDefinitionError, match=r"TST004 must come after TST001 \(reads which calls were renamed\)"):
        check_registry("Bad", (Later, RenameOldCall))
    with pytest.raises(RuleDefinitionError, match="TST001 twice"):
        check_registry("Twice", (RenameOldCall, RenameOldCall))


@pytest.mark.parametrize(("body", "message"), [
    ("ID = 'ten1'\nMESSAGE = 'x'", "ID must be capital letters then digits"),
    ("ID = 'TEN001'\nMESSAGE = ''", "MESSAGE must be one non-empty line"),
    ("ID = 'TEN001'\nKIND = 'fix'\nMESSAGE = 'x'", "KIND must be REWRITE or MANUAL"),
    ("ID = 'TEN001'\nMESSAGE = 'x'\ndef visit_Nope(self, node): pass", "libcst has no node class 'Nope'"),
    ("ID = 'TEN001'\nMESSAGE = 'x'\ndef leave_Name(self, o): pass", "rules have no leave_ hooks"),
])
def test_a_rule_that_cannot_work_fails_at_import(body, message):
    with pytest.raises(RuleDefinitionError, match=message):
        exec("class Broken(Rule):\n" + textwrap.indent(body, "    "), {"Rule": Rule})


# ----- disable in the configuration ---------------------------------------------------------------

def _config_error(tmp_path, options: str) -> str:
    from bot.config import ConfigError, check_recipe_settings, load_config
    from bot.change.recipe import recipe_folders
    (tmp_path / "upgrade-bot.toml").write_text(f'[recipes."tenacity-9.1.2"]\n{options}\n')
    config = load_config(tmp_path)
    try:
        check_recipe_settings(config, recipe_folders(config.recipe_dirs))
    except ConfigError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize(("options", "message"), [
    ('disable = ["TEN011"]', ""),
    ('disable = ["TEN012"]', ""),  # retired: a configuration written for the release that had it still loads
    ('disable = ["TEN0011"]', 'upgrade-bot.toml: recipes."tenacity-9.1.2".disable: no rule \'TEN0011\' in '
                              "tenacity-9.1.2; did you mean 'TEN011'?"),
    ('disable = "TEN011"', "must be an array of rule ids, got 'TEN011'"),
])
def test_disable_names_rules_of_the_recipe(tmp_path, options, message):
    error = _config_error(tmp_path, options)
    assert (message in error) if message else error == "", error


def test_a_retired_rule_id_disables_nothing_and_is_no_error():
    from bot.config import BUNDLED_RECIPES
    from bot.change.recipe import load_recipe
    recipe = load_recipe(BUNDLED_RECIPES / "pytest-asyncio-1.3.0")
    assert "PA014" in recipe.retired_rules() and "PA014" not in recipe.rules()
    assert recipe.option_problem("disable", ["PA014"]) == ""
    files = {"svc/tests/test_a.py": "from pytest_asyncio.plugin import SubRequest\n"}
    with_retired = recipe.codemod({"disable": ["PA014"]}).migrate(ServiceSource("svc", files))
    plain = recipe.codemod().migrate(ServiceSource("svc", files))
    assert with_retired.changed == plain.changed and "_pytest.fixtures" in plain.changed["svc/tests/test_a.py"]


def test_a_disabled_rule_leaves_its_sites_alone_in_a_real_recipe():
    from bot.config import BUNDLED_RECIPES
    from bot.change.recipe import load_recipe
    recipe = load_recipe(BUNDLED_RECIPES / "tenacity-9.1.2")
    files = {"svc/a.py": "from tenacity import retry\n\n@retry\ndef f():\n    pass\n\nS = f.retry.statistics\n"
                         "from tenacity._asyncio import AsyncRetrying\n"}
    both = recipe.codemod().migrate(ServiceSource("svc", files))
    # AUD001 (the import audit) would move the import too, from the recipe's migration map: off as well
    without = recipe.codemod({"disable": ["TEN002", "AUD001"]}).migrate(ServiceSource("svc", files))
    assert {a.rule for a in both.applied} == {"TEN002"} and "tenacity import AsyncRetrying" in both.changed["svc/a.py"]
    assert not without.changed and not without.applied
    assert [m.rule for m in without.manual] == ["TEN001"]  # captured at import time: listed either way


def test_a_service_wide_rule_edits_and_lists_in_any_file():
    class MoveQueueSize(Rule):
        ID = "TST005"
        MESSAGE = "queue size moves to the client"

        def begin_service(self) -> None:
            self.sizes = []

        def visit_Call(self, node: cst.Call) -> None:
            if self.parsed.code(node.func) == "client.messages":
                self.sizes.append(node.args[0].value.value)
                self.replace(node, lambda c: c.with_changes(args=[]))

        def end_service(self) -> None:
            module = self.analysis.module("svc/client.py")
            call = next(n for n in module.nodes if isinstance(n, cst.Call))
            with self.at("svc/client.py"):
                self.replace(call, lambda c: append_argument(c, keyword_argument("max_queued", self.sizes[0])))
                self.report(call, "check the bound")

    class Recipe(RuleCodemod):
        RULES = (MoveQueueSize,)

    files = {"svc/client.py": "client = Client()\n", "svc/use.py": "client.messages(10)\n"}
    result = Recipe().migrate(ServiceSource("svc", files))
    assert result.changed == {"svc/client.py": "client = Client(max_queued=10)\n", "svc/use.py": "client.messages()\n"}
    assert [(a.file, a.count) for a in result.applied] == [("svc/client.py", 1), ("svc/use.py", 1)]
    assert [(m.file, m.line) for m in result.manual] == [("svc/client.py", 1)]


# ----- examples -----------------------------------------------------------------------------------

def _example_problems(*rules):
    from types import SimpleNamespace

    from bot.change.examples import rule_example_outcomes

    class Recipe(RuleCodemod):
        RULES = rules

    recipe = SimpleNamespace(id="toy-1.0", codemod_class=Recipe, default_options={})
    return {o.case: o.problems for o in rule_example_outcomes(recipe)}


def test_examples_hold_and_run_each_rule_alone():
    assert _example_problems(RenameOldCall, FlagLegacy) == {
        "TST001 valid 1": [], "TST001 invalid 1": [], "TST002 invalid 1": []}


def test_a_wrong_example_fails_with_a_diff_and_a_rule_without_invalid_example_fails():
    class Wrong(RenameOldCall):
        ID = "TST006"
        VALID = [Valid("import pkg\npkg.old_call()\n", name="not valid at all")]
        INVALID = [Invalid("import pkg\npkg.old_call()\n", after="import pkg\npkg.other_call()\n", items=[2])]

    class Bare(FlagLegacy):
        ID = "TST007"
        INVALID = ()

    problems = _example_problems(Wrong, Bare)
    assert problems["TST007"] == ["TST007 has no INVALID example: add one showing what it rewrites or lists"]
    valid = problems["TST006 valid not valid at all"]
    assert valid[0].startswith("example.py: VALID: must stay unchanged\n") and "+pkg.new_call()" in valid[0]
    assert valid[1] == "VALID: rewrote 1 site(s) in example.py (TST006)"
    invalid = problems["TST006 invalid 1"]
    assert "-pkg.other_call()\n    +pkg.new_call()" in invalid[0]
    assert invalid[1] == "INVALID: TST006 items at none, expected example.py:2"


def test_an_example_shows_the_requirement_edits_a_rule_asks_for():
    from bot.model import RequirementEdit

    class KeepOld(Rule):
        ID = "TST008"
        MESSAGE = "requirements: keep pkg while old_call is used"
        VALID = [Valid("import pkg\n")]
        INVALID = [Invalid("import pkg\npkg.old_call()\n", requires=["add pkg[extra]==1.0"]),
                   Invalid("import pkg\npkg.old_call()\n", requires=["add pkg==1.0"], name="wrong")]

        def visit_Attribute(self, node: cst.Attribute) -> None:
            if node.attr.value == "old_call":
                self.require(RequirementEdit(action="add", package="pkg", spec="==1.0", extras=("extra",)))

    class Silent(KeepOld):
        ID = "TST009"
        VALID = [Valid("import pkg\npkg.old_call()\n", name="requires something")]
        INVALID = [Invalid("import pkg\n", name="shows nothing")]

    problems = _example_problems(KeepOld, Silent)
    assert problems["TST008 valid 1"] == [] and problems["TST008 invalid 1"] == []
    assert problems["TST008 invalid wrong"] == ["INVALID: requirement edits ['add pkg[extra]==1.0'], expected "
                                                "['add pkg==1.0']"]
    assert problems["TST009 valid requires something"] == ["VALID: requires add pkg[extra]==1.0"]
    assert problems["TST009 invalid shows nothing"][-1].startswith("INVALID: shows nothing")


def test_a_rule_edits_a_config_file_as_text_and_a_recipe_chooses_its_files():
    class StrictMode(Rule):
        ID = "TST008"
        MESSAGE = "asyncio_mode = strict"

        def end_service(self) -> None:
            ini = self.text("pytest.ini")
            if ini is not None and "asyncio_mode = auto" in ini:
                self.set_text("pytest.ini", ini.replace("= auto", "= strict"))

    class TestsOnly(RuleCodemod):
        RULES = (StrictMode, RenameOldCall)

        def files_to_read(self, run):
            return [p for p in run.analysis.files if p.startswith("tests/")]

    files = {"pytest.ini": "[pytest]\nasyncio_mode = auto\n", "tests/t.py": "import pkg\npkg.old_call()\n",
             "app.py": "import pkg\npkg.old_call()\n"}
    result = TestsOnly().migrate(ServiceSource("svc", files))
    assert result.changed == {"pytest.ini": "[pytest]\nasyncio_mode = strict\n", "tests/t.py": "import pkg\npkg.new_call()\n"}
    assert [(a.file, a.rule) for a in result.applied] == [("pytest.ini", "TST008"), ("tests/t.py", "TST001")]


def test_an_edit_of_a_node_outside_the_file_is_refused():
    plan, module = plan_of("x = f(a)\n")
    with pytest.raises(ValueError, match=r"svc/app.py: rule R001 names a node that is not in the file's tree \(`f\(a\)`\)"):
        plan.replace(cst.parse_expression("f(a)"), cst.parse_expression("g()"), rule="R001")


_AUDITED_FILE = textwrap.dedent('''\
    """Doc."""
    import os.path, json as j
    from pkg.sub import thing as other
    if TYPE_CHECKING: import typing_extensions
    try:
        from a.b import c
    except ImportError as error:
        c = None
    @patch("pkg.mod.Client.connect")
    class Test(Base.Mixin):
        x: int = os.path.sep
        def method(self, first, *rest, key=a.b.c(1).d.e, **kw):
            with open(p) as (f, g), mock.patch.object(pkg.Client, "close") as closed:
                for i, (k, v) in enumerate(pkg.sub.items()):
                    if (n := len(k)) > 2:
                        monkeypatch.setattr(pkg.sub.mod, "name", lambda s: s.attr.chain)
                    elif k: pkg.other.call()
                    else:
                        total += pkg.other.count
            return [y for y in rest if y.value], json.loads(kw["k"]).field.more
        def other(self):
            try:
                import pkg.late
            except (pkg.Error, os.error) as failed:
                pkg.late.retry(failed)
            finally:
                done = pkg.late.done
    def outer():
        global G
        del j.thing
        async with x as (y):
            pass
        match command:
            case pkg.Point(x=0) if pkg.sub.flag:
                pkg.sub.move()
''')


def _statements(node: cst.CSTNode) -> list[cst.CSTNode]:
    from bot.analysis.names import children

    found = [node] if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) else []
    return found + [s for child in children(node) for s in _statements(child)]


def _same_facts(walked: tuple, learnt: tuple) -> bool:
    imports, bound, uses = walked
    imports_learnt, bound_learnt, uses_learnt = learnt
    return (len(imports) == len(imports_learnt) and all(a[0] is b[0] and a[1] is b[1] for a, b in zip(imports, imports_learnt))
            and bound == bound_learnt
            and len(uses) == len(uses_learnt) and all(len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b))
                                                      for a, b in zip(uses, uses_learnt)))


def test_import_audit_reads_a_files_own_tree_as_its_walk_of_each_statement_does():
    """The audit's facts of an unedited file come from the node index (_learn); those of an edited statement from
    a walk (_walk_statement): both must find the same imports, bindings, chains and patch calls, in order, for
    every statement (a nested one's are read when the statement holding it was edited)."""
    from bot.analysis.parsed import ParsedModule
    from bot.change.import_audit import _learn, _walk_statement

    text = _AUDITED_FILE
    tree = cst.parse_module(text)
    parsed = ParsedModule("svc/app.py", "app", "", text, tree)
    learnt = _learn(parsed)
    statements = _statements(tree)
    assert list(learnt.spans) == [id(statement) for statement in statements]
    for statement in statements:
        assert _same_facts(_walk_statement(statement), learnt.facts(statement)), parsed.code(statement)
    facts = [learnt.facts(top) for top in tree.body]
    assert sum(len(f[0]) for f in facts) == 4  # `if ...: import` on one line is not the walk's import either
    assert [u[1] for f in facts for u in f[2] if u[1]][:2] == ["Base.Mixin", "os.path.sep"]


def test_import_audit_reads_the_original_statements_inside_an_edited_one_as_a_walk_does():
    """An edited statement is walked down to the original statements it holds, whose facts are read from the
    file's own tree: the facts are those of a walk of the whole edited tree, wherever the edits are."""
    from bot.analysis.parsed import ParsedModule
    from bot.change.import_audit import _learn, _walk

    tree = cst.parse_module(_AUDITED_FILE)
    parsed = ParsedModule("svc/app.py", "app", "", _AUDITED_FILE, tree)
    plan = EditPlan(parsed)
    method = next(n for n in _statements(tree) if isinstance(n, cst.FunctionDef) and n.name.value == "method")
    plan.replace(method, lambda updated: updated.with_changes(
        decorators=[cst.Decorator(cst.parse_expression("pkg.marks.slow")), *updated.decorators]))
    other = next(n for n in _statements(tree) if isinstance(n, cst.FunctionDef) and n.name.value == "other")
    plan.remove(other.body.body[0])  # the try: its binding `failed` and its chains go
    outer = next(n for n in _statements(tree) if isinstance(n, cst.FunctionDef) and n.name.value == "outer")
    plan.insert_after(outer.body.body[0], ["bound_here = pkg.added.name"])
    plan.remove(tree.body[2])  # `from pkg.sub import thing as other`: the statements around it are read apart
    edited = plan.apply()
    assert edited.body[4] is not tree.body[5] and edited.body[5] is not tree.body[6]
    known = _learn(parsed)
    read, walked = _walk(edited, known), _walk(edited)
    assert _same_facts((read.imports, read.other_bindings, read.uses),
                       (walked.imports, walked.other_bindings, walked.uses))
    assert "failed" not in read.other_bindings and "bound_here" in read.other_bindings
    lines = [line for line, _ in read.imports]  # `import pkg.late` went with the try holding it
    assert len(lines) == 2 and lines[0] is tree.body[1] and lines[1] is tree.body[4].body.body[0]
    chains = [use[1] for use in read.uses if use[1]]
    assert "pkg.marks.slow" in chains and "pkg.added.name" in chains and "pkg.late.retry" not in chains
