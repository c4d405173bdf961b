"""A local PEP 503 package index over HTTP on 127.0.0.1, made from a folder of wheels, so lock tools
(uv, Poetry, pip-tools) resolve against it and never the internet. Real wheels are fetched once
with `pip download` into the shared cache."""
from __future__ import annotations

import functools
import hashlib
import html
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from packaging.utils import canonicalize_name, parse_wheel_filename

from bot.validation.envs import default_cache_dir

WHEEL_CACHE = "wheels"


def cached_wheels(*requirements: str) -> list[Path]:
    """Real wheels (no dependencies) for exact pins, downloaded once into <cache>/wheels."""
    def download(requirement: str, name: str, pattern: str, folder: Path) -> None:
        # an exact pin is fetched whatever Python this is (backports-asyncio-runner is only for < 3.11)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                        "--ignore-requires-python", "-d", str(folder), requirement], check=True, capture_output=True)
    return _wheels_once(requirements, download)


def built_wheels(*requirements: str) -> list[Path]:
    """Wheels built once from the sdists of exact pins that publish no wheel (paho-mqtt 1.6.1), into <cache>/wheels."""
    def build(requirement: str, name: str, pattern: str, folder: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-binary", name, "-q",
                            "-w", tmp, requirement], check=True, capture_output=True)
            for wheel in Path(tmp).glob(pattern):
                shutil.move(str(wheel), folder / wheel.name)
    return _wheels_once(requirements, build)


def _wheels_once(requirements: tuple[str, ...], fetch) -> list[Path]:
    """The cached wheels of exact pins (`name==version`); `fetch` puts a missing one into the cache folder."""
    folder = default_cache_dir().parent / WHEEL_CACHE
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for requirement in requirements:
        name, version = requirement.split("==")
        pattern = f"{name.replace('-', '_')}-{version}-*.whl"
        if not sorted(folder.glob(pattern)):
            fetch(requirement, name, pattern, folder)
        out += sorted(folder.glob(pattern))
    return out


def build_simple_index(root: Path, wheels: list[Path]) -> Path:
    """<root>/simple/<name>/index.html linking each wheel with its sha256, as PyPI's simple API does."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, list[Path]] = {}
    for wheel in wheels:
        shutil.copy2(wheel, files / wheel.name)
        by_name.setdefault(canonicalize_name(parse_wheel_filename(wheel.name)[0]), []).append(wheel)
    for name, group in by_name.items():
        page = root / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{html.escape(w.name)}#sha256={_sha256(w)}">{html.escape(w.name)}</a>\n'
                        for w in sorted(group))
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    names = "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(by_name))
    (root / "simple" / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{names}</body></html>\n")
    return root


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve_index(root: Path) -> Iterator[str]:
    """Serves root on 127.0.0.1 (a free port); yields the simple index URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
