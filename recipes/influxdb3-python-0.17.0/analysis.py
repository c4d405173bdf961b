"""Per-module analysis: decide every rewrite and every manual item on the ORIGINAL tree.

Order matters: write APIs are analysed before imports because a write-option name (SYNCHRONOUS,
WriteOptions, WriteType) is dropped from the import only when all its uses were rewritten away.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import Assignment, ImportAssignment

from bot.model import ManualItem

from . import rules, v2_api
from .edits import CallEdit, CopyArg, KeepArg, NewArg, Plan
from .module_context import ModuleContext
from .query_items import advise
from .values import candidate_strings, flux_text, has_scheme_and_port


_FLUX_BUCKET = re.compile(r'from\s*\(\s*bucket\s*:\s*"([^"]*)"\s*\)')


@dataclass
class NameImport:
    """One name bound by `from influxdb_client... import X [as Y]`."""

    v2_name: str
    alias: cst.ImportAlias
    references: list[cst.CSTNode]


@dataclass
class FromImport:
    line: cst.SimpleStatementLine
    statement: cst.ImportFrom
    names: list[NameImport]


@dataclass
class ModuleImport:
    """`import influxdb_client[.sub] [as alias]` statements binding one `root`; uses are chains on it."""

    root: str
    aliases: list[tuple[cst.SimpleStatementLine, cst.Import, cst.ImportAlias]]
    mapped: list[tuple[cst.Attribute, str, cst.Name]] = field(default_factory=list)  # prefix, v3 name, root
    unmapped: list[cst.CSTNode] = field(default_factory=list)

    @property
    def statements(self) -> set:
        return {statement for _, statement, _ in self.aliases}


@dataclass
class WriteSite:
    call: cst.Call
    bucket: cst.BaseExpression
    specs: list


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.names: list[cst.Name] = []
        self.attributes: list[cst.Attribute] = []
        self.import_lines: list[cst.SimpleStatementLine] = []
        self.classes: list[cst.ClassDef] = []
        self._in_import = 0

    def visit_SimpleStatementLine(self, node) -> None:
        if any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body):
            self.import_lines.append(node)

    def visit_Import(self, node) -> None:
        self._in_import += 1

    def leave_Import(self, node) -> None:
        self._in_import -= 1

    def visit_ImportFrom(self, node) -> None:
        self._in_import += 1

    def leave_ImportFrom(self, node) -> None:
        self._in_import -= 1

    def visit_Call(self, node) -> None:
        self.calls.append(node)

    def visit_Name(self, node) -> None:
        if not self._in_import:
            self.names.append(node)

    def visit_Attribute(self, node) -> None:
        self.attributes.append(node)

    def visit_ClassDef(self, node) -> None:
        self.classes.append(node)


class ModuleAnalysis:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.plan = Plan()
        self.applied: Counter = Counter()  # (rule, description) -> count
        self.manual: list[ManualItem] = []
        self.blocking: list[ManualItem] = []
        self.uses_dataframes = False
        collector = _Collector()
        ctx.module.visit(collector)
        self.nodes = collector
        self.from_imports: list[FromImport] = []
        self.module_imports: list[ModuleImport] = []
        self.client_refs: list[cst.CSTNode] = []
        self.async_refs: list[cst.CSTNode] = []
        self.constructors: list[cst.Call] = []
        self.client_codes: set[str] = set()
        self.consumed: set[cst.CSTNode] = set()
        self.write_sites: list[WriteSite] = []
        self.unrewritten_write_apis = 0
        # Buckets read or deleted (by normalised code; None = unknown), for the single-bucket rule.
        self.other_buckets: list[str | None] = []
        self._self_attrs = None

    @property
    def touches_influx(self) -> bool:
        return bool(self.from_imports or self.module_imports or self.blocking)

    def run(self) -> "ModuleAnalysis":
        self._find_imports()
        self._find_dynamic_imports()
        self._client_references()
        for call in self.constructors:
            self._constructor(call)
        self._collect_client_codes()
        self._write_apis()
        self._other_apis()
        self._database()
        self._plan_imports()
        return self

    # --- bookkeeping -----------------------------------------------------------------------

    def _applied(self, rule: str, description: str, count: int = 1) -> None:
        self.applied[(rule, description)] += count

    def _item(self, rule: str, node: cst.CSTNode, reason: str, suggestion: str | None = None,
              blocking: bool = False) -> None:
        item = ManualItem(file=self.ctx.path, line=self.ctx.line(node), old_code=self.ctx.statement_code(node),
                          reason=reason, rule=rule, suggestion=suggestion)
        if item not in self.manual:
            self.manual.append(item)
        if blocking:
            self.blocking.append(item)

    # --- imports ---------------------------------------------------------------------------

    def _find_imports(self) -> None:
        for line in self.nodes.import_lines:
            for small in line.body:
                if isinstance(small, cst.ImportFrom):
                    self._from_import(line, small)
                elif isinstance(small, cst.Import):
                    self._module_import(line, small)
        for binding in self.module_imports:
            self._module_references(binding)

    def _from_import(self, line: cst.SimpleStatementLine, statement: cst.ImportFrom) -> None:
        if statement.relative or statement.module is None:
            return
        if not v2_api.is_v2_module(cst.helpers.get_full_name_for_node(statement.module)):
            return
        if isinstance(statement.names, cst.ImportStar):
            self._item(rules.NO_V3_EQUIVALENT, statement,
                       "A star import hides which names come from the v2 client; the codemod will not move "
                       "InfluxDBClient while Point might stay on v2 (writes would be silently dropped).",
                       "import the names explicitly, then run the recipe again", blocking=True)
            return
        if len(line.body) > 1:
            self._item(rules.NO_V3_EQUIVALENT, statement,
                       "influxdb_client import shares a line with other statements; split the line and run "
                       "the recipe again (the client never moves without Point).", blocking=True)
            return
        scope = self.ctx.scope(statement)
        names = []
        for alias in statement.names:
            local = alias.evaluated_alias or alias.evaluated_name
            references = []
            if scope is not None:
                for assignment in scope.assignments[local]:
                    if isinstance(assignment, ImportAssignment) and assignment.node is statement:
                        references.extend(access.node for access in assignment.references)
            references.sort(key=self._position)
            names.append(NameImport(alias.evaluated_name, alias, references))
        self.from_imports.append(FromImport(line, statement, names))

    def _module_import(self, line: cst.SimpleStatementLine, statement: cst.Import) -> None:
        for alias in statement.names:
            if not v2_api.is_v2_module(alias.evaluated_name):
                continue
            if len(line.body) > 1:
                self._item(rules.NO_V3_EQUIVALENT, statement,
                           "influxdb_client import shares a line with other statements; split the line and "
                           "run the recipe again (the client never moves without Point).", blocking=True)
                continue
            root = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
            binding = next((b for b in self.module_imports if b.root == root), None)
            if binding is None:
                binding = ModuleImport(root, [])
                self.module_imports.append(binding)
            binding.aliases.append((line, statement, alias))

    def _module_references(self, binding: ModuleImport) -> None:
        for name in self.nodes.names:
            if name.value != binding.root or self._is_attribute_name(name):
                continue
            assignments = self.ctx.visible_assignments(name, binding.root)
            if not any(isinstance(a, ImportAssignment) and a.node in binding.statements for a in assignments):
                continue
            prefix = self._mapped_prefix(name)
            if prefix is None:
                parent = self.ctx.parent(name)
                if not isinstance(parent, cst.Attribute):
                    self._item(rules.NO_V3_EQUIVALENT, name,
                               f"The {binding.root} module object is used directly; the codemod cannot tell "
                               "which v2 names flow from it, so it will not move the client (Point must move "
                               "with it).", blocking=True)
                else:
                    binding.unmapped.append(name)
                    self._item(rules.NO_V3_EQUIVALENT, name,
                               "This v2 name has no influxdb_client_3 equivalent; the v2 import is kept for it "
                               "and fails once influxdb-client is uninstalled.")
                continue
            attribute, v2_name = prefix
            if v2_name == v2_api.ASYNC_CLIENT:
                binding.unmapped.append(name)
                self.async_refs.append(attribute)
                continue
            binding.mapped.append((attribute, v2_api.MOVED_NAMES[v2_name], name))
            if v2_name == v2_api.CLIENT:
                self.client_refs.append(attribute)

    def _position(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.ctx.positions[node].start
        return start.line, start.column

    def _is_attribute_name(self, name: cst.Name) -> bool:
        parent = self.ctx.parent(name)
        return isinstance(parent, cst.Attribute) and parent.attr is name

    def _mapped_prefix(self, name: cst.Name) -> tuple[cst.Attribute, str] | None:
        node: cst.CSTNode = name
        while True:
            parent = self.ctx.parent(node)
            if not isinstance(parent, cst.Attribute) or parent.value is not node:
                return None
            attr = parent.attr.value
            if attr in v2_api.MOVED_NAMES or attr == v2_api.ASYNC_CLIENT:
                return parent, attr
            node = parent

    def _find_dynamic_imports(self) -> None:
        for call in self.nodes.calls:
            name = cst.helpers.get_full_name_for_node(call.func) or ""
            if name.split(".")[-1] not in ("import_module", "__import__") or not call.args:
                continue
            value = call.args[0].value
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                if v2_api.is_v2_module(value.evaluated_value):
                    self._item(rules.NO_V3_EQUIVALENT, call,
                               "Dynamic import of the v2 client: the codemod cannot see which names it provides "
                               "and will not move the client without Point.", blocking=True)

    # --- the client class ------------------------------------------------------------------

    def _client_references(self) -> None:
        for from_import in self.from_imports:
            for name in from_import.names:
                if name.v2_name == v2_api.ASYNC_CLIENT:
                    self.async_refs.extend(name.references)
                if name.v2_name != v2_api.CLIENT:
                    continue
                renamed = name.alias.asname is None
                for reference in name.references:
                    if isinstance(reference, cst.Name):
                        if renamed:
                            self.plan.renames[reference] = v2_api.MOVED_NAMES[v2_api.CLIENT]
                        self.client_refs.append(reference)
                    elif isinstance(reference, cst.SimpleString) and renamed:
                        quote = reference.quote
                        self.plan.replacements[reference] = (
                            lambda updated, q=quote: updated.with_changes(value=f"{q}InfluxDBClient3{q}"))
                    else:
                        self._item(rules.NO_V3_EQUIVALENT, reference,
                                   "InfluxDBClient is referenced in a way the codemod cannot rename.")
        if self.client_refs:
            self._applied(rules.CLIENT_CLASS, "InfluxDBClient -> InfluxDBClient3", len(self.client_refs))
        for reference in self.client_refs:
            parent = self.ctx.parent(reference)
            if isinstance(parent, cst.Call) and parent.func is reference:
                self.constructors.append(parent)
                continue
            factory = self.ctx.call_of_method(reference, v2_api.ENV_FACTORIES)
            if factory is not None:
                method, call = factory
                self._item(
                    rules.ENV_CONFIG, call,
                    f"InfluxDBClient3 has no {method}(); InfluxDBClient3.from_env() reads other variables "
                    "(INFLUX_HOST, INFLUX_TOKEN, INFLUX_DATABASE required; INFLUX_ORG, INFLUX_WRITE_TIMEOUT, "
                    "INFLUX_QUERY_TIMEOUT optional): a deployment change as well as a code change.",
                    "InfluxDBClient3.from_env()  # " + ", ".join(
                        f"{old} -> {new}" for old, new in v2_api.ENV_VARIABLES.items()) + ", new INFLUX_DATABASE",
                )
                self._track_client_target(call)

    def _constructor(self, call: cst.Call) -> None:
        specs: list = []
        changed = False
        for index, arg in enumerate(call.args):
            if arg.star:
                self._item(rules.CONSTRUCTOR_ARGUMENT, call,
                           "Arguments passed with * or ** cannot be checked: InfluxDBClient3 rejects url= and "
                           "timeout= (TypeError); use host= (with scheme and port) and write_timeout=/"
                           "query_timeout=.")
                specs.append(KeepArg(index))
                continue
            if arg.keyword is not None:
                keyword = arg.keyword.value
            elif index < len(v2_api.CLIENT_POSITIONAL):
                keyword = v2_api.CLIENT_POSITIONAL[index]
                changed = True  # InfluxDBClient3's positional order is host, org, database, token
            else:
                keyword = None
            if keyword == "url":
                if self._url_verified(arg.value):
                    specs.append(KeepArg(index, "host"))
                    changed = True
                    self._applied(rules.URL_TO_HOST, "url= -> host= (scheme and port verified)")
                else:
                    specs.append(KeepArg(index, "url"))
                    self._item(
                        rules.UNVERIFIED_URL, arg,
                        "InfluxDBClient3 takes host=, and needs a scheme and an explicit port in it "
                        "('localhost:8181' fails at construction, 'http://host' uses port 443); the codemod "
                        "could not prove this value has both, so url= was kept (TypeError until fixed).",
                        f"host={self.ctx.code(arg.value)}  # e.g. 'http://influxdb:8181'")
            elif keyword == "timeout":
                if isinstance(arg.value, (cst.Integer, cst.Float, cst.Name, cst.Attribute)):
                    specs.extend([KeepArg(index, "write_timeout"), CopyArg(index, "query_timeout")])
                    changed = True
                    self._applied(rules.TIMEOUT, "timeout= -> write_timeout= + query_timeout= (ms)")
                else:
                    specs.append(KeepArg(index, keyword))
                    self._item(rules.CONSTRUCTOR_ARGUMENT, arg,
                               "InfluxDBClient3 rejects timeout= (TypeError); it takes write_timeout= and "
                               "query_timeout= in milliseconds. The expression is not duplicated automatically.",
                               f"write_timeout={self.ctx.code(arg.value)}, query_timeout=<same value>")
            elif keyword in v2_api.CLIENT_PASSTHROUGH:
                specs.append(KeepArg(index, keyword))
            elif keyword == "default_tags":
                specs.append(KeepArg(index, keyword))
                self._item(rules.CONSTRUCTOR_ARGUMENT, arg,
                           "default_tags on the client was not verified with influxdb3-python 0.17.0: check "
                           "that written points still carry these tags, or add them to each Point.")
            else:
                specs.append(KeepArg(index, keyword))
                self._item(rules.CONSTRUCTOR_ARGUMENT, arg,
                           f"InfluxDBClient3 has no verified mapping for {keyword or 'this argument'}.")
        self.plan.calls[call] = CallEdit(arguments=specs) if changed else CallEdit()
        self._track_client_target(call)

    def _url_verified(self, value: cst.BaseExpression) -> bool:
        candidates = candidate_strings(value, self.ctx)
        return bool(candidates) and all(has_scheme_and_port(url) for url in candidates)

    def _track_client_target(self, call: cst.Call) -> None:
        parent = self.ctx.parent(call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            self.client_codes.add(self.ctx.code(parent.targets[0].target))
        elif isinstance(parent, cst.AnnAssign):
            self.client_codes.add(self.ctx.code(parent.target))
        elif isinstance(parent, cst.WithItem) and parent.asname is not None:
            self.client_codes.add(self.ctx.code(parent.asname.name))

    def _collect_client_codes(self) -> None:
        for reference in self.client_refs:
            annotation = self.ctx.parent(reference)
            param = self.ctx.parent(annotation) if isinstance(annotation, cst.Annotation) else None
            if isinstance(param, cst.Param):
                self.client_codes.add(param.name.value)
        for _ in range(2):  # propagate through `self._client = client`
            for name in self.nodes.names:
                holder = self.ctx.parent(name)
                if (isinstance(holder, cst.Assign) and holder.value is name and len(holder.targets) == 1
                        and name.value in self.client_codes):
                    self.client_codes.add(self.ctx.code(holder.targets[0].target))

    # --- write APIs ------------------------------------------------------------------------

    def _write_apis(self) -> None:
        async_clients = self._async_client_codes()
        for call in self.nodes.calls:
            if not _is_method_call(call, v2_api.WRITE_API) or not self._may_be_influx(call.func.value):
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
            self._bound_write_api(call, receiver, consumed)

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

    def _may_be_influx(self, receiver: cst.BaseExpression) -> bool:
        """In a module that never imports influxdb_client, only receivers named like a client count."""
        if self.from_imports or self.module_imports:
            return True
        code = self.ctx.code(receiver).lower()
        return "influx" in code or "client" in code

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
        if _last_name(value) == "SYNCHRONOUS":
            return True, _names_in(value), ""
        if isinstance(value, cst.Call) and _last_name(value.func) == "WriteOptions":
            keywords = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
            if len(value.args) == 1 and _last_name(keywords.get("write_type")) == "synchronous":
                return True, _names_in(value), ""
        return False, set(), batching

    def _bound_write_api(self, call: cst.Call, receiver: cst.BaseExpression, consumed: set) -> None:
        holder = self.ctx.parent(call)
        target = None
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
            target = holder.targets[0].target
        usages = self._binding_usages(target) if target is not None else None
        if usages is None:
            self._escape(call, "the write API object is stored or passed where the codemod cannot follow "
                               "every use (it rewrites only .write/.flush/.close on a variable or self attribute "
                               "assigned once)")
            return
        sites = []
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
        factories = {id(node): self._stable_receiver(receiver, call, node, target) for _, _, node in usages}
        proper = all(factory is not None for factory in factories.values())
        if proper:
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
            if found is None:
                self._escape(node, "the write API object is used for something other than "
                                   ".write/.flush/.close")
                return None
            usages.append((found[0], found[1], node))
        return usages

    def _stable_receiver(self, receiver: cst.BaseExpression, binding_call: cst.Call,
                         usage: cst.CSTNode, target: cst.BaseExpression):
        """A factory building, at `usage`, an expression for the client the write API came from."""
        base = _chain_base(receiver)
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
            return lambda updated, r=receiver, s=usage_self: _with_base(r, s)
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

    def _write_site(self, call: cst.Call) -> WriteSite | None:
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
        if "bucket" not in keywords or "record" not in keywords:
            return None
        specs = [KeepArg(keywords["record"], "record"), KeepArg(keywords["bucket"], "database")]
        for keyword, index in keywords.items():
            if keyword in ("record", "bucket", "org"):
                continue
            if keyword in v2_api.DATAFRAME_WRITE_KEYWORDS:
                self.uses_dataframes = True
            specs.append(KeepArg(index, keyword))
        return WriteSite(call, call.args[keywords["bucket"]].value, specs)

    def _escape(self, node: cst.CSTNode, why: str) -> None:
        self.unrewritten_write_apis += 1
        self._item(rules.WRITE_API_ESCAPES, node,
                   f"InfluxDBClient3 has no write_api(); {why}, so it was left unchanged.",
                   "client.write(record=..., database=...)  # on the InfluxDBClient3 itself")

    # --- self attributes -------------------------------------------------------------------

    def _self_class(self, name: cst.Name) -> cst.ClassDef | None:
        """The class whose instance `name` is (the first parameter of one of its methods)."""
        for assignment in self.ctx.visible_assignments(name, name.value):
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Param):
                params = self.ctx.parent(assignment.node)
                function = self.ctx.parent(params) if params is not None else None
                if (isinstance(function, cst.FunctionDef) and function.params.params
                        and function.params.params[0] is assignment.node):
                    return self.ctx.method_class(function)
        return None

    def _self_name_of(self, node: cst.CSTNode) -> str | None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return node.value.value
        return self.ctx.self_name(self.ctx.enclosing_function(node))

    def _all_self_attributes(self, owner: cst.ClassDef) -> dict:
        if self._self_attrs is None:
            self._self_attrs = {}
            for attribute in self.nodes.attributes:
                if not isinstance(attribute.value, cst.Name):
                    continue
                cls = self._self_class(attribute.value)
                if cls is None:
                    continue
                stores, loads = self._self_attrs.setdefault(id(cls), {}).setdefault(attribute.attr.value, ([], []))
                (stores if self._is_store(attribute) else loads).append(attribute)
        return self._self_attrs.get(id(owner), {})

    def _self_attribute_uses(self, owner: cst.ClassDef, attr: str):
        return self._all_self_attributes(owner).get(attr, ([], []))

    def _is_store(self, node: cst.CSTNode) -> bool:
        parent = self.ctx.parent(node)
        if isinstance(parent, cst.AssignTarget) or isinstance(parent, cst.AugAssign):
            return True
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return True
        return isinstance(parent, cst.Del)

    # --- everything else the v2 client offered -----------------------------------------------

    def _other_apis(self) -> None:
        for call in self.nodes.calls:
            if not isinstance(call.func, cst.Attribute):
                continue
            method = call.func.attr.value
            if not self._may_be_influx(call.func.value):
                continue
            if method == v2_api.QUERY_API:
                self._query_api(call)
            elif method == v2_api.DELETE_API:
                deletion = self.ctx.call_of_method(call, {"delete"})
                bucket = _argument(deletion[1], "bucket", 3) if deletion else None
                self.other_buckets.append(self._bucket_key(bucket) if bucket is not None else None)
                self._item(rules.DELETE_API, call,
                           "InfluxDBClient3 has no delete_api() and InfluxDB 3 has no delete-by-predicate: "
                           "rely on the database's retention period, or delete whole tables/databases with "
                           "the server's CLI or HTTP API.")
            elif method in v2_api.MANAGEMENT_APIS:
                self._item(rules.MANAGEMENT_API, call,
                           f"InfluxDBClient3 has no {method}(): databases (buckets) are created on first write "
                           "and managed with the server's CLI/HTTP API; Flux tasks, organizations, users and "
                           "authorizations have no v3 client API.")
            elif method in v2_api.HEALTH_METHODS and self.ctx.code(call.func.value) in self.client_codes:
                self._item(rules.HEALTH_CHECK, call,
                           f"InfluxDBClient3 has no {method}(); get_server_version() is the closest check "
                           "(it raises when the server is unreachable).",
                           f"{self.ctx.code(call.func.value)}.get_server_version()")
        for reference in self.async_refs:
            self._item(rules.ASYNC_CLIENT, reference,
                       "InfluxDBClientAsync has no v3 counterpart: InfluxDBClient3.write is blocking and only "
                       "queries have query_async(). Use the sync client with asyncio.to_thread for writes.",
                       "client = InfluxDBClient3(host=..., token=..., database=...); "
                       "await asyncio.to_thread(client.write, record=..., database=...); "
                       "await client.query_async(query=..., language='sql')")

    def _query_api(self, call: cst.Call) -> None:
        client_code = self.ctx.code(call.func.value)
        chained = self.ctx.call_of_method(call, v2_api.QUERY_METHODS)
        consumers = [chained] if chained is not None else []
        if chained is None:
            holder = self.ctx.parent(call)
            target = holder.targets[0].target if isinstance(holder, cst.Assign) and len(holder.targets) == 1 else None
            receivers = []
            if isinstance(target, cst.Name) and self.ctx.scope(target) is not None:
                for assignment in self.ctx.scope(target).assignments[target.value]:
                    if assignment.node is target:
                        receivers = [access.node for access in assignment.references]
            elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                owner = self._self_class(target.value)
                receivers = self._self_attribute_uses(owner, target.attr.value)[1] if owner else []
            for node in receivers:
                found = self.ctx.call_of_method(node, v2_api.QUERY_METHODS)
                if found is not None:
                    consumers.append(found)
            if target is not None:
                self._item(rules.FLUX_QUERY, call,
                           "InfluxDBClient3 has no query_api(): this line raises AttributeError as soon as it runs "
                           "(even before any query); drop it once the queries using it are rewritten as "
                           f"{client_code}.query(...).")
        if not consumers:
            self.other_buckets.append(None)
            self._item(rules.FLUX_QUERY, call, advise("query", client_code, None, None).reason)
            return
        for method, query_call in consumers:
            if method in v2_api.DATAFRAME_QUERY_METHODS:
                self.uses_dataframes = True
            flux_arg = _argument(query_call, "query", 0)
            flux = flux_text(flux_arg, self.ctx) if flux_arg is not None else None
            self.other_buckets.append(_flux_bucket_key(flux))
            holder = self.ctx.parent(query_call)
            target_code = None
            if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                target_code = self.ctx.code(holder.targets[0].target) + " ="
            elif isinstance(holder, cst.Return):
                target_code = "return"
            advice = advise(method, client_code, target_code, flux)
            self._item(rules.FLUX_QUERY, query_call, advice.reason, advice.suggestion)

    # --- database= on the client ---------------------------------------------------------------

    def _database(self) -> None:
        # A write API left for a human may write elsewhere: then "one bucket" is not known.
        if not self.write_sites or not self.constructors or self.unrewritten_write_apis:
            return
        for constructor in self.constructors:
            if any(arg.keyword is not None and arg.keyword.value == "database" for arg in constructor.args):
                continue
            expressions = {}
            for site in self.write_sites:
                expression = self._expression_at(site.bucket, constructor)
                if expression is None:
                    expressions = None
                    break
                expressions[self.ctx.module.code_for_node(expression)] = expression
            if not expressions or len(expressions) != 1:
                continue
            written = {self._bucket_key(site.bucket) for site in self.write_sites}
            if any(bucket is None or bucket not in written for bucket in self.other_buckets):
                continue  # queries or deletes use another (or an unknown) bucket
            (expression,) = expressions.values()
            edit = self.plan.calls[constructor]
            specs = edit.arguments if edit.arguments is not None else [
                KeepArg(i) for i in range(len(constructor.args))]
            edit.arguments = [*specs, NewArg("database", expression)]
            self._applied(rules.DATABASE, "database= added to the client (the module writes to one bucket)")

    def _bucket_key(self, expression: cst.BaseExpression) -> str:
        if isinstance(expression, (cst.SimpleString, cst.ConcatenatedString)):
            return repr(expression.evaluated_value)
        return self.ctx.code(expression)

    def _expression_at(self, expression: cst.BaseExpression, constructor: cst.Call):
        """`expression` (seen at a write) rewritten to mean the same at `constructor`, or None."""
        if isinstance(expression, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
            return expression
        base = _chain_base(expression)
        if base is None:
            return None
        owner = self._self_class(base)
        if owner is not None:
            return self._self_chain_at(expression, owner, constructor)
        if self.ctx.same_binding(base.value, base, constructor):
            return expression
        return None

    def _self_chain_at(self, expression, owner, constructor):
        """self.a.b at a write -> value-of(self.a).b, valid at the constructor's method."""
        path = _chain_path(expression)  # [self, a, b]
        if len(path) < 2:
            return None
        stores, _ = self._self_attribute_uses(owner, path[1])
        if len(stores) != 1 or self.ctx.enclosing_function(stores[0]) is not self.ctx.enclosing_function(constructor):
            return None
        value = self.ctx.assigned_value(stores[0])
        if value is None:
            return None
        resolved = self._expression_at(value, constructor)
        if resolved is None:
            return None
        for attr in path[2:]:
            resolved = cst.Attribute(value=resolved, attr=cst.Name(attr))
        return resolved

    # --- import lines ------------------------------------------------------------------------

    def _plan_imports(self) -> None:
        merged: list[cst.ImportAlias] = []
        first_top_level = None
        top_level = set(self.ctx.module.body)
        moved_count = 0
        for from_import in self.from_imports:
            moved, leftover = [], []
            for name in from_import.names:
                v3_name = v2_api.MOVED_NAMES.get(name.v2_name)
                if v3_name is None:
                    leftover.append(name.alias)
                    if name.v2_name != v2_api.ASYNC_CLIENT:
                        self._item(rules.NO_V3_EQUIVALENT, from_import.statement,
                                   f"{name.v2_name} has no influxdb_client_3 equivalent; its v2 import is kept and "
                                   "fails once influxdb-client is uninstalled.",
                                   v2_api.CLOSEST_V3.get(name.v2_name))
                    continue
                if (name.v2_name in v2_api.WRITE_OPTION_NAMES and name.references
                        and all(ref in self.consumed for ref in name.references)):
                    continue  # only configured the write APIs that were rewritten away
                moved.append(cst.ImportAlias(name=cst.Name(v3_name), asname=name.alias.asname))
            moved_count += len(from_import.names) - len(leftover)
            if len(leftover) == len(from_import.names):
                continue
            lines = []
            if from_import.line in top_level:
                merged.extend(moved)
                if first_top_level is None:
                    first_top_level = from_import.line
                    lines.append(None)  # placeholder for the merged v3 import
            elif moved:
                lines.append(_from_line(v2_api.V3_PACKAGE, moved))
            if leftover:
                lines.append(_from_line(cst.helpers.get_full_name_for_node(from_import.statement.module), leftover))
            self.plan.lines[from_import.line] = lines
        if first_top_level is not None:
            lines = self.plan.lines[first_top_level]
            index = lines.index(None)
            if merged:
                lines[index] = _from_line(v2_api.V3_PACKAGE, merged)
            else:
                del lines[index]
        moved_count += self._plan_module_imports()
        if moved_count:
            self._applied(rules.IMPORTS, "influxdb_client imports -> influxdb_client_3 (Point moves with the "
                                         "client)", moved_count)

    def _plan_module_imports(self) -> int:
        """`import influxdb_client...` -> `import influxdb_client_3` (kept beside it if a use has no v3 name)."""
        replaced: dict[int, list[cst.ImportAlias]] = {}  # id(old alias) -> aliases in its place
        moved = 0
        for binding in self.module_imports:
            if not binding.mapped:
                continue
            keep_old = bool(binding.unmapped)
            first_asname = binding.aliases[0][2].asname
            new_root = binding.root if (first_asname is not None and not keep_old) else v2_api.V3_PACKAGE
            for attribute, v3_name, _ in binding.mapped:
                self.plan.replacements[attribute] = (
                    lambda updated, r=new_root, n=v3_name: updated.with_changes(value=cst.Name(r), attr=cst.Name(n)))
            still_used = any(root not in self.consumed for _, _, root in binding.mapped)
            new_alias = cst.ImportAlias(name=cst.Name(v2_api.V3_PACKAGE),
                                        asname=first_asname if new_root == binding.root else None)
            if not still_used:
                new_alias = None  # only configured write APIs that were rewritten away
            for position, (_, _, alias) in enumerate(binding.aliases):
                replaced[id(alias)] = ([alias] if keep_old else []) + (
                    [new_alias] if position == 0 and new_alias is not None else [])
            moved += 1
        for line in {line for binding in self.module_imports for line, _, _ in binding.aliases}:
            statement = line.body[0]
            if not any(id(alias) in replaced for alias in statement.names):
                continue
            aliases = [new for alias in statement.names for new in replaced.get(id(alias), [alias])]
            if not aliases:
                self.plan.lines[line] = []
                continue
            names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
            self.plan.lines[line] = [line.with_changes(body=[statement.with_changes(names=names)])]
        return moved


def _from_line(module: str, aliases: list[cst.ImportAlias]) -> cst.SimpleStatementLine:
    names = [alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) for alias in aliases]
    statement = cst.ImportFrom(module=cst.parse_expression(module), names=names)
    return cst.SimpleStatementLine(body=[statement])


def _is_method_call(call: cst.Call, method: str) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == method


def _last_name(node) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _names_in(node: cst.CSTNode) -> set:
    found = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name) -> None:
            found.add(name)

    node.visit(_Names())
    return found


def _chain_base(node) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _chain_path(node) -> list[str]:
    path = []
    while isinstance(node, cst.Attribute):
        path.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        path.append(node.value)
    return list(reversed(path))


def _with_base(node, base: str):
    if isinstance(node, cst.Name):
        return cst.Name(base)
    return node.with_changes(value=_with_base(node.value, base)).deep_clone()


def _flux_bucket_key(flux: tuple[str, list[str]] | None) -> str | None:
    """from(bucket: ...) of a Flux text, in the same normalised form as _bucket_key."""
    if flux is None:
        return None
    text, expressions = flux
    found = _FLUX_BUCKET.search(text)
    if found is None:
        return None
    bucket = found.group(1)
    placeholder = re.fullmatch(r"__p(\d+)__", bucket)
    return expressions[int(placeholder.group(1))] if placeholder else repr(bucket)


def _argument(call: cst.Call, keyword: str, position: int):
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and not arg.star and index == position:
            return arg.value
    return None
