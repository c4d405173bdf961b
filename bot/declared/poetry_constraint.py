"""A Poetry constraint (`^1.2`, `~1.2`, `1.2.*`, a bare version) as a PEP 440 specifier. Pure."""
from __future__ import annotations

import re

_VERSION = re.compile(r"^\d+(\.\d+)*$")


def pep440(constraint: str) -> str:
    """A Poetry constraint as a PEP 440 specifier ("" for any version)."""
    parts = [p.strip() for p in re.split(r",|\s+(?=[<>=!~^])", constraint.strip()) if p.strip()]
    out = []
    for part in parts:
        if part in ("*", ""):
            continue
        if part.startswith("^") and _VERSION.match(part[1:]):
            out += [f">={part[1:]}", f"<{_caret_upper(part[1:])}"]
        elif part.startswith("~") and not part.startswith("~=") and _VERSION.match(part[1:]):
            release = [int(x) for x in part[1:].split(".")]
            upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
            out += [f">={part[1:]}", f"<{'.'.join(map(str, upper))}"]
        elif _VERSION.match(part) or (part.endswith(".*") and _VERSION.match(part[:-2])):
            out.append(f"=={part}")
        else:
            out.append(part)
    return ",".join(out)


def _caret_upper(version: str) -> str:
    release = [int(x) for x in version.split(".")]
    for i, number in enumerate(release):
        if number != 0 or i == len(release) - 1:
            return ".".join(map(str, release[:i] + [number + 1]))
    return version
