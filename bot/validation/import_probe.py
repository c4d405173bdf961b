"""Does a distribution import in an environment? Run in that environment's interpreter, so what it reports
(the error, the distributions its traceback went through, what is installed and who requires what) is the
environment's own truth, not the bot's.

An environment never changes once built (its cache key is what it installs), so neither does what the probe
finds in it: the result is kept in the environment's folder and a later check of it reads it (a probe imports
the migrated package, 0.3 s of CPU for influxdb-client: a quarter of a warm validated demo's overhead)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PROBE_TIMEOUT = 120

_PROBE = r'''
import importlib, importlib.metadata as md, json, os, re, sys, traceback

def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def modules_of(dist):
    top = (dist.read_text("top_level.txt") or "").split()
    if top:
        return top
    found = []
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith((".dist-info", ".data")) or first in ("..", "bin") or first.startswith("__"):
            continue
        name = first[:-3] if first.endswith(".py") else first
        if name.isidentifier() and (len(f.parts) > 1 or first.endswith(".py")) and name not in found:
            found.append(name)
    return found

dists = {canonical(d.metadata["Name"] or ""): d for d in md.distributions()}
out = {"ok": True, "module": "", "error": "", "frames": [], "installed": {n: d.version for n, d in dists.items()},
       "required_by": {}}
for wanted in sys.argv[1:]:
    dist = dists.get(canonical(wanted))
    if dist is None:
        continue
    for module in modules_of(dist):
        try:
            importlib.import_module(module)
        except BaseException as error:
            frames = [os.path.realpath(f.filename) for f in traceback.extract_tb(error.__traceback__)]
            owners = {}
            for name, d in dists.items():
                for f in d.files or []:
                    if str(f).endswith(".py"):
                        owners[os.path.realpath(str(d.locate_file(f)))] = name
            out.update(ok=False, module=module, error=(type(error).__name__ + ": " + str(error)).strip(),
                       frames=[owners[f] for f in frames if f in owners])
            for name, d in dists.items():
                for requirement in d.requires or []:
                    target = canonical(re.split(r"[\s\[;<>=!~(]", requirement.strip(), maxsplit=1)[0])
                    out["required_by"].setdefault(target, []).append(name)
            break
    if not out["ok"]:
        break
print(json.dumps(out))
'''


@dataclass(frozen=True)
class ProbeResult:
    """What importing a distribution in an environment showed."""

    ok: bool
    module: str = ""  # the module whose import failed
    error: str = ""  # "ImportError: ..." as raised
    frames: tuple[str, ...] = ()  # distributions the traceback went through, outermost first
    installed: dict[str, str] = field(default_factory=dict)  # canonical name -> version
    required_by: dict[str, list[str]] = field(default_factory=dict)  # canonical name -> distributions requiring it

    @property
    def culprits(self) -> list[str]:
        """Distributions in the traceback, innermost (where it was raised) first, each once."""
        return list(dict.fromkeys(reversed(self.frames)))


def probe_imports(python: Path, distributions: list[str]) -> ProbeResult:
    """Imports each top-level module of `distributions` (those installed) until one fails."""
    if not distributions:
        return ProbeResult(True)
    record = _record(Path(python), distributions)
    try:
        data = json.loads(record.read_text()) if record is not None and record.is_file() else None
    except (OSError, ValueError):
        data = None
    if data is None:
        try:
            done = subprocess.run([str(python), "-c", _PROBE, *distributions], capture_output=True, text=True,
                                  check=False, timeout=PROBE_TIMEOUT, env={"PATH": str(Path(python).parent),
                                                                           "PYTHONDONTWRITEBYTECODE": "1"})
            data = json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError, OSError):
            return ProbeResult(True)  # the probe itself broke: say nothing rather than something wrong
        if record is not None:
            _keep(record, data)
    return ProbeResult(data["ok"], data["module"], data["error"], tuple(data["frames"]), data["installed"],
                       data["required_by"])


def _record(python: Path, distributions: list[str]) -> Path | None:
    """Where a cached environment keeps this probe's result (None: not a virtual environment of the cache)."""
    env = python.parent.parent
    if not (env / "pyvenv.cfg").is_file():
        return None
    digest = hashlib.sha256(json.dumps([_PROBE, sorted(distributions)]).encode()).hexdigest()[:16]
    return env / f".upgrade-bot-imports-{digest}.json"


def _keep(record: Path, data: dict) -> None:
    try:
        with tempfile.NamedTemporaryFile("w", dir=record.parent, suffix=".tmp", delete=False) as out:
            json.dump(data, out)
        os.replace(out.name, record)  # a reader sees the whole record or none
    except OSError:
        pass  # a read-only cache: the probe runs again next time
