"""Generates a monorepo of N services like the example fleet's, by hand or from bench_speed.py:

    python benchmarks/fleet_gen.py DIR N [--ordinary 8]

Service i is a copy of example service i mod 31 (its name suffixed when N > 31), plus `ordinary` modules
of ~150 lines that never mention a recipe's library, as most files of a real service do not. DIR gets a
git repository (`work`) whose `origin` is a bare repository (`origin.git`), as a user's checkout would."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomlkit

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fleet"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def ordinary_module(index: int) -> str:
    """~150 lines of plain application code: dataclasses, functions, a class; no third-party import."""
    lines = ['"""Ordinary module %d: request models and helpers."""' % index, "from __future__ import annotations", "",
             "import json", "from dataclasses import dataclass, field", "", ""]
    for k in range(6):
        lines += [f"@dataclass", f"class Record{k}:", "    name: str", "    value: float = 0.0",
                  "    tags: list[str] = field(default_factory=list)", "",
                  "    def to_json(self) -> str:", "        return json.dumps({'name': self.name, 'value': self.value})",
                  "", ""]
        lines += [f"def transform_{k}(records: list[Record{k}], factor: float = {k + 1}.0) -> list[float]:",
                  '    """Scale the values, skipping empty names."""', "    out = []",
                  "    for record in records:", "        if not record.name:", "            continue",
                  "        out.append(record.value * factor)", "    return out", "", ""]
        lines += [f"def summarize_{k}(values: list[float]) -> dict[str, float]:",
                  "    if not values:", "        return {'count': 0, 'mean': 0.0}",
                  "    return {'count': len(values), 'mean': sum(values) / len(values)}", "", ""]
    return "\n".join(lines[:150]) + "\n"


def service_dirs() -> list[Path]:
    return sorted(p for p in (EXAMPLE / "services").iterdir() if p.is_dir())


def generate(root: Path, count: int, ordinary: int = 8) -> Path:
    """Creates root/work (with origin root/origin.git); returns the work tree."""
    work, origin = root / "work", root / "origin.git"
    templates = service_dirs()
    (work / "services").mkdir(parents=True)
    config = tomlkit.parse((EXAMPLE / "upgrade-bot.toml").read_text())
    example_tiers = dict(config["tiers"])
    tiers = tomlkit.table()
    for i in range(count):
        template = templates[i % len(templates)]
        name = template.name if count <= len(templates) else f"{template.name}-{i:04d}"
        if template.name in example_tiers:  # the copy keeps its example's tier, under its own name
            tiers[name] = example_tiers[template.name]
        target = work / "services" / name
        shutil.copytree(template, target)
        package = next((p for p in sorted(target.iterdir()) if (p / "__init__.py").is_file()), target)
        for k in range(ordinary):
            (package / f"ordinary_{k}.py").write_text(ordinary_module(k))
    config["tiers"] = tiers
    (work / "upgrade-bot.toml").write_text(tomlkit.dumps(config))
    git = lambda *args, cwd=root: subprocess.run(["git", *args], cwd=cwd, check=True, env=ENV,
                                                  capture_output=True)
    git("init", "-q", "--bare", "--initial-branch=main", str(origin))
    git("init", "-q", "--initial-branch=main", str(work))
    git("add", "-A", cwd=work)
    git("commit", "-qm", "fleet", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "-q", "-u", "origin", "main", cwd=work)
    return work


def copy_fleet(root: Path, fleet: Path = EXAMPLE) -> Path:
    """root/work: a fleet as it is (no padding, its own configuration), committed and pushed to a bare
    root/origin.git; returns the work tree."""
    work, origin = root / "work", root / "origin.git"
    shutil.copytree(fleet, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git = lambda *args, cwd=root: subprocess.run(["git", *args], cwd=cwd, check=True, env=ENV, capture_output=True)
    git("init", "-q", "--bare", "--initial-branch=main", str(origin))
    git("init", "-q", "--initial-branch=main", str(work))
    git("add", "-A", cwd=work)
    git("commit", "-qm", "fleet", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "-q", "-u", "origin", "main", cwd=work)
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--ordinary", type=int, default=8)
    args = parser.parse_args()
    work = generate(args.dir, args.count, args.ordinary)
    print(work)


if __name__ == "__main__":
    sys.exit(main())
