"""Runs the VALID and INVALID examples of a recipe's rules (`upgrade-bot recipes test`, the generic test).

Each example runs its rule alone (every other rule of the recipe disabled, except the rule's
EXAMPLES_WITH) on the example's files, with the recipe's default options and the example's own:
- VALID: no file changes, no rewritten site, no manual item (of any rule that ran);
- INVALID: the files become `after` (unchanged when after is None), the rule's manual items are exactly
  `items` (file and line) and its requirement edits exactly `requires`, at least one of these happens, and a
  second run changes nothing.
A rule without an INVALID example fails: an example is how a reader learns what the rule is for.
"""
from __future__ import annotations

from typing import Any, Mapping

from bot.change.fixtures import FixtureOutcome, text_diff
from bot.model import ServiceSource

from .engine import DISABLE_OPTION, RuleCodemod
from .rule import Invalid, Rule, Valid, example_files, requirement_text


def rule_example_outcomes(recipe) -> list[FixtureOutcome]:
    """One outcome per example of every rule of a recipe in the rule form; [] for any other recipe."""
    codemod_class = recipe.codemod_class
    if not issubclass(codemod_class, RuleCodemod):
        return []
    outcomes = []
    for rule in codemod_class.RULES:
        if not rule.INVALID:
            outcomes.append(FixtureOutcome(recipe.id, f"{rule.ID}", [f"{rule.ID} has no INVALID example: add one "
                                                                     "showing what it rewrites or lists"]))
        for index, example in enumerate([*rule.VALID, *rule.INVALID]):
            kind = "valid" if isinstance(example, Valid) else "invalid"
            number = index + 1 if kind == "valid" else index - len(rule.VALID) + 1
            label = f"{rule.ID} {kind} {example.name or number}"
            outcomes.append(FixtureOutcome(recipe.id, label,
                                           example_problems(codemod_class, recipe.default_options, rule, example)))
    return outcomes


def example_problems(codemod_class: type[RuleCodemod], defaults: Mapping[str, Any], rule: type[Rule],
                     example: Valid | Invalid) -> list[str]:
    others = [r.ID for r in codemod_class.RULES if r.ID != rule.ID and r.ID not in rule.EXAMPLES_WITH]
    codemod = codemod_class({**defaults, **example.options, DISABLE_OPTION: others})
    before = example_files(example.code)
    try:
        result = codemod.migrate(ServiceSource("example", before))
    except Exception as exc:  # a crashing rule is a failed example, with its reason
        return [f"raised {type(exc).__name__}: {exc}"]
    got = {**before, **result.changed}
    if isinstance(example, Valid):
        return [*_file_problems(before, got, before, "VALID: must stay unchanged"),
                *[f"VALID: rewrote {a.count} site(s) in {a.file} ({a.rule})" for a in result.applied],
                *[f"VALID: requires {requirement_text(e)}" for e in result.requirement_edits],
                *[f"VALID: listed {_item(m)}" for m in result.manual]]
    expected = {**before, **example_files(example.after)} if example.after is not None else before
    problems = _file_problems(before, got, expected, "INVALID: output differs from after" if example.after is not None
                              else "INVALID: must stay unchanged (no after=)")
    found = sorted((m.file, m.line) for m in result.manual if m.rule == rule.ID)
    wanted = example.expected_items()
    if found != wanted:
        problems.append(f"INVALID: {rule.ID} items at {_places(found) or 'none'}, expected {_places(wanted) or 'none'}"
                        + "".join(f"\n    got {_item(m)}" for m in result.manual if m.rule == rule.ID))
    required = [requirement_text(edit) for edit in result.requirement_edits]
    if required != list(example.requires):
        problems.append(f"INVALID: requirement edits {required or 'none'}, expected {list(example.requires) or 'none'}")
    if example.after is None and not wanted and not example.requires:
        problems.append("INVALID: shows nothing: give after= (the rewrite), items= (the lines listed) or requires= "
                        "(the requirement edits)")
    if example.after is not None and got == before:
        problems.append("INVALID: after= is the code unchanged; leave after out for a listing-only example")
    if not problems:
        again = codemod.migrate(ServiceSource("example", got))
        if again.changed:
            problems.append(f"INVALID: not idempotent: a second run changes {', '.join(sorted(again.changed))}")
    return problems


def _file_problems(before: dict[str, str], got: dict[str, str], expected: dict[str, str], what: str) -> list[str]:
    problems = []
    for path in sorted(set(expected) | set(got)):
        if got.get(path) != expected.get(path):
            problems.append(f"{path}: {what}\n{text_diff(expected.get(path, ''), got.get(path, ''), path)}")
    return problems


def _places(places: list[tuple[str, int]]) -> str:
    return ", ".join(f"{path}:{line}" for path, line in places)


def _item(item) -> str:
    return f"{item.rule} {item.file}:{item.line} `{item.old_code}`: {item.reason}"

