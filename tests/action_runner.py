"""Runs action.yml's steps the way the Actions runner runs a composite action, for what only running them
shows (the input check, the install from the action's own folder, the bot's command line, the step outputs).

Its `run:` steps run in bash as the runner starts them (`bash --noprofile --norc -eo pipefail`), with their
`env:` and `if:` evaluated, GITHUB_OUTPUT and GITHUB_ACTION_PATH set. Of the `uses:` steps, setup-python
answers with this interpreter, and actions/cache keeps keys only (`CacheKeys`: restore answers the newest
saved key under the first restore-key prefix that has one, as GitHub does; nothing is archived). The App
token is left to GitHub (the caller leaves app-id empty). The expression language is the subset action.yml uses: contexts, `||`,
`&&`, `!`, `==`, `!=`, string literals and `cancelled()`."""
from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*')|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<call>cancelled\(\))|"
                    r"(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))")


@dataclass
class CacheKeys:
    saved: list[str] = field(default_factory=list)  # oldest first

    def restore(self, key: str, restore_keys: str) -> dict[str, str]:
        if key in self.saved:
            return {"cache-hit": "true", "cache-matched-key": key}
        for prefix in restore_keys.split():
            matches = [k for k in self.saved if k.startswith(prefix)]
            if matches:
                return {"cache-hit": "false", "cache-matched-key": matches[-1]}
        return {"cache-hit": "false", "cache-matched-key": ""}


@dataclass
class ActionRun:
    outputs: dict[str, str] = field(default_factory=dict)  # the action's outputs
    steps: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> its outputs
    failed: subprocess.CompletedProcess | None = None  # the step that failed, if one did
    log: list[subprocess.CompletedProcess] = field(default_factory=list)


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """One `${{ }}` body, as Python: `a.b-c` looks the name up in the contexts ('' when missing)."""
    python = []
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        assert match, f"unsupported expression: {expression!r}"
        position = match.end()
        if match.group("str") is not None:
            python.append(repr(match.group("str")[1:-1]))
        elif match.group("op"):
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match.group("op"), match.group("op")))
        elif match.group("call"):
            python.append("False")
        else:
            python.append(f"_lookup({match.group('name')!r})")

    def _lookup(name: str) -> Any:
        value: Any = contexts
        for part in name.split("."):
            value = value.get(part, "") if isinstance(value, Mapping) else ""
        return value
    return eval("".join(python), {"_lookup": _lookup})  # noqa: S307 - our own action.yml's expressions


def render(text: str, contexts: Mapping[str, Any]) -> str:
    def one(match: re.Match) -> str:
        value = evaluate(match.group(1), contexts)
        return str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text), flags=re.S)


def run_action(action_dir: Path, with_: Mapping[str, str], *, workspace: Path, runner_temp: Path,
               env: Mapping[str, str], github: Mapping[str, str], caches: CacheKeys | None = None) -> ActionRun:
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    contexts: dict[str, Any] = {"github": dict(github), "runner": {"os": platform.system(), "temp": str(runner_temp)}}
    inputs = {name: render(spec.get("default", ""), contexts) for name, spec in action["inputs"].items()}
    inputs.update(with_)
    result = ActionRun()
    contexts.update(inputs=inputs, steps={})
    for number, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not evaluate(str(step["if"]).removeprefix("${{").removesuffix("}}"), contexts):
            continue
        outputs: dict[str, str] = {}
        if "uses" in step:
            options = {k: render(v, contexts) for k, v in step.get("with", {}).items()}
            if step["uses"].startswith("actions/setup-python@"):
                outputs = {"python-path": sys.executable, "python-version": platform.python_version()}
            elif step["uses"].startswith("actions/cache/restore@"):
                outputs = (caches or CacheKeys()).restore(options["key"], options.get("restore-keys", ""))
            elif step["uses"].startswith("actions/cache/save@"):
                assert caches is not None and options["key"] not in caches.saved, "a cache entry is never rewritten"
                caches.saved.append(options["key"])
            else:
                raise AssertionError(f"not run here: {step['uses']}")
        else:
            output_file = runner_temp / f"output-{number}"
            output_file.write_text("")
            step_env = {**env, "GITHUB_OUTPUT": str(output_file), "GITHUB_ACTION_PATH": str(action_dir),
                        "RUNNER_TEMP": str(runner_temp), "GITHUB_WORKSPACE": str(workspace),
                        **{k: render(v, contexts) for k, v in step.get("env", {}).items()}}
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=workspace, env=step_env, capture_output=True, text=True, timeout=900)
            result.log.append(done)
            if done.returncode:
                result.failed = done
                return result
            outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            contexts["steps"][step["id"]] = {"outputs": outputs}
            result.steps[step["id"]] = outputs
    result.outputs = {name: render(spec["value"], contexts) for name, spec in action.get("outputs", {}).items()}
    return result


def runner_env() -> dict[str, str]:
    """The environment a hosted runner gives every step (minus this test run's Python settings)."""
    return {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
            "GITHUB_ACTIONS": "true", "CI": "true"}
