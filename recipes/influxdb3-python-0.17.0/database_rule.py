"""database= on the client, when everything the module writes, reads or deletes uses one bucket."""
from __future__ import annotations

import libcst as cst

from . import rules
from .cst_helpers import chain_base, chain_path
from .edits import KeepArg, NewArg


class DatabaseRule:
    """Mixin of ModuleAnalysis (state and bookkeeping live there)."""

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
        base = chain_base(expression)
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
        path = chain_path(expression)  # [self, a, b]
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
