"""A comment command runs beside the rollout, so two processes write the same local-forge PR record: the run
rewrites its body, the command reacts to a comment, closes or merges. Each write reads the record, changes one
field and writes the whole record back; without the forge's lock around the read and the write, the second
writer would put back the record as it read it and drop the first writer's change."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from bot.forge.local import LocalForge

pytestmark = pytest.mark.fault

ROUNDS = 100

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot.forge.local import LocalForge
    forge = LocalForge(Path(sys.argv[1]))
    role, rounds = sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # both writers start together
    for i in range(rounds):
        if role == "run":
            forge.update_pr(1, body=f"body {i}")
            forge.mark_ready(2)
        else:
            forge.react(1, f"reaction-{i}")
            forge.update_pr(2, labels=[f"label-{i}"])
            forge.set_permission(f"user-{i}", "write")
""")


def _writer(state_dir, role: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(state_dir), role, str(ROUNDS)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def test_two_processes_writing_one_pr_record_keep_both_changes(tmp_path):
    state_dir = tmp_path / "state"
    forge = LocalForge(state_dir)
    for head in ("upgrade-bot/a", "upgrade-bot/b"):
        forge.open_pr(head=head, base="main", title=head, body="first", labels=[], reviewers=[], draft=True)
    comment = forge.comment(1, "/retry", user="maintainer", user_type="User")
    assert comment.id == 1

    writers = [_writer(state_dir, "run"), _writer(state_dir, "command")]
    for process in writers:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in writers:
        process.stdin.close()
        assert process.wait(timeout=120) == 0

    reread = LocalForge(state_dir)
    first, second = reread.get_pr(1), reread.get_pr(2)
    assert first.body == f"body {ROUNDS - 1}"
    assert reread.reactions(1) == [f"reaction-{i}" for i in range(ROUNDS)]  # none dropped by a body update
    assert second.labels == [f"label-{ROUNDS - 1}"] and second.draft is False
    permissions = json.loads((state_dir / "forge" / "meta.json").read_text())["permissions"]
    assert all(permissions[f"user-{i}"] == "write" for i in range(ROUNDS))
