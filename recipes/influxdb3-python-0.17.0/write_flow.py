"""Where the service's synchronous write APIs go: one decision for the whole service, made before any rule
edits (`self.fact(WriteFlow, analysis)`), which rules INF006/INF007 apply and INF104/INF110 list.

InfluxDBClient3 has no write_api() and writes synchronously, so a synchronous v2 write API becomes the
client itself: `client.write_api(write_options=SYNCHRONOUS).write(bucket=B, record=R)` becomes
`client.write(record=R, database=B)`. A write API bound to a name or `self.attr` moves when every use of it
is a .write/.flush/.close that can be rewritten. Handed to a helper of the service (a function, a method, a
constructor storing it on self), it moves when the helper's parameter can take the client instead: every
call of the helper hands it a write API that moves, and the helper uses it only for writes (or hands it on to
a helper that can take it too); then the helper's writes are rewritten there. A module-level write API that
other modules import keeps its name and holds the client when every use of it in the service is a write,
flush or close (each rewritten in its importer); otherwise nothing in the service moves.

The helpers are agreed on as a fixpoint on the few facts gathered once (no module is analysed twice):
candidates are the helpers a caller offers a moving write API to (and those they hand it on to); a
candidate is dropped when one of its calls offers something else or a helper it hands the object on to
was dropped, until nothing changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import Definition, ParsedModule, ServiceAnalysis, dotted_name, import_from_module

from . import v2_api
from .module_facts import ModuleFacts, method_call
from .write_origins import UNKNOWN, Bound, Chained, Inline, Origin, context_manager_edit, instance_bindings
from .write_sites import Escape, ModuleWrites, Uses, use, write_keywords, write_options, write_site

HelperKey = tuple[Definition, "str | None"]  # (function receiving the object, parameter name)
# (module-level write API binding, SHARED): other modules import it; every use of it is rewritten where it is.
SHARED = None
NOT_OFFERED = "not every call of it hands it a write API the codemod rewrites"
UNMAPPED_CALLS = ("it is also referenced other than by plain calls, or a call's arguments cannot be mapped to "
                  "its parameters")
UNFOLLOWED_BINDING = ("the write API object is stored or passed where the codemod cannot follow every use (it "
                      "rewrites only .write/.flush/.close on a variable or self attribute assigned once)")


def describe(key: HelperKey) -> str:
    function, parameter = key
    name = function.owner.short if function.short == "__init__" and function.owner else function.short
    return f"{name}() ({function.describe()}, parameter {parameter})"


class WriteFlow:
    """See the module docstring. `modules[path]`: what was decided there (also in helper modules and
    importers the recipe's prefilter does not read); `blocking`: a write API blocks every change."""

    def __init__(self, service) -> None:  # service_facts.InfluxService
        self.analysis = service.analysis
        self.index = service.index
        self.modules: dict[str, ModuleWrites] = {}
        self.dataframes = False
        self._helpers: dict[HelperKey, Helper] = {}
        self._shared: dict[int, Shared] = {}  # id(binding node) -> what its importers need
        self._offers: dict[HelperKey, set[int]] = {}  # helper -> id(argument) of callers offering a moving write API
        self._refused: dict[HelperKey, str] = {}  # helpers a caller alone rules out, and why
        origins = []
        for parsed in service.relevant:
            facts = service.facts(parsed)
            for call in facts.calls:
                origin = self._origin(facts, call)
                if origin is not None:
                    origins.append(origin)
        self.approved = self._agree()
        for origin in origins:
            origin.decide(self)
        for key in sorted(self.approved, key=lambda k: (k[0].module.path, k[0].line, k[1])):
            self._apply_uses(self._helpers[key].uses)
        for shared in self._shared.values():
            if shared.refusal is None:
                self._apply_uses(shared.uses)
        self.blocking = any(e.blocking for writes in self.modules.values() for e in writes.escapes)

    def module(self, path: str) -> ModuleWrites:
        return self.modules.setdefault(path, ModuleWrites())

    def _apply_uses(self, uses: "Uses") -> None:
        for path, rewrite in uses.rewrites:
            self.module(path).rewrites.append(rewrite)
        for path, site in uses.sites:
            self.module(path).write_sites.append(site)
            self.dataframes = self.dataframes or site.dataframes

    # ----- write_api() calls ----------------------------------------------------------------------------

    def _origin(self, facts: ModuleFacts, call: cst.Call) -> "Origin | None":
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == v2_api.WRITE_API):
            return None
        receiver = call.func.value
        if not facts.may_be_influx(receiver) or facts.code(receiver) in facts.async_client_codes:
            return None  # not InfluxDB's, or the async client's (its own item covers it)
        parsed = facts.parsed
        writes = self.module(parsed.path)
        synchronous, consumed, why = write_options(call)
        if not synchronous:
            writes.batching.append((call, why))
            writes.unmoved.add(call)
            return None
        chained = method_call(parsed, call, v2_api.WRITE_API_METHODS)
        if chained is not None:
            site = write_site(chained[1]) if chained[0] == "write" else None
            self.dataframes = self.dataframes or bool(site and site.dataframes)
            return Chained(parsed, call, consumed, chained[1], site)
        helper = self._receiving(parsed, call)
        if helper is not None:
            self._offer(helper, call)
            return Inline(parsed, call, consumed, helper)
        return self._bound(facts, call, consumed)

    def _receiving(self, parsed: ParsedModule, argument: cst.CSTNode) -> HelperKey | None:
        flow = self.analysis.parameter_receiving(parsed, argument)
        return (flow.function, flow.parameter) if flow is not None else None

    def _offer(self, key: HelperKey, argument: cst.CSTNode) -> None:
        self._offers.setdefault(key, set()).add(id(argument))

    def _bound(self, facts: ModuleFacts, call: cst.Call, consumed: set) -> "Bound":
        parsed = facts.parsed
        holder = parsed.parent(call)
        target = None
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target = holder.targets[0].target
        elif context_manager_edit(parsed, holder) is not None:
            target = holder.asname.name
        bound = Bound(parsed, call, consumed, holder, target)
        importers = self._importers(parsed, target)
        if importers:
            # Imported elsewhere: the name stays (dropping it is an ImportError there) and holds the client, so
            # every use of it in the service must be a write the codemod rewrites; otherwise nothing moves.
            prefix = f"other modules import it ({', '.join(importers)}) and "
            binding = self.analysis.definition(f"{parsed.dotted}.{target.value}")
            if binding is None or isinstance(holder, cst.WithItem):
                bound.failure = Escape(call, prefix + "the codemod cannot follow their uses of it; nothing was "
                                                      "changed in the service", blocking=True)
                return bound
            shared = bound.shared = self._shared_binding(parsed, binding)
            if shared.refusal is None and self._usages(bound) is None:
                shared.refusal = UNFOLLOWED_BINDING
            if shared.refusal is not None:
                bound.failure = Escape(call, prefix + f"{shared.refusal}; nothing was changed in the service (kept, the "
                                                      "name would hold an InfluxDBClient3, which has no write_api(): an "
                                                      "AttributeError at import)", blocking=True)
                return bound
        usages = self._usages(bound)
        if usages is None:
            bound.failure = Escape(call, UNFOLLOWED_BINDING)
            return bound
        for method, usage_call, receiver_node in usages:
            if method == "write":
                site = write_site(usage_call)
                if site is None:
                    bound.failure = Escape(usage_call, "this write cannot be rewritten (positional */** arguments, "
                                                       "or no bucket or record)")
                    return bound
                self.dataframes = self.dataframes or site.dataframes
                bound.sites.append((site, receiver_node))
            elif method == "close" and not isinstance(parsed.parent(usage_call), cst.Expr):
                bound.failure = Escape(usage_call, "write_api.close() is used as a value")
                return bound
        bound.handed = [(helper, node) for method, helper, node in usages if method == "pass"]
        if isinstance(holder, cst.WithItem) and bound.handed:  # `with client as w` would close the client
            for helper, _ in bound.handed:
                self._refused.setdefault(helper, "a caller hands it a write API opened as a context manager")
            bound.failure = Escape(call, "the write API is used as a context manager and handed to a helper")
            return bound
        for helper, node in bound.handed:
            self._offer(helper, node)
        return bound

    def _usages(self, bound: "Bound"):
        """[(method, call or helper, receiver node)] for every use of the binding, or None if one escapes
        (its escape is kept on `bound`)."""
        if bound.usages is not UNKNOWN:
            return bound.usages
        parsed, target = bound.parsed, bound.target
        receivers = self._receivers(parsed, target)
        usages = None
        if receivers is not None:
            usages = []
            for node in receivers:
                found = method_call(parsed, node, v2_api.WRITE_API_METHODS)
                helper = self._receiving(parsed, node) if found is None else None
                if helper is not None:
                    usages.append(("pass", helper, node))
                elif found is None:
                    bound.usage_escape = Escape(node, "the write API object is used for something other than "
                                                      ".write/.flush/.close")
                    usages = None
                    break
                else:
                    usages.append((found[0], found[1], node))
        bound.usages = usages
        return usages

    def _receivers(self, parsed: ParsedModule, target: cst.CSTNode | None) -> list[cst.CSTNode] | None:
        """Every read of a name or `self.attr` bound once (here), in source order; None otherwise."""
        if isinstance(target, cst.Name):
            scope = parsed.scope(target)
            if scope is None:
                return None
            assignments = list(scope.assignments[target.value])
            if len(assignments) != 1 or assignments[0].node is not target:
                return None
            reads = self.analysis.reads_of(parsed, target)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            klass = self.analysis.self_class(parsed, target.value)
            if klass is None or [b.target for b in instance_bindings(self.analysis, parsed, klass, target.attr.value)] != [target]:
                return None
            reads = self.analysis.reads_of(parsed, target)
        else:
            return None
        return sorted(reads, key=parsed.source_order)

    def _importers(self, parsed: ParsedModule, target: cst.CSTNode | None) -> list[str]:
        """path:line of the other modules importing a module-level write API binding."""
        if not isinstance(target, cst.Name) or parsed.scope(target) is not parsed.scope(parsed.tree):
            return []
        found = self.index.importers(parsed.dotted, target.value, parsed.path)
        return [f"{path}:{line}" for path, line in found]

    def _shared_binding(self, parsed: ParsedModule, binding: Definition) -> "Shared":
        """A module-level write API other modules import: its uses there, or why they cannot hold the client."""
        shared = self._shared.get(id(binding.node))
        if shared is not None:
            return shared
        shared = self._shared[id(binding.node)] = Shared(binding)
        shared.refusal = _hidden_uses(self.analysis, parsed.dotted, binding.short)
        for reference in self.analysis.references_to(binding):
            if shared.refusal is not None:
                break
            if reference.module.path != parsed.path:
                shared.refusal = _shared_use_problem(reference.module, reference.node)
        if shared.refusal is None:
            for reference in self.analysis.references_to(binding):
                if reference.module.path != parsed.path:
                    problem = use(reference.module, reference.node, shared.uses)
                    if problem is not None:  # checked above; a mismatch refuses the move
                        shared.refusal = f"{reference.module.path}:{reference.line} {problem}"
                        break
        return shared

    # ----- helpers: which take the client ---------------------------------------------------------------

    def helper(self, key: HelperKey) -> "Helper":
        found = self._helpers.get(key)
        if found is None:
            found = self._helpers[key] = Helper(key, self.analysis.arguments_at_every_call(*key),
                                                 self._helper_uses(key))
        return found

    def _helper_uses(self, key: HelperKey) -> "Uses | str":
        """The edits making the helper write through the client it would receive; a string says why not."""
        function, parameter = key
        parsed = function.module
        params = function.node.params
        param = next((p for p in [*params.posonly_params, *params.params, *params.kwonly_params]
                      if p.name.value == parameter), None)
        if param is None:
            return f"{parameter} is not one of its parameters"
        uses = Uses()
        reads = sorted(self.analysis.reads_of(parsed, param), key=parsed.source_order)
        for read in reads:
            bindings = self.analysis.bindings_of(parsed, read)
            if len(bindings) != 1 or bindings[0].kind != "param":
                return f"{parameter} is reassigned"
            holder = parsed.parent(read)
            if isinstance(holder, cst.Assign) and holder.value is read and len(holder.targets) == 1:
                problem = self._stored_on_self(parsed, holder.targets[0].target, uses)
                if problem is not None:
                    return problem
                continue
            passed_on = self._receiving(parsed, read)
            if passed_on is not None:
                uses.passes.append((passed_on, read))
                continue
            problem = use(parsed, read, uses)
            if problem is not None:
                return problem
        if not reads:
            return f"{parameter} is never used"
        return uses

    def _stored_on_self(self, parsed: ParsedModule, target: cst.CSTNode, uses: Uses) -> str | None:
        """`self.<attr> = write_api` in a constructor: every use of self.<attr> must be a write API call."""
        klass = (self.analysis.self_class(parsed, target.value)
                 if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) else None)
        if klass is None:
            return "it is stored somewhere other than on self"
        if [b.target for b in instance_bindings(self.analysis, parsed, klass, target.attr.value)] != [target]:
            return f"self.{target.attr.value} is assigned more than once"
        for load in sorted(self.analysis.reads_of(parsed, target), key=parsed.source_order):
            problem = use(parsed, load, uses)
            if problem is not None:
                return problem
        return None

    def _agree(self) -> frozenset:
        """The helpers that take the client (see the module docstring)."""
        candidates, pending = set(), list(self._offers)
        while pending:  # what callers offer to, and what those helpers hand the object on to
            key = pending.pop()
            if key in candidates:
                continue
            candidates.add(key)
            uses = self.helper(key).uses
            if isinstance(uses, Uses):
                pending.extend(passed for passed, _ in uses.passes)
        approved = {key for key in candidates if key not in self._refused
                    and self.helper(key).arguments is not None and isinstance(self.helper(key).uses, Uses)}
        while True:
            offered = self._offered(approved)
            kept = {key for key in approved
                    if all(id(node) in offered.get(key, ()) for _, node in self.helper(key).arguments)
                    and all(passed in approved for passed, _ in self.helper(key).uses.passes)}
            if kept == approved:
                return frozenset(approved)
            approved = kept

    def _offered(self, approved: set) -> dict[HelperKey, set[int]]:
        offered = {key: set(ids) for key, ids in self._offers.items()}
        for helper in approved:
            for passed, read in self.helper(helper).uses.passes:
                offered.setdefault(passed, set()).add(id(read))
        return offered

    def why_not(self, key: HelperKey) -> str:
        """Why a helper does not take the client, for the checklist."""
        if key in self._refused:
            return self._refused[key]
        helper = self.helper(key)
        if helper.arguments is None:
            return UNMAPPED_CALLS
        offered = self._offered(set(self.approved)).get(key, set())
        if not all(id(node) in offered for _, node in helper.arguments):
            return NOT_OFFERED
        if isinstance(helper.uses, str):
            return helper.uses
        dropped = {passed for passed, _ in helper.uses.passes if passed not in self.approved}
        return ("it hands the object on to " + ", ".join(sorted(describe(k) for k in dropped))
                + ", which the codemod could not follow")

    def not_followed(self, key: HelperKey) -> str:
        return f"the write API object is handed to {describe(key)}, which the codemod could not follow: {self.why_not(key)}"


@dataclass
class Helper:
    """A helper of the service that is handed a write API: what its calls pass and how it uses it."""

    key: HelperKey
    arguments: list | None  # what every call passes (None: not known for every call)
    uses: "Uses | str"


@dataclass
class Shared:
    """A module-level write API other modules import, and whether it can hold the client."""

    binding: Definition
    refusal: str | None = None
    uses: Uses = field(default_factory=Uses)



def _shared_use_problem(parsed: ParsedModule, node: cst.CSTNode) -> str | None:
    """Why this use (in another module) of an imported write API binding cannot hold the client; None if it can."""
    attribute = parsed.parent(node)
    call = parsed.parent(attribute) if isinstance(attribute, cst.Attribute) and attribute.value is node else None
    where = f"{parsed.path}:{parsed.line(node)}"
    if not (isinstance(call, cst.Call) and call.func is attribute and attribute.attr.value in v2_api.WRITE_API_METHODS):
        return f"{where} uses it as `{parsed.code(parsed.parent(node))}`, not only for .write/.flush/.close"
    if attribute.attr.value == "write" and write_keywords(call) is None:
        return f"a write at {where} cannot be rewritten (positional */** arguments, or no bucket or record)"
    if attribute.attr.value == "close" and not isinstance(parsed.parent(call), cst.Expr):
        return f"write_api.close() at {where} is used as a value"
    return None


def _hidden_uses(analysis: ServiceAnalysis, module: str, name: str) -> str | None:
    """Uses of the binding a search by name misses: `from module import name as other`, or the binding
    replaced from outside (`module.name = ...`, as tests do with a fake)."""
    for parsed in analysis.modules(analysis.files_mentioning(name)):
        for node in parsed.of_type(cst.ImportFrom, cst.Attribute):
            if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar) \
                    and import_from_module(node, parsed.package) == module:
                if any(dotted_name(alias.name) == name and alias.asname is not None for alias in node.names):
                    return f"{parsed.path}:{parsed.line(node)} imports it under another name"
            elif (isinstance(node, cst.Attribute) and node.attr.value == name and not parsed.is_load(node)
                  and analysis.names_of(parsed, node.value) == {module}):
                return f"{parsed.path}:{parsed.line(node)} replaces it"
    return None
