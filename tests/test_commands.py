"""/retry, /revert and the command guards, on the local forge with real git repositories."""
from __future__ import annotations

import json

from conftest import Monorepo, git, local_forge, run_bot

from bot.commands.parse import parse_command

BRANCH = "upgrade-bot/widgets-2.0/alpha"


def push_human_commit(repo: Monorepo, files: dict[str, str], message: str = "fix by hand") -> str:
    return repo.push_commit(BRANCH, files, message)


def comment(repo: Monorepo, body: str, user: str = "local-maintainer") -> str:
    forge = local_forge(repo)
    before = len(forge.list_comments(1))
    assert run_bot(repo, "local", "comment", "1", body, "--user", user) == 0
    replies = forge.list_comments(1)[before + 1:]
    return replies[-1].body if replies else ""


def test_retry_by_a_writer_keeps_the_human_commit_on_a_fresh_base(widgets_repo):
    run_bot(widgets_repo, "run")
    human = push_human_commit(widgets_repo, {"services/alpha/NOTES.md": "checked by hand\n"})
    new_main = widgets_repo.commit_on_main({"docs/base.md": "moved\n"})
    reply = comment(widgets_repo, "/retry")
    assert "replayed 1 commit(s) pushed by humans" in reply
    head = widgets_repo.origin_branch(BRANCH)
    log = git(widgets_repo.origin, "log", "--format=%an|%s", f"{new_main}..{head}").splitlines()
    assert log == ["Dana Human|fix by hand", "upgrade-bot|chore(deps): upgrade widgets to 2.0 in alpha"]
    assert git(widgets_repo.origin, "show", f"{head}:services/alpha/NOTES.md") == "checked by hand"
    assert head != human
    forge = local_forge(widgets_repo)
    assert "eyes" in forge.reactions(forge.list_comments(1)[0].id)
    assert new_main in forge.get_pr(1).body


def test_retry_force_drops_human_commits(widgets_repo):
    run_bot(widgets_repo, "run")
    push_human_commit(widgets_repo, {"services/alpha/NOTES.md": "x\n"})
    reply = comment(widgets_repo, "/retry --force")
    assert "dropped 1 commit(s)" in reply
    head = widgets_repo.origin_branch(BRANCH)
    assert git(widgets_repo.origin, "log", "--format=%an", f"main..{head}") == "upgrade-bot"


def test_retry_that_conflicts_leaves_branch_and_pr_untouched(widgets_repo):
    run_bot(widgets_repo, "run")
    human = push_human_commit(widgets_repo, {"README.md": "edited on the branch\n"}, "reword readme")
    widgets_repo.commit_on_main({"README.md": "edited on main\n"})
    body = local_forge(widgets_repo).get_pr(1).body
    reply = comment(widgets_repo, "/retry")
    assert f"Could not replay commit {human[:12]} (\"reword readme\" by Dana Human)" in reply
    assert widgets_repo.origin_branch(BRANCH) == human
    assert local_forge(widgets_repo).get_pr(1).body == body


def test_retry_by_a_reader_is_refused_and_changes_nothing(widgets_repo):
    run_bot(widgets_repo, "run")
    forge = local_forge(widgets_repo)
    forge.set_permission("visitor", "read")
    widgets_repo.commit_on_main({"docs/base.md": "moved\n"})
    refs, body = widgets_repo.origin_refs(), forge.get_pr(1).body
    reply = comment(widgets_repo, "/retry", user="visitor")
    assert reply == "@visitor: `/retry` needs write access to this repository (you have `read`). Nothing was changed."
    assert widgets_repo.origin_refs() == refs and forge.get_pr(1).body == body
    assert forge.reactions(forge.list_comments(1)[0].id) == []


def test_revert_opens_a_pr_whose_diff_is_the_inverse_of_the_merge(widgets_repo):
    run_bot(widgets_repo, "run")
    before = git(widgets_repo.origin, "rev-parse", "main")
    run_bot(widgets_repo, "local", "merge", "1")
    merged = git(widgets_repo.origin, "rev-parse", "main")
    reply = comment(widgets_repo, "/revert")
    assert reply.startswith("Opened #2 to revert this PR")
    forge = local_forge(widgets_repo)
    revert = forge.get_pr(2)
    assert revert.title.startswith("Revert: ") and "Reverts #1" in revert.body
    head = widgets_repo.origin_branch(revert.head)
    forward = git(widgets_repo.origin, "diff", before, merged)
    backward = git(widgets_repo.origin, "diff", head, merged)
    assert forward and forward == backward  # reverting brings the tree back exactly
    assert git(widgets_repo.origin, "diff", before, head) == ""
    assert run_bot(widgets_repo, "local", "merge", "2") == 0
    assert run_bot(widgets_repo, "status") == 0


def test_revert_lists_the_original_manual_items_as_undone(tmp_path):
    from conftest import WIDGETS_CONFIG, widgets_service
    files = {"upgrade-bot.toml": WIDGETS_CONFIG}
    files.update(widgets_service("alpha", "widgets.legacy()\n"))
    repo = Monorepo(tmp_path, files)
    run_bot(repo, "run")
    run_bot(repo, "local", "merge", "1")
    assert run_bot(repo, "revert", "--pr", "1") == 0
    body = local_forge(repo).get_pr(2).body
    assert "- [x] ~~**`services/alpha/alpha/core.py:6`** (WID002)" in body and "(undone)" in body


def test_commands_on_a_pr_the_bot_did_not_open_are_refused(widgets_repo):
    forge = local_forge(widgets_repo)
    forge.open_pr(head="feature/x", base="main", title="human work", body="no marker here", labels=[], reviewers=[])
    assert comment(widgets_repo, "/retry") == "upgrade-bot commands only work on pull requests upgrade-bot opened."


def test_malicious_comment_is_neither_executed_nor_echoed(widgets_repo, tmp_path):
    run_bot(widgets_repo, "run")
    canary = tmp_path / "pwned"
    evil = f"/retry $(touch {canary}) `touch {canary}` <script>alert(1)</script>"
    reply = comment(widgets_repo, evil)
    assert not canary.exists()
    assert "$(" not in reply and "<script>" not in reply and "`touch" not in reply
    assert reply.startswith("Unknown command or arguments: `/retry`.")
    assert "/retry --force" in reply  # the help lists the commands


def test_bots_and_plain_comments_get_no_reply(widgets_repo, tmp_path):
    run_bot(widgets_repo, "run")
    forge = local_forge(widgets_repo)
    event = {"action": "created", "issue": {"number": 1, "pull_request": {"url": "local:1"}},
             "comment": {"id": 99, "body": "/retry", "user": {"login": "other-bot[bot]", "type": "Bot"}}}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    before = len(forge.list_comments(1))
    assert run_bot(widgets_repo, "command", "--event", str(path)) == 0
    assert comment(widgets_repo, "looks good to me") == ""
    assert len(forge.list_comments(1)) == before + 1  # only the human's plain comment


def test_parse_command():
    assert parse_command("/retry").name == "retry"
    assert parse_command("/retry --force\nplease").force is True
    assert parse_command("/retry --hard").name == "unknown"
    assert parse_command("please /retry") is None
    assert parse_command("/REVERT").name == "revert"
