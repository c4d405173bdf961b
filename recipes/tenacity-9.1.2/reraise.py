"""TEN011: the opt-in `add_reraise` option (reraise=True is not part of the migration; see reraise_policy.py)."""
from __future__ import annotations

import libcst as cst

from bot.change.edit_plan import append_argument, keyword_argument
from bot.change.rule import REWRITE, Invalid, Rule, Valid

from . import names
from .reraise_policy import find_blockers, site_refusal
from .service_index import ServiceIndex


class AddReraise(Rule):
    ID = "TEN011"
    KIND = REWRITE
    MESSAGE = "option add_reraise: add reraise=True where nothing depends on RetryError"
    APPLIED = "reraise=True added (recipe option add_reraise)"
    VALID = [
        Valid("from tenacity import retry\n@retry\ndef f():\n    pass\n", name="option off"),
        Valid("from tenacity import retry\n@retry(reraise=False)\ndef f():\n    pass\n",
              options={"add_reraise": True}, name="reraise already given"),
    ]
    INVALID = [
        Invalid("from tenacity import retry\n@retry\ndef f():\n    pass\n",
                after="from tenacity import retry\n@retry(reraise=True)\ndef f():\n    pass\n",
                options={"add_reraise": True}),
        Invalid("""
            from tenacity import RetryError, retry
            @retry
            def f():
                pass
            try:
                f()
            except RetryError:
                pass
            """, items=[2], options={"add_reraise": True}, name="RetryError caught: refused"),
    ]

    def begin_service(self) -> None:
        self.add_reraise = bool(self.options.get("add_reraise", False))
        self.blockers = find_blockers(self.fact(ServiceIndex, self.analysis)) if self.add_reraise else []
        self.sites = 0  # every retry site, counted with the option off too: the PR says why none was changed
        self.added = 0

    def visit_Decorator(self, node: cst.Decorator) -> None:
        bare = node.decorator
        if isinstance(bare, (cst.Name, cst.Attribute)) and self.analysis.refers_to(self.parsed, bare,
                                                                                names.RETRY_DECORATOR):
            if self._may_add(bare, None):
                self.replace(node, lambda updated: updated.with_changes(
                    decorator=cst.Call(func=updated.decorator, args=[keyword_argument("reraise", "True")])))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.analysis.refers_to(self.parsed, node.func, names.RETRY_DECORATOR | names.RETRYING_CLASSES):
            return
        if any(a.keyword is not None and a.keyword.value == "reraise" for a in node.args):
            return
        if self._may_add(node, node):
            self.replace(node, lambda updated: append_argument(updated, keyword_argument("reraise", "True")))

    def _may_add(self, site: cst.CSTNode, call: cst.Call | None) -> bool:
        self.sites += 1
        if not self.add_reraise:
            return False
        refusal = site_refusal(self.fact(ServiceIndex, self.analysis), self.parsed, call)
        if refusal is None and self.blockers:
            refusal = (f"the service depends on how exhaustion is reported ({self.blockers[0].describe()}"
                       + (f" and {len(self.blockers) - 1} more" if len(self.blockers) > 1 else "")
                       + "): reraise=True would replace RetryError by the last exception there")
        if refusal is not None:
            self.report(site, f"reraise=True not added: {refusal}")
            return False
        self.added += 1
        return True

    def end_service(self) -> None:
        if self.sites and not self.add_reraise:
            self.note("`reraise=True` was not added: tenacity 9.x does not require it. Exhaustion still raises "
                      "`RetryError` (last exception as `__cause__`, `.last_attempt` intact) exactly as on 8.2.3; "
                      "adding it would change the exception callers see. The recipe option `add_reraise` adds it "
                      "where nothing in the service depends on `RetryError`.")
        elif self.sites and self.blockers:
            listed = "; ".join(b.describe() for b in self.blockers[:3]) + ("; ..." if len(self.blockers) > 3 else "")
            self.note("`reraise=True` was not added although the option `add_reraise` is on: the service depends "
                      f"on `RetryError` ({listed}), and there reraise=True would raise the last exception instead. "
                      "Each retry site is listed for review.")
        elif self.added:
            self.note(f"`reraise=True` was added to {self.added} retry site(s) because the option `add_reraise` is "
                      "on: on exhaustion callers now get the original exception instead of `tenacity.RetryError`. "
                      "Nothing in the service references `RetryError`, `.last_attempt`, `retry_error_callback` or "
                      "`retry_error_cls`. tenacity 9.x itself does not require this.")
