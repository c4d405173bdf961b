"""Where recipe folders are found, in override order (a later source's recipe replaces an earlier one's of
the same id): the bundled recipes, then the packages installed beside the bot that register recipes in
the entry-point group `upgrade_bot.recipes`, then the repository's own `recipe-dirs` (bot.config).

A team ships recipes as a package by naming, in that group, a package of its own whose sub-folders are
recipe folders (recipe.toml, the codemod module, fixtures/), shipped as package data:

    [project.entry-points."upgrade_bot.recipes"]
    acme = "acme_upgrade_recipes"

Finding a package's folder imports it (its __init__ should do nothing); its codemods are imported when
their first job runs, as for any recipe. An entry point that does not resolve is reported, never skipped
in silence, and the other sources still load."""
from __future__ import annotations

import functools
import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bundled import bundled

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "upgrade_bot.recipes"


@dataclass(frozen=True)
class RecipeSource:
    """A folder holding recipe folders, and where it comes from."""

    folder: Path  # holds recipe folders
    origin: str  # shown by `recipes list`: "bundled", "acme-recipes 1.2 (entry point acme)", "recipe-dirs"


@dataclass(frozen=True)
class BrokenSource:
    """A registered recipe package that does not load, and why."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@functools.cache
def installed_sources() -> tuple[tuple[RecipeSource, ...], tuple[BrokenSource, ...]]:
    """The bundled recipes and every registered package's, once per process."""
    sources, broken = [RecipeSource(bundled("recipes"), "bundled")], []
    for entry in sorted(_registered_entry_points(), key=_order):
        origin = _origin(entry)
        try:
            sources += [RecipeSource(folder, origin) for folder in _package_folders(entry)]
        except _NotAPackage as exc:
            broken.append(BrokenSource(origin, str(exc)))
    return tuple(sources), tuple(broken)


def installed_recipe_dirs() -> tuple[Path, ...]:
    return tuple(source.folder for source in installed_sources()[0])


def _registered_entry_points() -> list[EntryPoint]:
    if not _may_register_recipes():
        return []
    from importlib.metadata import entry_points
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _may_register_recipes() -> bool:
    """False when no distribution on sys.path can register recipes; True when one may.

    Importing importlib.metadata (it pulls in the email package) and scanning with it costs ~15 ms of CPU, a
    tenth of the bot's own start, and nearly every installation registers no recipes. So this looks first,
    as importlib.metadata's path finder does, at each sys.path folder's *.dist-info and *.egg-info
    entry_points.txt: only a file that names the group can register recipes. It answers True for whatever it
    cannot judge that way (a zip or egg on sys.path, a finder on sys.meta_path that lists distributions of
    its own), and importlib.metadata then decides: never a registered package missed, at worst a scan spent."""
    from importlib.machinery import PathFinder
    if any(getattr(finder, "find_distributions", None) for finder in sys.meta_path if finder is not PathFinder):
        return True
    group = ENTRY_POINT_GROUP.encode()
    for root in sys.path:
        if not isinstance(root, str) or root.lower().endswith(".egg"):
            return True
        try:
            names = os.listdir(root or ".")
        except NotADirectoryError:  # a zip archive
            return True
        except OSError:  # a folder that is gone or unreadable: importlib.metadata finds nothing there either
            continue
        for name in names:
            if name.lower().endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(root or ".", name, "entry_points.txt"), "rb") as file:
                        if group in file.read():
                            return True
                except OSError:  # none, or an .egg-info that is a file
                    continue
    return False


class _NotAPackage(Exception):
    pass


def _package_folders(entry: EntryPoint) -> list[Path]:
    if entry.attr:
        raise _NotAPackage(f"{entry.value!r} must name a package (its folders are the recipes), not an object in it")
    try:
        module = importlib.import_module(entry.module)
    except Exception as exc:  # a broken plugin is reported; the bundled recipes still load
        raise _NotAPackage(f"cannot import {entry.module}: {type(exc).__name__}: {exc}") from None
    folders = [Path(p) for p in getattr(module, "__path__", ())]
    if not folders:
        raise _NotAPackage(f"{entry.module} is a module, not a package holding recipe folders")
    return folders


def _order(entry: EntryPoint) -> tuple[str, str]:
    return (entry.dist.name if entry.dist else "", entry.name)


def _origin(entry: EntryPoint) -> str:
    dist = f"{entry.dist.name} {entry.dist.version}, " if entry.dist else ""
    return f"{dist}entry point {entry.name}"


def no_recipes_found(extra_dirs: tuple[Path, ...]) -> str:
    """Where the bot looked, for the one-line error when it found no recipe at all."""
    bundled_dir = bundled("recipes")
    places = [f"the bundled folder {bundled_dir} {'has none' if bundled_dir.is_dir() else 'is missing (a broken installation?)'}",
              f"no installed package registers any in entry-point group {ENTRY_POINT_GROUP!r}"]
    places.append(f"recipe-dirs ({', '.join(map(str, extra_dirs))}) hold none" if extra_dirs
                  else "the configuration sets no recipe-dirs")
    return "no recipes found: " + "; ".join(places)


def recipe_origins(repo_dirs: tuple[Path, ...]) -> dict[Path, str]:
    """Folder holding recipes -> where it comes from, as `recipes list` shows it."""
    origins = {source.folder: source.origin for source in installed_sources()[0]}
    origins.update({folder: f"recipe-dirs {folder}" for folder in repo_dirs})
    return origins
