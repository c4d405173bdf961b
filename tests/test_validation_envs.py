"""Cached isolated envs: which files describe a service, how the cache key is made, and real uv builds
(tiny pins in a tmp cache; uv's own package cache makes a rebuild take well under a second)."""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from bot.validation.envs import (
    COMPLETE_MARKER,
    EnvBuildError,
    Interpreter,
    ensure_env,
    env_key,
    expand_requirements,
    requirement_sources,
    resolve_interpreter,
)

FLEET_SERVICES = Path(__file__).resolve().parents[1] / "examples" / "fleet" / "services"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def key_of(*files: Path, lines: tuple[str, ...] = ()) -> str:
    return env_key(expand_requirements(files, lines), resolve_interpreter())


def run_python(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


# --- requirement_sources -----------------------------------------------------------------------------


def test_dev_file_that_includes_runtime_file_is_the_only_source(tmp_path):
    write(tmp_path / "requirements.txt", "six==1.16.0\n")
    dev = write(tmp_path / "requirements-dev.txt", "-r requirements.txt\npytest==8.3.5\n")
    assert requirement_sources(tmp_path) == [dev]


def test_requirements_folder_layout_picks_the_test_file(tmp_path):
    write(tmp_path / "requirements" / "base.txt", "six==1.16.0\n")
    test = write(tmp_path / "requirements" / "test.txt", "-r base.txt\npytest==8.3.5\n")
    assert requirement_sources(tmp_path) == [test]


def test_docs_and_lint_files_are_never_installed_beside_the_test_file(tmp_path):
    write(tmp_path / "requirements-docs.txt", "sphinx==7.0.0\ntyping-extensions==4.5.0\n")
    write(tmp_path / "requirements-lint.txt", "typing-extensions==4.12.2\n")
    runtime = write(tmp_path / "requirements.txt", "six==1.16.0\n")
    dev = write(tmp_path / "requirements-dev.txt", "pytest\n")
    assert requirement_sources(tmp_path) == [runtime, dev]


def test_pyproject_is_the_source_when_there_is_no_requirements_file(tmp_path):
    pyproject = write(tmp_path / "pyproject.toml", '[project]\nname = "svc"\ndependencies = ["six==1.16.0"]\n')
    assert requirement_sources(tmp_path) == [pyproject]


def test_directory_without_requirements_has_no_source(tmp_path):
    write(tmp_path / "README.md", "not a service\n")
    write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    assert requirement_sources(tmp_path) == []


def test_every_example_fleet_service_has_one_dev_source():
    services = sorted(path for path in FLEET_SERVICES.iterdir() if path.is_dir())
    sources = {service.name: requirement_sources(service) for service in services}
    assert sources.pop("shared-fixtures") == []
    assert len(sources) == 31
    for name, found in sources.items():
        expected = "requirements/test.txt" if name == "blueprint-suggestion-service" else "requirements-dev.txt"
        assert [path.relative_to(FLEET_SERVICES / name).as_posix() for path in found] == [expected]


# --- expansion and key (no build) --------------------------------------------------------------------


def test_includes_are_expanded_into_the_key(tmp_path):
    base = write(tmp_path / "base.txt", "six==1.16.0\n")
    dev = write(tmp_path / "dev.txt", "-r base.txt\npytest==8.3.5\n")
    before = key_of(dev)
    base.write_text("six==1.17.0\n")
    assert key_of(dev) != before


def test_comments_whitespace_order_and_spelling_do_not_change_the_key(tmp_path):
    plain = write(tmp_path / "a.txt", "six==1.16.0\npytest==8.3.5\n")
    noisy = write(
        tmp_path / "b.txt",
        "# test deps\n\npytest == 8.3.5   # pinned\n  Six==1.16.0\n",
    )
    assert key_of(plain) == key_of(noisy)


def test_same_pins_in_other_layouts_share_a_key(tmp_path):
    write(tmp_path / "one" / "requirements.txt", "# runtime\nsix==1.16.0\n")
    dev = write(tmp_path / "one" / "requirements-dev.txt", "-r requirements.txt\npytest==8.3.5\n")
    write(tmp_path / "two" / "requirements" / "base.txt", "six==1.16.0\n")
    test = write(tmp_path / "two" / "requirements" / "test.txt", "-r base.txt\npytest==8.3.5\n")
    assert key_of(dev) == key_of(test) == key_of(lines=("pytest==8.3.5", "six==1.16.0"))


def test_constraints_are_part_of_the_key_but_not_installed_as_requirements(tmp_path):
    write(tmp_path / "constraints.txt", "six==1.16.0\n")
    with_constraints = write(tmp_path / "a.txt", "-c constraints.txt\nsix\n")
    expanded = expand_requirements([with_constraints])
    assert [line.text for line in expanded.requirements] == ["six"]
    assert [line.text for line in expanded.constraints] == ["six==1.16.0"]
    assert key_of(with_constraints) != key_of(lines=("six",))


def test_python_version_is_part_of_the_key():
    expanded = expand_requirements((), ("six==1.16.0",))
    older = Interpreter(Path("/usr/bin/python3"), "cpython", "3.10.14", "x86_64")
    newer = Interpreter(Path("/usr/bin/python3"), "cpython", "3.11.7", "x86_64")
    assert env_key(expanded, older) != env_key(expanded, newer)


def test_local_paths_are_made_absolute_relative_to_their_file(tmp_path):
    requirements = write(tmp_path / "svc" / "requirements.txt", "-e ./libs/common[test]\n-f ../wheels\n")
    lines = [line.text for line in expand_requirements([requirements]).requirements]
    options = [line.text for line in expand_requirements([requirements]).options]
    assert lines == [f"-e {tmp_path / 'svc' / 'libs' / 'common'}[test]"]
    assert options == [f"-f {tmp_path / 'wheels'}"]


def test_pyproject_expands_dependencies_test_extras_and_groups(tmp_path):
    pyproject = write(
        tmp_path / "pyproject.toml",
        """\
[project]
name = "svc"
dependencies = ["six==1.16.0"]

[project.optional-dependencies]
docs = ["sphinx"]
test = ["svc[mocking]", "pytest==8.3.5"]
mocking = ["responses==0.25.0"]

[dependency-groups]
lint = ["ruff"]
dev = [{include-group = "lint"}, "iniconfig==2.0.0"]
""",
    )
    lines = [line.text for line in expand_requirements([pyproject]).requirements]
    assert sorted(lines) == ["iniconfig==2.0.0", "pytest==8.3.5", "responses==0.25.0", "ruff", "six==1.16.0"]


def test_missing_include_names_the_including_file(tmp_path):
    dev = write(tmp_path / "requirements-dev.txt", "-r requirements.txt\npytest\n")
    with pytest.raises(EnvBuildError) as raised:
        ensure_env([dev], cache_dir=tmp_path / "cache")
    assert raised.value.source == dev
    assert "requirements.txt" in raised.value.reason


# --- real builds ---------------------------------------------------------------------------------------


def bot_distributions() -> set[str]:
    entries = [Path(entry) for entry in sys.path if entry and Path(entry).is_dir()]
    return {path.name for entry in entries for path in entry.glob("*.dist-info")}


def test_built_env_holds_the_pins_and_nothing_of_the_bot(tmp_path):
    installed_before = bot_distributions()
    python = ensure_env(requirement_lines=["six==1.16.0"], cache_dir=tmp_path / "cache")
    assert python.parent.parent.parent == tmp_path / "cache"
    assert run_python(python, "import six; print(six.__version__)") == "1.16.0"
    # the bot's own packages are not visible from the env, and nothing was installed into the bot's env
    assert run_python(python, "import importlib.util as u; print(u.find_spec('tomlkit') is None)") == "True"
    assert bot_distributions() == installed_before


def test_second_call_is_a_cache_hit_without_rebuild(tmp_path, monkeypatch):
    requirements = write(tmp_path / "requirements.txt", "six==1.16.0\n")
    first = ensure_env([requirements], cache_dir=tmp_path / "cache")
    marker = first.parent.parent / COMPLETE_MARKER
    stamp = marker.stat().st_mtime_ns
    # any attempt to build again would have to run uv: make that impossible
    monkeypatch.setenv("UPGRADE_BOT_UV", str(tmp_path / "no-such-uv"))
    second = ensure_env([requirements], cache_dir=tmp_path / "cache")
    assert second == first
    assert marker.stat().st_mtime_ns == stamp
    assert json.loads(marker.read_text())["content"] == ["require six==1.16.0"]


def test_different_pins_build_different_envs_and_same_pins_share(tmp_path):
    cache = tmp_path / "cache"
    six_env = ensure_env(requirement_lines=["six==1.16.0"], cache_dir=cache)
    iniconfig_env = ensure_env(requirement_lines=["iniconfig==2.0.0"], cache_dir=cache)
    assert six_env != iniconfig_env
    assert run_python(iniconfig_env, "import iniconfig, importlib.util as u; print(u.find_spec('six'))") == "None"
    write(tmp_path / "svc" / "requirements" / "base.txt", "six == 1.16.0  # runtime\n")
    test = write(tmp_path / "svc" / "requirements" / "test.txt", "-r base.txt\n")
    assert ensure_env([test], cache_dir=cache) == six_env
    assert sorted(path.name for path in cache.iterdir() if not path.name.startswith(".")) == sorted(
        [six_env.parent.parent.name, iniconfig_env.parent.parent.name]
    )


def test_unknown_package_names_the_file_that_requires_it(tmp_path):
    base = write(tmp_path / "requirements.txt", "six==1.16.0\nupgrade-bot-no-such-package-qq==1.0\n")
    dev = write(tmp_path / "requirements-dev.txt", "-r requirements.txt\niniconfig==2.0.0\n")
    cache = tmp_path / "cache"
    with pytest.raises(EnvBuildError) as raised:
        ensure_env([dev], cache_dir=cache)
    assert raised.value.source == base
    assert "upgrade-bot-no-such-package-qq" in raised.value.reason
    assert "\n" not in raised.value.reason
    # a failed build leaves no env and no temp dir behind
    assert [path.name for path in cache.iterdir() if not path.name.endswith(".lock")] == []


def test_unparsable_line_names_its_file_and_line(tmp_path):
    write(tmp_path / "requirements.txt", "six==1.16.0\n")
    dev = write(tmp_path / "requirements-dev.txt", "-r requirements.txt\n# tools\niniconfig===\n")
    with pytest.raises(EnvBuildError) as raised:
        ensure_env([dev], cache_dir=tmp_path / "cache")
    assert raised.value.source == dev
    assert "requirements-dev.txt line 3" in raised.value.reason


def test_interrupted_build_is_not_taken_for_a_complete_env(tmp_path):
    cache = tmp_path / "cache"
    key = key_of(lines=("six==1.16.0",))
    crashed_build = cache / f".{key}.building-crashed"
    write(crashed_build / "bin" / "python", "#!/bin/sh\nexit 1\n")
    half_made = cache / key  # as if someone copied an env in without finishing
    write(half_made / "bin" / "python", "#!/bin/sh\nexit 1\n")
    python = ensure_env(requirement_lines=["six==1.16.0"], cache_dir=cache)
    assert python == half_made / "bin" / "python"
    assert run_python(python, "import six; print(six.__version__)") == "1.16.0"
    assert not crashed_build.exists()
    assert (half_made / COMPLETE_MARKER).is_file()


def _build_in_another_process(cache: str, queue) -> None:
    queue.put(str(ensure_env(requirement_lines=["iniconfig==2.0.0"], cache_dir=Path(cache))))


def test_concurrent_builders_of_one_env_agree(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_build_in_another_process, args=(str(tmp_path), queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    paths = {queue.get(timeout=5) for _ in workers}
    assert len(paths) == 1
    built = [path for path in tmp_path.iterdir() if not path.name.endswith(".lock")]
    assert built == [Path(paths.pop()).parent.parent]
    assert run_python(Path(built[0]) / "bin" / "python", "import iniconfig; print('ok')") == "ok"


def test_an_environments_import_probe_runs_once_and_is_kept_in_it(tmp_path):
    """A built environment never changes, so what its import probe found is read back, not imported again."""
    from wheels import widgets_wheels

    from bot.validation.import_probe import probe_imports
    wheels = widgets_wheels(tmp_path / "wheels")
    (tmp_path / "requirements.txt").write_text(f"--find-links {wheels}\nwidgets==1.4\n")
    python = ensure_env([tmp_path / "requirements.txt"], cache_dir=tmp_path / "envs")
    first = probe_imports(python, ["widgets"])
    assert first.ok and first.installed["widgets"] == "1.4"
    [package] = [p for p in python.parent.parent.rglob("widgets/__init__.py")]
    package.write_text("raise ImportError('changed behind the cache key')\n")  # a test device: envs never change
    assert probe_imports(python, ["widgets"]) == first  # read back
    again = probe_imports(python, ["widgets", "other"])  # another question: the probe runs
    assert not again.ok and "changed behind the cache key" in again.error


def test_the_uv_installed_with_the_bot_comes_before_one_on_path(tmp_path, monkeypatch):
    """A cron or pipx runs the bot's executable without its venv on PATH; the first `uv` there may be an old one
    or a pyenv shim that needs a shell. The bot's own uv (a dependency) is the one it was built for."""
    import uv

    from bot.validation.envs import find_uv
    impostor = write(tmp_path / "bin" / "uv", "#!/bin/sh\nexit 3\n")
    impostor.chmod(0o755)
    monkeypatch.delenv("UPGRADE_BOT_UV", raising=False)
    monkeypatch.setenv("PATH", str(impostor.parent))
    found = find_uv()
    assert found == uv.find_uv_bin() and found != str(impostor)
    assert subprocess.run([found, "--version"], capture_output=True, text=True).stdout.startswith("uv ")
    monkeypatch.setenv("UPGRADE_BOT_UV", str(impostor))
    assert find_uv() == str(impostor)  # the setting still wins
