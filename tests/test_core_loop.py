"""The whole loop on real git repositories with a bare origin and the local forge."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service

from bot.publish.render import read_marker


def test_run_opens_a_pr_per_job_of_the_first_wave(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    prs = local_forge(widgets_repo).list_prs("upgrade-bot/")
    assert [p.head for p in prs] == ["upgrade-bot/widgets-2.0/alpha"]
    body = prs[0].body
    assert "services/alpha/alpha/core.py" in body and "WID001" in body
    assert read_marker(body)["service"] == "alpha"
    branch = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    assert git(widgets_repo.origin, "show", f"{branch}:services/alpha/requirements.txt") == \
        "# runtime\nwidgets==2.0  # pinned by ops\nrequests>=2"
    author = git(widgets_repo.origin, "log", "-1", "--format=%an <%ae>|%s", branch)
    assert author == "upgrade-bot <upgrade-bot@users.noreply.local>|chore(deps): upgrade widgets to 2.0 in alpha"
    assert "waits for wave 1 (low)" in capsys.readouterr().out


def test_second_run_changes_nothing(widgets_repo, capsys):
    assert run_bot(widgets_repo, "run") == 0
    forge = local_forge(widgets_repo)
    refs, prs = widgets_repo.origin_refs(), (forge.root / "prs" / "1.json").read_text()
    objects = git(widgets_repo.work, "count-objects")
    assert run_bot(widgets_repo, "run") == 0
    assert widgets_repo.origin_refs() == refs
    assert (forge.root / "prs" / "1.json").read_text() == prs
    assert git(widgets_repo.work, "count-objects") == objects  # not even an unreferenced commit
    assert "1 unchanged" in capsys.readouterr().out


def test_moved_base_regenerates_the_branch_and_updates_the_pr_in_place(widgets_repo):
    run_bot(widgets_repo, "run")
    old_head = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    new_main = widgets_repo.commit_on_main({"services/alpha/alpha/extra.py": "VALUE = 1\n"})
    assert run_bot(widgets_repo, "run") == 0
    new_head = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    assert new_head != old_head
    assert git(widgets_repo.origin, "rev-parse", f"{new_head}^") == new_main
    prs = local_forge(widgets_repo).list_prs("upgrade-bot/")
    assert len(prs) == 1 and read_marker(prs[0].body)["base"] == new_main


def test_a_base_move_outside_the_service_regenerates_nothing(widgets_repo, capsys):
    run_bot(widgets_repo, "run")
    forge = local_forge(widgets_repo)
    head, pr = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha"), (forge.root / "prs" / "1.json").read_text()
    widgets_repo.commit_on_main({"docs/notes.md": "moved\n", "services/beta/beta/extra.py": "X = 1\n"})
    assert run_bot(widgets_repo, "run") == 0
    assert widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha") == head
    assert (forge.root / "prs" / "1.json").read_text() == pr
    assert "1 unchanged" in capsys.readouterr().out


def test_rebase_on_any_base_move_regenerates_on_a_move_outside_the_service(widgets_repo):
    widgets_repo.commit_on_main({"upgrade-bot.toml": WIDGETS_CONFIG.replace(
        "[tiers]", "rebase-on-any-base-move = true\n\n[tiers]")})
    (widgets_repo.work / "upgrade-bot.toml").write_text(WIDGETS_CONFIG.replace(
        "[tiers]", "rebase-on-any-base-move = true\n\n[tiers]"))
    run_bot(widgets_repo, "run")
    old_head = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    new_main = widgets_repo.commit_on_main({"docs/notes.md": "moved\n"})
    assert run_bot(widgets_repo, "run") == 0
    new_head = widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha")
    assert new_head != old_head and git(widgets_repo.origin, "rev-parse", f"{new_head}^") == new_main


def test_waves_open_in_order_and_critical_services_one_at_a_time(widgets_repo):
    forge = local_forge(widgets_repo)
    run_bot(widgets_repo, "run")
    assert run_bot(widgets_repo, "local", "merge", "1") == 0
    run_bot(widgets_repo, "run")
    assert [p.head.split("/")[-1] for p in forge.list_prs("upgrade-bot/")] == ["alpha", "beta"]
    run_bot(widgets_repo, "local", "merge", "2")
    run_bot(widgets_repo, "run")
    open_now = [p.head.split("/")[-1] for p in forge.list_prs("upgrade-bot/") if p.state == "open"]
    assert open_now == ["delta"]  # gamma waits: critical services go one at a time
    run_bot(widgets_repo, "run")
    assert len(forge.list_prs("upgrade-bot/")) == 3
    run_bot(widgets_repo, "local", "merge", "3")
    run_bot(widgets_repo, "run")
    assert [p.head.split("/")[-1] for p in forge.list_prs("upgrade-bot/") if p.state == "open"] == ["gamma"]


def test_all_waves_ignores_gating(widgets_repo):
    assert run_bot(widgets_repo, "run", "--all-waves") == 0
    assert len(local_forge(widgets_repo).list_prs("upgrade-bot/")) == 4  # critical ones too, all at once


def test_local_merge_makes_a_real_merge_commit_that_git_revert_undoes(widgets_repo):
    run_bot(widgets_repo, "run")
    before = git(widgets_repo.origin, "rev-parse", "main")
    run_bot(widgets_repo, "local", "merge", "1")
    merge = git(widgets_repo.origin, "rev-parse", "main")
    assert git(widgets_repo.origin, "rev-list", "--parents", "-n1", merge).split()[1] == before
    pr = local_forge(widgets_repo).get_pr(1)
    assert (pr.state, pr.merge_sha) == ("merged", merge)
    git(widgets_repo.work, "pull", "-q", "origin", "main")
    git(widgets_repo.work, "revert", "-m", "1", "--no-edit", merge)
    assert git(widgets_repo.work, "diff", before, "HEAD", "--stat") == ""


def test_dry_run_prints_diffs_and_changes_nothing(widgets_repo, capsys):
    refs = widgets_repo.origin_refs()
    assert run_bot(widgets_repo, "run", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "-    return widgets.old_call(1)\n+    return widgets.new_call(1)" in out
    assert "+widgets==2.0  # pinned by ops" in out
    assert widgets_repo.origin_refs() == refs
    assert local_forge(widgets_repo).list_prs("") == []


def test_users_checkout_is_never_touched(widgets_repo):
    work = widgets_repo.work
    (work / "services/alpha/alpha/core.py").write_text("# local edit in progress\n")
    (work / "scratch.txt").write_text("untracked\n")
    git(work, "add", "scratch.txt")
    status, head = git(work, "status", "--porcelain"), git(work, "rev-parse", "HEAD")
    assert run_bot(widgets_repo, "run", "--all-waves") == 0
    assert git(work, "status", "--porcelain") == status
    assert git(work, "rev-parse", "HEAD") == head
    assert git(work, "branch", "--list") == "* main"


def test_a_branch_with_a_human_commit_is_left_alone(widgets_repo, capsys):
    run_bot(widgets_repo, "run")
    human_head = widgets_repo.push_commit("upgrade-bot/widgets-2.0/alpha", {
        "services/alpha/alpha/core.py": "import widgets\n\n\ndef go():\n    return 2\n"}, "fix by hand")
    widgets_repo.commit_on_main({"docs/x.md": "base moves\n"})
    assert run_bot(widgets_repo, "run") == 0
    assert widgets_repo.origin_branch("upgrade-bot/widgets-2.0/alpha") == human_head
    out = capsys.readouterr().out
    assert "blocked" in out and "not made by the bot" in out


def test_broken_services_fail_alone_and_leave_no_branch(tmp_path, capsys):
    files = {"upgrade-bot.toml": WIDGETS_CONFIG}
    for name in ("alpha", "broken-syntax", "broken-reqs", "broken-pyproject"):
        files.update(widgets_service(name))
    files["services/broken-syntax/broken_syntax.py"] = "def oops(:\n"
    files["services/broken-reqs/requirements.txt"] = b"widgets==1.4\n\xff\xfe bad bytes\n"
    files["services/broken-pyproject/pyproject.toml"] = "[project\nname = 'x'\n"
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "run", "--all-waves") == 1
    out = capsys.readouterr().out
    prs = local_forge(repo).list_prs("upgrade-bot/")
    assert [p.head.split("/")[-1] for p in prs] == ["alpha"]
    assert "services/broken-syntax/broken_syntax.py:1: syntax error" in out
    assert "services/broken-reqs/requirements.txt: unreadable: not UTF-8 text" in out
    assert "services/broken-pyproject/pyproject.toml: " in out and "invalid TOML" in out
    branches = git(repo.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/")
    assert branches.split() == ["main", "upgrade-bot/widgets-2.0/alpha"]


def test_plan_json_lists_jobs_waves_and_reasons_for_skipped_dirs(widgets_repo, capsys):
    git(widgets_repo.work, "rm", "-q", "README.md")
    (widgets_repo.work / "services/notes").mkdir()
    widgets_repo.commit_on_main({"services/notes/README.md": "not a service\n",
                                 "services/other/requirements.txt": "flask==3.0\n"})
    assert run_bot(widgets_repo, "plan", "--json") == 0
    plan = json.loads(capsys.readouterr().out)
    # waves are numbered as they run: no tier is high here, so the critical ones are wave 3, not 4
    assert [(j["service"], j["wave"], j["tier"]) for j in plan["jobs"]] == [
        ("alpha", 1, "low"), ("beta", 2, "medium"), ("delta", 3, "critical"), ("gamma", 3, "critical")]
    reasons = {s["path"]: s["reason"] for s in plan["skipped"]}
    assert "no requirements" in reasons["services/notes"]
    assert "no recipe applies" in reasons["services/other"]


def test_bad_config_is_one_line_naming_file_and_key(widgets_repo, capsys):
    (widgets_repo.work / "upgrade-bot.toml").write_text('[tiers]\nalpha = "urgent"\n')
    assert run_bot(widgets_repo, "plan") == 2
    err = capsys.readouterr().err.strip()
    assert err == "upgrade-bot: error: upgrade-bot.toml: tiers.alpha: 'urgent' is not one of low, medium, high, critical"


def test_long_manual_list_overflows_into_comments_and_keeps_the_marker(tmp_path):
    legacy_calls = "".join(f"widgets.legacy()  # call site {i} {'x' * 150}\n" for i in range(500))
    files = {"upgrade-bot.toml": WIDGETS_CONFIG}
    files.update(widgets_service("alpha", legacy_calls))
    repo = Monorepo(tmp_path, files)
    assert run_bot(repo, "run") == 0
    forge = local_forge(repo)
    pr = forge.list_prs("upgrade-bot/")[0]
    assert len(pr.body) <= 65_536 and read_marker(pr.body)["service"] == "alpha"
    comments = forge.list_comments(pr.number)
    assert comments and all(len(c.body) <= 65_536 for c in comments)
    listed = pr.body.count("- [ ] **`") + sum(c.body.count("- [ ] **`") for c in comments)
    assert listed == 500
    assert run_bot(repo, "run") == 0
    assert len(forge.list_comments(pr.number)) == len(comments)


def test_a_run_with_skipped_checks_never_loads_the_check_machinery(widgets_repo):
    script = ("import sys\nat_start = set(sys.modules)\nfrom bot.cli import main\n"  # not what site loaded
              f"code = main(['--repo', {str(widgets_repo.work)!r}, 'run', '--skip-checks'])\n"
              "print(code, sorted(m for m in set(sys.modules) - at_start if m.startswith(('bot.validation.', 'xml.', "
              "'tarfile', 'multiprocessing', 'concurrent.', 'difflib', 'importlib.metadata', 'email', 'socket'))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    code, loaded = out.splitlines()[-1].split(" ", 1)
    assert code == "0" and len(local_forge(widgets_repo).list_prs("upgrade-bot/")) == 1
    for unused in ("bot.validation.runner", "bot.validation.checks", "bot.validation.verdict", "tarfile",
                   "bot.validation.envs"):  # environments: only lock tools and checks need them
        assert f"'{unused}'" not in loaded
    # nor what only other runs use: worker processes (one service: no pool), a dry run's diffs
    for unused in ("multiprocessing", "concurrent.futures.process", "difflib"):
        assert f"'{unused}'" not in loaded
    # nor importlib.metadata (and the email package it imports) when no installed package registers recipes
    for unused in ("importlib.metadata", "email.message"):
        assert f"'{unused}'" not in loaded
    assert "'socket'" not in loaded  # the run lock's host name comes from platform.node()
