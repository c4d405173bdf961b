"""Issue 18 item 5 on the local forge: a person merging the base into a bot branch, and draft PRs."""
from __future__ import annotations

import json

from conftest import WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service

BRANCH = "upgrade-bot/widgets-2.0/alpha"


def merge_main_into(repo: Monorepo, branch: str, edit: dict[str, str] | None = None) -> str:
    """What "Update branch" does, by hand: `git merge origin/main` on the branch (editing files while
    merging, when `edit` is given), pushed."""
    other = repo.work.parent / "merger"
    if not other.exists():
        git(repo.work.parent, "clone", "-q", str(repo.origin), str(other))
    git(other, "fetch", "-q", "origin")
    git(other, "checkout", "-q", "-B", branch, f"origin/{branch}")
    git(other, "merge", "-q", "--no-ff", "--no-commit", "origin/main")
    for path, text in (edit or {}).items():
        (other / path).write_text(text)
    git(other, "add", "-A")
    git(other, "commit", "-qm", f"Merge branch 'main' into {branch}")
    git(other, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return git(other, "rev-parse", "HEAD")


def test_a_base_merged_into_a_bot_branch_is_kept_then_regenerated_over(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    widgets_repo.commit_on_main({"docs/notes.md": "moved\n"})
    merged = merge_main_into(widgets_repo, BRANCH)
    capsys.readouterr()
    assert run_bot(widgets_repo, "run") == 0
    out = capsys.readouterr().out
    assert "not made by the bot" not in out and "1 unchanged" in out
    assert widgets_repo.origin_branch(BRANCH) == merged

    new_main = widgets_repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    assert run_bot(widgets_repo, "run") == 0
    out = capsys.readouterr().out
    assert "not made by the bot" not in out and "1 updated" in out
    head = widgets_repo.origin_branch(BRANCH)
    assert git(widgets_repo.origin, "rev-list", "--parents", "-n1", head).split()[1:] == [new_main]
    [pr] = local_forge(widgets_repo).list_prs("upgrade-bot/")
    assert pr.state == "open"
    capsys.readouterr()
    assert run_bot(widgets_repo, "status", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["service"], r["state"]) for r in rows if r["service"] == "alpha"] == [
        ("alpha", "could not validate")]  # --skip-checks: nothing was validated


def test_a_merge_with_edits_of_its_own_is_human_work(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    widgets_repo.commit_on_main({"docs/notes.md": "moved\n"})
    merged = merge_main_into(widgets_repo, BRANCH, {"services/alpha/NOTES.md": "checked by hand\n"})
    widgets_repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    capsys.readouterr()
    assert run_bot(widgets_repo, "run") == 0
    assert "has 1 commit(s) not made by the bot" in capsys.readouterr().out
    assert widgets_repo.origin_branch(BRANCH) == merged


def test_a_merge_of_another_branch_is_human_work(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    widgets_repo.push_commit("feature", {"docs/feature.md": "x\n"}, start="main")
    other = widgets_repo.work.parent / "other"
    git(other, "checkout", "-q", "-B", BRANCH, f"origin/{BRANCH}")
    git(other, "merge", "-q", "--no-ff", "-m", "bring feature in", "origin/feature")
    git(other, "push", "-q", "origin", f"HEAD:refs/heads/{BRANCH}")
    widgets_repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    capsys.readouterr()
    assert run_bot(widgets_repo, "run") == 0
    assert "commit(s) not made by the bot" in capsys.readouterr().out


def test_draft_on_the_local_forge(tmp_path, capsys):
    files = {"upgrade-bot.toml": WIDGETS_CONFIG.replace("[tiers]\n", "draft = true\n\n[tiers]\n"),
             **widgets_service("alpha")}
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "run") == 0
    [pr] = local_forge(repo).list_prs("upgrade-bot/")
    assert pr.draft
    capsys.readouterr()
    assert run_bot(repo, "local", "show", "1") == 0
    assert capsys.readouterr().out.startswith("#1 [open, draft] ")
    assert run_bot(repo, "local", "merge", "1") == 1  # as on GitHub: a draft is not merged
    assert "#1 is a draft" in capsys.readouterr().err
    assert run_bot(repo, "local", "ready", "1") == 0
    assert run_bot(repo, "local", "merge", "1") == 0
    assert local_forge(repo).get_pr(1).state == "merged"


def test_retry_replays_the_human_commit_and_drops_the_merge_of_the_base(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    widgets_repo.commit_on_main({"docs/notes.md": "moved\n"})
    merge_main_into(widgets_repo, BRANCH)
    human = widgets_repo.push_commit(BRANCH, {"services/alpha/NOTES.md": "checked by hand\n"}, "notes by hand")
    capsys.readouterr()
    assert run_bot(widgets_repo, "local", "comment", "1", "/retry") == 0
    assert "replayed 1 commit(s) pushed by humans" in capsys.readouterr().out
    head = widgets_repo.origin_branch(BRANCH)
    main = widgets_repo.origin_branch("main")
    log = git(widgets_repo.origin, "log", "--format=%P|%an|%s", f"{main}..{head}").splitlines()
    assert [line.split("|", 1)[1] for line in log] == ["Dana Human|notes by hand",
                                                         "upgrade-bot|chore(deps): upgrade widgets to 2.0 in alpha"]
    assert all(len(line.split("|")[0].split()) == 1 for line in log)  # no merge commit left
    assert git(widgets_repo.origin, "show", f"{head}:services/alpha/NOTES.md") == "checked by hand"
    assert head != human
