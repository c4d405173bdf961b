"""widgets 1.x -> 2.0: the example recipe of docs/recipes.md (and the one the bot's own tests roll out).

widgets 2.0 renames `old_call` to `new_call` (WID001, rewritten) and drops `legacy()` (WID002, listed for a
human with the call that replaces it). Both rules match on what a name refers to, through the service's
imports (bot.analysis), so `import widgets as w; w.old_call()` is renamed and `gadgets.old_call()` is not.
"""
from __future__ import annotations

import libcst as cst

from bot.change.engine import RuleCodemod
from bot.change.rule import MANUAL, REWRITE, Invalid, Rule, Valid


class RenameOldCall(Rule):
    ID = "WID001"
    KIND = REWRITE
    MESSAGE = "widgets.old_call -> widgets.new_call"
    VALID = [
        Valid("import gadgets\ngadgets.old_call(1)\n", name="another package's old_call"),
        Valid("import widgets\nwidgets.new_call(1)\n", name="already renamed"),
    ]
    INVALID = [
        Invalid("import widgets\nwidgets.old_call(1)\n", after="import widgets\nwidgets.new_call(1)\n"),
        Invalid("import widgets as w\ncall = w.old_call\n", after="import widgets as w\ncall = w.new_call\n",
                name="an alias, not called"),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.analysis.names_of(self.parsed, node) == {"widgets.old_call"}:
            self.rename(node.attr, "new_call")


class FlagLegacy(Rule):
    ID = "WID002"
    KIND = MANUAL
    MESSAGE = "widgets.legacy() needs a human"
    VALID = [Valid("import widgets\nwidgets.legacy()\n", options={"flag_legacy": False}, name="option off")]
    INVALID = [Invalid("import widgets\n\nwidgets.legacy()\n", items=[3])]

    def visit_Call(self, node: cst.Call) -> None:
        if self.options["flag_legacy"] and self.analysis.names_of(self.parsed, node.func) == {"widgets.legacy"}:
            self.report(node, "legacy() was removed in 2.0", "widgets.new_call(mode='legacy')")


class WidgetsCodemod(RuleCodemod):
    MENTIONS = ("widgets",)
    RULES = (RenameOldCall, FlagLegacy)
