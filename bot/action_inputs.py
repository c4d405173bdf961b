"""The GitHub Action's inputs (action.yml) checked and turned into the bot's command line.

Runs before the bot is installed, as a plain script on the runner's Python, so it imports nothing but the
standard library:

    python bot/action_inputs.py ARGS_FILE

It reads the inputs from INPUT_* variables (set by action.yml, from the workflow's `with:`), writes the
bot's arguments to ARGS_FILE (NUL-separated, for bash's `mapfile -d ''`) and, in Actions, the step
outputs `shard-key` and `capture` to $GITHUB_OUTPUT. A bad input is one line naming the input and the
reason, and exit code 2, before anything is installed."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

EXIT_USAGE = 2

# command input -> the bot's subcommand
COMMANDS = {
    "run": ["run"],  # the rollout (with `shard`, only that shard's services and no dashboard)
    "shards": ["plan", "--matrix"],  # the matrix for a sharded rollout: the step output `matrix`
    "dashboard": ["dashboard"],  # the dashboard alone, after the shards
    "comment": ["command", "--event"],  # a PR comment (/retry, /revert, /help): the event file follows
    "plan": ["plan"],
    "status": ["status"],
}
_RECIPE_ID = re.compile(r"[a-z0-9][a-z0-9.\-]*")  # as bot.change.recipe accepts a recipe folder name
MAX_JOBS = 64


class InputError(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"input '{name}': {reason}")


@dataclass(frozen=True)
class Invocation:
    """The bot command an action step runs, made from the action's inputs."""

    args: list[str]  # after `upgrade-bot`
    shard_key: str  # "2-of-4", "all": part of the cache key, so each shard keeps its own environments
    capture: bool  # the step output `matrix` is the command's stdout


def invocation(inputs: Mapping[str, str], environ: Mapping[str, str]) -> Invocation:
    """`inputs` by their action.yml names ("command", "dry-run", ...); `environ` for the event."""
    def get(name: str) -> str:
        return inputs.get(name, "").strip()

    command = get("command") or "run"
    if command not in COMMANDS:
        raise InputError("command", f"{command!r} is not one of {', '.join(COMMANDS)}")
    args = ["--forge", "github", *COMMANDS[command]]
    if command == "comment":
        if environ.get("GITHUB_EVENT_NAME") != "issue_comment":
            raise InputError("command", f"'comment' handles issue_comment events, this run is "
                                        f"{environ.get('GITHUB_EVENT_NAME') or 'not an event'!r}")
        args.append(environ.get("GITHUB_EVENT_PATH", ""))
    run_only = {"shard": get("shard"), "recipes": get("recipes"), "jobs": get("jobs")}
    run_only.update({name: "true" for name in ("dry-run", "all-waves") if _flag(get(name), name)})
    for name, value in run_only.items():
        if value and command != "run":
            raise InputError(name, f"only 'command: run' takes it (command is {command!r})")
    for flag in ("dry-run", "all-waves"):
        if flag in run_only:
            args.append(f"--{flag}")
    shard_key = "all"
    if run_only["shard"]:
        index, count = _shard(run_only["shard"])
        args += ["--shard", f"{index}/{count}"]
        shard_key = f"{index}-of-{count}"
    if run_only["recipes"]:
        args += ["--recipes", _recipes(run_only["recipes"])]
    if run_only["jobs"]:
        args += ["-j", str(_jobs(run_only["jobs"]))]
    _flag(get("cache"), "cache")
    if bool(get("app-id")) != bool(get("app-private-key")):
        given, missing = ("app-id", "app-private-key") if get("app-id") else ("app-private-key", "app-id")
        raise InputError(missing, f"is empty while {given} is set: a GitHub App token needs both")
    return Invocation(args, shard_key, capture=command == "shards")


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("", "false"):
        return False
    if value.lower() == "true":
        return True
    raise InputError(name, f"{value!r} is not true or false")


def _shard(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
    if not match:
        raise InputError("shard", f"{value!r} is not I/N (e.g. 2/4, from `command: shards`)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise InputError("shard", f"{value!r} is out of range: I must be between 1 and N")
    return index, count


def _recipes(value: str) -> str:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    for rid in ids:
        if not _RECIPE_ID.fullmatch(rid):
            raise InputError("recipes", f"{rid!r} is not a recipe id (lowercase letters, digits, '.', '-')")
    return ",".join(ids)


def _jobs(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_JOBS:
        raise InputError("jobs", f"{value!r} is out of range: a number of worker processes from 1 to {MAX_JOBS}")
    return int(value)


def _inputs_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """INPUT_DRY_RUN -> dry-run (action.yml passes each input as INPUT_<NAME>, dashes as underscores)."""
    return {key[len("INPUT_"):].lower().replace("_", "-"): value
            for key, value in environ.items() if key.startswith("INPUT_")}


def main(argv: list[str], environ: Mapping[str, str] = os.environ) -> int:
    if len(argv) != 1:
        print("usage: action_inputs.py ARGS_FILE", file=sys.stderr)
        return EXIT_USAGE
    try:
        call = invocation(_inputs_from_environment(environ), environ)
    except InputError as exc:
        if environ.get("GITHUB_ACTIONS") == "true":  # an error annotation on the run, in one line
            print(f"::error title=upgrade-bot::{exc}")
        else:
            print(f"upgrade-bot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    Path(argv[0]).write_text("".join(arg + "\0" for arg in call.args), encoding="utf-8")
    outputs = environ.get("GITHUB_OUTPUT")
    if outputs:
        with open(outputs, "a", encoding="utf-8") as handle:
            handle.write(f"shard-key={call.shard_key}\ncapture={str(call.capture).lower()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
