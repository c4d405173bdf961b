"""tenacity 8.x -> 9.1.2 (facts: shared reference, libraries.md section 2).

What 9.x breaks silently is `fn.retry.statistics` (returns {}), so the one rewrite that matters is
`fn.retry.statistics` -> `fn.statistics`, applied when the shared service analysis (bot.analysis) proves
`fn` is a @retry-decorated function or method of the service (`obj.method`, `self.client.method`, a
fixture's object, a function nested in a test), or when `fn` is `x.name` with an unprovable `x` and
`name` is the only @retry function of that name in the service (then also listed for a check).
Everything else that changed behaviour is listed for a human.
reraise=True is not part of the migration; it is an opt-in option that refuses itself wherever
the service depends on RetryError.
"""
from __future__ import annotations

from collections import Counter

from bot.analysis import ServiceAnalysis
from bot.codemod import Codemod
from bot.model import AppliedChange, CodemodResult, ServiceSource
from bot.python_support import below_floor

from .asyncio_usage import analyze
from .reraise_policy import Blocker, find_blockers
from .review import review
from .rewrites import FileRewriter
from .service_index import ServiceIndex

_CHANGE_DESCRIPTIONS = {
    "TEN001": "fn.retry.statistics -> fn.statistics (9.x reports a decorated function's statistics there; "
              "fn.retry.statistics is always {})",
    "TEN002": "tenacity._asyncio -> tenacity (the private module is gone in 9.x; tenacity exports these names "
              "on 8.x and 9.x)",
    "TEN003": "tenacity.iscoroutinefunction -> inspect.iscoroutinefunction (the re-export is gone in 9.x)",
    "TEN011": "reraise=True added (recipe option add_reraise)",
}

PYTHON_FLOOR = "3.9"  # tenacity 9.1 requires-python


class TenacityCodemod(Codemod):
    RULES = {
        "TEN001": "fn.retry.statistics -> fn.statistics when fn is a @retry-decorated function or method of the "
                  "service (reached through instances, attribute chains, fixtures, nested scopes; a unique-name "
                  "match is rewritten and listed)",
        "TEN002": "tenacity._asyncio imports -> tenacity (works on 8.x and 9.x)",
        "TEN003": "tenacity.iscoroutinefunction -> inspect.iscoroutinefunction",
        "TEN004": "review: wait_random_exponential(min>0) now waits at least min per retry",
        "TEN005": "review: custom wait callable (not tenacity's, not provably pure: factories, closures, partial, "
                  "__call__ objects), now also evaluated on the final attempt",
        "TEN006": "review: subclass of a tenacity Retrying class (loop internals reorganised, calls run on copies)",
        "TEN007": "review: patch of tenacity._asyncio (module removed; patch asyncio.sleep)",
        "TEN008": "review: fn.statistics read where calls run concurrently (last call wins on 9.x)",
        "TEN009": "review: @retry around functools.partial (async callables now retried asynchronously)",
        "TEN010": "review: service declares Python < 3.9 (tenacity 9.1 requires >= 3.9)",
        "TEN011": "option add_reraise: add reraise=True where nothing depends on RetryError",
    }

    def migrate(self, service: ServiceSource) -> CodemodResult:
        result = CodemodResult()
        index = ServiceIndex(ServiceAnalysis.of(service))
        add_reraise = bool(self.options.get("add_reraise", False))
        blockers = find_blockers(index) if add_reraise else []
        totals: Counter[str] = Counter()
        retry_sites = 0
        for parsed in index.relevant_modules():
            path = parsed.path
            usage = analyze(index, parsed)
            rewriter = FileRewriter(index, parsed, usage, self.options, blockers)
            text = rewriter.rewrite()
            if text != service.files[path]:
                result.changed[path] = text
            for rule, count in sorted(rewriter.changes.items()):
                result.applied.append(AppliedChange(path, rule, _CHANGE_DESCRIPTIONS[rule], count))
            totals.update(rewriter.changes)
            retry_sites += rewriter.retry_sites
            result.manual.extend(rewriter.manual)
            result.manual.extend(review(index, parsed, usage))
        result.manual.extend(below_floor(service.files, PYTHON_FLOOR, "tenacity 9.1", "TEN010"))
        result.manual.sort(key=lambda m: (m.file, m.line, m.rule))
        result.notes.extend(_notes(totals, retry_sites, add_reraise, blockers))
        result.notes.extend(f"{path} was not migrated: it does not parse ({error})"
                            for path, error in index.unparsable)
        return result


def _notes(totals: Counter[str], retry_sites: int, add_reraise: bool, blockers: list[Blocker]) -> list[str]:
    notes = []
    if totals["TEN001"]:
        notes.append("`fn.retry.statistics` reads now use `fn.statistics`. On tenacity 9.x the old spelling does "
                     "not fail, it returns `{}`, so logs and metrics would have gone blank; `fn.statistics` does "
                     "not exist on 8.x, so these edits must ship together with the version bump, as here.")
    if totals["TEN002"]:
        notes.append("`tenacity._asyncio` imports now import from `tenacity`, not `tenacity.asyncio`: `tenacity` "
                     "exports these names on 8.2.3 and 9.1.2 alike, so this edit is also safe on the old pin.")
    if retry_sites and not add_reraise:
        notes.append("`reraise=True` was not added: tenacity 9.x does not require it. Exhaustion still raises "
                     "`RetryError` (last exception as `__cause__`, `.last_attempt` intact) exactly as on 8.2.3; "
                     "adding it would change the exception callers see. The recipe option `add_reraise` adds it "
                     "where nothing in the service depends on `RetryError`.")
    elif retry_sites and blockers:
        listed = "; ".join(b.describe() for b in blockers[:3]) + ("; ..." if len(blockers) > 3 else "")
        notes.append("`reraise=True` was not added although the option `add_reraise` is on: the service depends "
                     f"on `RetryError` ({listed}), and there reraise=True would raise the last exception instead. "
                     "Each retry site is listed for review.")
    elif totals["TEN011"]:
        notes.append(f"`reraise=True` was added to {totals['TEN011']} retry site(s) because the option "
                     "`add_reraise` is on: on exhaustion callers now get the original exception instead of "
                     "`tenacity.RetryError`. Nothing in the service references `RetryError`, `.last_attempt`, "
                     "`retry_error_callback` or `retry_error_cls`. tenacity 9.x itself does not require this.")
    return notes
