"""PA001, PA004: the asyncio marker on tests."""
from __future__ import annotations

import libcst as cst

from bot.change.rule import REWRITE, Invalid, Valid

from .pytest_names import ASYNCIO_MARK, keyword
from .pytest_rule import PytestRule

_AUTO_INI = {"pytest.ini": "[pytest]\nasyncio_mode = auto\n"}


class MarkAsyncTests(PytestRule):
    ID = "PA001"
    KIND = REWRITE
    MESSAGE = "strict mode: mark every collected async test function and method with @pytest.mark.asyncio"
    APPLIED = "marked {n} async test(s) with @pytest.mark.asyncio"
    VALID = [
        Valid({"tests/test_api.py": "import pytest\n\n\n@pytest.mark.asyncio\nasync def test_a():\n    pass\n"},
              name="already marked"),
        Valid({"tests/test_api.py": "import pytest\n\npytestmark = pytest.mark.asyncio\n\n\n"
                                    "async def test_a():\n    pass\n"}, name="marked by the module's pytestmark"),
        Valid({"tests/test_api.py": "import pytest\n\n\n@pytest.mark.anyio\nasync def test_a():\n    pass\n"},
              name="another async plugin's test"),
        Valid({"tests/test_api.py": "import unittest\n\n\nclass TestApi(unittest.IsolatedAsyncioTestCase):\n"
                                    "    async def test_a(self):\n        pass\n"}, name="a unittest class"),
        Valid({"tests/helpers.py": "async def test_helper():\n    pass\n"}, name="not a test module"),
        Valid({**_AUTO_INI, "tests/test_api.py": "async def test_a():\n    pass\n"}, options={"mode": "auto"},
              name="auto mode kept"),
    ]
    INVALID = [
        Invalid({"tests/test_api.py": "async def test_a():\n    pass\n"},
                after={"tests/test_api.py": "import pytest\n\n\n@pytest.mark.asyncio\nasync def test_a():\n    pass\n"}),
        Invalid({"tests/test_api.py": "import pytest\n\n\nclass TestApi:\n    async def test_a(self):\n        pass\n\n"
                                      "    def test_b(self):\n        pass\n"},
                after={"tests/test_api.py": "import pytest\n\n\nclass TestApi:\n    @pytest.mark.asyncio\n"
                                            "    async def test_a(self):\n        pass\n\n"
                                            "    def test_b(self):\n        pass\n"},
                name="a method of a test class, not the sync one"),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or not self.suite.strict:
            return
        file = self.pytest_file
        if file.is_test(node) and file.needs_mark(node):
            self.replace(node, lambda updated: updated.with_changes(
                decorators=[cst.Decorator(cst.parse_expression(ASYNCIO_MARK)), *updated.decorators]))
            self.imports.add("pytest")


class MarkerLoopScope(PytestRule):
    ID = "PA004"
    KIND = REWRITE
    MESSAGE = "@pytest.mark.asyncio(scope=...) -> @pytest.mark.asyncio(loop_scope=...)"
    APPLIED = "renamed scope= to loop_scope= in {n} asyncio marker(s)"
    VALID = [Valid("import pytest\n\n\n@pytest.mark.asyncio(loop_scope='module')\nasync def test_a():\n    pass\n"),
             Valid("import pytest\n\n\n@pytest.fixture(scope='module')\ndef conn():\n    pass\n",
                   name="another call's scope=")]
    INVALID = [
        Invalid("import pytest\n\n\n@pytest.mark.asyncio(scope='module')\nasync def test_a():\n    pass\n",
                after="import pytest\n\n\n@pytest.mark.asyncio(loop_scope='module')\nasync def test_a():\n    pass\n"),
        Invalid("from pytest import mark\n\npytestmark = mark.asyncio(scope='session')\n",
                after="from pytest import mark\n\npytestmark = mark.asyncio(loop_scope='session')\n",
                name="a module's pytestmark"),
        Invalid("import pytest\n\n\n@pytest.mark.asyncio(scope='module', loop_scope='module')\n"
                "async def test_a():\n    pass\n", items=[4], name="both: a UsageError in 1.x"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        scope = keyword(node, "scope")
        if scope is None or ASYNCIO_MARK not in self.pytest_file.names(node.func):
            return
        if keyword(node, "loop_scope") is not None:
            self.report_line(node, "asyncio marker passes both scope= and loop_scope= (a UsageError in 1.x)",
                             "keep only loop_scope=")
            return
        self.rename(scope.keyword, "loop_scope")

