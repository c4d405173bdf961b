"""The base the recipe's rules share: the suite's facts, the current file as pytest sees it, the event_loop plan and
the one editor of the pytest configuration, each computed once per service run."""
from __future__ import annotations

import libcst as cst

from bot.change.rule import Rule

from .config_keys import ConfigEditor
from .loop_override import OverridePlan, override_plan
from .suite import PytestFile, Suite, pytest_file, suite

SHARED_CONFIG_REASON = (
    "pytest reads this file for the service; it lies above the service folder, shared by every test run below its "
    "folder: the bot does not change it from one service's PR, nor copies it into the service (that would shadow its "
    "other settings); change it once every service below it is migrated")


def config_editor(run) -> ConfigEditor:
    """One editor of the config in force for the whole run: the config rules edit it in turn (PA007, PA008, PA006)."""
    return ConfigEditor(run.source.files, run.fact(suite, run).config)


class PytestRule(Rule):
    @property
    def suite(self) -> Suite:
        return self.fact(suite, self.run)

    @property
    def pytest_file(self) -> PytestFile:
        return self.fact(pytest_file, self.run, self.parsed)

    @property
    def loop_plan(self) -> OverridePlan:
        return self.fact(override_plan, self.run)

    @property
    def config_editor(self) -> ConfigEditor:
        return self.fact(config_editor, self.run)

    def report_line(self, node: cst.CSTNode, reason: str, suggestion: str | None = None) -> None:
        """A manual item quoting the whole line the node starts on (a `def` line, a decorator line)."""
        self.report(node, reason, suggestion, code=self.pytest_file.line_text(node))

    def sites(self, rule_id: str) -> int:
        """Rewritten sites a rule counted so far in this service run (notes depend on them)."""
        return sum(n for (_, rule, _), n in self.run.applied.items() if rule == rule_id)

    def files_with(self, rule_id: str) -> int:
        """Files in which a rule rewrote something so far in this service run."""
        return len({path for (path, rule, _), n in self.run.applied.items() if rule == rule_id and n})

    def write_config(self, since: int, count: int, description: str) -> None:
        """The config in force gets the editor's text (`count` sites of this rule); a config shared with other
        services is never written: each edit this rule made (editor.edits[since:]) is listed instead."""
        config, editor = self.suite.config, self.config_editor
        if not config.shared:
            self.set_text(config.path, editor.text(), count=count, description=description)
            return
        lines = self.files.get(config.path, "").splitlines()
        for key, wanted in editor.edits[since:]:
            line = editor.line_of(key)
            self.report_at(config.path, line, lines[line - 1].strip() if 0 < line <= len(lines) else "",
                           SHARED_CONFIG_REASON, wanted)
