"""Locks and pins hold what the PR says (issue 17.6), end to end: real lock tools against a local index on
127.0.0.1 (real wheels fetched once, plus small wheels built here where a shape needs one: a tenacity newer
than the recipe's target, renamed packages), the real bot run, then the files on the bot's branch."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from package_index import build_simple_index, cached_wheels, serve_index
from test_lock_files import RETRY_CODE, RETRY_TEST, branch_checkout, committed, poetry_library, pull_requests, tool
from wheels import build_wheel

from bot.cli import main
from bot.validation.envs import find_uv
from bot.validation.interpreters import minor, present_interpreters, version_key

pytestmark = pytest.mark.slow

WHEELS = ("tenacity==8.2.3", "tenacity==9.1.2", "pytest==8.3.5", "iniconfig==2.1.0", "packaging==25.0",
          "pluggy==1.6.0", "colorama==0.4.6", "exceptiongroup==1.2.2", "tomli==2.0.1")
PIP_TOOLS = [find_uv(), "tool", "run", "--from", "pip-tools==7.5.1", "--with", "pip==25.2", "--with", "click==8.2.1",
             "pip-compile"]
POETRY_1_1 = [find_uv(), "tool", "run", "--from", "poetry==1.2.2", "poetry"]
POETRY_2 = [find_uv(), "tool", "run", "--from", "poetry==2.2.1", "poetry"]
RENAME_RECIPE = '''[recipe]
title = "Move oldclient to newclient 2.0"
package = "oldclient"
version = "2.0"
imports = ["oldclient"]
codemod = "codemod.py:Nothing"
summary = "newclient replaces oldclient."
risk = ["none"]

[[requirements]]
action = "replace"
package = "oldclient"
new-package = "newclient"
spec = "==2.0"
'''
NOTHING_CODEMOD = '''from bot.codemod import Codemod
from bot.model import CodemodResult


class Nothing(Codemod):
    RULES = {}

    def migrate(self, service):
        return CodemodResult()
'''


@pytest.fixture(scope="module")
def index_url(tmp_path_factory):
    built = tmp_path_factory.mktemp("built-wheels")
    # a tenacity newer than the recipe's 9.1.2: a lock tool left to itself takes it
    build_wheel(built, "tenacity", "9.9.0", {"__init__.py": "raise ImportError('9.9.0 is not the PR')\n"})
    build_wheel(built, "oldclient", "1.0", {"__init__.py": ""}, requires=("oldtransport>=1",))
    build_wheel(built, "oldtransport", "1.0", {"__init__.py": ""})
    build_wheel(built, "newclient", "2.0", {"__init__.py": ""}, requires=("newtransport>=2",))
    build_wheel(built, "newtransport", "2.0", {"__init__.py": ""})
    root = build_simple_index(tmp_path_factory.mktemp("index"), cached_wheels(*WHEELS) + sorted(built.glob("*.whl")))
    with serve_index(root) as url:
        yield url


@pytest.fixture
def isolated_pip(monkeypatch, index_url):
    """pip-tools reads pip's configuration: only the local index, whatever this machine's pip.conf says."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", index_url)  # uv reads its own settings: tools still install as usual


def _run(repo, capsys) -> tuple[int, str]:
    code = main(["--repo", str(repo.work), "run", "--skip-checks"])
    out = capsys.readouterr()
    return code, out.out + out.err


def _poetry_files(index_url: str, source: str) -> dict[str, str]:
    """test_lock_files' Poetry library at the repository's root, its index declared with `source`."""
    return {path.removeprefix("services/retrylib/"): text.replace('priority = "primary"', source)
            for path, text in poetry_library(index_url).items()}


def test_poetry_lock_holds_exactly_the_version_the_pr_names(tmp_path, index_url, capsys):
    """`^9.1.2` admits 9.9.0, which Poetry takes when the locked 8.2.3 no longer fits: the PR says 9.1.2."""
    repo = committed(tmp_path, _poetry_files(index_url, 'priority = "primary"'), {".": [*POETRY_2, "lock"]})
    code, out = _run(repo, capsys)
    assert code == 0, out
    review = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2")
    assert 'tenacity = "^9.1.2"' in (review / "pyproject.toml").read_text()
    lock = (review / "poetry.lock").read_text()
    assert 'name = "tenacity"\nversion = "9.1.2"' in lock, lock[:400]
    tool(review, *POETRY_2, "check", "--lock")


def test_poetry_lock_format_1_1_is_rewritten_by_a_poetry_that_writes_1_1(tmp_path, index_url, capsys):
    repo = committed(tmp_path, _poetry_files(index_url, "default = true"), {".": [*POETRY_1_1, "lock"]})
    assert 'lock-version = "1.1"' in (repo.work / "poetry.lock").read_text()
    code, out = _run(repo, capsys)
    assert code == 0, out
    lock = (branch_checkout(repo, "upgrade-bot/tenacity-9.1.2") / "poetry.lock").read_text()
    assert 'lock-version = "1.1"' in lock and 'name = "tenacity"\nversion = "9.1.2"' in lock


def _pip_tools_repo(tmp_path: Path, requirements_in: str, python: str | None = None):
    """python: the path of the interpreter the developer compiled with (pip and click pinned to ones it runs)."""
    argv = [*PIP_TOOLS[:3], *(["--python", python] if python else []), *PIP_TOOLS[3:]]
    if python and _minor(python) < (3, 10):
        argv = [a.replace("click==8.2.1", "click==8.1.8") for a in argv]
    if python and _minor(python) < (3, 9):
        argv = [a.replace("pip==25.2", "pip==25.0.1") for a in argv]
    files = {"services/worker/requirements.in": requirements_in, "services/worker/worker/__init__.py": RETRY_CODE,
             "services/worker/tests/test_retry.py": RETRY_TEST.format(module="worker")}
    return committed(tmp_path, files, {"services/worker": [*argv, "--no-emit-index-url", "requirements.in"]})


def _minor(python: str) -> tuple[int, ...]:
    return next(version_key(i).release[:2] for i in present_interpreters() if str(i.path) == python)


def _python(version: str) -> str | None:
    """An interpreter of that minor version found as validation finds them (pyenv's, uv's, a tool cache)."""
    return next((str(i.path) for i in present_interpreters() if minor(i.version) == version), None)


def test_a_pip_tools_file_is_regenerated_with_options_pip_compile_accepts(tmp_path, isolated_pip, capsys):
    repo = _pip_tools_repo(tmp_path, "tenacity>=8.2,<8.3  # retries\npytest\n")
    before = (repo.work / "services/worker/requirements.txt").read_text()
    assert "pip-compile --no-emit-index-url requirements.in" in before
    code, out = _run(repo, capsys)
    assert code == 0 and "No such option" not in out, out
    after = (branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/worker") / "services/worker/requirements.txt").read_text()
    assert "tenacity==9.1.2" in after and "8.2.3" not in after
    assert "#    pip-compile --no-emit-index-url requirements.in\n" in after  # the header's command is kept


def test_a_pip_tools_file_keeps_the_pins_of_the_python_it_was_compiled_for(tmp_path, isolated_pip, capsys):
    """Compiled with Python 3.10, pytest pins exceptiongroup and tomli; the bot runs on a newer Python and must
    not drop them. The bot finds 3.10 as validation does: uv alone does not look behind pyenv's shims."""
    python = _python("3.10")
    if python is None:
        pytest.skip("no Python 3.10 interpreter on this machine")
    repo = _pip_tools_repo(tmp_path, "tenacity>=8.2,<8.3\npytest\n", python=python)
    before = (repo.work / "services/worker/requirements.txt").read_text()
    assert "with Python 3.10" in before and "exceptiongroup==" in before and "tomli==" in before
    code, out = _run(repo, capsys)
    assert code == 0, out
    after = (branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/worker") / "services/worker/requirements.txt").read_text()
    assert "tenacity==9.1.2" in after and "with Python 3.10" in after
    assert "exceptiongroup==1.2.2" in after and "tomli==2.0.1" in after, after


def test_a_pip_tools_file_compiled_for_a_python_the_new_version_dropped_gets_a_pr_with_a_manual_item(
        tmp_path, isolated_pip, capsys):
    """Compiled with Python 3.8; tenacity 9.1.2 needs 3.9: no file can be compiled for 3.8, so the PR compiles it
    for 3.9 and lists that for a human to confirm, as it raises a uv or Poetry project's floor."""
    python = _python("3.8")
    if python is None or _python("3.9") is None:
        pytest.skip("needs Python 3.8 and 3.9 on this machine")
    repo = _pip_tools_repo(tmp_path, "tenacity>=8.2,<8.3\n", python=python)
    assert "with Python 3.8" in (repo.work / "services/worker/requirements.txt").read_text()
    code, out = _run(repo, capsys)
    assert code == 0, out
    after = (branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/worker") / "services/worker/requirements.txt").read_text()
    assert "with Python 3.9" in after and "tenacity==9.1.2" in after, after
    [pr] = pull_requests(repo)
    assert ("(LOCK002): made for Python 3.8, but tenacity 9.1.2 requires Python >= 3.9: no such file can be made "
            "for 3.8, so this PR makes it for 3.9.") in pr["body"], pr["body"]


def test_a_renamed_package_is_recompiled_and_leaves_no_stale_pins(tmp_path, index_url, monkeypatch, capsys):
    """A pip-compile file in requirements/, its header naming the source from the service folder: the old
    package's own dependency (`# via oldclient`) must go with it."""
    recipe = {"tools/recipes/newclient-2.0/recipe.toml": RENAME_RECIPE,
              "tools/recipes/newclient-2.0/codemod.py": NOTHING_CODEMOD}
    files = {**recipe, "upgrade-bot.toml": 'recipe-dirs = ["tools/recipes"]\nenabled-recipes = ["newclient-2.0"]\n',
             "services/api/requirements/base.in": "oldclient>=1\n", "services/api/app.py": "import oldclient\n"}
    repo = committed(tmp_path, files, {"services/api": [find_uv(), "pip", "compile", "--index-url", index_url,
                                                         "requirements/base.in", "-o", "requirements/base.txt"]})
    assert "oldtransport==1.0" in (repo.work / "services/api/requirements/base.txt").read_text()
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    code, out = _run(repo, capsys)
    assert code == 0, out
    text = (branch_checkout(repo, "upgrade-bot/newclient-2.0/api") / "services/api/requirements/base.txt").read_text()
    assert "newclient==2.0" in text and "newtransport==2.0" in text
    assert "oldtransport" not in text and "oldclient" not in text, text


def test_a_python_floor_the_new_version_excludes_gives_a_pr_with_a_manual_item(tmp_path, index_url, capsys):
    """requires-python >= 3.8 and tenacity 9.1.2 needs 3.9: uv cannot lock that range. The PR raises the floor
    so its lock can be made, and says so as a manual item instead of failing the job."""
    pyproject = f'''[project]
name = "retry-app"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["tenacity>=8.2,<9"]

[[tool.uv.index]]
name = "internal"
url = "{index_url}"
default = true
'''
    repo = committed(tmp_path, {"pyproject.toml": pyproject, "retry_app/__init__.py": RETRY_CODE},
                     {".": [find_uv(), "lock"]})
    code, out = _run(repo, capsys)
    assert code == 0, out
    [pr] = pull_requests(repo)
    review = branch_checkout(repo, "upgrade-bot/tenacity-9.1.2")
    assert 'requires-python = ">=3.9"' in (review / "pyproject.toml").read_text()
    lock = (review / "uv.lock").read_text()
    assert 'name = "tenacity"\nversion = "9.1.2"' in lock
    tool(review, find_uv(), "lock", "--check")
    assert "Python 3.8" in pr["body"] and "requires-python" in pr["body"], pr["body"]


def test_a_uv_compiled_file_keeps_the_pins_of_the_oldest_python_the_project_declares(tmp_path, index_url, monkeypatch,
                                                                                      capsys):
    """Compiled by a developer on Python 3.10 (uv records no Python in the header), in a project that declares
    3.10: pytest's exceptiongroup and tomli pins (python_version < "3.11") must survive the bot's newer Python."""
    header = "uv pip compile requirements.in -o requirements.txt"
    files = {"services/worker/requirements.in": "tenacity>=8.2,<8.3\npytest\n",
             "services/worker/pyproject.toml": '[project]\nname = "worker"\nversion = "1"\nrequires-python = ">=3.10"\n',
             "services/worker/worker/__init__.py": RETRY_CODE}
    repo = committed(tmp_path, files, {"services/worker": [
        find_uv(), "pip", "compile", "--index-url", index_url, "--python-version", "3.10", "--custom-compile-command",
        header, "requirements.in", "-o", "requirements.txt"]})
    before = (repo.work / "services/worker/requirements.txt").read_text()
    assert f"#    {header}\n" in before and "exceptiongroup==1.2.2" in before and "tomli==2.0.1" in before
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    code, out = _run(repo, capsys)
    assert code == 0, out
    after = (branch_checkout(repo, "upgrade-bot/tenacity-9.1.2/worker") / "services/worker/requirements.txt").read_text()
    assert "tenacity==9.1.2" in after and f"#    {header}\n" in after
    assert "exceptiongroup==1.2.2" in after and "tomli==2.0.1" in after, after
