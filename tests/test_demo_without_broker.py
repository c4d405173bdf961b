"""The demo on a machine without `mosquitto`: the example fleet's two MQTT services (as they are in
examples/fleet) cannot run their broker tests, so their aiomqtt PRs must say **could not validate** (or
**no tests ran**), naming the missing broker, and never **Passed**; the demo closes them instead of merging.

The services' own helper also looks in /usr/sbin, so taking mosquitto off PATH is not enough: the demo runs
in a mount namespace where the binary is hidden (root, `unshare -m`); elsewhere the test is skipped."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo import FLEET
from bot.forge.local import LocalForge
from bot.publish.render import read_marker

MQTT_SERVICES = ("data-retention", "websocket-ingestion")
ROOT = Path(__file__).resolve().parent.parent


def hide_mosquitto_command() -> list[str] | None:
    """A shell prefix running a command where no mosquitto binary can be found, or None if this machine
    cannot make one."""
    unshare, found = shutil.which("unshare"), shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin:/usr/bin")
    if unshare is None:
        return None
    mounts = f"mount --bind /dev/null {found} && " if found else ""
    probe = subprocess.run([unshare, "-m", "sh", "-c", f"{mounts}! command -v mosquitto >/dev/null"
                            f"{' && ! test -x ' + found if found else ''}"], capture_output=True)
    return [unshare, "-m", "sh", "-c", mounts + 'exec "$@"', "hide-mosquitto"] if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    prefix = hide_mosquitto_command()
    if prefix is None:
        pytest.skip("cannot hide mosquitto here (needs root and `unshare -m`)")
    root = tmp_path_factory.mktemp("no-broker")
    fleet = root / "fleet"
    shutil.copy(FLEET / "upgrade-bot.toml", fleet.parent / "upgrade-bot.toml")
    for name in MQTT_SERVICES:
        shutil.copytree(FLEET / "services" / name, fleet / "services" / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    shutil.move(fleet.parent / "upgrade-bot.toml", fleet / "upgrade-bot.toml")
    script = ("import sys\nfrom pathlib import Path\nfrom bot.demo import run_demo\n"
              "run_demo(Path(sys.argv[1]), print, fleet=Path(sys.argv[2]))\n")
    done = subprocess.run([*prefix, sys.executable, "-c", script, str(root / "demo"), str(fleet)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    forge = LocalForge(root / "demo" / "monorepo" / ".git" / "upgrade-bot")
    prs = {(read_marker(p.body)["recipe"], read_marker(p.body)["service"]): p for p in forge.list_prs("upgrade-bot/")}
    return prs, done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("service", MQTT_SERVICES)
def test_mqtt_prs_are_never_passed_without_a_broker(rollout, service):
    prs, said = rollout
    pr = prs[("aiomqtt-2.4.0", service)]
    assert "**Passed**" not in pr.body
    assert "**Could not validate**" in pr.body or "**No test ran**" in pr.body
    assert "mosquitto is not installed" in pr.body and "checks-failing" not in pr.labels
    assert {"not-validated", "no-tests-ran"} & set(pr.labels)
    assert pr.state == "closed" and f"closed #{pr.number} " in said  # the demo does not merge it
