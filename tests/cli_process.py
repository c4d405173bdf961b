"""The real CLI in a child process (`python -m bot`), for what only a process shows: exit codes, stderr,
pipes, the working directory, the umask."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bot

BOT_ROOT = Path(bot.__file__).resolve().parent.parent  # the code under test, wherever it was imported from


def bot_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(BOT_ROOT), **extra}


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env or bot_env(),
                          capture_output=True, text=True, timeout=timeout)


def one_line(stderr: str) -> str:
    """The single error line; fails on a traceback or a multi-line message."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    return lines[0]
