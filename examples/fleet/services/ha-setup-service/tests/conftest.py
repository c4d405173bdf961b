import pytest

from ha_setup_service.app import FakeHomeAssistant, SetupWizard

AUDIT: list[str] = []


@pytest.fixture(autouse=True)
async def audit_trail():
    AUDIT.clear()
    AUDIT.append("start")
    yield
    AUDIT.append("end")


@pytest.fixture
async def home():
    home = FakeHomeAssistant()
    yield home
    home.reachable = False  # a finished test must not leave a live instance behind


@pytest.fixture
async def wizard(home):
    wizard = SetupWizard(timeout=0.05)
    wizard.step("reach core", home.ping)
    return wizard
