"""PA007, PA008: the asyncio mode the suite runs in and the keys of the configuration pytest reads for the service
(bot.declared.pytest_config); a mode a conftest.py hook sets (`config.option.asyncio_mode`) beats that file.

Both edit one ConfigEditor in turn (then PA006 adds the test loop scope): keys are written in that order, and
the PR's notes on the configuration come in that order too. A configuration above the service is shared with
other services: what it needs is listed, never written nor copied into the service (it would shadow the rest)."""
from __future__ import annotations

from bot.change.rule import REWRITE, Invalid, Valid

from .config_keys import FIXTURE_SCOPE_KEY
from .pytest_rule import PytestRule

_CONFTEST_AUTO = "def pytest_configure(config):\n    config.option.asyncio_mode = \"auto\"\n"
_STRICT_NOTE = ("Switched {path} to strict mode: every async test now carries @pytest.mark.asyncio and every async "
                "fixture uses @pytest_asyncio.fixture (pytest >= 8.4 fails an unmarked async test; pytest 8.3 would "
                "silently skip it).")


class StrictModeConfig(PytestRule):
    ID = "PA007"
    KIND = REWRITE
    MESSAGE = ("strict mode: asyncio_mode / --asyncio-mode in addopts switched from auto to strict in the config "
               "file pytest reads")
    APPLIED = "switched asyncio mode from auto to strict"
    VALID = [Valid({"pytest.ini": "[pytest]\nasyncio_mode = strict\n"}),
             Valid({"pytest.ini": "[pytest]\nasyncio_mode = auto\n"}, options={"mode": "auto"}, name="auto mode kept")]
    INVALID = [
        Invalid({"pytest.ini": "[pytest]\nasyncio_mode = auto\n"},
                after={"pytest.ini": "[pytest]\nasyncio_mode = strict\n"}),
        Invalid({"pyproject.toml": "[tool.pytest.ini_options]\naddopts = \"-ra --asyncio-mode=auto\"\n"},
                after={"pyproject.toml": "[tool.pytest.ini_options]\naddopts = \"-ra --asyncio-mode=strict\"\n"},
                name="addopts in pyproject.toml"),
        Invalid({"pytest.ini": "[pytest]\naddopts =\n    --asyncio-mode\n    auto\n"}, items=[("pytest.ini", 3)],
                name="an addopts form the bot does not edit"),
        Invalid({"../pytest.ini": "[pytest]\nasyncio_mode = auto\n"}, items=[("../pytest.ini", 2)],
                name="a config above the service, shared: listed, not written"),
        Invalid({"tests/conftest.py": _CONFTEST_AUTO}, after={"tests/conftest.py": _CONFTEST_AUTO.replace("auto", "strict")},
                name="auto mode set in a conftest hook, which beats the configuration file"),
        Invalid({"tests/conftest.py": "import os\n\n\ndef pytest_configure(config):\n"
                                      "    config.option.asyncio_mode = os.environ['ASYNCIO_MODE']\n"},
                items=[("tests/conftest.py", 5)], name="a mode set at run time the bot cannot read"),
        Invalid({"pytest.ini": "[pytest]\nasyncio_mode = auto\n", "tests/test_b.py": "async def test_b(:\n    pass\n"},
                items=[("pytest.ini", 2)], name="no half migration: a test file it cannot parse keeps auto mode"),
    ]

    def end_service(self) -> None:
        suite = self.suite
        unreadable = [path for path, _ in self.run.unparsable]
        if suite.current_mode == "unknown":
            for assignment in suite.runtime:
                if assignment.mode is None:
                    with self.at(assignment.path):
                        self.report_line(assignment.value, "the asyncio mode is set here at run time, which beats the "
                                         "configuration file; the bot cannot tell which mode the suite runs in",
                                         'config.option.asyncio_mode = "strict" (async tests are marked and async '
                                         "fixtures moved: the suite is ready for it)")
        elif suite.mode == "strict" and suite.current_mode == "auto":
            if unreadable:
                self._keep_auto(unreadable)
            else:
                self._switch_to_strict()
        self._note_mode(unreadable)

    def _switch_to_strict(self) -> None:
        """Every place that says auto: a conftest hook's assignment (it wins) and the configuration file."""
        suite = self.suite
        for assignment in suite.runtime:
            if assignment.mode == "auto" and assignment.literal is not None:
                with self.at(assignment.path):
                    self.replace_string(assignment.literal, "strict")
        if suite.config_mode != "auto":
            return
        editor, config = self.config_editor, suite.config
        since = len(editor.edits)
        switched = editor.switch_addopts_mode("strict")
        if (editor.get("asyncio_mode") or "").strip() == "auto":
            editor.set("asyncio_mode", "strict")
            switched += 1
        if switched:
            self.write_config(since, switched, self.APPLIED)
        else:
            lines = self.files.get(config.path, "").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if "asyncio-mode" in text), 1)
            self.report_at(config.path, line, lines[line - 1].strip() if line <= len(lines) else "",
                           "auto mode is set in addopts in a form the bot does not edit",
                           "replace --asyncio-mode=auto with --asyncio-mode=strict")

    def _keep_auto(self, unreadable: list[str]) -> None:
        """No half migration: strict mode skips (pytest 8.3) or fails (8.4) an async test without its marker, and
        the tests of a file the bot cannot read were not marked: the suite stays in auto mode, listed."""
        reason = (f"kept in auto mode: {', '.join(unreadable)} cannot be parsed (PA011), so its async tests may lack "
                  "@pytest.mark.asyncio, which strict mode would skip (pytest 8.3) or fail (pytest >= 8.4)")
        for assignment in self.suite.runtime:
            if assignment.mode == "auto":
                with self.at(assignment.path):
                    self.report_line(assignment.value, reason, 'config.option.asyncio_mode = "strict", once those '
                                                               "files are migrated")
        if self.suite.config_mode == "auto":
            config = self.suite.config
            lines = self.files.get(config.path, "").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if "asyncio-mode" in text or "asyncio_mode" in text), 1)
            self.report_at(config.path, line, lines[line - 1].strip() if line <= len(lines) else "", reason,
                           "asyncio_mode = strict, once those files are migrated")

    def _note_mode(self, unreadable: list[str]) -> None:
        suite = self.suite
        config = suite.config
        runtime = sorted({a.path for a in suite.runtime})
        if suite.current_mode == "unknown":
            self.note(f"The suite sets its asyncio mode at run time in {', '.join(runtime)} (listed): async tests now "
                      "carry @pytest.mark.asyncio and async fixtures use @pytest_asyncio.fixture, which either mode "
                      "accepts.")
        elif suite.current_mode != "auto":
            self.note("The suite already ran in strict mode; async tests and fixtures were checked for markers and "
                      "@pytest_asyncio.fixture.")
            marked = self.files_with("PA001")
            if marked:
                self.note(f"{marked} async test(s) had no asyncio marker: pytest 8.3 skipped them silently, so they "
                          "run now for the first time.")
        elif suite.mode == "strict" and unreadable:
            self.note(f"The suite stays in auto mode: {', '.join(unreadable)} cannot be parsed, so its async tests "
                      "could not be marked (listed). The async tests and fixtures the bot read now carry "
                      "@pytest.mark.asyncio and @pytest_asyncio.fixture, ready for strict mode.")
        elif suite.mode == "strict" and config.shared and not runtime:
            self.note(f"The suite runs in auto mode, set in {config.path}, which pytest reads for this service and other "
                      "services share: it stays auto (switching it is listed). Async tests now carry "
                      "@pytest.mark.asyncio and async fixtures use @pytest_asyncio.fixture, so the service is ready "
                      "for strict mode.")
        elif suite.mode == "strict":
            where = [*runtime, *([config.path] if suite.config_mode == "auto" and not config.shared else [])]
            self.note(_STRICT_NOTE.format(path=" and ".join(where)))
        else:
            self.note("Kept asyncio_mode = auto (recipe option mode = \"auto\"): unmarked async tests and async "
                      "@pytest.fixture functions keep working in 1.3.0.")


class DefaultFixtureLoopScope(PytestRule):
    ID = "PA008"
    KIND = REWRITE
    MESSAGE = "asyncio_default_fixture_loop_scope set in the config file pytest reads"
    AFTER = {"PA007": f"{FIXTURE_SCOPE_KEY} is written below the mode PA007 switched, and the notes on the "
                      "configuration follow the note on the mode"}
    VALID = [Valid({"pytest.ini": f"[pytest]\n{FIXTURE_SCOPE_KEY} = function\n"})]
    INVALID = [
        Invalid({"pytest.ini": "[pytest]\nasyncio_mode = auto\n"},
                after={"pytest.ini": f"[pytest]\nasyncio_mode = auto\n{FIXTURE_SCOPE_KEY} = function\n"}),
        Invalid({"tox.ini": "[tox]\nenvlist = py311\n"},
                after={"pytest.ini": f"[pytest]\n{FIXTURE_SCOPE_KEY} = function\n"},
                name="no configuration: a new pytest.ini (a tox.ini without [pytest] is not one)"),
        Invalid({"pyproject.toml": "[project]\nname = \"api\"\n"},
                after={"pyproject.toml": f"[project]\nname = \"api\"\n\n[tool.pytest.ini_options]\n"
                                         f"{FIXTURE_SCOPE_KEY} = \"function\"\n"},
                name="no configuration: the pyproject.toml pytest falls back to"),
    ]

    def end_service(self) -> None:
        suite, editor = self.suite, self.config_editor
        config = suite.config
        scope = self.loop_plan.loop_scope or "function"
        if editor.get(FIXTURE_SCOPE_KEY) is None:
            since = len(editor.edits)
            editor.set(FIXTURE_SCOPE_KEY, scope)
            self.write_config(since, 1, f"set {FIXTURE_SCOPE_KEY} = {scope}")
        if not config.exists:
            self.note(f"No pytest configuration existed; the options were written to {config.path}.")
        if config.ignored:
            self.note(f"pytest reads {config.path}, so the pytest settings in {', '.join(config.ignored)} are ignored "
                      "by pytest; they were left unchanged.")
