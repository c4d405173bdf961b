"""Which directories are services: the root of a single-package repository, the configured globs,
and one clear line (non-zero exit) when nothing is found or the layout is ambiguous."""
import pytest
from conftest import Monorepo

from bot.change.recipe import load_recipes
from bot.cli import main
from bot.config import Config, parse_config
from bot.config import BUNDLED_RECIPES
from bot.discover.services import discover_configured
from bot.discover.snapshot import MemorySnapshot
from bot.errors import ConfigError
from bot.plan.jobs import make_plan

PYPROJECT = '[project]\nname = "retry-app"\nversion = "1.0"\ndependencies = ["tenacity==8.2.3"]\n'
CODE = "import tenacity\n"


def services_of(files, config=None):
    services, skipped = discover_configured(MemorySnapshot(files), config or Config(source=""))
    return services, skipped


def test_unconfigured_repository_with_a_root_project_is_one_service():
    services, _ = services_of({"pyproject.toml": PYPROJECT, "retry_app/core.py": CODE, "tests/test_core.py": ""})
    [root] = services
    assert (root.name, root.path) == ("retry-app", ".")
    assert "retry_app/core.py" in root.files and root.depends_on("tenacity")
    recipes = [r for r in load_recipes([BUNDLED_RECIPES]) if r.id == "tenacity-9.1.2"]
    [job] = make_plan(services, [], recipes, Config(source="")).jobs
    assert job.branch == "upgrade-bot/tenacity-9.1.2"


def test_requirements_at_the_root_make_it_a_service_and_explicit_dot_works_too():
    services, _ = services_of({"requirements.txt": "tenacity==8.2.3\n", "app.py": CODE})
    assert [s.path for s in services] == ["."]
    config = parse_config({"services": "."}, "upgrade-bot.toml", None)
    both = {"pyproject.toml": PYPROJECT, "services/a/requirements.txt": "tenacity==8.2.3\n"}
    assert [s.path for s in services_of(both, config)[0]] == ["."]


def test_tool_only_pyproject_at_the_root_keeps_the_services_folder_layout():
    files = {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "services/a/requirements.txt": "tenacity==8.2.3\n"}
    assert [s.path for s in services_of(files)[0]] == ["services/a"]


def test_mixed_layout_is_refused_unless_configured():
    files = {"pyproject.toml": PYPROJECT, "services/a/requirements.txt": "tenacity==8.2.3\n"}
    with pytest.raises(ConfigError, match=r"mixed layout: .*services = \"\.\""):
        services_of(files)
    config = parse_config({"services": "services/*"}, "upgrade-bot.toml", None)
    assert [s.path for s in services_of(files, config)[0]] == ["services/a"]


def test_a_glob_that_finds_no_service_says_what_it_saw():
    config = parse_config({"services": "apps/*"}, "upgrade-bot.toml", None)
    with pytest.raises(ConfigError) as caught:
        services_of({"services/a/requirements.txt": "x\n", "README.md": ""}, config)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith('upgrade-bot.toml: services: "apps/*" found no service: matched nothing')
    assert "README.md, services/" in message
    with pytest.raises(ConfigError, match=r"matched 1 folder\(s\), none a service \(services/docs\)"):
        services_of({"services/docs/index.md": ""})


def test_cli_exits_non_zero_with_one_line_when_no_service_is_found(tmp_path, capsys):
    repo = Monorepo(tmp_path, {"README.md": "docs only\n"})
    assert main(["--repo", str(repo.work), "plan"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and '"services/*" found no service' in err
