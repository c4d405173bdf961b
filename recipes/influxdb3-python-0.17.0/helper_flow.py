"""Write API objects handed to helpers of the service (`save(write_api, points)`, `Writer(write_api)`).

A synchronous write API becomes the InfluxDBClient3 itself; when it is handed to a helper, the helper's
parameter then receives the client, and its `.write(bucket=, record=)` calls are rewritten there. That is
only right when *every* call of the helper hands it a write API the codemod rewrites, and the helper uses
the parameter only for writes: the callers and the helper are in different places (often different
files), so the codemod decides in passes over the service until the set of approved helper parameters is
stable (see `HelperFlow`).

Built on bot.analysis (parameter flow, call sites); adds what the shared flow leaves out: constructors
(`Writer(write_api)` flows into `__init__`) and, for methods, a collision check on the method's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bot.analysis import Definition, ParsedModule, ServiceAnalysis

HelperKey = tuple[Definition, str | None]  # (function receiving the object, parameter name)
# (module-level write API binding, SHARED): other modules import it; its defining module checked that every
# use of it elsewhere is a write it can rewrite, and rewrites it once the key is approved on the next pass.
SHARED = None


def shared_key(binding: Definition) -> HelperKey:
    return binding, SHARED


@dataclass
class HelperFlow:
    """One pass's shared state: what callers offered, what helpers confirmed or refused."""

    service: ServiceAnalysis
    approved: frozenset = frozenset()  # HelperKeys whose callers and helper are rewritten in this pass
    refused: dict = field(default_factory=dict)  # HelperKey -> why it cannot be followed (grows across passes)
    offered: dict = field(default_factory=dict)  # HelperKey -> {id(argument)} rewritable write APIs passed
    confirmed: set = field(default_factory=set)  # approved keys whose helper was rewritten
    pending: dict = field(default_factory=dict)  # approved key -> helpers it hands the object to, not yet approved

    def receiving(self, parsed: ParsedModule, argument: cst.CSTNode) -> HelperKey | None:
        return receiving_parameter(self.service, parsed, argument)

    def offer(self, key: HelperKey, argument: cst.CSTNode) -> None:
        self.offered.setdefault(key, set()).add(id(argument))

    def shared_bindings(self) -> list[Definition]:
        """Module-level write APIs approved for rewriting; their importers rewrite their uses of them."""
        return [binding for binding, parameter in self.approved if parameter is SHARED]

    def refuse(self, key: HelperKey, why: str) -> None:
        self.refused.setdefault(key, why)

    def why_not(self, key: HelperKey) -> str:
        return self.refused.get(key) or "not every call of it hands it a write API the codemod rewrites"

    def next_approved(self) -> frozenset:
        """Keys every call of which offers a rewritable write API, minus the refused ones."""
        approved = set()
        for key, offered in self.offered.items():
            if key in self.refused:
                continue
            if key[1] is SHARED:
                approved.add(key)
                continue
            arguments = arguments_at_every_call(self.service, *key)
            if arguments is None:
                self.refuse(key, "it is also referenced other than by plain calls, or a call's arguments "
                                 "cannot be mapped to its parameters")
            elif all(id(argument) in offered for argument in arguments):
                approved.add(key)
        for key in self.approved - self.confirmed - set(self.pending):
            self.refuse(key, "its use of the parameter cannot be followed")
        approved -= set(self.refused)
        waiting = {key: awaited for key, awaited in self.pending.items() if not awaited <= approved}
        for key, awaited in waiting.items():  # a chain is followed whole or not at all
            self.refuse(key, "it hands the object on to " + ", ".join(sorted(describe(k) for k in awaited - approved))
                        + ", which the codemod could not follow")
        return frozenset(approved - set(self.refused))


def describe(key: HelperKey) -> str:
    function, parameter = key
    name = function.owner.short if function.short == "__init__" and function.owner else function.short
    return f"{name}() ({function.describe()}, parameter {parameter})"


def receiving_parameter(service: ServiceAnalysis, parsed: ParsedModule,
                        argument: cst.CSTNode) -> HelperKey | None:
    """The service function parameter `argument` (an argument expression of a call) is bound to."""
    arg = parsed.parent(argument)
    if not isinstance(arg, cst.Arg) or arg.value is not argument or arg.star:
        return None
    call = parsed.parent(arg)
    if not isinstance(call, cst.Call):
        return None
    callee = service.definition_of(parsed, call.func)
    if callee is not None and callee.is_class:
        init = service.member(callee, "__init__")
        if init is None:
            return None
        parameter = _constructor_arguments(init, call.args).get(id(argument))
        return (init, parameter) if parameter is not None else None
    for flow in service.parameters_receiving(parsed, argument, transitive=False):
        if flow.site.call is call:
            return flow.function, flow.parameter
    return None


def arguments_at_every_call(service: ServiceAnalysis, function: Definition,
                            parameter: str) -> list[cst.CSTNode] | None:
    """What each call of `function` passes as `parameter`; None when a use of it is not a plain call (or
    a call that cannot be mapped), so the parameter may receive something else."""
    if function.short == "__init__" and function.owner is not None:
        return _constructor_sites(service, function, parameter)
    references = service.references_to(function)
    sites = service.call_sites(function)
    if len(sites) != len(references) or (function.owner is not None and _name_collides(service, function)):
        return None
    arguments = []
    for site in sites:
        if parameter not in site.arguments:
            return None
        arguments.append(site.arguments[parameter])
    return arguments


def _constructor_sites(service: ServiceAnalysis, init: Definition, parameter: str) -> list[cst.CSTNode] | None:
    arguments = []
    for reference in service.references_to(init.owner):
        parsed, node = reference.module, reference.node
        call = parsed.parent(node)
        if isinstance(call, cst.Call) and call.func is node:
            by_parameter = {name: arg for arg, name in _constructor_arguments(init, call.args, by_node=True).items()}
            if parameter not in by_parameter:
                return None
            arguments.append(by_parameter[parameter])
        elif not any(isinstance(a, cst.Annotation) for a in parsed.ancestors(node)):
            return None  # a subclass, a factory, an alias: instances may be built elsewhere
    return arguments


def _constructor_arguments(init: Definition, args, by_node: bool = False) -> dict:
    """id(argument) -> parameter of __init__ (self skipped); with by_node, argument node -> parameter."""
    params = init.node.params
    positional = [*params.posonly_params, *params.params][1:]
    named = {p.name.value for p in [*params.params, *params.kwonly_params]}
    mapped = {}
    for index, arg in enumerate(args):
        if arg.star:
            return {}
        if arg.keyword is None:
            name = positional[index].name.value if index < len(positional) else None
        else:
            name = arg.keyword.value if arg.keyword.value in named else None
        if name is not None:
            mapped[arg.value if by_node else id(arg.value)] = name
    return mapped


def _name_collides(service: ServiceAnalysis, method: Definition) -> bool:
    """`x.<name>` somewhere whose receiver is unknown: it might be this method, called with anything."""
    name = method.short
    for parsed in service.modules(service.files_mentioning(name)):
        for node in parsed.nodes:
            if (isinstance(node, cst.Attribute) and node.attr.value == name and parsed.is_load(node)
                    and service.definition_of(parsed, node) is None
                    and not service.instance_classes(parsed, node.value)
                    and not _outside_name(service, parsed, node.value)):
                return True
    return False


def _outside_name(service: ServiceAnalysis, parsed: ParsedModule, receiver: cst.BaseExpression) -> bool:
    names = service.names_of(parsed, receiver)
    return bool(names) and not any(service.definition(name) is not None for name in names)
