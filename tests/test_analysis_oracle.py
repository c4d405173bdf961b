"""bot.analysis resolves scopes and expression contexts itself (bot/analysis/resolution.py: libcst's own
visitors, driven without libcst's node-rebuilding traversal), positions, and a node's children. libcst is the
oracle: over every Python file of the example fleets, the recipes' fixtures and examples, and the bot's own
source, every answer must be the same, down to the order the metadata was recorded in; any difference fails.
The suite without slow tests compares on the small, quirk-shaped files (fixtures, a fleet); the slow tests on all."""
from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import (ExpressionContextProvider, ImportAssignment, MetadataWrapper, PositionProvider,
                             QualifiedNameProvider, ScopeProvider)

from bot.analysis import ServiceAnalysis, resolution
from bot.analysis.names import TOKENS, TRIVIA, children
from bot.analysis.parsed import ParsedModule

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ("examples", "recipes", "bot")  # the fleets, the recipes' fixtures and modules, examples/recipes, the bot


def corpus_files() -> list[Path]:
    return sorted(p for top in CORPUS for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def parsed_or_none(path: Path) -> cst.Module | None:
    try:
        return cst.parse_module(path.read_text(encoding="utf-8"))
    except (cst.ParserSyntaxError, UnicodeDecodeError):
        return None  # a fixture that is broken on purpose: the analysis refuses it, nothing to resolve


class Describer:
    """Turns metadata into plain, comparable data: nodes by their index in the tree's source order (nodes the
    scope visitor parsed out of string annotations by order of appearance), scopes by order of first
    appearance, assignments and accesses by their node and scope."""

    def __init__(self, parsed: ParsedModule) -> None:
        self.index = {id(n): i for i, n in enumerate(parsed.nodes)}
        self.outside: dict[int, int] = {}
        self.scope_ids: dict[int, int] = {}
        self.scopes: list = []

    def node(self, node: cst.CSTNode | None) -> tuple:
        if node is None:
            return ("none", -1)
        if id(node) in self.index:
            return ("tree", self.index[id(node)])
        return ("outside", self.outside.setdefault(id(node), len(self.outside)), type(node).__name__)

    def scope(self, scope) -> int:
        if scope is None:
            return -1
        if id(scope) not in self.scope_ids:
            self.scope_ids[id(scope)] = len(self.scope_ids)
            self.scopes.append(scope)
            self.scope(scope.parent)
            self.scope(scope.globals)
        return self.scope_ids[id(scope)]

    def assignment_key(self, assignment) -> tuple:
        return (type(assignment).__name__, assignment.name, self.scope(assignment.scope),
                self.node(getattr(assignment, "node", None)), assignment._index)

    def access_key(self, access) -> tuple:
        return (self.node(access.node), self.scope(access.scope))

    def scope_mapping(self, mapping) -> list:
        return [(self.node(node), self.scope(scope)) for node, scope in mapping.items()]

    def all_scopes(self) -> list:
        described, done = [], 0
        while done < len(self.scopes):  # describing a scope may discover scopes (builtins, a referent's)
            scope = self.scopes[done]
            done += 1
            assignments = sorted(
                (self.assignment_key(a), isinstance(a, ImportAssignment) and self.node(a.as_name),
                 sorted(self.access_key(r) for r in a.references))
                for a in scope.assignments)
            accesses = sorted(
                (self.access_key(a), a.is_annotation, a.is_type_hint,
                 sorted(self.assignment_key(r) for r in a.referents))
                for a in scope.accesses)
            overwrites = sorted((name, self.scope(s)) for name, s in getattr(scope, "_scope_overwrites", {}).items())
            described.append((type(scope).__name__, self.node(getattr(scope, "node", None)), getattr(scope, "name", None),
                              self.scope(scope.parent), self.scope(scope.globals), scope._assignment_count,
                              assignments, accesses, overwrites))
        return described


def _qualified(values, node):
    value = values.get(node, set())
    return value() if callable(value) else value  # the provider hands out lazy values


def _services(tops) -> list[tuple[str, dict[str, str]]]:
    """Services as the bot reads them: their .py files by service-relative path."""
    found = []
    for root in tops:
        files = {}
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            try:
                files[path.relative_to(root).as_posix() if root.is_dir() else path.name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
        if files:
            found.append((str(root.relative_to(ROOT)), files))
    return found


def fleet_services() -> list[tuple[str, dict[str, str]]]:
    """Every service of the example fleets."""
    return _services(sorted(p for p in ROOT.glob("examples/*/services/*") if p.is_dir()))


def fixture_services() -> list[tuple[str, dict[str, str]]]:
    """Every fixture case's before/ folder (recipes and examples/recipes): small, and shaped to hit the quirks."""
    roots = [p for p in ROOT.glob("recipes/*/fixtures/*/before") if p.is_dir()]
    roots += [p for p in ROOT.glob("examples/recipes/*/fixtures/*/before") if p.is_dir()]
    return _services(sorted(roots))


def source_files_as_services() -> list[tuple[str, dict[str, str]]]:
    """The bot's and the recipes' own modules (modern Python: annotations, string annotations, comprehensions,
    walrus, match), each on its own."""
    paths = [p for p in ROOT.glob("bot/**/*.py")] + [p for p in ROOT.glob("recipes/*/*.py")]
    return _services(sorted(p for p in paths if "__pycache__" not in p.parts))


def _oracle_and_ours(files: dict[str, str]) -> tuple[ServiceAnalysis, ServiceAnalysis]:
    ours, oracle = ServiceAnalysis(files), ServiceAnalysis(files)
    for path in sorted(files):
        parsed = oracle.module(path)
        if parsed is not None:
            parsed.own_resolution = False  # libcst's ScopeProvider and ExpressionContextProvider, as they are
            parsed.own_lines = False  # start lines from libcst's PositionProvider
    return ours, oracle


def _metadata(parsed: ParsedModule, qualified_names) -> tuple:
    """Everything the scope and expression-context metadata of a file says, as plain data."""
    describe = Describer(parsed)
    contexts = [(describe.node(n), c) for n, c in parsed.resolved(ExpressionContextProvider).items()]
    scopes = describe.scope_mapping(parsed.scopes)
    return contexts, scopes, describe.all_scopes(), [sorted(map(repr, qualified_names(n))) for n in parsed.nodes]


def _answers(analysis: ServiceAnalysis, references: bool) -> dict:
    """Every answer of the analysis API about every node of the service, nodes by (path, index)."""
    answers: dict = {}
    indexes = {}
    for path in sorted(analysis.files):
        parsed = analysis.module(path)
        if parsed is not None:
            indexes[path] = {id(n): i for i, n in enumerate(parsed.nodes)}

    def at(parsed, node):
        return (parsed.path, indexes[parsed.path].get(id(node), -1)) if node is not None else None

    def binding(b):
        return (b.kind, at(b.module, b.target), at(b.module, b.statement), at(b.module, b.value), b.line)

    for path in indexes:
        parsed = analysis.module(path)
        for i, node in enumerate(parsed.nodes):
            key = (path, i)
            if isinstance(node, (cst.Name, cst.Attribute)):
                answers[key, "names_of"] = sorted(analysis.names_of(parsed, node))
                answers[key, "bindings"] = [binding(b) for b in analysis.bindings_of(parsed, node)]
                answers[key, "is_load"] = parsed.is_load(node)
            if references and isinstance(node, (cst.FunctionDef, cst.ClassDef)):  # O(definitions x files)
                definition = analysis.definition_for(parsed, node)
                answers[key, "references"] = [(at(r.module, r.node), r.proven, r.unbound)
                                              for r in analysis.references_to(definition)]
    return answers


def assert_same_as_libcst(services, api: bool = True, references: bool = False) -> int:
    compared = 0
    for name, files in services:
        ours, oracle = _oracle_and_ours(files)
        for path in sorted(files):
            mine, theirs = ours.module(path), oracle.module(path)
            if mine is None:
                assert theirs is None
                continue
            oracle_names = theirs.wrapper.resolve(QualifiedNameProvider)  # on the oracle's libcst scopes
            expected = _metadata(theirs, lambda node: _qualified(oracle_names, node))
            got = _metadata(mine, mine.qualified_names)
            for part, label in enumerate(("expression contexts", "scope of each node", "scopes", "qualified names")):
                assert got[part] == expected[part], f"{name}/{path}: {label} differ from libcst's"
            # the wrapper holds what bot.analysis resolved: wrapper.visit(...) and dependent providers reuse it
            assert mine.wrapper.resolve(ScopeProvider) is mine.scopes
            compared += 1
        if api:
            assert _answers(ours, references) == _answers(oracle, references), name
    return compared


@pytest.mark.skipif(not resolution.AVAILABLE, reason="this libcst's providers are used as they are")
def test_scopes_contexts_names_and_bindings_are_libcsts_on_the_recipe_fixtures():
    services = fixture_services()
    assert len(services) > 100, "the fixtures went missing"
    assert assert_same_as_libcst(services) > 180


@pytest.mark.slow  # 25 s of CPU; fleet_digest.py --against main shows the fleets' outputs unchanged too
@pytest.mark.skipif(not resolution.AVAILABLE, reason="this libcst's providers are used as they are")
def test_scopes_contexts_names_bindings_and_references_are_libcsts_on_the_example_fleets():
    services = fleet_services()
    assert len(services) > 35, "the fleets went missing"
    assert assert_same_as_libcst(services, references=True) > 200


@pytest.mark.slow
@pytest.mark.skipif(not resolution.AVAILABLE, reason="this libcst's providers are used as they are")
def test_references_to_every_definition_are_the_same_on_libcsts_providers_in_the_fixtures():
    assert assert_same_as_libcst(fixture_services(), references=True) > 180


@pytest.mark.slow
@pytest.mark.skipif(not resolution.AVAILABLE, reason="this libcst's providers are used as they are")
def test_scopes_contexts_and_qualified_names_are_libcsts_on_the_bots_own_source():
    # every third module (a fixed sample, the shapes repeat): the whole set cost 47 s of a suite that must
    # stay under 15 minutes on 2 cores; the fleets and fixtures above are compared in full
    services = source_files_as_services()[::3]
    assert len(services) > 50
    assert assert_same_as_libcst(services, api=False) == len(services)


def assert_children_are_libcsts(paths) -> None:
    for path in paths:
        tree = parsed_or_none(path)
        if tree is None:
            continue
        stack = [tree]
        while stack:
            node = stack.pop()
            expected = node.children
            assert [id(c) for c in children(node)] == [id(c) for c in expected], (path, node)
            # the walks skip trivia's children and visit no token: trivia have none, tokens hold trivia and tokens
            assert type(node) not in TRIVIA or not expected, (path, node)
            assert type(node) not in TOKENS or all(type(c) in TRIVIA | TOKENS for c in expected), (path, node)
            stack.extend(expected)


def test_children_are_libcsts_in_libcsts_order_on_the_examples():
    """bot.analysis reads a node's children from its fields (libcst rebuilds the node to find them), and skips
    whitespace and punctuation where they hold nothing else."""
    paths = [p for p in corpus_files() if p.relative_to(ROOT).parts[0] == "examples"]
    assert len(paths) > 200
    assert_children_are_libcsts(paths)


@pytest.mark.slow
def test_children_are_libcsts_in_libcsts_order_on_every_file():
    assert_children_are_libcsts(corpus_files())


def assert_positions_are_libcsts(paths) -> None:
    for path in paths:
        assert_text_positions_are_libcsts(path.read_text(encoding="utf-8"), path)


def assert_text_positions_are_libcsts(text: str, where: object) -> None:
    ours = ParsedModule("m.py", "m", "", text, cst.parse_module(text))
    lines = [(type(n).__name__, ours.line(n)) for n in ours.nodes]  # asked first: from the line-only pass
    theirs = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    expected = [(type(n).__name__, p) for n, p in theirs.resolve(PositionProvider).items()]
    assert [(type(n).__name__, p) for n, p in ours.positions.items()] == expected, where
    assert ours.wrapper.resolve(PositionProvider) is ours.positions
    if resolution.LINES_AVAILABLE:
        spans = resolution.line_spans(ours.tree)  # by id(node), in the order positions were recorded
        assert list(spans) == [id(n) for n in ours.positions], f"{where}: lines recorded otherwise than libcst's"
        assert [(type(n).__name__, spans[id(n)]) for n in ours.positions] == \
            [(kind, (p.start.line, p.end.line)) for kind, p in expected], f"{where}: lines differ from libcst's"
        assert lines == [(type(n).__name__, ours.positions[n].start.line) for n in ours.nodes], where


def test_start_lines_are_libcsts_across_line_breaks_of_every_kind():
    r"""The lines-only pass counts what libcst's position state counts: \n, \r\n and a lone \r, in code,
    strings, comments and continuations; a decorated def starts at `def`, as PositionProvider says."""
    text = ("import os\r\n\r\n@decorator(\r\n    1)\r\nasync def f(a,\r    b):\r\n"
            "    x = '''one\r\ntwo\rthree\nfour'''  # note\n    return \\\n        x\n\n\n"
            "class C(\n  Base):  pass\n")
    assert_text_positions_are_libcsts(text, "mixed line breaks")


def fleet_files(fleet: str = "*") -> list[Path]:
    return sorted(p for p in ROOT.glob(f"examples/{fleet}/services/**/*.py") if "__pycache__" not in p.parts)


def test_positions_are_libcsts_on_the_second_fleet():
    """ParsedModule resolves PositionProvider without the idle whole-file pass libcst adds around it."""
    paths = fleet_files("second-fleet")
    assert len(paths) > 40
    assert_positions_are_libcsts(paths)


@pytest.mark.slow
def test_positions_are_libcsts_on_both_fleets():
    assert_positions_are_libcsts(fleet_files())


class _NameLoadsByVisitor(cst.CSTVisitor):
    """The import editor's question asked through libcst's own traversal: loads of a plain name outside
    imports, attribute names and keyword names."""

    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.count += node.value == self.name


def test_the_import_editors_unused_check_agrees_with_a_libcst_visitor_on_the_examples():
    from bot.change.import_editor import _uses

    checked = 0
    for path in fleet_files("second-fleet") + [p for p in corpus_files() if "/fixtures/" in p.as_posix()][:100]:
        tree = parsed_or_none(path)
        if tree is None:
            continue
        names = {n.value for n in ParsedModule("m.py", "m", "", "", tree).nodes if isinstance(n, cst.Name)}
        for name in sorted(names)[::4][:8] + ["not_a_name_here"]:
            visitor = _NameLoadsByVisitor(name)
            tree.visit(visitor)
            assert _uses(tree, name) == bool(visitor.count), (path, name)
            checked += 1
    assert checked > 600
