"""bot.declared.toml_data.read_toml: the data tomlkit gives for every TOML file the repository holds, and
tomlkit's own error for a document that is not TOML."""
from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from tomlkit.exceptions import TOMLKitError

from bot.declared.toml_data import read_toml

ROOT = Path(__file__).resolve().parent.parent
TOML_FILES = sorted(p for p in ROOT.rglob("*.toml") if ".git" not in p.parts and "node_modules" not in p.parts)


def test_same_data_as_tomlkit_for_every_toml_file_of_the_repository():
    assert len(TOML_FILES) > 50  # recipes, migration maps, fixtures, fleets' pyprojects and configurations
    for path in TOML_FILES:
        text = path.read_text(encoding="utf-8")
        assert read_toml(text) == tomlkit.parse(text).unwrap(), path


def test_dates_and_nested_tables_read_as_tomlkit_reads_them():
    text = 'when = 2026-12-05T20:00:00Z\n[a.b]\nc = [1, 2.5, "x", {d = true}]\n'
    assert read_toml(text) == tomlkit.parse(text).unwrap()


@pytest.mark.parametrize("broken", ["x = [", "[a]\nb = 1\n[a]\nb = 2\n", "key = 'unterminated"])
def test_a_broken_document_fails_with_tomlkits_error_and_message(broken):
    with pytest.raises(TOMLKitError) as expected:
        tomlkit.parse(broken)
    with pytest.raises(TOMLKitError) as got:
        read_toml(broken)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)
