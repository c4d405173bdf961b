"""Runs a recipe's before/after/unchanged fixtures: `upgrade-bot recipes test` and the generic test."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from bot.change.recipe import Recipe
from bot.model import ServiceSource


@dataclass
class FixtureOutcome:
    recipe: str
    case: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def fixture_cases(recipe: Recipe) -> list[Path]:
    root = recipe.folder / "fixtures"
    return sorted(p for p in root.iterdir() if (p / "before").is_dir()) if root.is_dir() else []


def _read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def run_case(recipe: Recipe, case: Path) -> FixtureOutcome:
    settings = {}
    if (case / "case.toml").is_file():
        settings = tomlkit.parse((case / "case.toml").read_text(encoding="utf-8")).unwrap()
    codemod = recipe.codemod(settings.get("options"))
    before = _read_tree(case / "before")
    # after/ holds only the files the recipe changes; every other file must come out as it went in
    expected = {**before, **_read_tree(case / "after")} if (case / "after").is_dir() else before
    problems = []
    try:
        result = codemod.migrate(ServiceSource(case.name, before))
    except Exception as exc:  # a crashing codemod is a failed case, reported with its reason
        return FixtureOutcome(recipe.id, case.name, [f"codemod raised {type(exc).__name__}: {exc}"])
    got = {**before, **result.changed}
    for path in sorted(set(expected) | set(got)):
        if got.get(path) != expected.get(path):
            problems.append(f"{path}: output differs from {'after' if (case / 'after').is_dir() else 'before (unchanged case)'}")
    for path, text in result.changed.items():
        if before.get(path) == text:
            problems.append(f"{path}: reported as changed but its text is identical")
    found = {(m.rule, m.file, m.line) for m in result.manual}
    for want in settings.get("manual", []):
        key = (want.get("rule"), want.get("file"), want.get("line"))
        if key not in found:
            problems.append(f"missing manual item {key}; got {sorted(found)}")
    again = codemod.migrate(ServiceSource(case.name, got))
    if again.changed:
        problems.append(f"not idempotent: a second run changes {', '.join(sorted(again.changed))}")
    return FixtureOutcome(recipe.id, case.name, problems)


def run_fixtures(recipe: Recipe) -> list[FixtureOutcome]:
    return [run_case(recipe, case) for case in fixture_cases(recipe)]
