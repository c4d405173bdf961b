"""pyproject.toml: parsing every dependency table, and edits that change only the edited lines."""

from __future__ import annotations

import difflib

import pytest

from bot.declared.pyproject import edit_pyproject, parse_pyproject, poetry_spec
from bot.declared.requirements import UNSUPPORTED_RULE
from bot.model import RequirementEdit

FILE = "pyproject.toml"

PEP621 = """\
# service metadata
[project]
name = "meter-service"
version = "1.0"
dependencies = [
    "tenacity==8.2.3",  # retries
    'paho-mqtt>=1.6,<2; python_version < "3.12"',
    "asyncio-mqtt==0.16.2",
    "influxdb-client[async] == 1.50.0",
    "internal @ git+https://git.example/internal.git@v1",
]

[project.optional-dependencies]
test = ["pytest==8.3.5", "pytest-asyncio==0.23.8"]  # test extra

[dependency-groups]
dev = [
    {include-group = "lint"},
    "pytest-asyncio>=0.23",
]
lint = ["ruff>=0.4"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
"""

POETRY = """\
[tool.poetry]
name = "meter-service"

[tool.poetry.dependencies]
python = "^3.10"
tenacity = "^8.2"  # retries
influxdb-client = { version = "1.50.0", extras = ["async"], markers = "sys_platform != 'win32'" }
asyncio-mqtt = '0.16.2'
internal = { git = "https://git.example/internal.git", tag = "v1" }
numpy = [
    { version = "<1.25", python = "<3.9" },
    { version = ">=1.25", python = ">=3.9" },
]

[tool.poetry.group.test.dependencies]
pytest = "8.3.5"
pytest-asyncio = "^0.23"

[tool.poetry.dependencies.uvloop]
version = "0.19.0"
optional = true
"""


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for entry in difflib.ndiff(
        before.splitlines(keepends=True), after.splitlines(keepends=True)
    ):
        if entry.startswith("- "):
            removed.append(entry[2:])
        elif entry.startswith("+ "):
            added.append(entry[2:])
    return removed, added


def summary(text: str) -> list[tuple]:
    return [
        (d.section, d.line, d.name, d.raw_name, d.extras, d.spec, d.marker, d.url)
        for d in parse_pyproject(text, FILE)
    ]


# ---------------------------------------------------------------- parsing


def test_parse_pep621_optional_dependencies_and_groups():
    assert summary(PEP621) == [
        ("project.dependencies", 6, "tenacity", "tenacity", (), "==8.2.3", "", ""),
        (
            "project.dependencies",
            7,
            "paho-mqtt",
            "paho-mqtt",
            (),
            ">=1.6,<2",
            'python_version < "3.12"',
            "",
        ),
        (
            "project.dependencies",
            8,
            "asyncio-mqtt",
            "asyncio-mqtt",
            (),
            "==0.16.2",
            "",
            "",
        ),
        (
            "project.dependencies",
            9,
            "influxdb-client",
            "influxdb-client",
            ("async",),
            "==1.50.0",
            "",
            "",
        ),
        (
            "project.dependencies",
            10,
            "internal",
            "internal",
            (),
            "",
            "",
            "git+https://git.example/internal.git@v1",
        ),
        (
            "project.optional-dependencies.test",
            14,
            "pytest",
            "pytest",
            (),
            "==8.3.5",
            "",
            "",
        ),
        (
            "project.optional-dependencies.test",
            14,
            "pytest-asyncio",
            "pytest-asyncio",
            (),
            "==0.23.8",
            "",
            "",
        ),
        (
            "dependency-groups.dev",
            19,
            "pytest-asyncio",
            "pytest-asyncio",
            (),
            ">=0.23",
            "",
            "",
        ),
        ("dependency-groups.lint", 21, "ruff", "ruff", (), ">=0.4", "", ""),
    ]
    assert all(not d.hashed and d.file == FILE for d in parse_pyproject(PEP621, FILE))


def test_parse_poetry_tables():
    assert summary(POETRY) == [
        ("tool.poetry.dependencies", 6, "tenacity", "tenacity", (), "^8.2", "", ""),
        (
            "tool.poetry.dependencies",
            7,
            "influxdb-client",
            "influxdb-client",
            ("async",),
            "1.50.0",
            "sys_platform != 'win32'",
            "",
        ),
        (
            "tool.poetry.dependencies",
            8,
            "asyncio-mqtt",
            "asyncio-mqtt",
            (),
            "0.16.2",
            "",
            "",
        ),
        (
            "tool.poetry.dependencies",
            9,
            "internal",
            "internal",
            (),
            "",
            "",
            "https://git.example/internal.git",
        ),
        ("tool.poetry.dependencies", 10, "numpy", "numpy", (), "<1.25,>=1.25", "", ""),
        ("tool.poetry.dependencies", 20, "uvloop", "uvloop", (), "0.19.0", "", ""),
        (
            "tool.poetry.group.test.dependencies",
            16,
            "pytest",
            "pytest",
            (),
            "8.3.5",
            "",
            "",
        ),
        (
            "tool.poetry.group.test.dependencies",
            17,
            "pytest-asyncio",
            "pytest-asyncio",
            (),
            "^0.23",
            "",
            "",
        ),
    ]


def test_pyproject_without_dependencies_declares_nothing():
    assert parse_pyproject("[tool.black]\nline-length = 100\n", FILE) == []


@pytest.mark.parametrize(
    "text",
    [
        "[project\nname = 'x'\n",
        '[project]\ndependencies = ["a",\n',
        "[project]\nname = 'x'\nname = 'y'\n",
    ],
)
def test_invalid_toml_raises_value_error_with_reason(text):
    with pytest.raises(ValueError, match=r"^pyproject\.toml: invalid TOML: .+"):
        parse_pyproject(text, FILE)
    with pytest.raises(ValueError, match="invalid TOML"):
        edit_pyproject(text, FILE, [RequirementEdit("set", "a", "==1")], allow_add=True)


# ---------------------------------------------------------------- edits on PEP 621 / 735


@pytest.mark.parametrize(
    "edits, removed, added",
    [
        pytest.param(
            [RequirementEdit("set", "tenacity", "==9.1.2")],
            ['    "tenacity==8.2.3",  # retries\n'],
            ['    "tenacity==9.1.2",  # retries\n'],
            id="set-keeps-trailing-comment",
        ),
        pytest.param(
            [RequirementEdit("add", "paho-mqtt", "==2.1.0")],
            ["    'paho-mqtt>=1.6,<2; python_version < \"3.12\"',\n"],
            ["    'paho-mqtt==2.1.0; python_version < \"3.12\"',\n"],
            id="conflicting-range-keeps-marker-and-literal-quotes",
        ),
        pytest.param(
            [
                RequirementEdit(
                    "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
                )
            ],
            ['    "asyncio-mqtt==0.16.2",\n'],
            ['    "aiomqtt==2.4.0",\n'],
            id="replace",
        ),
        pytest.param(
            [RequirementEdit("set", "influxdb-client", "==1.51.0", extras=("ciso",))],
            ['    "influxdb-client[async] == 1.50.0",\n'],
            ['    "influxdb-client[async,ciso] ==1.51.0",\n'],
            id="extras-union",
        ),
        pytest.param(
            [RequirementEdit("set", "pytest-asyncio", "==0.24.0")],
            [
                'test = ["pytest==8.3.5", "pytest-asyncio==0.23.8"]  # test extra\n',
                '    "pytest-asyncio>=0.23",\n',
            ],
            [
                'test = ["pytest==8.3.5", "pytest-asyncio==0.24.0"]  # test extra\n',
                '    "pytest-asyncio==0.24.0",\n',
            ],
            id="every-section-including-groups",
        ),
        pytest.param(
            [RequirementEdit("remove", "asyncio-mqtt")],
            ['    "asyncio-mqtt==0.16.2",\n'],
            [],
            id="remove-multiline-item",
        ),
        pytest.param(
            [RequirementEdit("remove", "pytest")],
            ['test = ["pytest==8.3.5", "pytest-asyncio==0.23.8"]  # test extra\n'],
            ['test = ["pytest-asyncio==0.23.8"]  # test extra\n'],
            id="remove-inline-item",
        ),
        pytest.param(
            [RequirementEdit("add", "aiomqtt", "==2.4.0")],
            [],
            ['    "aiomqtt==2.4.0",\n'],
            id="add-goes-to-project-dependencies",
        ),
    ],
)
def test_pep621_edits_change_only_the_edited_lines(edits, removed, added):
    outcome = edit_pyproject(PEP621, FILE, edits, allow_add=True)
    assert diff(PEP621, outcome.text) == (removed, added)
    assert outcome.manual == []
    assert outcome.applied
    again = edit_pyproject(
        outcome.text, FILE, [e for e in edits if e.action != "remove"], allow_add=True
    )
    assert again.text == outcome.text, "edits must be idempotent"


def test_add_lands_after_the_last_item_and_reports_its_line():
    outcome = edit_pyproject(
        PEP621, FILE, [RequirementEdit("add", "aiomqtt", "==2.4.0")], allow_add=True
    )
    lines = outcome.text.splitlines()
    assert lines[10] == '    "aiomqtt==2.4.0",' and lines[11] == "]"
    assert outcome.applied == ["aiomqtt==2.4.0 added (line 11)"]


def test_add_without_permission_or_when_present_does_not_append():
    edit = RequirementEdit("add", "aiomqtt", "==2.4.0")
    assert edit_pyproject(PEP621, FILE, [edit], allow_add=False).text == PEP621
    outcome = edit_pyproject(
        PEP621, FILE, [RequirementEdit("add", "tenacity", "==8.2.3")], allow_add=True
    )
    assert (outcome.text, outcome.applied) == (PEP621, [])


def test_add_without_project_dependencies_goes_to_first_declaring_section():
    text = '[dependency-groups]\ntest = [\n    "pytest==8.3.5",\n]\n'
    outcome = edit_pyproject(
        text,
        FILE,
        [RequirementEdit("add", "pytest-asyncio", "==0.24.0")],
        allow_add=True,
    )
    assert (
        outcome.text
        == '[dependency-groups]\ntest = [\n    "pytest==8.3.5",\n    "pytest-asyncio==0.24.0",\n]\n'
    )


def test_fleet_aiomqtt_recipe_on_pyproject():
    edits = [
        RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"),
        RequirementEdit("add", "paho-mqtt", "==2.1.0"),
    ]
    outcome = edit_pyproject(PEP621, FILE, edits, allow_add=True)
    assert diff(PEP621, outcome.text) == (
        [
            "    'paho-mqtt>=1.6,<2; python_version < \"3.12\"',\n",
            '    "asyncio-mqtt==0.16.2",\n',
        ],
        [
            "    'paho-mqtt==2.1.0; python_version < \"3.12\"',\n",
            '    "aiomqtt==2.4.0",\n',
        ],
    )
    assert outcome.applied == [
        "paho-mqtt: >=1.6,<2 -> ==2.1.0 in project.dependencies (line 7)",
        "asyncio-mqtt==0.16.2 -> aiomqtt==2.4.0 in project.dependencies (line 8)",
    ]


def test_replace_when_new_package_already_declared_drops_the_old_one():
    text = '[project]\ndependencies = [\n    "asyncio-mqtt==0.16.2",\n    "aiomqtt>=1",\n]\n'
    outcome = edit_pyproject(
        text,
        FILE,
        [RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt")],
        allow_add=True,
    )
    assert outcome.text == '[project]\ndependencies = [\n    "aiomqtt==2.4.0",\n]\n'


def test_direct_reference_is_left_alone_and_reported():
    outcome = edit_pyproject(
        PEP621, FILE, [RequirementEdit("set", "internal", "==2")], allow_add=True
    )
    assert outcome.text == PEP621
    [item] = outcome.manual
    assert (item.rule, item.line, item.suggestion) == (
        UNSUPPORTED_RULE,
        10,
        "internal==2",
    )
    assert item.old_code == "internal @ git+https://git.example/internal.git@v1"


def test_nothing_to_do_keeps_text_identical():
    edits = [
        RequirementEdit("set", "tenacity", "==8.2.3"),
        RequirementEdit("remove", "absent"),
    ]
    outcome = edit_pyproject(PEP621, FILE, edits, allow_add=True)
    assert (outcome.text, outcome.applied, outcome.manual) == (PEP621, [], [])


# ---------------------------------------------------------------- Poetry


@pytest.mark.parametrize(
    "edits, removed, added",
    [
        pytest.param(
            [RequirementEdit("set", "tenacity", "==9.1.2")],
            ['tenacity = "^8.2"  # retries\n'],
            ['tenacity = "9.1.2"  # retries\n'],
            id="set-string",
        ),
        pytest.param(
            [RequirementEdit("set", "tenacity", ">=9,<10")],
            ['tenacity = "^8.2"  # retries\n'],
            ['tenacity = ">=9,<10"  # retries\n'],
            id="set-range",
        ),
        pytest.param(
            [RequirementEdit("set", "influxdb-client", "==1.51.0")],
            [
                'influxdb-client = { version = "1.50.0", extras = ["async"], markers = "sys_platform != \'win32\'" }\n'
            ],
            [
                'influxdb-client = { version = "1.51.0", extras = ["async"], markers = "sys_platform != \'win32\'" }\n'
            ],
            id="set-inline-table-keeps-extras-and-markers",
        ),
        pytest.param(
            [
                RequirementEdit(
                    "replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"
                )
            ],
            ["asyncio-mqtt = '0.16.2'\n"],
            ["aiomqtt = '2.4.0'\n"],
            id="replace-keeps-position-and-quotes",
        ),
        pytest.param(
            [RequirementEdit("set", "pytest-asyncio", "==0.24.0")],
            ['pytest-asyncio = "^0.23"\n'],
            ['pytest-asyncio = "0.24.0"\n'],
            id="group",
        ),
        pytest.param(
            [RequirementEdit("set", "uvloop", "==0.21.0")],
            ['version = "0.19.0"\n'],
            ['version = "0.21.0"\n'],
            id="sub-table",
        ),
        pytest.param(
            [RequirementEdit("remove", "pytest")],
            ['pytest = "8.3.5"\n'],
            [],
            id="remove",
        ),
    ],
)
def test_poetry_edits_change_only_the_edited_lines(edits, removed, added):
    outcome = edit_pyproject(POETRY, FILE, edits, allow_add=True)
    assert diff(POETRY, outcome.text) == (removed, added)
    assert outcome.manual == []
    assert outcome.applied


def test_poetry_add_appends_to_the_first_declaring_table():
    outcome = edit_pyproject(
        POETRY, FILE, [RequirementEdit("add", "paho-mqtt", "==2.1.0")], allow_add=True
    )
    removed, added = diff(POETRY, outcome.text)
    assert (removed, added) == ([], ['paho-mqtt = "2.1.0"\n'])
    new_lines = outcome.text.splitlines()
    assert new_lines.index('paho-mqtt = "2.1.0"') < new_lines.index(
        "[tool.poetry.group.test.dependencies]"
    )
    assert (
        edit_pyproject(
            outcome.text,
            FILE,
            [RequirementEdit("add", "paho-mqtt", "==2.1.0")],
            allow_add=True,
        ).text
        == outcome.text
    )


def test_poetry_replace_message_and_idempotence():
    edit = RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt")
    outcome = edit_pyproject(POETRY, FILE, [edit], allow_add=True)
    assert outcome.applied == [
        "asyncio-mqtt 0.16.2 -> aiomqtt 2.4.0 in tool.poetry.dependencies (line 8)"
    ]
    assert (
        edit_pyproject(outcome.text, FILE, [edit], allow_add=True).text == outcome.text
    )


@pytest.mark.parametrize("package, line", [("internal", 9), ("numpy", 10)])
def test_poetry_git_and_multi_constraint_entries_are_manual(package, line):
    outcome = edit_pyproject(
        POETRY, FILE, [RequirementEdit("set", package, "==2")], allow_add=True
    )
    assert outcome.text == POETRY
    [item] = outcome.manual
    assert (item.rule, item.line, item.suggestion) == (
        UNSUPPORTED_RULE,
        line,
        f'{package} = "2"',
    )


@pytest.mark.parametrize(
    "spec, poetry",
    [
        ("==9.1.2", "9.1.2"),
        ("== 9.1.2", "9.1.2"),
        ("", "*"),
        (">=1.6,<2", ">=1.6,<2"),
        ("==2.*", "==2.*"),
        ("^8.2", "^8.2"),
    ],
)
def test_poetry_spec_translation(spec, poetry):
    assert poetry_spec(spec) == poetry


def test_crlf_file_stays_crlf_and_dropped_extras_give_the_string_form():
    text = (
        '[tool.poetry.dependencies]\r\npython = "^3.10"\r\n'
        'asyncio-mqtt = {version = "^0.16", extras = ["x"]}  # mqtt\r\n'
        "\r\n[tool.black]\r\nline-length = 100\r\n"
    )
    edits = [
        RequirementEdit("replace", "asyncio-mqtt", "==2.4.0", new_package="aiomqtt"),
        RequirementEdit("add", "paho-mqtt", "==2.1.0", extras=("proxy",)),
    ]
    outcome = edit_pyproject(text, FILE, edits, allow_add=True)
    assert outcome.text == (
        '[tool.poetry.dependencies]\r\npython = "^3.10"\r\n'
        'aiomqtt = "2.4.0"  # mqtt\r\n'
        'paho-mqtt = {version = "2.1.0", extras = ["proxy"]}\r\n'
        "\r\n[tool.black]\r\nline-length = 100\r\n"
    )
    assert outcome.applied == [
        "asyncio-mqtt ^0.16 -> aiomqtt 2.4.0 in tool.poetry.dependencies (line 3)",
        'paho-mqtt[proxy] = "2.1.0" added (line 4)',
    ]


def test_poetry_tables_split_by_other_tables_are_still_found_and_edited():
    text = (
        '[tool.poetry.dependencies]\npython = "^3.10"\ntenacity = "^8.2"\n\n'
        "[tool.black]\nline-length = 100\n\n"
        '[tool.poetry.group.dev.dependencies]\npytest = "8.3.5"\n'
    )
    assert [(d.section, d.line, d.name) for d in parse_pyproject(text, FILE)] == [
        ("tool.poetry.dependencies", 3, "tenacity"),
        ("tool.poetry.group.dev.dependencies", 9, "pytest"),
    ]
    outcome = edit_pyproject(
        text,
        FILE,
        [
            RequirementEdit("set", "tenacity", "==9.1.2"),
            RequirementEdit("set", "pytest", "==8.4.0"),
        ],
        allow_add=False,
    )
    assert diff(text, outcome.text) == (
        ['tenacity = "^8.2"\n', 'pytest = "8.3.5"\n'],
        ['tenacity = "9.1.2"\n', 'pytest = "8.4.0"\n'],
    )
