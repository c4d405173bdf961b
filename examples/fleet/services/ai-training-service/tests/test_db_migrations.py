"""Schema migrations check. Broken on main since the ORM was dropped: alembic is no longer installed.

This is the "pre-existing alembic import error" of the Phase 2 report: it fails before and after any
library upgrade, so upgrade-bot shows it apart instead of blaming the migration."""
from alembic.config import Config


def test_migrations_are_linear():
    assert Config("alembic.ini").get_main_option("script_location")
