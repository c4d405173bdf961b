"""The synchronous `write_api(...)` calls of the service, as the flow (write_flow.py) finds them: chained
(`.write_api(...).write(...)`), handed straight to a helper, or bound to a name, `self.attr` or a `with`. Each
decides, once the helpers are agreed on, the edits that move it to the client or why it stays."""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import ParsedModule, ServiceAnalysis

from .module_facts import chain_base, same_binding
from .write_sites import (CHAINED_WRITE, CLOSE, FLUSH, HANDED, SYNC_WRITE, WITH_DROPPED, WRITE_API_LIFECYCLE, Escape,
                          Rewrite, WriteSite, receiver_change, write_change)

UNKNOWN = object()


@dataclass
class Origin:
    """One synchronous `write_api(...)` call; decide() records what happens to it once helpers are agreed."""

    parsed: ParsedModule
    call: cst.Call
    consumed: set

    def decide(self, flow) -> None:
        raise NotImplementedError

    def escape(self, flow, escape: Escape) -> None:
        flow.module(self.parsed.path).escapes.append(escape)
        flow.module(self.parsed.path).unmoved.add(self.call)

    def rewrite(self, flow, rewrite: Rewrite) -> None:
        flow.module(self.parsed.path).rewrites.append(rewrite)

    def moved(self, flow) -> None:
        flow.module(self.parsed.path).consumed.update(self.consumed)


@dataclass
class Chained(Origin):
    """`client.write_api(...).write(...)` (or another method) in one expression."""

    outer: cst.Call
    site: WriteSite | None

    def decide(self, flow) -> None:
        if self.site is None:
            self.escape(flow, Escape(self.outer, "the write API call cannot be rewritten (positional */** arguments, "
                                                 "no bucket or record, or not a write)"))
            return
        self.rewrite(flow, Rewrite(SYNC_WRITE, self.outer, CHAINED_WRITE,
                                   write_change(self.site.specs, lambda updated: updated.func.value.func.value)))
        flow.module(self.parsed.path).write_sites.append(self.site)
        self.moved(flow)


@dataclass
class Inline(Origin):
    """`save(client.write_api(...), ...)`: becomes `save(client, ...)` when save() takes the client."""

    helper: tuple

    def decide(self, flow) -> None:
        if self.helper not in flow.approved:
            self.escape(flow, Escape(self.call, flow.not_followed(self.helper)))
            return
        self.rewrite(flow, Rewrite(SYNC_WRITE, self.call, HANDED, lambda updated: updated.func.value))
        self.moved(flow)


@dataclass
class Bound(Origin):
    """`w = client.write_api(...)`, `self.w = ...` or `with client.write_api(...) as w:`, then uses of w."""

    holder: cst.CSTNode
    target: cst.CSTNode | None
    shared: object | None = None  # write_flow.Shared: the imported binding this one is
    failure: Escape | None = None  # decided before the helpers are agreed on
    usages: object = UNKNOWN
    usage_escape: Escape | None = None
    sites: list[tuple[WriteSite, cst.Call]] = field(default_factory=list)
    handed: list[tuple[tuple, cst.CSTNode]] = field(default_factory=list)

    def decide(self, flow) -> None:
        if self.usage_escape is not None and (self.shared is None or self.shared.refusal is None):
            self.escape(flow, self.usage_escape)
        if self.failure is not None:
            self.escape(flow, self.failure)
            return
        refused = next((helper for helper, _ in self.handed if helper not in flow.approved), None)
        if refused is not None:
            self.escape(flow, Escape(self.call, flow.not_followed(refused)))
            return
        parsed, call = self.parsed, self.call
        receiver = call.func.value
        factories = {id(node): _stable_receiver(flow.analysis, parsed, receiver, call, node, self.target)
                     for _, _, node in self.usages}
        proper = self.shared is None and all(factory is not None for factory in factories.values())
        for _, node in self.handed:
            # the helper gets the client itself; else the variable keeps holding it
            change = factories[id(node)] if proper else None
            self.rewrite(flow, Rewrite(SYNC_WRITE, node, HANDED, change))
        if isinstance(self.holder, cst.WithItem):
            if not proper:  # `with client as w` would close the client on the way out
                self.escape(flow, Escape(call, "the write API is used as a context manager and not every use can be "
                                               "pointed at the client (InfluxDBClient3's own __exit__ would close it)"))
                return
            self.rewrite(flow, Rewrite(WRITE_API_LIFECYCLE, parsed.parent(self.holder), WITH_DROPPED,
                                       context_manager_edit(parsed, self.holder)))
        elif proper:
            self.rewrite(flow, Rewrite(SYNC_WRITE, self.holder, "", remove=True, count=0))
        else:
            self.rewrite(flow, Rewrite(SYNC_WRITE, call, "", lambda updated: updated.func.value, count=0))
        for method, usage_call, receiver_node in self.usages:
            factory = factories[id(receiver_node)] if proper else None
            if method == "close":
                self.rewrite(flow, Rewrite(WRITE_API_LIFECYCLE, parsed.parent(usage_call), CLOSE, remove=True))
            elif method == "flush":
                change = receiver_change(factory) if factory is not None else None
                self.rewrite(flow, Rewrite(WRITE_API_LIFECYCLE, usage_call, FLUSH, change))
        for site, receiver_node in self.sites:
            factory = factories[id(receiver_node)] if proper else None
            self.rewrite(flow, Rewrite(SYNC_WRITE, site.call, CHAINED_WRITE, write_change(site.specs, factory)))
            flow.module(parsed.path).write_sites.append(site)
        self.moved(flow)


def instance_bindings(analysis: ServiceAnalysis, parsed: ParsedModule, klass: cst.ClassDef, attr: str):
    """The bindings of `self.<attr>` in the class's methods (class-level declarations are no instance's)."""
    return [b for b in analysis.attribute_bindings(parsed, klass, attr) if b.kind != "class-attr"]


def context_manager_edit(parsed: ParsedModule, item: cst.CSTNode):
    """For `with <write_api(...)> as name:`, the edit dropping that item (the whole `with` when it is the only
    one, its body moving up a level); None for any other shape."""
    statement = parsed.parent(item)
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


def _self_name(parsed: ParsedModule, function: cst.FunctionDef | None) -> str | None:
    if function is None or parsed.method_class(function) is None or not function.params.params:
        return None
    return function.params.params[0].name.value


def _stable_receiver(analysis: ServiceAnalysis, parsed: ParsedModule, receiver: cst.BaseExpression,
                     binding_call: cst.Call, usage: cst.CSTNode, target: cst.BaseExpression):
    """A function building, at `usage`, an expression for the client the write API came from; None when no
    expression there is known to hold it."""
    base = chain_base(receiver)
    if base is None:
        return None
    if isinstance(target, cst.Name):
        if same_binding(parsed, base.value, binding_call, usage):
            return lambda updated, r=receiver: r.deep_clone()
        return None
    binding_self = _self_name(parsed, parsed.enclosing_function(binding_call))
    if isinstance(usage, cst.Attribute) and isinstance(usage.value, cst.Name):
        usage_self = usage.value.value
    else:
        usage_self = _self_name(parsed, parsed.enclosing_function(usage))
    if usage_self is None:
        return None
    if base.value == binding_self:
        return lambda updated, r=receiver, s=usage_self: _with_base(r, s)
    if isinstance(receiver, cst.Name):
        assignments = parsed.visible_assignments(receiver, receiver.value)
        module_scope = parsed.scope(parsed.tree)
        if assignments and all(a.scope is module_scope for a in assignments):
            if same_binding(parsed, receiver.value, binding_call, usage):
                return lambda updated, r=receiver: r.deep_clone()
        alias = _self_alias_of_local(analysis, parsed, receiver, binding_call)
        if alias is not None:
            return lambda updated, a=alias, s=usage_self: cst.Attribute(value=cst.Name(s), attr=cst.Name(a))
    return None


def _with_base(node: cst.BaseExpression, base: str) -> cst.BaseExpression:
    if isinstance(node, cst.Name):
        return cst.Name(base)
    return node.with_changes(value=_with_base(node.value, base)).deep_clone()


def _self_alias_of_local(analysis: ServiceAnalysis, parsed: ParsedModule, local: cst.Name,
                         near: cst.CSTNode) -> str | None:
    """`self.<attr> = local`, the only binding of self.<attr>, in the same method as `near`: <attr>."""
    function = parsed.enclosing_function(near)
    klass = parsed.method_class(function)
    if klass is None:
        return None
    for node in parsed.of_type(cst.Assign):
        if not (len(node.targets) == 1 and isinstance(node.value, cst.Name)
                and node.value.value == local.value and parsed.enclosing_function(node) is function):
            continue
        target = node.targets[0].target
        if (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                and analysis.self_class(parsed, target.value) is klass
                and len(instance_bindings(analysis, parsed, klass, target.attr.value)) == 1):
            return target.attr.value
    return None