"""Running a service's checks (its pytest by default) in an env built by ``envs`` and reading per-test
outcomes from the junit XML pytest writes.

Each check runs with the service dir as cwd, in its own process group (a timeout kills everything it
started), with a minimal environment: nothing of the bot's virtualenv or PYTHONPATH leaks in, and
bytecode/pytest caches are not written into the service's worktree.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

OUTCOMES = ("passed", "failed", "error", "skipped")
MESSAGE_LINES = 5
MESSAGE_CHARS = 600
OUTPUT_TAIL_LINES = 40
OUTPUT_TAIL_CHARS = 4000
TERMINATE_GRACE_SECONDS = 2.0
# pytest's skip reasons for an async test that no plugin runs (8.x, then 7.x): the async plugin is broken.
ASYNC_NOT_RUN_REASONS = (
    "async def function and no async plugin installed",
    "async def functions are not natively supported",
)


@dataclass
class CheckSpec:
    """A command run in the service dir. Placeholders: ``{python}`` (the env's interpreter), ``{junit}``
    (where pytest should write its XML), ``{bin}`` (the env's scripts dir), ``{service}``."""

    name: str
    command: list[str]
    timeout: float = 600


DEFAULT_CHECKS = [
    CheckSpec(
        "pytest",
        [
            "{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml={junit}",
            # one module that no longer imports must not hide the outcomes of all the others
            "--continue-on-collection-errors",
        ],
    )
]


@dataclass
class TestOutcome:
    """One test's outcome in a check run."""

    __test__ = False  # not a pytest test class, despite the name

    test_id: str  # "tests/test_x.py::TestC::test_y"; a module that failed to collect is "tests/test_x.py"
    outcome: str  # passed | failed | error | skipped
    message: str = ""  # first lines of the failure, error or skip reason


@dataclass
class CheckRun:
    """One check run on one commit: how it ended, and each test's outcome."""

    name: str
    exit_code: int | None  # None when the check was killed on timeout
    timed_out: bool
    duration: float
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    output_tail: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.timed_out and self.exit_code == 0


def run_checks(
    service_dir: Path,
    python: Path,
    checks: Sequence[CheckSpec],
    env: Mapping[str, str] | None = None,
) -> list[CheckRun]:
    return [run_check(Path(service_dir), Path(python), check, env) for check in checks]


def run_check(service_dir: Path, python: Path, check: CheckSpec, env: Mapping[str, str] | None = None) -> CheckRun:
    run_dir = Path(tempfile.mkdtemp(prefix="upgrade-bot-check-"))
    try:
        junit = run_dir / "junit.xml"
        (run_dir / "tmp").mkdir()
        command = [_fill(part, python, junit, service_dir) for part in check.command]
        environment = check_environment(python, run_dir / "tmp", env)
        output_path = run_dir / "output.log"
        started = time.monotonic()
        exit_code, timed_out = _run_in_process_group(command, service_dir, environment, output_path, check.timeout)
        duration = time.monotonic() - started
        output = output_path.read_text(encoding="utf-8", errors="replace") if output_path.exists() else ""
        if timed_out:
            output += f"\n[upgrade-bot] {check.name} timed out after {check.timeout:g} s; its processes were killed\n"
        outcomes = parse_junit(junit, service_dir) if junit.exists() else {}
        return CheckRun(check.name, exit_code, timed_out, duration, outcomes, _tail(output))
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _fill(part: str, python: Path, junit: Path, service_dir: Path) -> str:
    # str.replace, not str.format: commands may hold braces of their own
    return (
        part.replace("{python}", str(python))
        .replace("{junit}", str(junit))
        .replace("{bin}", str(python.parent))
        .replace("{service}", str(service_dir))
    )


def check_environment(python: Path, tmp_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH (the env's scripts first, the bot's virtualenv removed), HOME, TMPDIR, LANG, plus ``extra``."""
    bot_scripts = _bot_virtualenv_scripts()
    inherited_path = [
        entry for entry in os.environ.get("PATH", os.defpath).split(os.pathsep)
        if entry and os.path.normpath(entry) not in bot_scripts
    ]
    environment = {
        "PATH": os.pathsep.join([str(python.parent), *inherited_path]),
        "HOME": os.environ.get("HOME", str(tmp_dir)),
        "TMPDIR": str(tmp_dir),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        # the worktree is committed from: keep __pycache__ out of it
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environment.update(extra or {})
    return environment


def _bot_virtualenv_scripts() -> set[str]:
    scripts = set()
    if sys.prefix != sys.base_prefix:
        scripts.add(os.path.normpath(os.path.join(sys.prefix, "Scripts" if os.name == "nt" else "bin")))
    if os.environ.get("VIRTUAL_ENV"):
        scripts.add(os.path.normpath(os.path.join(os.environ["VIRTUAL_ENV"], "bin")))
    return scripts


def _run_in_process_group(
    command: list[str], cwd: Path, environment: dict[str, str], output_path: Path, timeout: float
) -> tuple[int | None, bool]:
    # Output goes to a file, not a pipe: a grandchild that keeps a pipe open cannot hang us.
    with open(output_path, "wb") as output:
        try:
            process = subprocess.Popen(
                command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as error:
            output.write(f"[upgrade-bot] cannot start {command[0]}: {error}\n".encode())
            return 127, False
        try:
            exit_code: int | None = process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=TERMINATE_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            exit_code, timed_out = None, True
        # Servers or workers a test left behind must not outlive the check.
        _kill_group(process, signal.SIGKILL)
        process.wait()
        return exit_code, timed_out


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(output: str) -> str:
    lines = output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:]
    return "\n".join(lines)[-OUTPUT_TAIL_CHARS:]


# ---------------------------------------------------------------------------------------------------
# junit XML


_SEVERITY = {"passed": 0, "skipped": 1, "error": 2, "failed": 3}


def parse_junit(xml_path: Path, service_dir: Path) -> dict[str, TestOutcome]:
    """Outcomes by test id. A test reported twice (a teardown error after its call) keeps the worst."""
    try:
        root = ElementTree.parse(xml_path).getroot()
    except ElementTree.ParseError:  # killed while writing: no outcomes rather than wrong ones
        return {}
    outcomes: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        outcome = _case_outcome(case, Path(service_dir))
        known = outcomes.get(outcome.test_id)
        if known is None or _SEVERITY[outcome.outcome] > _SEVERITY[known.outcome]:
            outcomes[outcome.test_id] = outcome
    return outcomes


def _case_outcome(case: ElementTree.Element, service_dir: Path) -> TestOutcome:
    test_id = junit_test_id(case.get("classname", ""), case.get("name", ""), service_dir)
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            return TestOutcome(test_id, outcome, _message(element))
    return TestOutcome(test_id, "passed", "")


def junit_test_id(classname: str, name: str, service_dir: Path) -> str:
    """Rebuild pytest's node id from junit's mangled ``classname`` ("tests.test_x.TestC") and name.

    pytest replaces "/" by "." and drops ".py", so which dotted prefix is the module is found by looking
    for the file (relative to the service dir or, when pytest's rootdir was an ancestor, to that one).
    A module that failed to collect has an empty classname and the dotted module as name.
    """
    parts = classname.split(".") if classname else []
    if not parts:  # collection error: the node id is the module path itself
        module, rest = _split_module(name.split("."), service_dir)
        return module if not rest else "::".join([module, *rest])
    module, rest = _split_module(parts, service_dir)
    return "::".join([module, *rest, name])


def _split_module(parts: list[str], service_dir: Path) -> tuple[str, list[str]]:
    service_dir = service_dir.resolve()
    roots = [service_dir, *service_dir.parents]
    for length in range(len(parts), 0, -1):
        candidate = "/".join(parts[:length])
        for root in roots:
            paths = [root / f"{candidate}.py"]
            if length == len(parts):  # a package that failed to collect is named by its directory
                paths.append(root / candidate)
            for path in paths:
                if path.exists():
                    return _service_relative(path, service_dir, root), parts[length:]
    # Not on disk (deleted since): classes start with an upper-case letter, modules do not.
    split = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    return "/".join(parts[:split]) + ".py", parts[split:]


def _service_relative(path: Path, service_dir: Path, root: Path) -> str:
    try:
        return path.relative_to(service_dir).as_posix()
    except ValueError:  # outside the service (a rootdir-level test): keep pytest's rootdir-relative id
        return path.relative_to(root).as_posix()


def _message(element: ElementTree.Element) -> str:
    """pytest's own error lines ("E   ...") say most; else the message attribute; else the text."""
    text = element.text or ""
    error_lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    attribute = element.get("message", "")
    if element.tag == "skipped":
        chosen = attribute or text
        if element.get("type") == "pytest.xfail":
            chosen = f"expected failure (xfail) {chosen}".strip()
    elif error_lines:
        chosen = "\n".join(error_lines)
    else:
        chosen = attribute or text
    return first_lines(chosen)


def is_async_not_run(outcome: TestOutcome) -> bool:
    return outcome.outcome == "skipped" and any(reason in outcome.message for reason in ASYNC_NOT_RUN_REASONS)


def first_lines(text: str, count: int = MESSAGE_LINES, limit: int = MESSAGE_CHARS) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()][:count]
    return "\n".join(lines)[:limit]
