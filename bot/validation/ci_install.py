"""What a project's own CI installs beyond what its names say: every extra (`uv sync|run --all-extras`, `poetry
install --all-extras`, `pdm install -G :all`), read from its GitHub workflows. Pure: reads files, runs nothing.

A test suite that imports an optional feature (a CLI in a `cli` extra) runs in CI because CI installs every
extra; without them every test of that feature fails to import on both sides and the PR says "no tests ran"
where the project's own CI is green (aiomysensors: `uv sync --all-extras`, tests importing aiomqtt)."""
from __future__ import annotations

import re
from pathlib import Path

ALL_EXTRAS = re.compile(r"\b(?:uv\s+(?:sync|run)|uv\s+pip\s+install|poetry\s+install|pdm\s+(?:install|sync)|hatch)\b[^\n]*?"
                        r"(--all-extras|-G\s*:all\b|--extra\s+all\b)")
WORKFLOW_GLOBS = ("*.yml", "*.yaml")


def all_extras_command(service_dir: Path) -> tuple[str, str]:
    """(the command that installs every extra, the workflow it is in: `.github/workflows/ci.yml`), or ("", "").
    The service's own workflows, then those of the folders above it up to the repository's root; a workflow
    above the service counts only when it names the service's folder (a monorepo's CI installs per service)."""
    service_dir = Path(service_dir)
    folder, below = service_dir, ""
    for _ in range(12):  # a service is never deeper than this below its repository's root
        workflows = folder / ".github" / "workflows"
        for pattern in WORKFLOW_GLOBS:
            for path in sorted(workflows.glob(pattern)) if workflows.is_dir() else ():
                text = _read(path)
                if below and below not in text:
                    continue
                match = ALL_EXTRAS.search(text)
                if match:
                    return " ".join(match.group(0).split()), path.relative_to(folder).as_posix()
        if (folder / ".git").exists() or folder.parent == folder:
            break
        below = f"{folder.name}/{below}".rstrip("/") if below else folder.name
        folder = folder.parent
    return "", ""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
