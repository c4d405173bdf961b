"""Runs a recipe's before/after/unchanged fixtures: `upgrade-bot recipes test` and the generic test."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.change.recipe import Recipe
from bot.model import ManualItem, ServiceSource
from bot.declared.toml_data import read_toml


@dataclass
class FixtureOutcome:
    """One fixture case of a recipe, and what `recipes test` found wrong with it."""

    recipe: str
    case: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def fixture_cases(recipe: Recipe) -> list[Path]:
    root = recipe.folder / "fixtures"
    return sorted(p for p in root.iterdir() if (p / "before").is_dir()) if root.is_dir() else []


def read_tree(root: Path) -> dict[str, str]:
    """A fixture tree as files (path -> text), without the __pycache__ that `python -m compileall` leaves in it."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def run_case(recipe: Recipe, case: Path) -> FixtureOutcome:
    """A fixture holds when the output is exactly after/ (before/ without after/), the manual items are
    exactly case.toml's [[manual]] (rule, file, line; none when it lists none), and a second run changes
    nothing. Problems carry a diff of what was expected against what came out."""
    settings = {}
    if (case / "case.toml").is_file():
        settings = read_toml((case / "case.toml").read_text(encoding="utf-8"))
    codemod = recipe.codemod(settings.get("options"))
    before = read_tree(case / "before")
    # after/ holds only the files the recipe changes; every other file must come out as it went in
    expected = {**before, **read_tree(case / "after")} if (case / "after").is_dir() else before
    problems = []
    try:
        result = codemod.migrate(ServiceSource(case.name, before))
    except Exception as exc:  # a crashing codemod is a failed case, reported with its reason
        return FixtureOutcome(recipe.id, case.name, [f"codemod raised {type(exc).__name__}: {exc}"])
    got = {**before, **result.changed}
    for path in sorted(set(expected) | set(got)):
        if got.get(path) != expected.get(path):
            what = "after" if (case / "after").is_dir() else "before (unchanged case)"
            problems.append(f"{path}: output differs from {what}\n"
                            f"{text_diff(expected.get(path, ''), got.get(path, ''), path)}")
    for path, text in result.changed.items():
        if before.get(path) == text:
            problems.append(f"{path}: reported as changed but its text is identical")
    problems += manual_item_problems(settings.get("manual", []), result.manual)
    again = codemod.migrate(ServiceSource(case.name, got))
    if again.changed:
        problems.append(f"not idempotent: a second run changes {', '.join(sorted(again.changed))}")
    return FixtureOutcome(recipe.id, case.name, problems)


def manual_item_problems(wanted: list[dict], items: list[ManualItem]) -> list[str]:
    """The items a case expects against those listed, exactly (as a multiset of rule, file, line)."""
    expected = sorted((str(w.get("rule")), str(w.get("file")), int(w.get("line", 0))) for w in wanted)
    found = sorted((m.rule, m.file, m.line) for m in items)
    if expected == found:
        return []
    missing, extra = Counter(expected) - Counter(found), Counter(found) - Counter(expected)
    lines = [f"    - {rule} {file}:{line} (expected, not listed)" for rule, file, line in sorted(missing.elements())]
    reasons = {(m.rule, m.file, m.line): m for m in items}
    for key in sorted(extra.elements()):
        item = reasons[key]
        lines.append(f"    + {item.rule} {item.file}:{item.line} (listed, not expected): `{item.old_code}`: {item.reason}")
    return ["manual items differ from case.toml:\n" + "\n".join(lines)]


def run_fixtures(recipe: Recipe) -> list[FixtureOutcome]:
    return [run_case(recipe, case) for case in fixture_cases(recipe)]


def text_diff(expected: str, got: str, path: str) -> str:
    """A unified diff from what was expected to what came out, indented under its problem line."""
    lines = difflib.unified_diff(expected.splitlines(keepends=True), got.splitlines(keepends=True),
                                 f"expected/{path}", f"got/{path}")
    return "".join("    " + line if line.endswith("\n") else "    " + line + "\n" for line in lines).rstrip("\n")
