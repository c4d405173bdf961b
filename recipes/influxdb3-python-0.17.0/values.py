"""Static values of expressions: which strings a URL argument can be, what text a Flux query has."""
from __future__ import annotations

import ast
import re
from urllib.parse import urlsplit

import libcst as cst
from libcst.metadata import Assignment, ImportAssignment

from bot.analysis import ParsedModule, assigned_value, import_from_module

from .service_index import ServiceIndex

_MAX_DEPTH = 6


def has_scheme_and_port(url: str) -> bool:
    """InfluxDBClient3 needs both (libraries.md I8: no port -> 443, no scheme -> ArrowInvalid)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port is not None
    except ValueError:
        return False


def candidate_strings(node: cst.BaseExpression, index: ServiceIndex, parsed: ParsedModule,
                      depth: int = 0) -> list[str] | None:
    """Every string `node` can statically hold, or None when any source is unknown.

    Follows constants, parameter defaults (the configured value; callers may pass others),
    imports from the service's own modules and settings-class field defaults.
    """
    if depth > _MAX_DEPTH:
        return None
    literal = _literal(node)
    if literal is not None:
        return [literal]
    if isinstance(node, cst.Name):
        return _from_name(node, index, parsed, depth)
    if isinstance(node, cst.Attribute):
        return _from_attribute(node, index, parsed, depth)
    return None


def _literal(node: cst.CSTNode) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _from_name(node: cst.Name, index: ServiceIndex, parsed: ParsedModule, depth: int) -> list[str] | None:
    assignments = parsed.visible_assignments(node, node.value)
    if not assignments:
        return None
    values: list[str] = []
    for assignment in assignments:
        found = None
        if isinstance(assignment, ImportAssignment):
            found = _from_import(assignment, node.value, index, parsed, depth)
        elif isinstance(assignment, Assignment):
            target = assignment.node
            if isinstance(target, cst.Param):
                found = candidate_strings(target.default, index, parsed, depth + 1) if target.default else None
            elif isinstance(target, cst.Name):
                value = assigned_value(parsed, target)
                found = candidate_strings(value, index, parsed, depth + 1) if value is not None else None
        if found is None:
            return None
        values.extend(found)
    return values


def _from_import(assignment: ImportAssignment, name: str, index: ServiceIndex, parsed: ParsedModule,
                 depth: int) -> list[str] | None:
    statement = assignment.node
    if not isinstance(statement, cst.ImportFrom) or isinstance(statement.names, cst.ImportStar):
        return None
    imported = name
    for alias in statement.names:
        if alias.evaluated_alias == name:
            imported = alias.evaluated_name
    return _module_constant(import_from_module(statement, parsed.package), imported, index, depth)


def _module_constant(module: str, name: str, index: ServiceIndex, depth: int) -> list[str] | None:
    values = index.constants(module).get(name)
    if not values:
        return None
    return _plain_values(values, module, index, depth)


def _plain_values(values, module: str, index: ServiceIndex, depth: int) -> list[str] | None:
    """Values found in another module (no metadata there): literals and that module's constants."""
    found: list[str] = []
    for value in values:
        literal = _literal(value)
        if literal is None and isinstance(value, cst.Name) and depth < _MAX_DEPTH:
            nested = _module_constant(module, value.value, index, depth + 1)
            if nested is None:
                return None
            found.extend(nested)
        elif literal is None:
            return None
        else:
            found.append(literal)
    return found


def _from_attribute(node: cst.Attribute, index: ServiceIndex, parsed: ParsedModule, depth: int) -> list[str] | None:
    attr = node.attr.value
    base = node.value
    if isinstance(base, cst.Name):
        for assignment in parsed.visible_assignments(base, base.value):
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Param):
                annotation = assignment.node.annotation
                if annotation is not None and isinstance(annotation.annotation, cst.Name):
                    fields = index.class_fields.get(annotation.annotation.value, {})
                    if attr in fields:
                        return _plain_values(fields[attr], parsed.dotted, index, depth)
            if isinstance(assignment, ImportAssignment) and isinstance(assignment.node, cst.Import):
                module = _imported_module(assignment.node, base.value)
                if module is not None:
                    return _module_constant(module, attr, index, depth)
    defaults = index.field_defaults(attr)
    if not defaults:
        return None
    # Every settings class of the service that declares this field must agree.
    return _plain_values(defaults, parsed.dotted, index, depth)


def _imported_module(statement: cst.Import, bound: str) -> str | None:
    for alias in statement.names:
        if alias.evaluated_alias == bound or (alias.asname is None and alias.evaluated_name == bound):
            return alias.evaluated_name
    return None


def flux_text(node: cst.BaseExpression, index: ServiceIndex, parsed: ParsedModule,
              depth: int = 0) -> tuple[str, list[str]] | None:
    """The Flux source of a query argument, with each f-string `{expr}` as placeholder __p<N>__.

    Returns (text, [expr source per placeholder]) or None when the text is built at runtime.
    """
    if depth > 3:
        return None
    if isinstance(node, cst.Name):
        value = _single_assignment_value(parsed, node)
        if value is None:
            value = _imported_constant(node, index, parsed)
        return flux_text(value, index, parsed, depth + 1) if value is not None else None
    parts = node.parts if isinstance(node, cst.FormattedString) else None
    if isinstance(node, cst.ConcatenatedString):
        left = flux_text(node.left, index, parsed, depth)
        right = flux_text(node.right, index, parsed, depth)
        if left is None or right is None:
            return None
        shifted = _shift_placeholders(right[0], len(left[1]))
        return left[0] + shifted, left[1] + right[1]
    literal = _literal(node)
    if literal is not None:
        return literal, []
    if parts is None:
        return None
    text, expressions = [], []
    for part in parts:
        if isinstance(part, cst.FormattedStringText):
            decoded = _decode_fragment(part.value, node)
            if decoded is None:
                return None
            text.append(decoded)
        elif part.conversion is None and part.format_spec is None:
            text.append(f"__p{len(expressions)}__")
            expressions.append(parsed.tree.code_for_node(part.expression))
        else:
            return None
    return "".join(text), expressions


def _decode_fragment(raw: str, node: cst.FormattedString) -> str | None:
    """Escapes in an f-string's literal part, decoded as Python would (same prefix and quotes)."""
    prefix = node.prefix.replace("f", "").replace("F", "")
    try:
        # The trailing "X" keeps a fragment that ends in a quote from merging with the closing quotes.
        value = ast.literal_eval(f"{prefix}{node.quote}{raw}X{node.quote}")
    except (SyntaxError, ValueError):
        return None
    return value[:-1].replace("{{", "{").replace("}}", "}") if isinstance(value, str) else None


def _shift_placeholders(text: str, offset: int) -> str:
    if offset == 0:
        return text
    return re.sub(r"__p(\d+)__", lambda m: f"__p{int(m.group(1)) + offset}__", text)


def _single_assignment_value(parsed: ParsedModule, name: cst.Name) -> cst.BaseExpression | None:
    """The value of `name` when it is assigned exactly once (x = value) where it is visible."""
    assignments = parsed.visible_assignments(name, name.value)
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
        return None
    return assigned_value(parsed, assignment.node)


def _imported_constant(node: cst.Name, index: ServiceIndex, parsed: ParsedModule) -> cst.BaseExpression | None:
    """The value of a module-level constant of another service module that `node` was imported as."""
    names = index.analysis.names_of(parsed, node)
    definition = index.analysis.definition(next(iter(names))) if len(names) == 1 else None
    if definition is None or definition.module is parsed:
        return None
    statement = definition.node
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        return statement.value
    return statement.value if isinstance(statement, cst.AnnAssign) else None


def text_origins(node: cst.BaseExpression, index: ServiceIndex, parsed: ParsedModule) -> list[str]:
    """Where the text of a query argument is written, when not at the argument itself: "path:line" of
    each assignment of the name (here or in the module it is imported from) or, for a parameter, of
    what each caller of the function passes."""
    if not isinstance(node, (cst.Name, cst.Attribute)):
        return []
    service = index.analysis
    origins = []
    for binding in service.bindings_of(parsed, node):
        if binding.kind == "param":
            function = parsed.enclosing_function(binding.target)
            if function is None:
                continue
            for site in service.call_sites(service.definition_for(parsed, function)):
                passed = site.arguments.get(binding.target.name.value)
                if passed is not None:
                    origins.append(_expression_origin(service, site.module, passed))
        elif binding.kind != "import":
            origins.append(f"{binding.module.path}:{binding.line}")
    if not origins:
        names = service.names_of(parsed, node)
        definition = service.definition(next(iter(names))) if len(names) == 1 else None
        if definition is not None and definition.module is not parsed:
            origins.append(definition.describe())
    return list(dict.fromkeys(origins))


def _expression_origin(service, parsed, expression: cst.BaseExpression) -> str:
    """Where a passed-in text comes from: the service function building it, else the argument itself."""
    if isinstance(expression, cst.Call):
        builder = service.definition_of(parsed, expression.func)
        if builder is not None and builder.is_function:
            return f"{builder.describe()} ({builder.short}(), called at {parsed.path}:{parsed.line(expression)})"
    return f"{parsed.path}:{parsed.line(expression)}"
