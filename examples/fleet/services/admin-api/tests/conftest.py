import pytest

from admin_api.app import SettingsStore

DEFAULTS = {"retention_days": 30, "maintenance_mode": False, "ingest_batch_size": 500}


@pytest.fixture(scope="session")
async def defaults():
    # Loaded once per run from the (slow) defaults service in production.
    return dict(DEFAULTS)


@pytest.fixture
async def settings(defaults):
    store = SettingsStore(defaults)
    yield store
    assert store.version >= 0
