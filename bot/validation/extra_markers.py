"""A lock's dependency edge marker with its `extra == "..."` terms decided.

poetry.lock writes an optional dependency's edge as `aiohttp = {..., optional = true, markers = "extra == \"http\""}`:
the term names an extra of the package that depends on it. Walking the lock, the bot knows which extras were asked
for, so the term is true or false there; left in a pinned requirement line, an installer evaluates `extra` as ""
and the dependency never installs (`polars[pandas]` without pandas, `aio-fluid[http]` without aiohttp).

Markers are read with packaging's parsed form (`Marker._markers`): packaging offers no public way to evaluate some
variables and keep the others, and the other terms (python_version, sys_platform) must stay for the installer,
which knows the target Python."""
from __future__ import annotations

from collections.abc import Iterable

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name


def decide_extras(marker: str, extras: Iterable[str]) -> str | None:
    """The marker for the installer: "" when it always holds here, None when the edge is off, else the marker
    without its extra terms. `extras`: those asked for of the package the edge starts from."""
    if "extra" not in marker:
        return marker
    try:
        parsed = Marker(marker)._markers
    except InvalidMarker:
        return marker  # left as Poetry wrote it: the installer reports it
    decided = _expression(parsed, {canonicalize_name(name) for name in extras})
    if decided is True:
        return ""
    if decided is False:
        return None
    return decided


def _expression(items: list, extras: set[str]) -> bool | str:
    """A flat list `term (and|or) term ...`, `and` binding tighter than `or`, as packaging evaluates it."""
    alternatives: list[list] = [[]]
    for item in items:
        if item == "or":
            alternatives.append([])
        elif item != "and":
            alternatives[-1].append(item)
    kept: list[str] = []
    for terms in alternatives:
        conjunction = _conjunction([_term(term, extras) for term in terms])
        if conjunction is True:
            return True
        if conjunction is not False:
            kept.append(conjunction)
    if not kept:
        return False
    return kept[0] if len(kept) == 1 else " or ".join(f"({text})" for text in kept)


def _conjunction(decided: list[bool | str]) -> bool | str:
    if any(term is False for term in decided):
        return False
    kept = [term for term in decided if term is not True]
    if not kept:
        return True
    return kept[0] if len(kept) == 1 else " and ".join(f"({text})" for text in kept)


def _term(term: list | tuple, extras: set[str]) -> bool | str:
    if isinstance(term, list):
        return _expression(term, extras)
    left, op, right = term
    names = [side.value for side in (left, right) if type(side).__name__ == "Variable"]
    if names != ["extra"]:
        return f"{left.serialize()} {op.serialize()} {right.serialize()}"
    value = canonicalize_name((right if type(left).__name__ == "Variable" else left).value)
    if op.value == "==":
        return value in extras
    if op.value == "!=":
        return value not in extras
    return f"{left.serialize()} {op.serialize()} {right.serialize()}"  # `extra in "..."`: rare, left as written
