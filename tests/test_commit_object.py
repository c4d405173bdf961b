"""Commits written in-process (bot.commit_object) are the objects `git commit-tree` writes, byte for byte,
with git itself as the oracle; whatever git would change or refuse goes to `git commit-tree`."""
from __future__ import annotations

import subprocess

import pytest
from conftest import git

from bot.config import Identity
from bot.gitops import GitError, GitRepo

MESSAGES = ("one line", "ends with a newline\n", "subject\n\nbody, é ü 中文 🙂\n\n- item\n", "crlf\r\nkept",
            "  leading spaces and trailing\n\n\n")
IDENTITIES = (Identity(), Identity("Jane Q. Doe", "jane@example.com"), Identity("Zoë Ångström", "zoe@example.org"))
PINNED = ({"GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00"},
          {"GIT_AUTHOR_DATE": "@1700000000 -0330", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"},
          {"GIT_AUTHOR_DATE": "Mon, 3 Jul 2023 14:30:00 +0200"})  # the committer's date is now


@pytest.fixture
def repo(tmp_path):
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", "--initial-branch=main", str(work))
    (work / "a.txt").write_text("a\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "first")
    git(work, "commit", "-q", "--allow-empty", "-m", "second")
    return work


def by_git(work, tree: str, parents: list[str], message: str, identity: Identity) -> str:
    args = ["commit-tree", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    env = {"GIT_AUTHOR_NAME": identity.name, "GIT_AUTHOR_EMAIL": identity.email,
           "GIT_COMMITTER_NAME": identity.name, "GIT_COMMITTER_EMAIL": identity.email}
    return git(work, *args, env=env)


@pytest.fixture
def started(monkeypatch):
    """git's subcommands started from now on (in this process)."""
    names: list[str] = []
    real_init = subprocess.Popen.__init__

    def counting_init(self, args, *rest, **kw):
        names.append(args[1] if isinstance(args, (list, tuple)) else str(args))
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting_init)
    return names


def same_second(make_ours, make_gits) -> tuple[str, str]:
    """Both commits made within one clock second (unpinned dates are "now"), retried across a tick."""
    for _ in range(5):
        ours, theirs = make_ours(), make_gits()
        if ours == theirs:
            break
    return ours, theirs


@pytest.mark.parametrize("dates", PINNED, ids=["iso", "raw-and-zulu", "rfc2822-author-only"])
def test_commits_with_pinned_dates_are_the_objects_git_writes(repo, monkeypatch, dates, started):
    for name, value in dates.items():
        monkeypatch.setenv(name, value)
    head, first = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD~1")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    ours = GitRepo(repo)
    for message in MESSAGES:
        for identity in IDENTITIES:
            for parents in ([head], [head, first], []):
                made, expected = same_second(lambda: ours.commit_tree(tree, parents, message, identity),
                                             lambda: by_git(repo, tree, parents, message, identity))
                assert made == expected, (message, identity, parents)
    ours_only = GitRepo(repo)
    started.clear()
    ours_only.commit_tree(tree, [head], "again", IDENTITIES[1])
    ours_only.commit_tree(tree, [head], "and again", IDENTITIES[1])
    # git formats pinned dates once per identity; then no process at all
    assert [n for n in started if n in ("config", "var", "commit-tree")] == ["config", "var", "var"]


@pytest.mark.parametrize("dates", [{}, *PINNED], ids=["now", "iso", "raw-and-zulu", "rfc2822-author-only"])
def test_a_commit_written_here_is_described_as_gitpython_reads_it_back(repo, monkeypatch, dates):
    """commit() answers from memory for a commit this process wrote (the dashboard asks for every branch's head,
    on a first run the commit just written): author, subject, parents and tree as read back from the object."""
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in dates.items():
        monkeypatch.setenv(name, value)
    head, first = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD~1")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    ours, reader = GitRepo(repo), GitRepo(repo)
    for message in MESSAGES:
        for identity in IDENTITIES:
            for parents in ([head], [head, first], []):
                made = ours.commit_tree(tree, parents, message, identity)
                ours.flush()  # for the other reader (GitPython's): written objects are in this process until then
                assert made in ours._written and ours.commit(made) == reader.commit(made), (message, identity)


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns", "Asia/Kolkata", "America/Los_Angeles"])
def test_commits_made_now_carry_git_s_time_and_local_offset(repo, monkeypatch, zone, started):
    monkeypatch.delenv("GIT_AUTHOR_DATE", raising=False)
    monkeypatch.delenv("GIT_COMMITTER_DATE", raising=False)
    monkeypatch.setenv("TZ", zone)
    import time
    time.tzset()
    try:
        head, tree = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD^{tree}")
        ours = GitRepo(repo)
        for identity in IDENTITIES:
            made, expected = same_second(lambda: ours.commit_tree(tree, [head], MESSAGES[2], identity),
                                         lambda: by_git(repo, tree, [head], MESSAGES[2], identity))
            assert made == expected
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [n for n in started if n in ("config", "var")] == ["config"]  # by_git started the commit-trees


def test_what_git_would_change_or_refuse_is_left_to_git(repo, started):
    """Trimmed identities, text git rewrites, names it resolves, repeated parents, an encoding header:
    `git commit-tree` writes those, so they come out exactly as before."""
    head, first = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD~1")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    git(repo, "tag", "-a", "-m", "tagged", "v1", head)
    tag = git(repo, "rev-parse", "v1")
    ours = GitRepo(repo)
    cases = [(tree, [head], "msg", Identity(" bot. ", "<bot@example.com>")),
             (tree, [head], "noncharacter \ufffe here", Identity()),
             (tree, ["HEAD"], "a name, not an id", Identity()),
             ("HEAD^{tree}", [head], "a tree by name", Identity()),
             (tree, [head, first, head], "a repeated parent", Identity())]
    for tree_id, parents, message, identity in cases:
        started.clear()
        made = ours.commit_tree(tree_id, parents, message, identity)
        assert "commit-tree" in started, message
        assert git(repo, "cat-file", "-t", made) == "commit"
    git(repo, "config", "i18n.commitEncoding", "ISO-8859-1")
    started.clear()
    made = GitRepo(repo).commit_tree(tree, [head], "latin", Identity())
    assert "commit-tree" in started and "encoding ISO-8859-1" in git(repo, "cat-file", "commit", made)
    for tree_id, parents in (("1" * 40, [head]), (tree, [tag]), (head, [first])):  # missing, a tag, not a tree
        with pytest.raises(GitError, match="git commit-tree failed: fatal: .* valid"):  # git's own refusal
            GitRepo(repo).commit_tree(tree_id, parents, "refused", Identity())


def test_commit_gpgsign_does_not_sign_plumbing_so_in_process_commits_lose_nothing(repo, monkeypatch):
    """commit.gpgSign is read by `git commit`, not by `git commit-tree` (which the bot always used): with
    it set, and no key at all, git's plumbing still writes the same unsigned object the bot writes."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2024-01-01T00:00:00+00:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2024-01-01T00:00:00+00:00")
    git(repo, "config", "commit.gpgSign", "true")
    git(repo, "config", "user.signingKey", "0000000000000000")
    head, tree = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD^{tree}")
    ours = GitRepo(repo)
    made = ours.commit_tree(tree, [head], "signed?", Identity())
    ours.flush()
    assert made == by_git(repo, tree, [head], "signed?", Identity())
    assert "gpgsig" not in git(repo, "cat-file", "commit", made)
