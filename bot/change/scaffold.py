"""`upgrade-bot recipes new ID`: a working skeleton recipe in the rule form, which passes `recipes test` as
written: recipe.toml, codemod.py (one rule with its examples, and the registry), a fixture that changes a
file and one that changes nothing. Pure text generation plus the writing of a new folder."""
from __future__ import annotations

import re
from pathlib import Path

from bot.errors import UsageError

_RECIPE_ID = re.compile(r"^(?P<package>[a-z0-9][a-z0-9._-]*?)-(?P<version>[0-9][0-9a-z.]*)$")

RECIPE_TOML = '''\
[recipe]
title = "Upgrade {package} to {version}"
package = "{package}"
version = "{version}"
imports = ["{module}"]
codemod = "codemod.py:{camel}Codemod"
summary = "{package} {version} renames old_function to new_function."
risk = [
    "Say here, one line each, what a reviewer must check first.",
]

[[requirements]]
action = "set"
package = "{package}"
spec = "=={version}"
'''

CODEMOD_PY = '''\
"""{package} -> {version}: the rules of this recipe (how to write them: docs/recipes.md in upgrade-bot)."""
from __future__ import annotations

import libcst as cst

from bot.change.engine import RuleCodemod
from bot.change.rule import REWRITE, Invalid, Rule, Valid


class RenameOldFunction(Rule):
    ID = "{prefix}001"
    KIND = REWRITE
    MESSAGE = "{module}.old_function -> {module}.new_function ({version} renamed it)"
    VALID = [
        Valid("""
            import {module}
            {module}.new_function()
            """, name="already renamed"),
        Valid("""
            import other
            other.old_function()
            """, name="another package's old_function"),
    ]
    INVALID = [
        Invalid("""
            import {module}
            {module}.old_function()
            """, after="""
            import {module}
            {module}.new_function()
            """),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.analysis.names_of(self.parsed, node) == {{"{module}.old_function"}}:
            self.rename(node.attr, "new_function")


class {camel}Codemod(RuleCodemod):
    MENTIONS = ("{module}",)  # files that never mention it are not even parsed
    RULES = (RenameOldFunction,)
'''

BEFORE = '''\
import {module}


def run():
    return {module}.old_function()
'''

UNCHANGED = '''\
import {module}


def run():
    return {module}.new_function()
'''


def skeleton(recipe_id: str) -> dict[str, str]:
    """Relative path -> text of a new recipe named `recipe_id` ("<package>-<version>")."""
    match = _RECIPE_ID.match(recipe_id)
    if match is None:
        raise UsageError(f"recipe id {recipe_id!r} must look like <package>-<version> in lowercase "
                         "(e.g. requests-3.0): it names the folder, the branches and the PRs")
    package, version = match["package"], match["version"]
    module = re.sub(r"[^a-z0-9_]", "_", package)
    values = {"package": package, "version": version, "module": module,
              "camel": "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", package) if part),
              "prefix": (re.sub(r"[^a-z]", "", package)[:3] or "rul").upper()}
    return {
        "recipe.toml": RECIPE_TOML.format(**values),
        "codemod.py": CODEMOD_PY.format(**values),
        "fixtures/rename/before/app/main.py": BEFORE.format(**values),
        "fixtures/rename/after/app/main.py": UNCHANGED.format(**values),
        "fixtures/unchanged-already-renamed/before/app/main.py": UNCHANGED.format(**values),
    }


def write_skeleton(parent: Path, recipe_id: str) -> Path:
    """parent/recipe_id with the skeleton's files; refuses to touch an existing folder."""
    files = skeleton(recipe_id)
    folder = parent / recipe_id
    if folder.exists():
        raise UsageError(f"{folder}: already exists; choose another id or remove it")
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
