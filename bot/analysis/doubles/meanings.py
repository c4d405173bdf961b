"""What a dotted name (a patch target, `pkg.adapter.Client`) means before and after a run's edits.

Before: through the service's own imports as they are (`pkg.adapter.Client` -> `asyncio_mqtt.Client`).
After: through the imports as the recipe's edits leave them. The edited trees come from the caller (the
rule engine hands over what each file's edit plan produces), so this stays a pure question about trees:
a recipe that renamed `from influxdb_client import InfluxDBClient` to `... InfluxDBClient3` in
pkg/adapter.py makes `pkg.adapter.InfluxDBClient` vanish and `pkg.adapter.InfluxDBClient3` mean
`influxdb_client_3.InfluxDBClient3`.
"""
from __future__ import annotations

from typing import Callable

import libcst as cst

from ..names import module_name
from ..parsed import ParsedModule

_MAX_DEPTH = 8
Edited = Callable[[str], "cst.Module | None"]  # path -> the file as the run's edits leave it (None: unchanged)


class Meanings:
    """`analysis` is the service the rules edit; `original`, when given, the service before an earlier codemod
    changed it (another codemod ran first): names mean then what they meant in `original`."""

    def __init__(self, analysis, edited: Edited | None = None, original=None) -> None:
        self.analysis = analysis
        self.original = original or analysis
        self.edited = edited or (lambda path: None)
        self._after: dict[str, ParsedModule | None] = {}

    def module(self, dotted: str, after: bool) -> ParsedModule | None:
        if not after:
            return self.original.module_named(dotted)
        parsed = self.analysis.module_named(dotted)
        if parsed is None:
            return parsed
        if parsed.path not in self._after:
            tree = self.edited(parsed.path)
            self._after[parsed.path] = (ParsedModule(parsed.path, parsed.dotted, parsed.package, "", tree)
                                        if tree is not None else parsed)
        return self._after[parsed.path]

    def before(self, name: str) -> str:
        """The absolute name `name` denotes in the service as it is."""
        found = self.follow(name, after=False)
        return found if found is not None else name

    def after(self, name: str) -> str | None:
        """What `name` denotes once the run's edits are applied; None when a service module it goes through
        no longer binds the next part (the import was renamed or removed)."""
        return self.follow(name, after=True)

    def follow(self, name: str, after: bool, depth: int = 0) -> str | None:
        if depth > _MAX_DEPTH:
            return name
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.module(".".join(parts[:cut]), after)
            if owner is None:
                continue
            head = parts[cut]
            if head in owner.top_level:
                return name
            target = owner.import_bindings.get(head)
            if target is None:
                if self.analysis.module_named(".".join(parts[:cut + 1])) is not None:
                    continue  # a submodule of a service package
                return None
            return self.follow(".".join([target, *parts[cut + 1:]]), after, depth + 1)
        return name

    def bindings_after(self, dotted: str) -> dict[str, str]:
        """Top-level import bindings of a service module once edited: local name -> absolute target."""
        module = self.module(dotted, after=True)
        return dict(module.import_bindings) if module is not None else {}

    def spelling_for(self, owner: str, meaning: str) -> str | None:
        """`owner.<local>[.rest]` naming `meaning` through one of owner's imports after the edits (the
        binding naming it exactly first, then the one naming the longest enclosing module or class)."""
        best: tuple[int, str] | None = None
        for local in sorted(self.bindings_after(owner)):
            denoted = self.after(f"{owner}.{local}")
            if denoted is None:
                continue
            if denoted == meaning:
                return f"{owner}.{local}"
            if meaning.startswith(denoted + ".") and (best is None or len(denoted) > best[0]):
                best = (len(denoted), f"{owner}.{local}{meaning[len(denoted):]}")
        return best[1] if best else None

    def service_prefix(self, name: str) -> str | None:
        """The longest leading part of `name` that is a module of the service (None: a library name)."""
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if self.analysis.module_named(prefix) is not None:
                return prefix
        return None

    def service_still_imports(self, old: str, through_packages: bool = True) -> bool:
        """Some module of the service (tests aside) still imports `old` or something inside it, after the edits;
        through_packages: an import of a package holding `old` counts too (`import asyncio_mqtt` kept)."""
        from ..names import is_test_path

        for path in self.analysis.files_mentioning(old.split(".")[0]):
            if is_test_path(path):
                continue
            module = self.module(module_name(path)[0], after=True) if module_name(path)[0] else None
            if module is None:
                continue
            for target in module.import_bindings.values():
                if target == old or target.startswith(old + ".") or (through_packages and old.startswith(target + ".")):
                    return True
        return False
