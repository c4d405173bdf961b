"""Lock update time per tool (Poetry, uv lock, uv pip compile with hashes) on the test projects,
tool run versus cached re-run, against a local index on 127.0.0.1 made from real wheels.

    python benchmarks/bench_locks.py

Each tool runs three times with an empty lock cache (uv's and Poetry's own caches stay warm, so this
measures resolution and writing, not downloads), then once more with the lock cache filled.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from package_index import build_simple_index, cached_wheels, serve_index
from test_lock_files import WHEELS, poetry_library, pip_tools_service, RETRY_CODE, POETRY, tool
from bot.change.apply import apply_recipe
from bot.change.recipe import load_recipes
from bot.config import BUNDLED_RECIPES
from bot.discover.services import discover
from bot.discover.snapshot import MemorySnapshot
from bot.locking import LockUpdater
from bot.validation.envs import find_uv


def main() -> None:
    recipe = next(r for r in load_recipes([BUNDLED_RECIPES]) if r.id == "tenacity-9.1.2")
    tmp = Path(tempfile.mkdtemp())
    root = build_simple_index(tmp / "idx", cached_wheels(*WHEELS))
    with serve_index(root) as url:
        os.environ["PIP_INDEX_URL"] = url
        uvp = {"services/uvapp/pyproject.toml": f'[project]\nname = "a"\nversion = "1"\nrequires-python = ">=3.11"\ndependencies = ["tenacity>=8.2,<8.3"]\n\n[[tool.uv.index]]\nname = "i"\nurl = "{url}"\ndefault = true\n',
               "services/uvapp/a.py": RETRY_CODE}
        files = {**poetry_library(url), **pip_tools_service(), **uvp}
        st = tmp / "st"
        for rel, text in files.items():
            (st / rel).parent.mkdir(parents=True, exist_ok=True); (st / rel).write_text(text)
        tool(st / "services/retrylib", *POETRY, "lock")
        tool(st / "services/uvapp", find_uv(), "lock")
        tool(st / "services/worker", find_uv(), "pip", "compile", "--index-url", url, "--generate-hashes", "requirements.in", "-o", "requirements.txt")
        snap = MemorySnapshot({str(p.relative_to(st)): p.read_text() for p in st.rglob("*") if p.is_file()})
        services, _ = discover(snap, ("services/*",))
        for svc in services:
            cold = []; warm = []
            for i in range(3):
                upd = LockUpdater(cache_dir=tmp / f"locks{svc.name}{i}")
                change = apply_recipe(svc, recipe)
                t0 = time.monotonic(); upd.update(svc, change); cold.append(time.monotonic() - t0)
                change = apply_recipe(svc, recipe)
                t0 = time.monotonic(); upd.update(svc, change); warm.append(time.monotonic() - t0)
            print(f"{svc.name:9} {', '.join(sorted(change.changed)):55} tool run median {statistics.median(cold):.2f}s, "
                  f"cached re-run median {statistics.median(warm) * 1000:.1f}ms")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
