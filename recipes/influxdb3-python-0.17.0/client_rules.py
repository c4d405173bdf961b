"""The client class: references renamed, constructor keywords mapped, client variables tracked."""
from __future__ import annotations

import libcst as cst

from . import rules, v2_api
from .edits import CallEdit, CopyArg, KeepArg
from .values import candidate_strings, has_scheme_and_port


class ClientRules:
    """Mixin of ModuleAnalysis (state and bookkeeping live there)."""

    # --- the client class ------------------------------------------------------------------

    def _client_references(self) -> None:
        for from_import in self.from_imports:
            for name in from_import.names:
                if name.v2_name == v2_api.ASYNC_CLIENT:
                    self.async_refs.extend(name.references)
                if name.v2_name != v2_api.CLIENT:
                    continue
                renamed = name.alias.asname is None
                if renamed:
                    for rebind in name.rebinds:
                        self.plan.renames[rebind] = v2_api.MOVED_NAMES[v2_api.CLIENT]
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
            config_file = self.ctx.call_of_method(reference, {v2_api.CONFIG_FILE_FACTORY})
            if config_file is not None:
                self._item(
                    rules.ENV_CONFIG, config_file[1],
                    "InfluxDBClient3 has no from_config_file(), and a v2 client kept for it would silently drop "
                    "the v3 Points the migrated code builds (nothing sent, no error), so nothing was changed: "
                    "build InfluxDBClient3(host=..., token=..., database=...) from the file's values, or use "
                    "InfluxDBClient3.from_env(), then run the recipe again.",
                    "InfluxDBClient3(host=<url from the file>, token=<token>, org=<org>, database=<bucket>)",
                    blocking=True)
            factory = self.ctx.call_of_method(reference, {v2_api.ENV_FACTORY})
            if factory is not None:
                _, call = factory
                self.plan.calls[call] = CallEdit(func_name=v2_api.V3_ENV_FACTORY)
                self._applied(rules.ENV_CONFIG_CALL, "from_env_properties() -> from_env()")
                self._item(
                    rules.ENV_CONFIG, call,
                    "from_env_properties() became InfluxDBClient3.from_env(), which reads other variables "
                    "(INFLUX_HOST, INFLUX_TOKEN, INFLUX_DATABASE required, else ValueError; INFLUX_ORG, "
                    "INFLUX_WRITE_TIMEOUT, INFLUX_QUERY_TIMEOUT optional): the deployment must set them.",
                    "# deployment: " + ", ".join(
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
                # Keeping url= is a TypeError on every construction, so it is always renamed; only the
                # value's scheme and port (InfluxDBClient3 defaults to 443) may still need a human.
                specs.append(KeepArg(index, "host"))
                changed = True
                if self._url_verified(arg.value):
                    self._applied(rules.URL_TO_HOST, "url= -> host= (scheme and port verified)")
                else:
                    self._applied(rules.URL_TO_HOST, "url= -> host= (scheme and port listed for checking)")
                    self._item(
                        rules.UNVERIFIED_URL, arg,
                        "url= was renamed to host= (InfluxDBClient3 rejects url=). Check that the URL has a "
                        "scheme and an explicit port: InfluxDBClient3 defaults to 443 ('http://influxdb' "
                        "talks to port 443) and a host without a scheme ('influxdb:8086') fails at "
                        "construction; the codemod could not prove this value has both.",
                        f"host={self.ctx.code(arg.value)}  # e.g. 'http://influxdb:8181'")
            elif keyword == "timeout":
                # Keeping timeout= is a TypeError on every construction: both v3 timeouts get the value.
                specs.extend([KeepArg(index, "write_timeout"), CopyArg(index, "query_timeout")])
                changed = True
                self._applied(rules.TIMEOUT, "timeout= -> write_timeout= + query_timeout= (ms)")
                if _has_call(arg.value):
                    self._item(rules.CONSTRUCTOR_ARGUMENT, arg,
                               "timeout= became write_timeout= and query_timeout= (both in milliseconds, like "
                               "v2's timeout), each with this expression, so it is now evaluated twice: check "
                               "that it has no side effects, or compute it once before the call.",
                               f"timeout_ms = {self.ctx.code(arg.value)}; InfluxDBClient3(..., "
                               "write_timeout=timeout_ms, query_timeout=timeout_ms)")
            elif keyword in v2_api.CLIENT_PASSTHROUGH:
                specs.append(KeepArg(index, keyword))
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


def _has_call(expression: cst.BaseExpression) -> bool:
    return any(isinstance(node, cst.Call) for node in _walk(expression))


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)
