"""TEN004, TEN005, TEN006, TEN009: behaviour changes of 8.3-9.x that no rewrite can settle; listed for review."""
from __future__ import annotations

import libcst as cst

from bot.change.rule import MANUAL, Invalid, Rule, Valid

from . import names
from .custom_wait import custom_wait, wait_leaves
from .service_index import ServiceIndex

# Methods whose override depends on the retry loop's internals (reorganised into an action list in 8.3.0).
_LOOP_INTERNALS = frozenset({"iter", "begin", "__iter__", "__call__", "__aiter__", "__anext__"})


class _ReviewRule(Rule):
    KIND = MANUAL

    @property
    def index(self) -> ServiceIndex:
        return self.fact(ServiceIndex, self.analysis)


class WaitRandomExponentialMin(_ReviewRule):
    ID = "TEN004"
    MESSAGE = "review: wait_random_exponential(min>0) now waits at least min per retry"
    VALID = [Valid("from tenacity import wait_random_exponential\nWAIT = wait_random_exponential(multiplier=1, max=60)\n")]
    INVALID = [Invalid("from tenacity import wait_random_exponential\n"
                       "WAIT = wait_random_exponential(multiplier=1, min=4, max=60)\n", items=[2])]

    def visit_Call(self, call: cst.Call) -> None:
        if not self.analysis.refers_to(self.parsed, call.func, names.WAIT_RANDOM_EXPONENTIAL):
            return
        minimum = _argument(call, "min", names.WAIT_RANDOM_EXPONENTIAL_MIN_POSITION)
        if minimum is None or _is_zero(minimum):
            return
        without = call.with_changes(args=_drop_trailing_comma([a for a in call.args if a.value is not minimum]))
        self.report(call, f"9.0 draws each wait from uniform(min, cap) instead of uniform(0, cap): with min="
                          f"{self.parsed.code(minimum)} every retry now waits at least that long (longer total "
                          "back-off); re-check latency budgets, stop_after_delay limits and client timeouts",
                    f"keep it if the floor is intended; else {self.parsed.tree.code_for_node(without)}")


class CustomWait(_ReviewRule):
    ID = "TEN005"
    MESSAGE = ("review: custom wait callable (not tenacity's, not provably pure: factories, closures, partial, "
               "__call__ objects), now also evaluated on the final attempt")
    VALID = [Valid("from tenacity import retry, wait_exponential\n"
                   "@retry(wait=wait_exponential() + wait_exponential())\ndef f():\n    pass\n")]
    INVALID = [Invalid("""
        from tenacity import retry
        CALLS = []
        def counted(state):
            CALLS.append(state)
            return 1
        @retry(wait=counted)
        def f():
            pass
        """, items=[6])]

    def visit_Call(self, call: cst.Call) -> None:
        retrying = self.analysis.refers_to(self.parsed, call.func, names.RETRY_DECORATOR | names.RETRYING_CLASSES)
        if not (retrying or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "retry_with")):
            return
        wait = _argument(call, "wait", None)
        found = None
        for leaf in (wait_leaves(self.index, self.parsed, wait) if wait is not None else ()):
            found = found or custom_wait(self.index, self.parsed, leaf)
        if found:
            self.report(wait, f"custom wait: {found}. Since 8.3.0 the wait strategy is also evaluated on the final "
                              "attempt (3 attempts: 2 calls on 8.2.3, 3 on 9.1.2), so any side effect it has "
                              "(metrics, counters, logs) runs once more per exhausted run",
                        "keep the wait pure and move the side effect to before_sleep=, which runs only before "
                        "an actual sleep")


class RetryingSubclass(_ReviewRule):
    ID = "TEN006"
    MESSAGE = "review: subclass of a tenacity Retrying class (loop internals reorganised, calls run on copies)"
    VALID = [Valid("class Retrying:\n    def iter(self):\n        pass\n")]
    INVALID = [Invalid("""
        import tenacity
        class Logged(tenacity.Retrying):
            def iter(self, retry_state):
                return super().iter(retry_state)
        """, items=[2])]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not any(self.analysis.names_of(self.parsed, base.value) & names.RETRYING_BASES for base in node.bases):
            return
        methods = [m.name.value for m in node.body.body if isinstance(m, cst.FunctionDef)]
        internals = [m for m in methods if m in _LOOP_INTERNALS or (m.startswith("_") and not m.startswith("__"))]
        if internals:
            reason = (f"overrides {', '.join(internals)}: the retry loop was reorganised in 8.3.0 (action list, wait "
                      "computed before the stop check) and these internals behave differently on 9.x")
        else:
            reason = ("subclasses a tenacity Retrying class: since 8.4.2 every decorated call runs on a copy() of "
                      "the Retrying object, so state a subclass keeps on self during a call is not kept on the "
                      "original")
        self.report(node.name, reason, "re-run this class's tests against tenacity 9.1.2")


class RetryPartial(_ReviewRule):
    ID = "TEN009"
    MESSAGE = "review: @retry around functools.partial (async callables now retried asynchronously)"
    VALID = [Valid("import functools\nfrom tenacity import retry\nsend = retry(print)\n")]
    INVALID = [Invalid("import functools\nfrom tenacity import retry\n"
                       "send = retry(functools.partial(print, flush=True))\n", items=[3])]

    def visit_Call(self, call: cst.Call) -> None:
        decorator = call.func
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        if not self.analysis.refers_to(self.parsed, target, names.RETRY_DECORATOR) or len(call.args) != 1:
            return
        wrapped = call.args[0].value
        if isinstance(wrapped, cst.Call) and self.analysis.refers_to(self.parsed, wrapped.func,
                                                                     frozenset({"functools.partial"})):
            self.report(call, "retry wraps a functools.partial: since 8.4.0 tenacity detects coroutine functions "
                              "behind partials, so if it wraps an async def the result is now an awaitable retried "
                              "asynchronously")


def _argument(call: cst.Call, keyword: str, position: int | None) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if position is not None and len(positional) > position:
        return positional[position].value
    return None


def _drop_trailing_comma(args: list[cst.Arg]) -> list[cst.Arg]:
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return args


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.value) == 0
