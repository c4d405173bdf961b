"""TEN002, TEN003, TEN007: the private module tenacity._asyncio and the re-export tenacity.iscoroutinefunction,
both gone in 9.x (see asyncio_usage.py for why `tenacity`, not `tenacity.asyncio`, is the new home)."""
from __future__ import annotations

import libcst as cst
from libcst.metadata import ExpressionContext

from bot.change.import_editor import APPENDED
from bot.change.rule import MANUAL, REWRITE, Invalid, Rule, Valid

from . import names
from .asyncio_usage import AsyncioUsage, analyze
from .service_index import ServiceIndex, dotted_name, import_from_module

ASYNCIO_NOTE = (
    "`tenacity._asyncio` imports now import from `tenacity`, not `tenacity.asyncio`: `tenacity` exports these "
    "names on 8.2.3 and 9.1.2 alike, so this edit is also safe on the old pin.")


class _AsyncioRule(Rule):
    @property
    def index(self) -> ServiceIndex:
        return self.fact(ServiceIndex, self.analysis)

    @property
    def usage(self) -> AsyncioUsage:
        return self.fact(analyze, self.index, self.parsed)


class AsyncioImports(_AsyncioRule):
    ID = "TEN002"
    KIND = REWRITE
    MESSAGE = "tenacity._asyncio imports -> tenacity (works on 8.x and 9.x)"
    APPLIED = ("tenacity._asyncio -> tenacity (the private module is gone in 9.x; tenacity exports these names on "
               "8.x and 9.x)")
    VALID = [Valid("from tenacity import AsyncRetrying\n"), Valid("from tenacity.asyncio import AsyncRetrying\n")]
    INVALID = [
        Invalid("from tenacity._asyncio import AsyncRetrying\n", after="from tenacity import AsyncRetrying\n"),
        Invalid("import tenacity._asyncio\nR = tenacity._asyncio.AsyncRetrying\n",
                after="import tenacity\nR = tenacity.AsyncRetrying\n", name="module import"),
        Invalid("from tenacity import _asyncio as aio, retry\nR = aio.AsyncRetrying\n",
                after="from tenacity import retry\nimport tenacity as aio\nR = aio.AsyncRetrying\n",
                name="the module imported from tenacity"),
        Invalid("from tenacity._asyncio import sleep\n", items=[1], name="a name tenacity does not export"),
    ]

    def begin_service(self) -> None:
        self.rewritten = 0

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (node.attr.value in names.ASYNCIO_SAFE_NAMES and isinstance(node.value, cst.Attribute)
                and self.usage.rewritable
                and self.analysis.names_of(self.parsed, node.value) == {names.ASYNCIO_MODULE}):
            self.rewritten += 1
            self.replace(node, lambda updated: updated.with_changes(value=updated.value.value))  # _asyncio.X -> X

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.usage.rewritable:
            return
        source = import_from_module(node, self.parsed.package)
        if source == names.ASYNCIO_MODULE:
            self.rewritten += 1
            self.imports.set_module(node, "tenacity")
            self.count()
        elif source == "tenacity" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if dotted_name(alias.name) == "_asyncio":
                    local = alias.asname.name if alias.asname is not None else cst.Name("_asyncio")
                    self.imports.drop(alias)
                    self.imports.add_after(node, cst.Import([cst.ImportAlias(cst.Name("tenacity"), cst.AsName(local))]))
                    self.rewritten += 1
                    self.count()

    def visit_Import(self, node: cst.Import) -> None:
        if not self.usage.rewritable or not any(dotted_name(a.name) == names.ASYNCIO_MODULE for a in node.names):
            return
        others_bind_tenacity = self._binds_plain_tenacity(exclude=node)
        for alias in node.names:
            if dotted_name(alias.name) != names.ASYNCIO_MODULE:
                continue
            self.rewritten += 1
            self.count()
            if alias.asname is not None or not others_bind_tenacity:
                self.imports.rename(alias, "tenacity")
                others_bind_tenacity = others_bind_tenacity or alias.asname is None
            else:  # `import tenacity` is already there: a second one would only repeat it
                self.imports.drop(alias)

    def _binds_plain_tenacity(self, exclude: cst.Import) -> bool:
        for node in self.parsed.of_type(cst.Import):
            for alias in node.names:
                name = dotted_name(alias.name)
                if alias.asname is None and name.split(".")[0] == "tenacity" and not (
                        node is exclude and name == names.ASYNCIO_MODULE):
                    return True
        return False

    def end_file(self) -> None:
        usage = self.usage
        for node, why in usage.unsafe_imports:
            self.report(node, f"tenacity._asyncio does not exist in 9.x and this import cannot be moved as is: {why}",
                        "import the names from `tenacity` (asyncio.sleep for sleep)")
        if usage.imports and not usage.rewritable and not usage.unsafe_imports:
            for node in usage.imports:
                self.report(node, "not rewritten because this file patches or reads other members of "
                                  "tenacity._asyncio (see TEN007): the import fails on 9.x until those uses are gone",
                            "from tenacity import AsyncRetrying (once nothing patches the module)")

    def end_service(self) -> None:
        if self.rewritten:
            self.note(ASYNCIO_NOTE)


class IsCoroutineFunction(Rule):
    ID = "TEN003"
    KIND = REWRITE
    MESSAGE = "tenacity.iscoroutinefunction -> inspect.iscoroutinefunction"
    APPLIED = "tenacity.iscoroutinefunction -> inspect.iscoroutinefunction (the re-export is gone in 9.x)"
    VALID = [Valid("from inspect import iscoroutinefunction\n")]
    INVALID = [
        Invalid("from tenacity import iscoroutinefunction as is_coro\n",
                after="from inspect import iscoroutinefunction as is_coro\n"),
        Invalid("import tenacity\nCHECK = tenacity.iscoroutinefunction\n",
                after="import tenacity\nimport inspect\n\nCHECK = inspect.iscoroutinefunction\n", name="attribute"),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (isinstance(node.value, cst.Name)
                and self.analysis.names_of(self.parsed, node) == {names.ISCOROUTINEFUNCTION}
                and self.parsed.context(node) is ExpressionContext.LOAD):
            self.replace(node.value, cst.Name("inspect"))
            self.imports.add("inspect", placement=APPENDED)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if import_from_module(node, self.parsed.package) != "tenacity" or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if dotted_name(alias.name) == "iscoroutinefunction":
                self.imports.drop(alias)
                moved = alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                self.imports.add_after(node, cst.ImportFrom(cst.Name("inspect"), [moved]))
                self.count()


class AsyncioPatches(_AsyncioRule):
    ID = "TEN007"
    KIND = MANUAL
    MESSAGE = "review: patch of tenacity._asyncio (module removed; patch asyncio.sleep)"
    VALID = [Valid("""
        from unittest import mock
        with mock.patch("asyncio.sleep"):
            pass
        """)]
    INVALID = [
        Invalid("""
            from unittest import mock
            with mock.patch("tenacity._asyncio.sleep"):
                pass
            """, items=[2], name="patch target string"),
        Invalid("""
            import tenacity._asyncio
            def test_fast(monkeypatch):
                monkeypatch.setattr(tenacity._asyncio, "sleep", None)
            """, items=[3], name="the module object"),
    ]

    def end_file(self) -> None:
        usage = self.usage
        for node in usage.patches:
            self.report(self._enclosing_call(node),
                        "uses the tenacity._asyncio module object (patch or unsupported member); the module is gone "
                        "in 9.x and 9.x looks up asyncio.sleep at call time",
                        "patch asyncio.sleep instead (honoured by tenacity >= 8.4) or pass sleep= to AsyncRetrying")
        for node in usage.patch_strings:
            target = node.evaluated_value
            self.report(self._enclosing_call(node), f"patch target {target!r} names tenacity._asyncio, which 9.x "
                                                    "removed", '"asyncio.sleep"' if str(target).endswith(".sleep") else None)

    def _enclosing_call(self, node: cst.CSTNode) -> cst.CSTNode:
        """The call a module object or target string is passed to (monkeypatch.setattr, mock.patch), for context."""
        parent = self.parsed.parent(node)
        if isinstance(parent, cst.Arg):
            call = self.parsed.parent(parent)
            if isinstance(call, cst.Call):
                return call
        return node
