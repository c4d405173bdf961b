"""The service itself, installed as its CI would (`pip install -e .`), on top of a cached environment.

The cached environment holds the dependencies and is shared by every service and run that needs the same
set; the service's own code differs on the base and on the branch. So each check run gets a layer: a
hard-linked copy of the cached environment (milliseconds, no bytes copied) into which the checkout is
installed in editable mode (its dependencies are there already, save those only its build knows, such as
a setup.py's install_requires). A src layout then imports, a version module that setuptools-scm or hatch-vcs
write at build time exists, and entry points are on PATH. The layer is removed after the run; the cached
environment is never written to (new files only go into the copy)."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.validation.envs import GENERATED_REQUIREMENTS, EnvBuildError, _first_uv_error, _run_uv, env_python, find_uv

LAYER_PREFIX = ".layer-"


@contextmanager
def project_layer(base_python: Path, project: Path | None) -> Iterator[Path]:
    """The interpreter to run checks with: base_python itself when there is no project to install."""
    if project is None:
        yield base_python
        return
    env_dir = Path(base_python).parent.parent
    layer = Path(tempfile.mkdtemp(prefix=LAYER_PREFIX, dir=env_dir.parent))
    try:
        clone = layer / "env"
        _link_copy(env_dir, clone)
        python = env_python(clone)
        _install_editable(python, project, _index_options(env_dir), layer)
        yield python
    finally:
        shutil.rmtree(layer, ignore_errors=True)


def _link_copy(source: Path, target: Path) -> None:
    try:
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
    except (OSError, shutil.Error):  # another filesystem, or links refused: a real copy
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)


def _index_options(env_dir: Path) -> list[str]:
    """The index and find-links lines the environment was built with: the build backend comes from there too."""
    generated = env_dir / GENERATED_REQUIREMENTS
    if not generated.is_file():
        return []
    return [line for line in generated.read_text(encoding="utf-8").splitlines()
            if line.startswith(("--index-url", "--extra-index-url", "-i ", "--find-links", "-f ", "--no-index"))]


def _install_editable(python: Path, project: Path, options: list[str], layer: Path) -> None:
    requirements = layer / "project.in"
    requirements.write_text("".join(f"{line}\n" for line in [*options, f"-e {project}"]), encoding="utf-8")
    # With its dependencies, as pip would: those the shared environment holds are already satisfied (the copy has
    # them installed), and those only setup.py knows (install_requires computed at build time) are added here.
    done = _run_uv([find_uv(), "pip", "install", "--python", str(python), "-r", str(requirements)], cwd=layer)
    if done.returncode != 0:
        raise EnvBuildError(f"installing the service itself (`pip install -e .`, by uv) failed: "
                            f"{_installer_words(done.stderr)}", project / "pyproject.toml"
                            if (project / "pyproject.toml").is_file() else project)


def _installer_words(stderr: str) -> str:
    """uv's error and cause, plus the build backend's own last error line when a build failed."""
    summary = _first_uv_error(stderr)
    backend = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith(("error:", "cause:",
               "  ", "hint:", "×", "╰", "│", "help:"))]
    last = next((line for line in reversed(backend) if "Error" in line or "error" in line), "")
    return f"{summary} ({last[:300]})" if last and last not in summary else summary
