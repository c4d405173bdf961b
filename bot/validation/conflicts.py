"""Why the migrated package does not import on the branch, and a constraint that fixes it, checked.

The branch's environment can resolve and still not import: a transitive release built for numpy 2 installed
beside the service's `numpy<2` pin (its metadata does not say so). The probe's traceback names the
distributions it went through; the innermost one that is not the migrated package is the likely culprit.
For it (and the next one), the constraint "below the installed release" is tried for real: the environment
is resolved again with it and the import probed again. Only a constraint that made it import is suggested
as checked."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from packaging.utils import canonicalize_name

from bot.validation.envs import EnvBuildError, ExpandedRequirements
from bot.validation.import_probe import ProbeResult

MAX_CONSTRAINTS_TRIED = 2


@dataclass(frozen=True)
class Diagnosis:
    """Why the migrated package does not import on the branch, and the constraints tried."""

    distribution: str  # the migrated distribution that does not import, with its version
    module: str
    error: str
    culprit: str = ""  # "arrowish 2.0": where the error was raised, when it is not the migrated package
    pulled_by: tuple[str, ...] = ()  # who requires the culprit ("widgets 2.0")
    beside: tuple[str, ...] = ()  # the service's own declarations the error names ("`numbers-lib<2` (requirements.txt)")
    constraint: str = ""  # a constraint that made it import, checked
    resolved: str = ""  # what the culprit resolved to with it ("arrowish 1.0")
    tried: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (constraint, why it did not help)
    on_base: str = ""  # the culprit's version on the base ("" when it was not installed there)

    def describe(self) -> str:
        text = (f"**The new dependency tree does not import**: `import {self.module}` ({self.distribution}) fails on "
                f"this branch: `{self.error}`")
        if self.culprit:
            text += f", raised in {self.culprit}"
            if self.pulled_by:
                text += f" (required by {', '.join(self.pulled_by)})"
            text += "; on the base it was " + (f"{self.on_base}" if self.on_base else "not installed")
        if self.beside:
            text += f"; the service declares {', '.join(self.beside)}"
        text += "."
        if self.constraint:
            text += (f" Adding the constraint `{self.constraint}` fixes it: checked, the environment resolves with it "
                     f"({self.resolved}) and `{self.module}` imports.")
        elif self.tried:
            tried = "; ".join(f"`{c}`: {why}" for c, why in self.tried)
            text += f" No single constraint fixed it (tried {tried})."
        else:
            text += " No constraint to suggest: the error is raised in the migrated package itself."
        return text


def diagnose(probe: ProbeResult, migrated: list[str], declared: ExpandedRequirements,
             retry: Callable[[str], ProbeResult]) -> Diagnosis:
    """retry(constraint): the import probe in the same environment resolved again with that constraint."""
    wanted = {canonicalize_name(name) for name in migrated}
    owner = next((name for name in probe.culprits if name in wanted), next(iter(sorted(wanted)), ""))
    distribution = f"{owner} {probe.installed.get(owner, '')}".strip()
    candidates = [name for name in probe.culprits if name not in wanted][:MAX_CONSTRAINTS_TRIED]
    beside = _declared_in_error(probe.error, declared, exclude=wanted | set(candidates[:1]))
    if not candidates:
        return Diagnosis(distribution, probe.module, probe.error, beside=beside)
    culprit = candidates[0]
    pulled_by = tuple(f"{name} {probe.installed.get(name, '')}".strip()
                      for name in sorted(probe.required_by.get(culprit, [])))
    tried: list[tuple[str, str]] = []
    for name in candidates:
        constraint = f"{name}<{probe.installed[name]}"
        try:
            again = retry(constraint)
        except EnvBuildError as error:
            tried.append((constraint, f"the environment does not resolve with it ({error.reason[:200]})"))
            continue
        if again.ok:
            return Diagnosis(distribution, probe.module, probe.error, f"{culprit} {probe.installed[culprit]}", pulled_by,
                             beside, constraint, f"{name} {again.installed.get(name, 'not installed')}", tuple(tried))
        tried.append((constraint, f"still fails: `{again.error[:200]}`"))
    return Diagnosis(distribution, probe.module, probe.error, f"{culprit} {probe.installed[culprit]}", pulled_by,
                     beside, tried=tuple(tried))


def _declared_in_error(error: str, declared: ExpandedRequirements, exclude: set[str]) -> tuple[str, ...]:
    """The service's own requirements on packages the error message names ("numbers-lib<2")."""
    words = {canonicalize_name(word) for word in re.findall(r"[A-Za-z][A-Za-z0-9._-]*", error)}
    found = []
    for line in declared.requirements + declared.constraints:
        name = line.package_name
        if name and name in words and name not in exclude:
            found.append(f"`{line.text}` ({line.origin.name})")
    return tuple(dict.fromkeys(found))
