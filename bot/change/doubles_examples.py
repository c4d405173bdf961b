"""VALID/INVALID examples of the shared test-double rules, made from a recipe's own migration map.

Each recipe's copy of a shared rule is checked by `upgrade-bot recipes test` on its own map: a renamed name
is patched under its old name (and must come out under the new one), a renamed member is set on a mock of
its class, a changed keyword is expected by an assertion. A rule the map gives nothing to do is not bound.
"""
from __future__ import annotations

from bot.analysis.migration_map import CALL, MigrationMap, format_path

from .rule import Invalid, Valid

_HEADER = "from unittest import mock\n\n\ndef test_it():\n"
TEST_FILE = "tests/test_it.py"  # the shared rules read test files only


def examples_for(rule_id: str, mapping: MigrationMap) -> tuple[list[Valid], list[Invalid]] | None:
    """(VALID, INVALID) for the rule on this map, None when the map gives the rule nothing to act on."""
    return {"DBL001": _patch_targets, "DBL002": _members, "DBL003": _expectations}[rule_id](mapping)


def _renamed_names(mapping: MigrationMap) -> list[tuple[str, str]]:
    """(old, new) dotted names with a module part, from explicit entries and the classes the map lists."""
    found = []
    for klass in [*mapping.members, *mapping.inits]:  # a class first: what tests patch most
        new = mapping.new_name(klass)
        if new is not None and new != klass and (klass, new) not in found:
            found.append((klass, new))
    return found + [(old, new) for old, new in mapping.names.items()
                    if "." in old and old != new and (old, new) not in found]


def _patch(target: str, body: str, name: str = "patched") -> dict[str, str]:
    return {TEST_FILE: f'{_HEADER}    with mock.patch("{target}") as {name}:\n{body}'}


def _patch_targets(mapping: MigrationMap):
    renamed = _renamed_names(mapping)
    gone = [name for name in mapping.gone if "." in name]
    if not renamed and not gone:
        return None
    valid, invalid = [], []
    if renamed:
        old, new = renamed[0]
        valid.append(Valid(_patch(new, "        pass\n"), name="already the new name"))
        valid.append(Valid(_patch(f"elsewhere.{old.rsplit('.', 1)[-1]}", "        pass\n"),
                           name="another module's name"))
        invalid.append(Invalid(_patch(old, "        pass\n"), after=_patch(new, "        pass\n"),
                               name=f"{old} -> {new}"))
    if gone:
        invalid.append(Invalid(_patch(gone[0], "        pass\n"), items=[(TEST_FILE, 5)], name=f"{gone[0]} is gone"))
    return valid, invalid


def _member_example(mapping: MigrationMap, predicate):
    for klass, members in mapping.members.items():
        for change in members.values():
            if predicate(change) and CALL not in change.old:
                return klass, change
    return None


def _members(mapping: MigrationMap):
    renamed = _member_example(mapping, lambda c: c.renamed and CALL not in c.new)
    removed = _member_example(mapping, lambda c: c.removed)
    if renamed is None and removed is None:
        return None
    valid, invalid = [], []
    for found in (renamed, removed):
        if found is None:
            continue
        klass, change = found
        new_class = mapping.new_name(klass) or klass
        old_member = format_path(change.old)
        line = f"        patched.return_value.{old_member}.side_effect = OSError\n"
        if change.renamed:
            invalid.append(Invalid(_patch(klass, line), after=_patch(
                new_class, f"        patched.return_value.{format_path(change.new)}.side_effect = OSError\n"),
                name=f"{klass}: {old_member} -> {format_path(change.new)}"))
        else:
            invalid.append(Invalid(_patch(klass, line), after=_patch(new_class, line), items=[(TEST_FILE, 6)],
                                   name=f"{klass}: {old_member} removed"))
        if not valid:
            valid.append(Valid(_patch("elsewhere.Thing", line), name="a mock of another class"))
    return valid, invalid


def _expectations(mapping: MigrationMap):
    for klass, signature in mapping.inits.items():
        if signature.keywords:
            old, new = next(iter(signature.keywords.items()))
            return _expectation(mapping, klass, "", old, new)
    for klass, members in mapping.members.items():
        for change in members.values():
            if change.signature.keywords and change.new is not None and CALL not in change.old:
                old, new = next(iter(change.signature.keywords.items()))
                return _expectation(mapping, klass, format_path(change.old), old, new, format_path(change.new))
    return None


def _expectation(mapping: MigrationMap, klass: str, member: str, old: str, new: str, new_member: str = ""):
    new_class = mapping.new_name(klass) or klass
    mock = "patched" if not member else "patched.return_value.{}"

    def body(keyword: str, member_name: str) -> str:
        target = mock.format(member_name)
        return f"        {target}.assert_called_once_with({keyword}=1)\n"

    valid = [Valid(_patch("elsewhere.Thing", body(old, member)), name="an expectation on another mock")]
    invalid = [Invalid(_patch(klass, body(old, member)), after=_patch(new_class, body(new, new_member or member)),
                       name=f"{klass}{'.' + member if member else ''}({old}=) -> ({new}=)")]
    return valid, invalid
