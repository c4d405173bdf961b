"""A service's source check (undecodable files, syntax errors libcst cannot parse either) runs after its codemod,
so that files the codemod's parse accepted are not compiled again; its error must still be the job's error,
whatever the codemod did, in the parent process and in workers alike."""
from __future__ import annotations

import re

import pytest
from conftest import run_bot
from faultkit import fault_recipes, fleet, prs, violations

from bot.analysis.service import SharedFiles
from bot.discover import services as discovery
from bot.discover.snapshot import MemorySnapshot
from bot.libcst_parsed import was_parsed

pytestmark = pytest.mark.fault

CRASHING_CODEMOD = '''

class CrashingCodemod(WidgetsCodemod):
    def migrate(self, service):
        if service.name in ("beta", "delta"):
            raise RuntimeError("boom in " + service.name)
        if service.name == "gamma":
            import sys
            sys.exit(4)
        return super().migrate(service)
'''

NEWER_SYNTAX = "def first[T](xs: list[T]) -> T:\n    return xs[0]\n"  # PEP 695: libcst parses it on any Python


def _failures(out: str) -> list[str]:
    return sorted(set(re.findall(r"failed: widgets-2\.0/\S+: .*", out)))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_source_problem_is_the_error_whatever_the_codemod_does(tmp_path, capsys, jobs):
    recipes = fault_recipes(tmp_path, CRASHING_CODEMOD, "CrashingCodemod")
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma", "delta", "epsilon"), recipes=recipes, files={
        "services/alpha/alpha/generic.py": NEWER_SYNTAX,
        "services/beta/beta/core.py": "import widgets\n\n\ndef oops(:\n    widgets.old_call(1)\n",
        "services/gamma/gamma/latin.py": b"NAME = '\xe9t\xe9'\n",
        "services/epsilon/epsilon/late.py": "def fine():\n    pass\n\n\nclass (\n",
    })
    assert run_bot(repo, "run", "-j", jobs) == 1
    assert _failures(capsys.readouterr().out) == [
        "failed: widgets-2.0/beta: services/beta/beta/core.py:4: syntax error: invalid syntax",  # codemod crashed too
        "failed: widgets-2.0/delta: services/delta: widgets-2.0 codemod failed: RuntimeError: boom in delta",
        "failed: widgets-2.0/epsilon: services/epsilon/epsilon/late.py:5: syntax error: invalid syntax",
        "failed: widgets-2.0/gamma: services/gamma/gamma/latin.py: unreadable: not UTF-8 text",  # sys.exit too
    ]
    assert [p["head"] for p in prs(repo)] == ["upgrade-bot/widgets-2.0/alpha"]
    assert violations(repo) == []
    assert run_bot(repo, "plan") == 0  # planning reads the sources of no job


def test_a_text_libcst_parsed_needs_no_compile_and_a_broken_one_is_still_found():
    shared = SharedFiles()
    broken = "def oops(:\n"
    assert shared.parsed("svc/new.py", NEWER_SYNTAX)[0] is not None
    assert shared.parsed("svc/bad.py", broken)[0] is None
    assert was_parsed(NEWER_SYNTAX) and not was_parsed(broken)
    files = {"services/svc/requirements.txt": "widgets==1.4\n", "services/svc/svc/new.py": NEWER_SYNTAX,
             "services/svc/svc/bad.py": broken}
    service = discovery.discover(MemorySnapshot(files), ("services/*",))[0][0]
    assert service.source_problems() == ["services/svc/svc/bad.py:1: syntax error: invalid syntax"]


def test_only_what_the_parser_refuses_is_a_syntax_error():
    """Code Python parses but would refuse to compile further on (scopes, future imports) is no syntax error, as
    with compile(..., PyCF_ONLY_AST): the check's cheaper parse (symtable) refuses it, and the check then asks compile."""
    files = {"services/svc/requirements.txt": "widgets==1.4\n",
             "services/svc/svc/scopes.py": "def f(a, a):\n    pass\n\n\nnonlocal x\n",
             "services/svc/svc/future.py": "from __future__ import braces\n",
             "services/svc/svc/comprehension.py": "x = [(yield) for y in z]\n",
             "services/svc/svc/late.py": "def fine():\n    pass\n\n\nclass (\n",
             "services/svc/svc/nul.py": "x = 1\0\n"}
    service = discovery.discover(MemorySnapshot(files), ("services/*",))[0][0]
    problems = service.source_problems()
    assert problems[0] == "services/svc/svc/late.py:5: syntax error: invalid syntax"
    assert [p.split(":")[0] for p in problems] == ["services/svc/svc/late.py", "services/svc/svc/nul.py"]


def test_a_nul_byte_is_reported_on_its_line():
    """Python 3.11 refuses a NUL byte with a SyntaxError that names no line (3.10: a ValueError): the check names
    the byte's line, not "None"."""
    files = {"services/svc/requirements.txt": "widgets==1.4\n",
             "services/svc/svc/nul.py": "x = 1\ny = 2\nz = 3\0\n"}
    service = discovery.discover(MemorySnapshot(files), ("services/*",))[0][0]
    [problem] = service.source_problems()
    assert problem.startswith("services/svc/svc/nul.py:3: syntax error: "), problem
