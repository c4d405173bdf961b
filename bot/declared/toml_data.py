"""The data of a TOML file the bot only reads (a recipe's recipe.toml and migration.toml, a configuration, a
pyproject.toml it inspects): files it edits keep going through tomlkit, which keeps their formatting.

The standard library's reader (Python 3.11+) is about 10x faster than tomlkit, which builds a formatting-aware
document only for `unwrap()` to throw it away; a first run reads a dozen such files. A document it refuses is
read again by tomlkit, so a broken file fails with tomlkit's exception and message, as it always did."""
from __future__ import annotations

import tomlkit

try:
    from tomllib import TOMLDecodeError, loads
except ModuleNotFoundError:  # Python 3.10: tomlkit alone
    loads = None


def read_toml(text: str) -> dict:
    """The document's data as plain Python values (what `tomlkit.parse(text).unwrap()` gives)."""
    if loads is not None:
        try:
            return loads(text)
        except TOMLDecodeError:
            pass  # tomlkit raises the error this file always raised
    return tomlkit.parse(text).unwrap()
