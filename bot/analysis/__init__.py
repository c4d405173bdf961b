"""One analysis of a service's Python files, shared by every recipe applied to it in a run.

Built on libcst's ScopeProvider/QualifiedNameProvider per file plus the service's own import map, not on
FullRepoManager/FullyQualifiedNameProvider: those read a repository from disk and resolve with a cache
of their own, while codemods get the service's files as text and must stay pure.

Entry point::

    analysis = ServiceAnalysis.of(service)      # bot.model.ServiceSource; cached per process by content

Files are parsed lazily, at most once per file per run (libcst, so syntax newer than the bot's own Python
still parses), and each metadata provider of a file (positions, scopes, qualified names, expression
context) is resolved once, on first use; parents come from a plain walk (faster than ParentNodeProvider).
Scopes and expression contexts are libcst's own visitors driven without its node-rebuilding traversal
(bot/analysis/resolution.py, 6x cheaper; libcst's providers if its internals differ), and qualified names
are asked of the scopes node by node: tests/test_analysis_oracle.py compares every answer with libcst's.
The cache holds the last 2 services: a run applies all recipes of a service one after another.
A file with the same path and text in several services is parsed and analysed once for all of them (a
ParsedModule depends on nothing else; service.SharedFiles keeps the last 128 files met twice). Recipes share
the trees: never mutate them (libcst transformers return new trees, which is fine).

Files
    files_mentioning(*words) -> [path]          plain-text, case-insensitive prefilter; parse only these
    module(path) -> ParsedModule | None         None: not a .py file, or unparsable (see syntax_error)
    modules(paths) -> iter ParsedModule         the parsable ones
    syntax_error(path) -> str | None            "path:line: syntax error: reason"
    syntax_error_at(path) -> (line, reason) | None
    module_named(dotted) -> ParsedModule | None

ParsedModule (bot.analysis.parsed)
    path, dotted, package, text, tree (cst.Module), wrapper (MetadataWrapper over `tree` itself, so
    metadata is keyed by tree's nodes and `wrapper.visit(visitor)` reuses the resolved metadata),
    metadata; get(provider, node), line / lines_of (PositionProvider's start line / start and end lines, from
    a pass that counts lines only), code (one line), header_code (as written, a compound statement's header
    only, no comment lines above), statement_code (a checklist's: the statement up to the node), parent,
    ancestors, scope, context/is_load, visible_assignments(node, name), nodes (all, source order), source_order(node),
    of_type(*classes) (the nodes of those classes, abstract libcst ones too, in source order: use it, not a walk
    with isinstance), attributes_named(attr) (every `x.<attr>`, in source order), statement_of,
    enclosing_function(node, lambdas=False)/class, method_class, in_loop(node),
    import_bindings (top-level imports -> absolute target), top_level (defined names -> node),
    memo (a dict for facts other modules compute from the tree alone: once per file and run, for every recipe).

Helpers: module_name(path), absolute(name, package), dotted_name(node), import_from_module(node, package),
walk(node) (a subtree in source order, no metadata).

Names and definitions
    is_test_path(path) -> bool                  tests/, test_*.py, *_test.py, conftest.py
    names_of(parsed, node) -> {absolute name}   Name/Attribute; relative imports resolved, re-exports followed
    refers_to(parsed, node, targets) -> bool
    canonical(name) -> name                     follows the service's own re-exports
    definition(name) -> Definition | None       function, class, method (incl. base classes), module variable
    definition_for(parsed, node) -> Definition  for any FunctionDef/ClassDef, nested ones too
    definition_of(parsed, expression)           what `fn`, `mod.fn`, `Cls.m`, `obj.m`, `self.client.m` denote
                                                (a parameter: when every caller passes the same one)
    member(class_definition, attr)              a method, looked up through service base classes
    returned_values(definition) -> [expression | None]  each own `return`/`yield` value (None: bare)
    Definition: name ("svc.mod.test_x.<locals>.helper" when nested), module, node, owner (class of a
    method), short, is_function/is_class/is_async, line, describe() -> "path:line"

Bindings (bot.analysis.bindings.Binding: module, target, statement, kind, value, is_none, line)
    assigned_value(parsed, target) -> expression | None   what `target = value` (or `a, target = x, y`...) gives it
    bindings_of(parsed, expression)             a Name: all its assignments; `self.attr`: all of the class's
    name_bindings(parsed, name), scope_bindings(parsed, scope, name)
    attribute_bindings(parsed, class_node, attr)  every `self.attr = / : / += / with as / for` in every method
    self_class(parsed, expression) -> ClassDef | None   `self` (first param of a method) -> its class
    parameter_held(parsed, expression) -> Param | None  the parameter a name (through plain aliases) or
        `self.attr` (its one binding, resets aside: an object handed to __init__) holds
    instance_classes(parsed, expression) -> {Definition}  classes the object is provably an instance of
        (constructor call, factory returning one, self, names/self.attr bound to one (resets to None
        ignored), annotated params and attributes, module-level instances (also imported), pytest
        fixture params whose fixture returns/yields one, else what the callers pass for the param)

Functions
    decorated(decorator_names) -> [Definition]  every function/method, nested ones too, with `@d`/`@d(...)`,
                                                or `@policy` where `policy = d(...)` (also imported)
    is_decorated(parsed, function_node, decorator_names)
    fixtures_named(name, requesting_path)
    references_to(definition, fallback_among=()) -> [Reference]  loads of a function anywhere in the
        service; with fallback_among (e.g. all @retry functions) `x.name` with an unprovable receiver
        counts (proven=False) when the name is unique among them
    Reference: module, node, definition, proven, unbound, via_instance, line
    may_be_called_unseen(method) -> bool        some `x.<method name>` with an unknown receiver may call it

Parameter flow
    call_sites(definition, fallback_among=()) -> [CallSite]  calls incl. inside create_task/gather,
        functools.partial(fn, ...), asyncio.to_thread(fn, ...), loop.run_in_executor(ex, fn, ...)
    CallSite: module, call, reference, arguments {param: expression}, deferred, line, repeated (may start its
        callee several times: deferred, in a comprehension, un-awaited in a loop)  (a class's call sites:
        `Cls(...)`, arguments mapped to its __init__'s parameters)
    parameters_receiving(parsed, expression, transitive=True) -> [ParameterFlow(function, parameter,
        site, hops)]                            where a value (a client, a write API) is handed on (for
                                                `Cls(value)`, to a parameter of its __init__)
    parameter_receiving(parsed, argument) -> ParameterFlow | None  the parameter one argument binds
    arguments_at_every_call(function, parameter) -> [(module, expression)] | None  what every call passes,
        None unless every reference is a call (annotations aside) that passes it, and no unknown `x.m`
    carriers(parsed, value), reads_of(parsed, target)  the expressions holding the same object
    arguments_for(parsed, param) -> [(module, expression)]  its default and what every call site passes
        (instance_classes uses this for unannotated parameters, e.g. `self.sink = sink` in __init__)

Migration facts (used by the shared rules of bot.change.doubles and bot.change.import_audit)
    migration_map.load_migration_map(path) -> MigrationMap   a recipe's migration.toml: renamed/moved/removed
                                                names, class members, changed signatures, the audit table
    api_table.ApiTable.load(path)               the names a version really has (introspected, checked in)
    doubles.DoubleValues(analysis)              what each mock of the tests stands for (patches, specs,
                                                fixtures by pytest name, plain mocks plugged in, fakes)
    doubles.Meanings(analysis, edited)          what a dotted name means before / after the run's edits
"""
from __future__ import annotations

from .bindings import Binding, BindingsMixin, assigned_value
from .flow import CallSite, FlowMixin, ParameterFlow
from .functions import FIXTURE_DECORATORS, FunctionsMixin, Reference
from .names import absolute, dotted_name, import_from_module, is_test_path, module_name, walk
from .parsed import ParsedModule
from .service import Definition, ServiceCore


class ServiceAnalysis(FlowMixin, FunctionsMixin, BindingsMixin, ServiceCore):
    """See the module docstring for the API."""


__all__ = [
    "Binding", "CallSite", "Definition", "FIXTURE_DECORATORS", "ParameterFlow", "ParsedModule", "Reference",
    "ServiceAnalysis", "absolute", "assigned_value", "dotted_name", "import_from_module", "is_test_path", "module_name",
    "walk",
]
