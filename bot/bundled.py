"""The recipes, templates and example fleets that ship with the bot, as real folders.

The repository keeps them at its root (recipes/, templates/, examples/). A built wheel or sdist carries
them inside the package as bot/bundled/... (pyproject.toml maps them there at build time), and they are
read through importlib.resources. A source checkout (an editable install, or PYTHONPATH pointing at it)
has no bot/bundled/: there the root folders are the bundled ones, so an edited recipe or template takes
effect without a rebuild."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from bot.errors import UsageError

PACKAGED = "bundled"  # the folder inside the installed package holding recipes/, templates/, examples/


def bundled(name: str) -> Path:
    """The bundled folder `name` ("recipes", "templates", "examples/fleet"). It may be missing (a broken
    installation): callers that need it say which path they looked at."""
    package = files("bot")
    if not isinstance(package, Path):  # a zipped install: codemods, fixtures and fleets must be files
        raise UsageError(f"upgrade-bot is installed as {package}, which is not a folder: "
                         "install it unpacked (pip, pipx and uv tool install all do)")
    packaged = package.joinpath(PACKAGED, *name.split("/"))
    if packaged.is_dir() or not _is_source_checkout(package.parent):
        return packaged
    return package.parent.joinpath(*name.split("/"))


def _is_source_checkout(folder: Path) -> bool:
    """The bot's own repository, not site-packages (where another distribution may have left a
    top-level examples/ or templates/ folder)."""
    try:
        return 'name = "upgrade-bot"' in (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
