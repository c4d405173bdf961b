"""Requirements files: parsing, and edits that leave every untouched byte as it was."""

from __future__ import annotations

import difflib

import pytest

from bot.declared.requirements import (
    HASH_REASON,
    HASH_RULE,
    UNSUPPORTED_RULE,
    edit_requirements,
    parse_requirements,
)
from bot.model import RequirementEdit

FILE = "requirements.txt"


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff, line endings kept."""
    removed, added = [], []
    diff = difflib.ndiff(
        before.splitlines(keepends=True), after.splitlines(keepends=True)
    )
    for entry in diff:
        if entry.startswith("- "):
            removed.append(entry[2:])
        elif entry.startswith("+ "):
            added.append(entry[2:])
    return removed, added


# ---------------------------------------------------------------- parsing


def test_parse_reports_every_field_and_the_references():
    text = (
        "# runtime deps\n"
        "-r base.txt\n"
        "--constraint=constraints.txt\n"
        "-c other.txt  # pinned elsewhere\n"
        "--index-url https://pypi.example/simple\n"
        "-e ./libs/shared\n"
        "Tenacity==8.2.3  # retries\n"
        "influxdb-client[async, ciso] >= 1.50 , <2\n"
        'paho_mqtt<2 ; python_version < "3.12"\n'
        "./local/wheel.whl\n"
        "https://example.com/archive.zip\n"
        "pkg @ https://example.com/pkg-1.0.tar.gz\n"
        "aiohttp==3.9.5 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "pytest\n"
    )
    declarations, references = parse_requirements(text, FILE)
    assert references == ["base.txt", "constraints.txt", "other.txt"]
    summary = [
        (d.line, d.name, d.raw_name, d.extras, d.spec, d.marker, d.hashed, d.url)
        for d in declarations
    ]
    assert summary == [
        (7, "tenacity", "Tenacity", (), "==8.2.3", "", False, ""),
        (
            8,
            "influxdb-client",
            "influxdb-client",
            ("async", "ciso"),
            ">=1.50,<2",
            "",
            False,
            "",
        ),
        (9, "paho-mqtt", "paho_mqtt", (), "<2", 'python_version < "3.12"', False, ""),
        (12, "pkg", "pkg", (), "", "", False, "https://example.com/pkg-1.0.tar.gz"),
        (13, "aiohttp", "aiohttp", (), "==3.9.5", "", True, ""),
        (16, "pytest", "pytest", (), "", "", False, ""),
    ]
    assert all(d.file == FILE and d.section == "" for d in declarations)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("-r requirements.txt", ["requirements.txt"]),
        ("-rrequirements.txt", ["requirements.txt"]),
        ("--requirement=../common.txt", ["../common.txt"]),
        ("--requirement ../common.txt", ["../common.txt"]),
        ("-c constraints.txt", ["constraints.txt"]),
        ("--constraint constraints.txt # comment", ["constraints.txt"]),
        ("# -r commented.txt", []),
        ("--index-url https://x/simple", []),
    ],
)
def test_parse_reference_lines(line, expected):
    assert parse_requirements(line + "\n", FILE) == ([], expected)


def test_parse_handles_crlf_and_missing_final_newline():
    declarations, _ = parse_requirements("a==1\r\nb==2\r\nc==3", FILE)
    assert [(d.line, d.name, d.spec) for d in declarations] == [
        (1, "a", "==1"),
        (2, "b", "==2"),
        (3, "c", "==3"),
    ]


def test_comment_ending_in_backslash_does_not_swallow_the_next_line():
    declarations, _ = parse_requirements("# note \\\ntenacity==8.2.3\n", FILE)
    assert [(d.line, d.name) for d in declarations] == [(2, "tenacity")]


# ---------------------------------------------------------------- edits that change one span

SET_TENACITY = [RequirementEdit("set", "tenacity", "==9.1.2")]


@pytest.mark.parametrize(
    "before, edits, after",
    [
        pytest.param(
            "tenacity==8.2.3\n", SET_TENACITY, "tenacity==9.1.2\n", id="plain"
        ),
        pytest.param(
            "tenacity==8.2.3  # retries\n",
            SET_TENACITY,
            "tenacity==9.1.2  # retries\n",
            id="trailing-comment",
        ),
        pytest.param(
            "Tenacity == 8.2.3\n",
            SET_TENACITY,
            "Tenacity ==9.1.2\n",
            id="spelling-and-gap-kept",
        ),
        pytest.param("tenacity\n", SET_TENACITY, "tenacity==9.1.2\n", id="unpinned"),
        pytest.param("tenacity>=8,<9\n", SET_TENACITY, "tenacity==9.1.2\n", id="range"),
        pytest.param(
            'tenacity==8.2.3 ; python_version < "3.12"  # old pythons\n',
            SET_TENACITY,
            'tenacity==9.1.2 ; python_version < "3.12"  # old pythons\n',
            id="marker",
        ),
        pytest.param(
            'tenacity; python_version < "3.12"\n',
            SET_TENACITY,
            'tenacity==9.1.2; python_version < "3.12"\n',
            id="marker-unpinned",
        ),
        pytest.param(
            "tenacity==8.2.3\r\nb==1\r\n",
            SET_TENACITY,
            "tenacity==9.1.2\r\nb==1\r\n",
            id="crlf",
        ),
        pytest.param(
            "a==1\ntenacity==8.2.3",
            SET_TENACITY,
            "a==1\ntenacity==9.1.2",
            id="no-final-newline",
        ),
        pytest.param(
            "influxdb-client[async]==1.50.0\n",
            [RequirementEdit("set", "influxdb-client", "==1.51.0")],
            "influxdb-client[async]==1.51.0\n",
            id="extras-kept",
        ),
        pytest.param(
            "influxdb-client[async]==1.50.0\n",
            [RequirementEdit("set", "influxdb-client", "==1.51.0", extras=("ciso",))],
            "influxdb-client[async,ciso]==1.51.0\n",
            id="extras-union",
        ),
        pytest.param(
            "influxdb-client==1.50.0\n",
            [RequirementEdit("set", "influxdb-client", "==1.51.0", extras=("async",))],
            "influxdb-client[async]==1.51.0\n",
            id="extras-added",
        ),
        pytest.param(
            "influxdb-client[async] == 1.50.0\n",
            [RequirementEdit("set", "influxdb-client", "==1.51.0", extras=("async",))],
            "influxdb-client[async] ==1.51.0\n",
            id="extras-already-there",
        ),
        pytest.param(
            "tenacity==8.2.3 \\\n    ; python_version < '3.12'\n",
            SET_TENACITY,
            "tenacity==9.1.2 \\\n    ; python_version < '3.12'\n",
            id="continuation",
        ),
        pytest.param(
            "paho-mqtt>=1.6,<2\n",
            [RequirementEdit("add", "paho-mqtt", "==2.1.0")],
            "paho-mqtt==2.1.0\n",
            id="conflicting-range-becomes-pin",
        ),
        pytest.param(
            "paho-mqtt<2\n",
            [RequirementEdit("add", "paho-mqtt", "==2.1.0")],
            "paho-mqtt==2.1.0\n",
            id="conflicting-upper-bound-becomes-pin",
        ),
        pytest.param(
            "tenacity==8.2.3\nother==1\ntenacity>=8 ; sys_platform == 'win32'\n",
            SET_TENACITY,
            "tenacity==9.1.2\nother==1\ntenacity==9.1.2 ; sys_platform == 'win32'\n",
            id="every-declaration",
        ),
        pytest.param(
            "asyncio-mqtt==0.16.2  # mqtt\n",
            [
                RequirementEdit(
                    "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
                )
            ],
            "aiomqtt==2.4.0  # mqtt\n",
            id="replace",
        ),
        pytest.param(
            'asyncio_mqtt[extra]==0.16.2 ; python_version >= "3.8"\n',
            [
                RequirementEdit(
                    "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
                )
            ],
            'aiomqtt==2.4.0 ; python_version >= "3.8"\n',
            id="replace-keeps-marker-drops-extras",
        ),
        pytest.param(
            "old-lib[a]==1\n",
            [
                RequirementEdit(
                    "replace", "old-lib", ">=2", new_package="new-lib", extras=("b",)
                )
            ],
            "new-lib[b]>=2\n",
            id="replace-with-extras",
        ),
        pytest.param(
            "asyncio-mqtt==0.16.2\naiomqtt==1.0\n",
            [
                RequirementEdit(
                    "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
                )
            ],
            "aiomqtt==2.4.0\n",
            id="replace-when-new-already-declared",
        ),
    ],
)
def test_edit_changes_only_the_span(before, edits, after):
    outcome = edit_requirements(before, FILE, edits, allow_add=False)
    assert outcome.text == after
    assert outcome.manual == []
    assert outcome.applied


def test_applied_messages_name_the_change_and_line():
    text = "# deps\ntenacity==8.2.3\nasyncio-mqtt==0.16.2\npaho-mqtt==1.6.1\n"
    outcome = edit_requirements(
        text,
        FILE,
        [
            RequirementEdit("set", "tenacity", "==9.1.2"),
            RequirementEdit(
                "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
            ),
            RequirementEdit("remove", "paho-mqtt"),
        ],
        allow_add=False,
    )
    assert outcome.applied == [
        "tenacity: ==8.2.3 -> ==9.1.2 (line 2)",
        "asyncio-mqtt==0.16.2 -> aiomqtt==2.4.0 (line 3)",
        "paho-mqtt==1.6.1 removed (line 4)",
    ]
    assert outcome.text == "# deps\ntenacity==9.1.2\naiomqtt==2.4.0\n"


# ---------------------------------------------------------------- preservation of a full file

REALISTIC = (
    "# Runtime dependencies of the service\r\n"
    "-r base.txt\r\n"
    "-c ../constraints.txt\r\n"
    "--index-url https://pypi.example/simple\r\n"
    "--extra-index-url https://mirror.example/simple\r\n"
    "-e ./libs/shared\r\n"
    "\r\n"
    "tenacity==8.2.3  # retry helper\r\n"
    "asyncio-mqtt==0.16.2\r\n"
    'paho-mqtt>=1.6,<2 ; python_version < "3.12"\r\n'
    "influxdb-client[async]==1.50.0 \\\r\n"
    "    ; sys_platform != 'win32'\r\n"
    "internal @ git+https://git.example/internal.git@v1\r\n"
    "./vendored/thing\r\n"
    "\r\n"
    "# keep last\r\n"
    "uvloop==0.19.0"
)


def test_only_edited_lines_differ_in_a_realistic_file():
    edits = [
        RequirementEdit("set", "tenacity", "==9.1.2"),
        RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"),
        RequirementEdit("add", "paho-mqtt", "==2.1.0"),
        RequirementEdit("set", "influxdb-client", "==1.51.0"),
    ]
    outcome = edit_requirements(REALISTIC, FILE, edits, allow_add=True)
    removed, added = changed_lines(REALISTIC, outcome.text)
    assert removed == [
        "tenacity==8.2.3  # retry helper\r\n",
        "asyncio-mqtt==0.16.2\r\n",
        'paho-mqtt>=1.6,<2 ; python_version < "3.12"\r\n',
        "influxdb-client[async]==1.50.0 \\\r\n",
    ]
    assert added == [
        "tenacity==9.1.2  # retry helper\r\n",
        "aiomqtt==2.4.0\r\n",
        'paho-mqtt==2.1.0 ; python_version < "3.12"\r\n',
        "influxdb-client[async]==1.51.0 \\\r\n",
    ]
    assert outcome.text.endswith("# keep last\r\nuvloop==0.19.0")
    assert outcome.manual == []


def test_nothing_to_do_returns_the_same_text():
    edits = [
        RequirementEdit("set", "tenacity", "== 8.2.3"),
        RequirementEdit("remove", "absent"),
    ]
    outcome = edit_requirements(REALISTIC, FILE, edits, allow_add=True)
    assert outcome.text == REALISTIC
    assert outcome.applied == [] and outcome.manual == []


def test_editing_is_idempotent():
    edits = [
        RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"),
        RequirementEdit("add", "paho-mqtt", "==2.1.0"),
        RequirementEdit("add", "brand-new", ">=1"),
    ]
    once = edit_requirements(REALISTIC, FILE, edits, allow_add=True)
    twice = edit_requirements(once.text, FILE, edits, allow_add=True)
    assert once.text != REALISTIC
    assert twice.text == once.text
    assert twice.applied == []


def test_url_and_path_requirements_are_left_alone():
    edits = [RequirementEdit("set", "internal", "==2")]
    outcome = edit_requirements(REALISTIC, FILE, edits, allow_add=True)
    assert outcome.text == REALISTIC
    [item] = outcome.manual
    assert (item.rule, item.line, item.suggestion) == (
        UNSUPPORTED_RULE,
        13,
        "internal==2",
    )
    assert item.old_code == "internal @ git+https://git.example/internal.git@v1"


# ---------------------------------------------------------------- remove


@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param("a==1\npaho-mqtt==1.6.1\nb==2\n", "a==1\nb==2\n", id="middle"),
        pytest.param(
            "# mqtt\npaho-mqtt==1.6.1  # old\n\n# end\n",
            "# mqtt\n\n# end\n",
            id="comments-kept",
        ),
        pytest.param(
            "a==1\npaho-mqtt==1.6.1 \\\n    ; python_version<'3.12'\nb==2\n",
            "a==1\nb==2\n",
            id="continuation",
        ),
        pytest.param("a==1\r\npaho-mqtt==1.6.1\r\nb==2", "a==1\r\nb==2", id="crlf"),
        pytest.param(
            "a==1\npaho-mqtt==1.6.1", "a==1\n", id="last-line-without-newline"
        ),
    ],
)
def test_remove_drops_the_whole_logical_line(before, after):
    outcome = edit_requirements(
        before, FILE, [RequirementEdit("remove", "paho-mqtt")], allow_add=False
    )
    assert outcome.text == after


# ---------------------------------------------------------------- add


@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param(
            "tenacity==8.2.3\n", "tenacity==8.2.3\npaho-mqtt==2.1.0\n", id="after-last"
        ),
        pytest.param(
            "zlib==1\naaa==1\n\n# trailer\n\n",
            "zlib==1\naaa==1\npaho-mqtt==2.1.0\n\n# trailer\n\n",
            id="before-trailing-comments",
        ),
        pytest.param(
            "aaa==1\nzzz==1\n",
            "aaa==1\npaho-mqtt==2.1.0\nzzz==1\n",
            id="sorted-file-keeps-order",
        ),
        pytest.param(
            "# head\nrequests==2\nzzz==1\n",
            "# head\npaho-mqtt==2.1.0\nrequests==2\nzzz==1\n",
            id="sorted-first",
        ),
        pytest.param(
            "b==1\na==1", "b==1\na==1\npaho-mqtt==2.1.0", id="no-final-newline"
        ),
        pytest.param(
            "b==1\r\na==1\r\n", "b==1\r\na==1\r\npaho-mqtt==2.1.0\r\n", id="crlf"
        ),
        pytest.param(
            "-r base.txt\n", "-r base.txt\npaho-mqtt==2.1.0\n", id="only-options"
        ),
        pytest.param(
            "-r base.txt",
            "-r base.txt\npaho-mqtt==2.1.0\n",
            id="only-options-no-newline",
        ),
        pytest.param("", "paho-mqtt==2.1.0\n", id="empty"),
    ],
)
def test_add_appends_when_missing_and_allowed(before, after):
    edit = RequirementEdit("add", "paho-mqtt", "==2.1.0")
    outcome = edit_requirements(before, FILE, [edit], allow_add=True)
    assert outcome.text == after
    assert len(outcome.applied) == 1 and outcome.applied[0].startswith(
        "paho-mqtt==2.1.0 added (line "
    )
    assert edit_requirements(before, FILE, [edit], allow_add=False).text == before


def test_add_reports_the_line_it_lands_on():
    outcome = edit_requirements(
        "b==1\na==1\n# end\n",
        FILE,
        [
            RequirementEdit("add", "x", "==1"),
            RequirementEdit("add", "y", "==2", extras=("e",)),
        ],
        allow_add=True,
    )
    assert outcome.text == "b==1\na==1\nx==1\ny[e]==2\n# end\n"
    assert outcome.applied == ["x==1 added (line 3)", "y[e]==2 added (line 4)"]


def test_add_after_a_remove_of_the_same_package_appends():
    outcome = edit_requirements(
        "paho-mqtt==1.6.1\nb==1\n",
        FILE,
        [
            RequirementEdit("remove", "paho-mqtt"),
            RequirementEdit("add", "paho-mqtt", "==2.1.0"),
        ],
        allow_add=True,
    )
    assert outcome.text == "b==1\npaho-mqtt==2.1.0\n"


def test_the_aiomqtt_recipe_edits_on_a_fleet_file():
    text = "tenacity==8.2.3\ninfluxdb-client==1.50.0\nasyncio-mqtt==0.16.2\npaho-mqtt==1.6.1\n"
    edits = [
        RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"),
        RequirementEdit("add", "paho-mqtt", "==2.1.0"),
    ]
    outcome = edit_requirements(text, FILE, edits, allow_add=True)
    assert (
        outcome.text
        == "tenacity==8.2.3\ninfluxdb-client==1.50.0\naiomqtt==2.4.0\npaho-mqtt==2.1.0\n"
    )


# ---------------------------------------------------------------- hashed pins

HASHED = (
    "# generated by pip-compile\n"
    "paho-mqtt==1.6.1 \\\n"
    "    --hash=sha256:aaaa \\\n"
    "    --hash=sha256:bbbb\n"
    "    # via -r requirements.in\n"
    "tenacity==8.2.3 --hash=sha256:cccc\n"
)


@pytest.mark.parametrize(
    "edit, line, old_code, suggestion",
    [
        (
            RequirementEdit("add", "paho-mqtt", "==2.1.0"),
            2,
            "paho-mqtt==1.6.1 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb",
            "paho-mqtt==2.1.0",
        ),
        (
            RequirementEdit("replace", "tenacity", "==9", new_package="tenacious"),
            6,
            "tenacity==8.2.3 --hash=sha256:cccc",
            "tenacious==9",
        ),
        (
            RequirementEdit("remove", "tenacity"),
            6,
            "tenacity==8.2.3 --hash=sha256:cccc",
            "remove tenacity from the lock",
        ),
    ],
)
def test_hashed_pins_become_manual_items(edit, line, old_code, suggestion):
    outcome = edit_requirements(HASHED, FILE, [edit], allow_add=True)
    assert outcome.text == HASHED
    assert outcome.applied == []
    [item] = outcome.manual
    assert (item.rule, item.reason, item.file, item.line) == (
        HASH_RULE,
        HASH_REASON,
        FILE,
        line,
    )
    assert item.old_code == old_code
    assert item.suggestion == suggestion


def test_hashed_pin_already_at_target_needs_nothing():
    outcome = edit_requirements(
        HASHED, FILE, [RequirementEdit("set", "tenacity", "==8.2.3")], allow_add=False
    )
    assert (outcome.text, outcome.applied, outcome.manual) == (HASHED, [], [])


def test_adding_to_a_hashed_file_is_manual_because_pip_would_demand_a_hash():
    outcome = edit_requirements(
        HASHED, FILE, [RequirementEdit("add", "aiomqtt", "==2.4.0")], allow_add=True
    )
    assert outcome.text == HASHED
    [item] = outcome.manual
    assert (item.rule, item.suggestion) == (HASH_RULE, "aiomqtt==2.4.0")


def test_unknown_action_is_rejected():
    with pytest.raises(ValueError, match="unknown requirement edit action"):
        edit_requirements(
            "a==1\n", FILE, [RequirementEdit("bump", "a", "==2")], allow_add=False
        )


def test_legacy_parenthesised_specifier():
    [decl], _ = parse_requirements("foo (>=1.0) ; python_version > '3'\n", FILE)
    assert (decl.spec, decl.marker) == (">=1.0", 'python_version > "3"')
    outcome = edit_requirements(
        "foo (>=1.0) ; python_version > '3'\n",
        FILE,
        [RequirementEdit("set", "foo", "==2")],
        allow_add=False,
    )
    assert outcome.text == "foo ==2 ; python_version > '3'\n"


def test_a_line_added_before_a_renamed_line_keeps_both_lines():
    text = "influxdb-client==1.50.0\nrequests==2.32.3\n"
    edits = [RequirementEdit(action="replace", package="influxdb-client", new_package="influxdb3-python",
                             spec="==0.17.0"),
             RequirementEdit(action="add", package="influxdb-client", spec="==1.50.0")]

    outcome = edit_requirements(text, "requirements.txt", edits, allow_add=True)

    assert outcome.text == "influxdb-client==1.50.0\ninfluxdb3-python==0.17.0\nrequests==2.32.3\n"
