"""write_api(): synchronous ones folded into client.write(), every other one left for a human."""
from __future__ import annotations

import libcst as cst

from bot.analysis import ParsedModule, dotted_name, import_from_module

from . import helper_flow, rules, v2_api
from .cst_helpers import chain_base, is_method_call, last_name, names_in, with_base
from .edits import CallEdit, KeepArg
from .facts import WriteSite


class WriteApiRules:
    """Mixin of ModuleAnalysis (state and bookkeeping live there)."""

    # --- write APIs ------------------------------------------------------------------------

    def _write_apis(self) -> None:
        async_clients = self._async_client_codes()
        for call in self.nodes.calls:
            if not is_method_call(call, v2_api.WRITE_API) or not self._may_be_influx(call.func.value):
                continue
            if self.ctx.code(call.func.value) in async_clients:
                continue  # the InfluxDBClientAsync item covers it
            synchronous, consumed, why = self._write_options(call)
            if not synchronous:
                self.unrewritten_write_apis += 1
                self._item(rules.BATCHING_WRITE, call, why,
                           "InfluxDBClient3(..., write_client_options=write_client_options(write_options="
                           "WriteOptions(batch_size=..., flush_interval=...), success_callback=..., "
                           "error_callback=...)) then client.write(record=..., database=...); or drop the "
                           "options: InfluxDBClient3 writes synchronously by default")
                continue
            receiver = call.func.value
            chained = self.ctx.call_of_method(call, v2_api.WRITE_API_METHODS)
            if chained is not None:
                method, outer = chained
                site = self._write_site(outer) if method == "write" else None
                if site is None:
                    self._escape(outer, "the write API call cannot be rewritten (positional */** arguments, "
                                        "no bucket or record, or not a write)")
                    continue
                self.plan.calls[outer] = CallEdit(arguments=site.specs,
                                                  receiver=lambda updated: updated.func.value.func.value)
                self.write_sites.append(site)
                self.consumed |= consumed
                self._applied(rules.SYNC_WRITE, "write_api(SYNCHRONOUS).write(bucket=, record=) -> "
                                                "client.write(record=, database=)")
                continue
            helper = self.flow.receiving(self.ctx.parsed, call)
            if helper is not None:
                self._handed_inline(call, helper, consumed)
                continue
            self._bound_write_api(call, receiver, consumed)

    def _handed_inline(self, call: cst.Call, helper, consumed: set) -> None:
        """`save(client.write_api(write_options=SYNCHRONOUS), ...)` -> `save(client, ...)`."""
        self.flow.offer(helper, call)
        if helper not in self.flow.approved:
            self._escape(call, self._not_followed(helper))
            return
        self.plan.replacements[call] = lambda updated: updated.func.value
        self.consumed |= consumed
        self._applied(rules.SYNC_WRITE, "write API handed to a helper -> the client itself (the helper's "
                                        "writes are rewritten)")

    def _not_followed(self, helper) -> str:
        return (f"the write API object is handed to {helper_flow.describe(helper)}, which the codemod could not "
                f"follow: {self.flow.why_not(helper)}")

    def _async_client_codes(self) -> set[str]:
        codes = set()
        for reference in self.async_refs:
            call = self.ctx.parent(reference)
            if isinstance(call, cst.Call) and call.func is reference:
                holder = self.ctx.parent(call)
                if isinstance(holder, cst.WithItem) and holder.asname is not None:
                    codes.add(self.ctx.code(holder.asname.name))
                elif isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                    codes.add(self.ctx.code(holder.targets[0].target))
        return codes

    def _write_options(self, call: cst.Call) -> tuple[bool, set, str]:
        batching = ("write_api() without SYNCHRONOUS batches in the v2 client (the default when no options "
                    "are given); InfluxDBClient3 has no write_api() and writes synchronously unless given "
                    "write_client_options(write_options=WriteOptions(...)): decide the v3 write mode, and move "
                    "any callbacks into write_client_options(...).")
        if len(call.args) != 1 or call.args[0].star:
            if not call.args:
                return False, set(), batching
            return False, set(), batching + " (extra write_api() arguments such as point_settings or "\
                                                "callbacks also need a decision)"
        arg = call.args[0]
        if arg.keyword is not None and arg.keyword.value != "write_options":
            return False, set(), batching
        value = arg.value
        if last_name(value) == "SYNCHRONOUS":
            return True, names_in(value), ""
        if isinstance(value, cst.Call) and last_name(value.func) == "WriteOptions":
            keywords = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
            if len(value.args) == 1 and last_name(keywords.get("write_type")) == "synchronous":
                return True, names_in(value), ""
        return False, set(), batching

    def _bound_write_api(self, call: cst.Call, receiver: cst.BaseExpression, consumed: set) -> None:
        holder = self.ctx.parent(call)
        target = None
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target = holder.targets[0].target
        elif self._context_manager_target(holder) is not None:
            target = holder.asname.name
        importers = self._importers(target)
        # Imported elsewhere: the name stays (dropping it is an ImportError there) and holds the client, so
        # every use of it in the service must be a write the codemod rewrites; otherwise nothing moves (a
        # kept `client.write_api(...)` on an InfluxDBClient3 is an AttributeError when the module is imported).
        shared = self._shared_binding(target, holder, importers) if importers else None
        if isinstance(shared, str):
            self._escape(call, shared, blocking=True)
            return
        usages = self._binding_usages(target) if target is not None else None
        if usages is None:
            why = ("the write API object is stored or passed where the codemod cannot follow every use (it "
                   "rewrites only .write/.flush/.close on a variable or self attribute assigned once)")
            if shared is not None:
                self.flow.refuse(shared, why)
            self._escape(call, why, blocking=shared is not None)
            return
        sites = []
        handed = [(usage_call, node) for method, usage_call, node in usages if method == "pass"]
        for method, usage_call, receiver_node in usages:
            if method == "write":
                site = self._write_site(usage_call)
                if site is None:
                    self._escape(usage_call, "this write cannot be rewritten (positional */** arguments, or no "
                                             "bucket or record)")
                    return
                sites.append((site, receiver_node))
            elif method == "close" and not isinstance(self.ctx.parent(usage_call), cst.Expr):
                self._escape(usage_call, "write_api.close() is used as a value")
                return
        if isinstance(holder, cst.WithItem) and handed:  # `with client as w` would close the client on the way out
            for helper, _ in handed:
                self.flow.refuse(helper, "a caller hands it a write API opened as a context manager")
            self._escape(call, "the write API is used as a context manager and handed to a helper")
            return
        for helper, node in handed:
            self.flow.offer(helper, node)
        refused = next((helper for helper, _ in handed if helper not in self.flow.approved), None)
        if refused is not None:
            self._escape(call, self._not_followed(refused))
            return
        factories = {id(node): self._stable_receiver(receiver, call, node, target) for _, _, node in usages}
        proper = shared is None and all(factory is not None for factory in factories.values())
        for _, node in handed:
            if proper:  # the helper gets the client itself; else the variable keeps holding it
                self.plan.replacements[node] = factories[id(node)]
            self._applied(rules.SYNC_WRITE, "write API handed to a helper -> the client itself (the helper's "
                                            "writes are rewritten)")
        usages = [usage for usage in usages if usage[0] != "pass"]
        if isinstance(holder, cst.WithItem):
            if not proper:  # `with client as w` would close the client on the way out
                self._escape(call, "the write API is used as a context manager and not every use can be "
                                   "pointed at the client (InfluxDBClient3's own __exit__ would close it)")
                return
            self.plan.replacements[self.ctx.parent(holder)] = self._context_manager_target(holder)
            self._applied(rules.WRITE_API_LIFECYCLE, "with write_api(...) as w: dropped (its exit only closed "
                                                     "the write API)")
        elif proper:
            self.plan.removed.add(holder)
        else:
            self.plan.replacements[call] = lambda updated: updated.func.value
        for method, usage_call, receiver_node in usages:
            factory = factories[id(receiver_node)] if proper else None
            if method == "close":
                self.plan.removed.add(self.ctx.parent(usage_call))
                self._applied(rules.WRITE_API_LIFECYCLE, "write_api.close() dropped (client.close() covers it)")
            elif method == "flush":
                if factory is not None:
                    self.plan.calls[usage_call] = CallEdit(receiver=factory)
                self._applied(rules.WRITE_API_LIFECYCLE, "write_api.flush() -> client.flush()")
        for site, receiver_node in sites:
            factory = factories[id(receiver_node)] if proper else None
            self.plan.calls[site.call] = CallEdit(arguments=site.specs, receiver=factory)
            self.write_sites.append(site)
            self._applied(rules.SYNC_WRITE, "write_api(SYNCHRONOUS).write(bucket=, record=) -> "
                                            "client.write(record=, database=)")
        self.consumed |= consumed

    def _context_manager_target(self, item: cst.CSTNode):
        """For `with <write_api(...)> as name:`, the edit dropping that item (the whole `with` when it is the
        only one, its body moving up a level); None for any other shape."""
        statement = self.ctx.parent(item)
        if not (isinstance(item, cst.WithItem) and item.asname is not None and isinstance(item.asname.name, cst.Name)
                and isinstance(statement, cst.With) and statement.asynchronous is None
                and isinstance(statement.body, cst.IndentedBlock)):
            return None
        index = next(i for i, candidate in enumerate(statement.items) if candidate is item)
        if len(statement.items) > 1:
            def drop_item(updated):
                items = [it for i, it in enumerate(updated.items) if i != index]
                items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return updated.with_changes(items=items)
            return drop_item

        def unwrap(updated):
            body = list(updated.body.body)
            body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines, *body[0].leading_lines])
            return cst.FlattenSentinel(body)
        return unwrap

    def _shared_binding(self, target: cst.Name, holder: cst.CSTNode, importers: list[str]):
        """The flow key of a module-level write API other modules import, once every use of it outside this
        module is a rewritable write and the key is approved (next pass); otherwise why it cannot move."""
        prefix = f"other modules import it ({', '.join(importers)}) and "
        binding = self.ctx.service.definition(f"{self.ctx.parsed.dotted}.{target.value}")
        if binding is None or isinstance(holder, cst.WithItem):
            return prefix + "the codemod cannot follow their uses of it; nothing was changed in the service"
        key = helper_flow.shared_key(binding)
        why = _hidden_uses(self.ctx.service, self.ctx.parsed.dotted, target.value)
        for reference in self.ctx.service.references_to(binding):
            if why is not None:
                break
            if reference.module.path != self.ctx.path:
                why = shared_use_problem(reference.module, reference.node)
        if why is not None:
            self.flow.refuse(key, why)
        self.flow.offer(key, target)
        if key not in self.flow.approved:
            return (prefix + f"{self.flow.refused.get(key, 'the codemod could not follow every use')}; nothing "
                    "was changed in the service (kept, the name would hold an InfluxDBClient3, which has no "
                    "write_api(): an AttributeError at import)")
        self.flow.confirmed.add(key)
        return key

    def _shared_write_api_uses(self) -> None:
        """This module's uses of another module's write API binding, which now holds the client."""
        for binding in self.flow.shared_bindings():
            if binding.module.path == self.ctx.path:
                continue
            for reference in self.ctx.service.references_to(binding):
                if reference.module.path != self.ctx.path:
                    continue
                edit = self._write_api_use(reference.node)
                if isinstance(edit, str):  # checked by the defining module; a mismatch refuses the move
                    self.flow.refuse(helper_flow.shared_key(binding), edit)
                    self._escape(reference.node, edit, blocking=True)
                    continue
                edit()

    def _importers(self, target) -> list[str]:
        """path:line of the other modules importing a module-level write API binding."""
        if not isinstance(target, cst.Name) or self.ctx.scope(target) is not self.ctx.scope(self.ctx.module):
            return []
        found = self.ctx.index.importers(self.ctx.parsed.dotted, target.value, self.ctx.path)
        return [f"{path}:{line}" for path, line in found]

    def _binding_usages(self, target: cst.BaseExpression):
        """[(method, call, receiver node)] for every use of the binding, or None if one escapes."""
        if isinstance(target, cst.Name):
            scope = self.ctx.scope(target)
            if scope is None:
                return None
            assignments = list(scope.assignments[target.value])
            if len(assignments) != 1 or assignments[0].node is not target:
                return None
            receivers = [access.node for access in assignments[0].references]
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            owner = self._self_class(target.value)
            if owner is None:
                return None
            stores, loads = self._self_attribute_uses(owner, target.attr.value)
            if stores != [target]:
                return None
            receivers = loads
        else:
            return None
        usages = []
        for node in receivers:
            found = self.ctx.call_of_method(node, v2_api.WRITE_API_METHODS)
            helper = self.flow.receiving(self.ctx.parsed, node) if found is None else None
            if helper is not None:
                usages.append(("pass", helper, node))
                continue
            if found is None:
                self._escape(node, "the write API object is used for something other than "
                                   ".write/.flush/.close")
                return None
            usages.append((found[0], found[1], node))
        return usages

    def _stable_receiver(self, receiver: cst.BaseExpression, binding_call: cst.Call,
                         usage: cst.CSTNode, target: cst.BaseExpression):
        """A factory building, at `usage`, an expression for the client the write API came from."""
        base = chain_base(receiver)
        if base is None:
            return None
        if isinstance(target, cst.Name):
            if self.ctx.same_binding(base.value, binding_call, usage):
                return lambda updated, r=receiver: r.deep_clone()
            return None
        binding_self = self.ctx.self_name(self.ctx.enclosing_function(binding_call))
        usage_self = self._self_name_of(usage)
        if usage_self is None:
            return None
        if base.value == binding_self:
            return lambda updated, r=receiver, s=usage_self: with_base(r, s)
        if isinstance(receiver, cst.Name):
            assignments = self.ctx.visible_assignments(receiver, receiver.value)
            if assignments and all(a.scope is self.ctx.scope(self.ctx.module) for a in assignments):
                if self.ctx.same_binding(receiver.value, binding_call, usage):
                    return lambda updated, r=receiver: r.deep_clone()
            alias = self._self_alias_of_local(receiver, binding_call)
            if alias is not None:
                return lambda updated, a=alias, s=usage_self: cst.Attribute(value=cst.Name(s), attr=cst.Name(a))
        return None

    def _self_alias_of_local(self, local: cst.Name, near: cst.CSTNode) -> str | None:
        """`self.<attr> = local` stored once, in the same method: <attr>."""
        function = self.ctx.enclosing_function(near)
        owner = self.ctx.method_class(function)
        if owner is None:
            return None
        for attr, (stores, _) in self._all_self_attributes(owner).items():
            if len(stores) != 1:
                continue
            value = self.ctx.assigned_value(stores[0])
            if (isinstance(value, cst.Name) and value.value == local.value
                    and self.ctx.enclosing_function(stores[0]) is function):
                return attr
        return None

    # --- helpers that receive a write API (the client, once rewritten) ------------------------

    def _helper_parameters(self) -> None:
        for key in self.flow.approved:
            function, parameter = key
            if function.module.path != self.ctx.path or parameter is helper_flow.SHARED:
                continue
            edits = self._helper_edits(key)
            if isinstance(edits, str):
                self.flow.refuse(key, edits)
                continue
            if edits is None:
                continue  # waits on another helper it hands the object to
            self.flow.confirmed.add(key)
            for edit in edits:
                edit()

    def _helper_edits(self, key):
        """The edits making the helper write through the client it now receives; a string says why not."""
        function, parameter = key
        param = next((p for p in [*function.node.params.posonly_params, *function.node.params.params,
                                  *function.node.params.kwonly_params] if p.name.value == parameter), None)
        if param is None:
            return f"{parameter} is not one of its parameters"
        edits, passed_on_to = [], []
        reads = self.ctx.service.reads_of(self.ctx.parsed, param)
        for read in reads:
            bindings = self.ctx.service.bindings_of(self.ctx.parsed, read)
            if len(bindings) != 1 or bindings[0].kind != "param":
                return f"{parameter} is reassigned"
            holder = self.ctx.parent(read)
            if isinstance(holder, cst.Assign) and holder.value is read and len(holder.targets) == 1:
                stored = self._stored_on_self(holder.targets[0].target)
                if isinstance(stored, str):
                    return stored
                edits.extend(stored)
                continue
            passed_on = self.flow.receiving(self.ctx.parsed, read)
            if passed_on is not None:
                passed_on_to.append((passed_on, read))
                continue
            edit = self._write_api_use(read)
            if isinstance(edit, str):
                return edit
            edits.append(edit)
        if not reads:
            return f"{parameter} is never used"
        # Offered only now: a helper refused above must not make the next one look fed by a rewritten call.
        for passed_on, read in passed_on_to:
            self.flow.offer(passed_on, read)
        waiting = {passed_on for passed_on, _ in passed_on_to if passed_on not in self.flow.approved}
        if waiting:
            self.flow.pending[key] = waiting
            return None
        return edits

    def _stored_on_self(self, target: cst.BaseExpression):
        """`self.<attr> = write_api` in a constructor: every use of self.<attr> must be a write API call."""
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return "it is stored somewhere other than on self"
        owner = self._self_class(target.value)
        if owner is None:
            return "it is stored somewhere other than on self"
        stores, loads = self._self_attribute_uses(owner, target.attr.value)
        if stores != [target]:
            return f"self.{target.attr.value} is assigned more than once"
        edits = []
        for load in loads:
            edit = self._write_api_use(load)
            if isinstance(edit, str):
                return edit
            edits.append(edit)
        return edits

    def _write_api_use(self, node: cst.CSTNode):
        """One use of an object that now holds the client: an edit to apply, or why it cannot be rewritten."""
        found = self.ctx.call_of_method(node, v2_api.WRITE_API_METHODS)
        if found is None:
            return f"it is used as `{self.ctx.code(self.ctx.parent(node))}`, not only for .write/.flush/.close"
        method, call = found
        if method == "write":
            site = self._write_site(call)
            if site is None:
                return "a write cannot be rewritten (positional */** arguments, or no bucket or record)"

            def rewrite_write(site=site):
                self.plan.calls[site.call] = CallEdit(arguments=site.specs)
                self.write_sites.append(site)
                self._applied(rules.SYNC_WRITE, "write_api.write(bucket=, record=) in a helper -> "
                                                "client.write(record=, database=) (the helper receives the client)")
            return rewrite_write
        if method == "close":
            statement = self.ctx.parent(call)
            if not isinstance(statement, cst.Expr):
                return "write_api.close() is used as a value"

            def drop_close(statement=statement):
                self.plan.removed.add(statement)
                self._applied(rules.WRITE_API_LIFECYCLE, "write_api.close() dropped (it would close the client)")
            return drop_close
        return lambda: self._applied(rules.WRITE_API_LIFECYCLE, "write_api.flush() -> client.flush()")

    def _write_site(self, call: cst.Call) -> WriteSite | None:
        keywords = write_keywords(call)
        if keywords is None:
            return None
        specs = [KeepArg(keywords["record"], "record"), KeepArg(keywords["bucket"], "database")]
        for keyword, index in keywords.items():
            if keyword in ("record", "bucket", "org"):
                continue
            if keyword in v2_api.DATAFRAME_WRITE_KEYWORDS:
                self.uses_dataframes = True
            specs.append(KeepArg(index, keyword))
        return WriteSite(call, call.args[keywords["bucket"]].value, specs)

    def _escape(self, node: cst.CSTNode, why: str, blocking: bool = False) -> None:
        self.unrewritten_write_apis += 1
        self._item(rules.WRITE_API_ESCAPES, node,
                   f"InfluxDBClient3 has no write_api(); {why}, so it was left unchanged.",
                   "client.write(record=..., database=...)  # on the InfluxDBClient3 itself", blocking=blocking)


def write_keywords(call: cst.Call) -> dict[str, int] | None:
    """v2 write() keyword -> argument index; None when the call cannot be mapped (*/**, no bucket or record)."""
    keywords: dict[str, int] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None:
            keywords[arg.keyword.value] = index
        elif index < len(v2_api.WRITE_POSITIONAL):
            keywords[v2_api.WRITE_POSITIONAL[index]] = index
        else:
            return None
    return keywords if "bucket" in keywords and "record" in keywords else None


def shared_use_problem(parsed: ParsedModule, node: cst.CSTNode) -> str | None:
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


def _hidden_uses(service, module: str, name: str) -> str | None:
    """Uses of the binding a search by name misses: `from module import name as other`, or the binding
    replaced from outside (`module.name = ...`, as tests do with a fake)."""
    for parsed in service.modules(service.files_mentioning(name)):
        for node in parsed.nodes:
            if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar) \
                    and import_from_module(node, parsed.package) == module:
                if any(dotted_name(alias.name) == name and alias.asname is not None for alias in node.names):
                    return f"{parsed.path}:{parsed.line(node)} imports it under another name"
            elif (isinstance(node, cst.Attribute) and node.attr.value == name and not parsed.is_load(node)
                  and service.names_of(parsed, node.value) == {module}):
                return f"{parsed.path}:{parsed.line(node)} replaces it"
    return None
