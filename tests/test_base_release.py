"""The PR says when the base ran the new release already (an unbounded declaration installs the newest)."""
from bot.validation.base_release import base_release_note


def test_a_base_on_a_newer_release_than_the_branch_pins_is_said():
    # postfix-mta-sts-resolver's shape: `pytest-asyncio` bare in a setup.py extra; uv installed the newest
    note = base_release_note("pytest-asyncio", "1.3.0", {"pytest": "9.2.0", "pytest_asyncio": "1.5.0"})
    assert note.startswith("The base ran pytest-asyncio 1.5.0 (above the one this branch pins), not an older release")


def test_a_base_already_on_the_target_is_said_too():
    assert "tenacity 9.1.2 (the one this branch pins)" in base_release_note("tenacity", "9.1.2", {"tenacity": "9.1.2"})


def test_an_old_release_or_none_on_the_base_says_nothing():
    assert base_release_note("tenacity", "9.1.2", {"tenacity": "8.2.3"}) == ""
    assert base_release_note("aiomqtt", "2.4.0", {"asyncio-mqtt": "0.16.2"}) == ""  # renamed: the old package ran
    assert base_release_note("tenacity", "9.1.2", {"tenacity": "not-a-version"}) == ""
