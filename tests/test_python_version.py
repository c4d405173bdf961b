"""Validation uses the Python a service declares when uv finds one here, and says so either way."""
import sys

from bot.validation.python_version import choose_python, declared_python

OWN = ".".join(map(str, sys.version_info[:3]))


def test_declarations_in_order_of_precedence(tmp_path):
    assert declared_python(tmp_path) == ("", "")
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.11"\n')
    assert declared_python(tmp_path) == (">=3.11,<4", "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nrequires-python = ">=3.10"\n')
    assert declared_python(tmp_path) == (">=3.10", "pyproject.toml")
    (tmp_path / ".python-version").write_text("3.11\n")
    assert declared_python(tmp_path) == ("3.11", ".python-version")


def test_declared_python_is_used_when_found_else_the_bots_own_and_the_pr_says_so(tmp_path):
    (tmp_path / ".python-version").write_text(f"{sys.version_info[0]}.{sys.version_info[1]}\n")
    found = choose_python(tmp_path)
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert found.path is not None and found.version.startswith(minor + ".")
    assert found.describe() == f"Tests ran with Python {found.version}, as declared (`{minor}` in `.python-version`)."
    (tmp_path / ".python-version").write_text("3.99\n")
    missing = choose_python(tmp_path)
    assert missing.path is None and missing.version == OWN
    assert "no interpreter on this machine matches the declared `3.99` in `.python-version`" in missing.describe()
