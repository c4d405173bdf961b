"""The rewriting pass over one file: statistics reads, tenacity._asyncio imports,
tenacity.iscoroutinefunction, and (option) reraise=True. Everything it declines becomes a ManualItem."""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import ExpressionContext

from bot.model import ManualItem

from . import names
from .asyncio_usage import AsyncioUsage
from .reraise_policy import Blocker, site_refusal
from .service_index import Definition, ParsedModule, ServiceIndex, dotted_name, import_from_module, walk

STATS, ASYNCIO, ISCORO, CONCURRENCY, RERAISE = "TEN001", "TEN002", "TEN003", "TEN008", "TEN011"


class FileRewriter(cst.CSTTransformer):
    def __init__(self, index: ServiceIndex, parsed: ParsedModule, usage: AsyncioUsage,
                 options: Mapping[str, Any], blockers: Sequence[Blocker]) -> None:
        super().__init__()
        self.index, self.parsed, self.usage = index, parsed, usage
        self.add_reraise = bool(options.get("add_reraise", False))
        self.blockers = blockers
        self.changes: Counter[str] = Counter()
        self.manual: list[ManualItem] = []
        self.retry_sites = 0
        self._functions: list[cst.FunctionDef] = []
        self._needs_inspect = False

    def rewrite(self) -> str:
        tree = self.parsed.tree.visit(self)
        if self._needs_inspect:
            context = CodemodContext()
            AddImportsVisitor.add_needed_import(context, "inspect")
            tree = AddImportsVisitor(context).transform_module(tree)
        return tree.code

    def _flag(self, rule: str, node: cst.CSTNode, reason: str, suggestion: str | None = None) -> None:
        self.manual.append(ManualItem(self.parsed.path, self.parsed.line(node), self.parsed.code(node),
                                      reason, rule, suggestion))

    # ----- scopes ---------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._functions.append(node)
        return True

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self._functions.pop()
        return updated

    # ----- TEN001 statistics, TEN002 module attribute, TEN003 attribute ----------------------

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if self._is_retry_statistics(original):
            return self._rewrite_statistics(original, updated)
        if (self.usage.rewritable and original.attr.value in names.ASYNCIO_SAFE_NAMES
                and isinstance(original.value, cst.Attribute)
                and self.index.names_of(self.parsed, original.value) == {names.ASYNCIO_MODULE}):
            self.changes[ASYNCIO] += 1
            return updated.with_changes(value=updated.value.value)  # tenacity._asyncio.X -> tenacity.X
        if (isinstance(original.value, cst.Name)
                and self.index.names_of(self.parsed, original) == {names.ISCOROUTINEFUNCTION}
                and self.parsed.context(original) is ExpressionContext.LOAD):
            self.changes[ISCORO] += 1
            self._needs_inspect = True
            return updated.with_changes(value=cst.Name("inspect"))
        return updated

    def _is_retry_statistics(self, node: cst.Attribute) -> bool:
        return (node.attr.value == "statistics" and isinstance(node.value, cst.Attribute)
                and node.value.attr.value == "retry"
                and self.parsed.context(node) is ExpressionContext.LOAD)

    def _rewrite_statistics(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        receiver = original.value.value
        receiver_code = self.parsed.code(receiver)
        suggestion = f"{receiver_code}.statistics"
        definition, proven = self._resolve_receiver(receiver)
        if definition is None:
            found = self.index.names_of(self.parsed, receiver)
            known = self.index.definition(next(iter(found))) if len(found) == 1 else None
            what = (f"`{receiver_code}` is defined at {known.module.path}:{known.module.line(known.node)} without "
                    "tenacity's @retry (another decorator may apply it)" if known is not None else
                    f"`{receiver_code}` could not be proven to be a @retry-decorated function of this service")
            self._flag(STATS, original,
                       f"{what}; if it is one, fn.retry.statistics is silently {{}} on tenacity 9.x and must become "
                       "fn.statistics (which 8.x lacks)", suggestion)
            return updated
        stale = self._stale_capture(original, receiver_code)
        if stale:
            self._flag(STATS, original,
                       f"the statistics dict is bound to a name {stale}: 8.x clears and refills one dict in place, "
                       "9.x assigns a new dict to fn.statistics on every call, so a reference taken before "
                       "the call stays stale", f"read {receiver_code}.statistics after calling {receiver_code}")
            return updated
        reader_concurrent = self.index.uses_concurrency(self.parsed)
        if reader_concurrent or self.index.uses_concurrency(definition.module):
            where = self.parsed.path if reader_concurrent else definition.module.path
            self._flag(CONCURRENCY, original,
                       f"{where} runs work concurrently: 8.x kept statistics per thread, 9.x keeps one "
                       "fn.statistics replaced at the start of every call (last call wins, no aggregation); "
                       "check that this read cannot see another call's statistics")
        if not proven:
            self._flag(STATS, original,
                       f"rewritten by name: what `{self.parsed.code(receiver.value)}` holds could not be proven, and "
                       f"the only @retry-decorated `{definition.short}` of the service is {definition.name} "
                       f"({definition.describe()}); check that this is the object read here",
                       suggestion)
        self.changes[STATS] += 1
        return updated.with_changes(value=updated.value.value)

    def _resolve_receiver(self, receiver: cst.BaseExpression) -> tuple[Definition | None, bool]:
        """(the @retry function `receiver` denotes, proven?). Unproven: `x.name` whose receiver's class is
        unknown, and `name` is the only @retry-decorated function or method of that name in the service."""
        analysis = self.index.analysis
        definition = analysis.definition_of(self.parsed, receiver)
        if self.index.is_retry_function(definition):
            return definition, True
        if definition is None and isinstance(receiver, cst.Attribute) \
                and not analysis.receiver_known(self.parsed, receiver.value):
            same_name = [d for d in self.index.retry_functions() if d.short == receiver.attr.value]
            if len(same_name) == 1:
                return same_name[0], False
        return None, False

    def _stale_capture(self, stats: cst.Attribute, receiver_code: str) -> str | None:
        holder = self.parsed.parent(stats)
        if not (isinstance(holder, (cst.Assign, cst.AnnAssign)) and holder.value is stats):
            return None
        if not self._functions:
            return "at import time"
        line = self.parsed.line(stats)
        for node in walk(self._functions[-1]):
            if (isinstance(node, cst.Call) and self.parsed.line(node) > line
                    and self.parsed.code(node.func) == receiver_code):
                return f"before the call at line {self.parsed.line(node)}"
        return None

    # ----- TEN002/TEN003 import statements ----------------------------------------------------

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        body: list[cst.BaseSmallStatement] = []
        extra: list[cst.SimpleStatementLine] = []
        changed = False
        for before, after in zip(original.body, updated.body):
            if isinstance(before, cst.ImportFrom):
                rewritten = self._rewrite_import_from(before, after, extra)
            elif isinstance(before, cst.Import):
                rewritten = self._rewrite_import(before, after)
            else:
                rewritten = after
            changed = changed or rewritten is not after
            if rewritten is not None:
                body.append(rewritten)
        if not changed:
            return updated
        if body:
            body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            return cst.FlattenSentinel([updated.with_changes(body=body), *extra])
        return cst.FlattenSentinel(extra) if extra else cst.RemoveFromParent()

    def _rewrite_import_from(self, before: cst.ImportFrom, after: cst.ImportFrom,
                             extra: list[cst.SimpleStatementLine]) -> cst.ImportFrom | None:
        source = import_from_module(before, self.parsed.package)
        if source == names.ASYNCIO_MODULE and self.usage.rewritable:
            self.changes[ASYNCIO] += 1
            return after.with_changes(module=cst.Name("tenacity"), relative=())
        if source != "tenacity" or isinstance(after.names, cst.ImportStar):
            return after
        kept = []
        for alias in after.names:
            imported = dotted_name(alias.name)
            if imported == "_asyncio" and self.usage.rewritable:
                local = alias.asname.name if alias.asname is not None else cst.Name("_asyncio")
                extra.append(_line(cst.Import([cst.ImportAlias(cst.Name("tenacity"), cst.AsName(local))])))
                self.changes[ASYNCIO] += 1
            elif imported == "iscoroutinefunction":
                extra.append(_line(cst.ImportFrom(cst.Name("inspect"), [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)])))
                self.changes[ISCORO] += 1
            else:
                kept.append(alias)
        if len(kept) == len(after.names):
            return after
        if not kept:
            return None
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return after.with_changes(names=kept)

    def _rewrite_import(self, before: cst.Import, after: cst.Import) -> cst.Import | None:
        if not self.usage.rewritable or not any(dotted_name(a.name) == names.ASYNCIO_MODULE for a in after.names):
            return after
        others_bind_tenacity = self._binds_plain_tenacity(exclude=before)
        aliases = []
        for alias in after.names:
            if dotted_name(alias.name) != names.ASYNCIO_MODULE:
                aliases.append(alias)
                continue
            self.changes[ASYNCIO] += 1
            if alias.asname is not None or not others_bind_tenacity:
                aliases.append(alias.with_changes(name=cst.Name("tenacity")))
                others_bind_tenacity = others_bind_tenacity or alias.asname is None
        if not aliases:
            return None
        aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return after.with_changes(names=aliases)

    def _binds_plain_tenacity(self, exclude: cst.Import) -> bool:
        for node in self.parsed.nodes:
            if isinstance(node, cst.Import):
                for alias in node.names:
                    name = dotted_name(alias.name)
                    if alias.asname is None and name.split(".")[0] == "tenacity" and not (
                            node is exclude and name == names.ASYNCIO_MODULE):
                        return True
        return False

    # ----- TEN011 reraise=True (option) --------------------------------------------------------

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        bare = original.decorator
        if isinstance(bare, (cst.Name, cst.Attribute)) and self.index.refers_to(self.parsed, bare, names.RETRY_DECORATOR):
            if self._may_add_reraise(bare, None):
                return updated.with_changes(decorator=cst.Call(func=updated.decorator, args=[_reraise_arg()]))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.index.refers_to(self.parsed, original.func, names.RETRY_DECORATOR | names.RETRYING_CLASSES):
            return updated
        if any(a.keyword is not None and a.keyword.value == "reraise" for a in original.args):
            return updated
        if self._may_add_reraise(original, original):
            return updated.with_changes(args=_append_arg(updated, _reraise_arg()))
        return updated

    def _may_add_reraise(self, site: cst.CSTNode, call: cst.Call | None) -> bool:
        self.retry_sites += 1
        if not self.add_reraise:
            return False
        refusal = site_refusal(self.index, self.parsed, call)
        if refusal is None and self.blockers:
            refusal = (f"the service depends on how exhaustion is reported ({self.blockers[0].describe()}"
                       + (f" and {len(self.blockers) - 1} more" if len(self.blockers) > 1 else "")
                       + "): reraise=True would replace RetryError by the last exception there")
        if refusal is not None:
            self._flag(RERAISE, site, f"reraise=True not added: {refusal}")
            return False
        self.changes[RERAISE] += 1
        return True


def _line(statement: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([statement])


def _reraise_arg() -> cst.Arg:
    return cst.Arg(keyword=cst.Name("reraise"), value=cst.Name("True"),
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _append_arg(call: cst.Call, new: cst.Arg) -> list[cst.Arg]:
    """Appends keeping the call's layout: a multi-line call with a trailing comma keeps one."""
    args = list(call.args)
    if not args:
        return [new]
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
            between = args[-2].comma
        else:  # one argument: indent the new one like the first, which follows "("
            between = cst.Comma(whitespace_after=call.whitespace_before_args)
        return [*args[:-1], last.with_changes(comma=between), new.with_changes(comma=last.comma)]
    return [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]
