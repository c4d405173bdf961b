"""Speed and scale without timing anything: a no-op run reads and parses no file, serial, parallel and
sharded runs make the same branches and PR bodies, and the GitHub request count of a run is bounded."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter

import libcst
import pytest
from conftest import WIDGETS_CONFIG, Monorepo, git, local_forge, run_bot, widgets_service
from test_github_flow import LOW_SERVICES, wave_world  # noqa: F401 (a fixture)

import bot.parallel as parallel_module
from bot.assemble import build_runner
from bot.change.recipe import load_recipes
from bot.config import load_config
from bot.discover.service_files import ServiceFiles
from bot.gitops import GitRepo
from bot.plan.shards import Shard, matrix, parse_shard, shard_count, shard_of

SERVICES = ("alpha", "beta", "gamma", "delta", "echo", "foxtrot", "golf")


@pytest.fixture
def counters(monkeypatch):
    """Counts libcst parses and the service files read (by path) in this process (one at a time or together)."""
    counts = {"parses": 0, "read": []}
    real_parse, real_decode = libcst.parse_module, ServiceFiles._decode

    def parse(*args, **kwargs):
        counts["parses"] += 1
        return real_parse(*args, **kwargs)

    def decode(self, path, data):
        counts["read"].append(path)
        return real_decode(self, path, data)

    monkeypatch.setattr(libcst, "parse_module", parse)
    monkeypatch.setattr(ServiceFiles, "_decode", decode)
    return counts


def fleet(tmp_path, names=SERVICES) -> Monorepo:
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = {"upgrade-bot.toml": WIDGETS_CONFIG, "README.md": "fleet\n"}
    for name in names:
        files.update(widgets_service(name, extra=f"\n\ndef more():\n    return widgets.legacy()  # {name}\n"))
    return Monorepo(tmp_path, files)


def clone(repo: Monorepo, target) -> Monorepo:
    """The same repositories (same shas) in another place, its checkout pointing at its own origin."""
    shutil.copytree(repo.work.parent, target, symlinks=True)
    copy = Monorepo.__new__(Monorepo)
    copy.origin, copy.work = target / "origin.git", target / "work"
    git(copy.work, "remote", "set-url", "origin", str(copy.origin))
    return copy


def outcome(repo: Monorepo) -> dict:
    """Per bot branch: its tree, parent and message; per PR: title, body, labels. No commit shas (dates)."""
    branches = {}
    refs = git(repo.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/upgrade-bot/")
    for branch in refs.split():
        branches[branch] = git(repo.origin, "log", "-1", "--format=%T %P %an %B", branch)
    prs = {p.head: (p.title, p.body, p.labels, p.state) for p in local_forge(repo).list_prs("")}
    return {"branches": branches, "prs": prs}


def test_a_noop_run_reads_and_parses_no_file(tmp_path, counters, capsys):
    repo = fleet(tmp_path)
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    assert counters["parses"] > 0 and any(p.endswith(".py") for p in counters["read"])  # the counters count
    counters["parses"], counters["read"] = 0, []
    capsys.readouterr()
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    assert counters["parses"] == 0
    assert counters["read"] == ["requirements.txt"] * len(SERVICES)  # what planning needs, and nothing else
    assert f"{len(SERVICES)} job(s): {len(SERVICES)} unchanged" in capsys.readouterr().out


def test_a_base_move_recomputes_only_the_service_it_touched(tmp_path, counters, capsys):
    repo = fleet(tmp_path)
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    repo.commit_on_main({"services/beta/beta/core.py": "import widgets\n\n\ndef go():\n    return widgets.old_call(2)\n",
                         "docs/elsewhere.md": "x\n"})
    counters["parses"], counters["read"] = 0, []
    capsys.readouterr()
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    assert 1 <= counters["parses"] <= 2  # beta's Python files at most, no other service's
    assert {p for p in counters["read"] if p.endswith(".py")} == {"beta/__init__.py", "beta/core.py"}
    assert f"{len(SERVICES)} job(s): {len(SERVICES) - 1} unchanged, 1 updated" in capsys.readouterr().out


def test_serial_parallel_and_sharded_runs_make_the_same_branches_and_prs(tmp_path, monkeypatch):
    serial = fleet(tmp_path / "serial")
    parallel, sharded = clone(serial, tmp_path / "parallel"), clone(serial, tmp_path / "sharded")
    spawned = clone(serial, tmp_path / "spawned")
    monkeypatch.setattr(parallel_module, "SPAWN_WORTH_IT", 2)  # spawn even for this small fleet
    assert run_bot(serial, "run", "--all-waves", "-j", "1") == 0
    assert run_bot(parallel, "run", "--all-waves", "-j", "3") == 0
    release = threading.Event()
    other_thread = threading.Thread(target=release.wait)  # with another thread alive, workers are spawned
    other_thread.start()
    try:
        assert run_bot(spawned, "run", "--all-waves", "-j", "2") == 0
    finally:
        release.set()
        other_thread.join()
    for index in (2, 1, 3):  # any order: shards share no service
        assert run_bot(sharded, "run", "--all-waves", "--shard", f"{index}/3") == 0
    assert not (local_forge(sharded).root / "dashboard.md").exists(), "shards leave the dashboard alone"
    assert run_bot(sharded, "dashboard") == 0
    expected = outcome(serial)
    assert len(expected["branches"]) == len(SERVICES) == len(expected["prs"])
    assert outcome(parallel) == expected
    assert outcome(spawned) == expected
    # PR numbers follow the order PRs were opened in, so compare the sharded PRs by branch
    assert outcome(sharded)["branches"] == expected["branches"]
    assert outcome(sharded)["prs"] == expected["prs"]
    # the dashboards too, PR links aside (numbers follow the opening order, paths the repository's place)
    dashboards = [re.sub(r"\[#\d+\]\([^)]*\)", "PR", (r.work / ".git/upgrade-bot/forge/dashboard.md").read_text())
                  for r in (serial, parallel, sharded)]
    assert dashboards[0] == dashboards[1] == dashboards[2] and dashboards[0].count("| PR |") >= len(SERVICES)


def test_a_run_pushes_its_branches_together_and_a_rerun_pushes_nothing(tmp_path):
    """A push costs a process and a round trip whatever its number of branches: the first run's seven
    branches go in one push (the origin's pre-receive hook runs once per push), each with its own lease."""
    repo = fleet(tmp_path)
    log = repo.origin / "pushes.log"
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\necho push >> "{log}"\ncat >> "{log}"\n')
    hook.chmod(0o755)
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    lines = log.read_text().splitlines()
    assert lines.count("push") == 1
    zero = "0" * 40
    assert sorted(line.split()[2] for line in lines[1:]) == sorted(
        f"refs/heads/upgrade-bot/widgets-2.0/{name}" for name in SERVICES)
    assert all(line.split()[0] == zero for line in lines[1:])  # every branch new: leased on "absent"
    assert len(local_forge(repo).list_prs("upgrade-bot/")) == len(SERVICES)
    log.write_text("")
    assert run_bot(repo, "run", "--all-waves", "-j", "1") == 0
    assert log.read_text() == ""


def test_publications_wait_to_be_pushed_together_and_results_keep_job_order():
    """Plain data: a batch goes when it is full or its oldest publication has waited long enough; a result
    with nothing waiting before it is reported at once; the order of results is the order of jobs."""
    from bot.publish.batch import PUSH_BATCH, PUSH_WAIT_SECONDS, Publication, PublishBatch
    now = [0.0]
    pushes, reported = [], []

    def publish(publications):
        pushes.append([p.job for p in publications])
        return [f"published {p.job}" for p in publications]

    def publication(name):
        return Publication(name, None, None, "sha", None, None, None, push=True)

    batch = PublishBatch(publish, reported.append, clock=lambda: now[0])
    batch.add("unchanged a")  # nothing waits: reported now
    assert reported == ["unchanged a"] and pushes == [[]]
    for i in range(PUSH_BATCH - 1):
        batch.add(publication(f"p{i}"))
    batch.add("failed b")  # waits behind the publications, to keep the order
    assert len(pushes) == 1 and reported == ["unchanged a"]
    batch.add(publication("last"))  # the batch is full
    assert pushes[-1] == [f"p{i}" for i in range(PUSH_BATCH - 1)] + ["last"]
    assert reported[1:] == [f"published p{i}" for i in range(PUSH_BATCH - 1)] + ["failed b", "published last"]
    batch.add(publication("slow"))
    now[0] += PUSH_WAIT_SECONDS
    batch.add("unchanged c")  # the oldest has waited long enough
    assert pushes[-1] == ["slow"] and reported[-2:] == ["published slow", "unchanged c"]
    batch.flush()
    assert pushes[-1] == [] and len(reported) == PUSH_BATCH + 4


def test_shards_split_a_per_run_limit(tmp_path):
    repo = fleet(tmp_path)
    config = WIDGETS_CONFIG.replace("[tiers]", "max-prs-per-run = 3\n\n[tiers]")
    (repo.work / "upgrade-bot.toml").write_text(config)
    for index in (1, 2):
        assert run_bot(repo, "run", "--all-waves", "--shard", f"{index}/2") == 0
    assert len(local_forge(repo).list_prs("upgrade-bot/")) <= 3


def test_plan_matrix_is_bounded_stable_and_never_empty(tmp_path, capsys):
    repo = fleet(tmp_path)
    assert run_bot(repo, "plan", "--matrix") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["include"] == [{"shard": "1/1", "services": len(SERVICES)}]
    (tmp_path / "empty").mkdir()
    empty = Monorepo(tmp_path / "empty", {"upgrade-bot.toml": WIDGETS_CONFIG,  # a service no recipe applies to
                                          "services/web/requirements.txt": "flask==3.0\n"})
    assert run_bot(empty, "plan", "--matrix") == 0
    assert json.loads(capsys.readouterr().out)["include"] == [{"shard": "1/1", "services": 0}]


def test_shard_assignment_is_stable_and_covers_every_service_once():
    paths = [f"services/svc-{i:04d}" for i in range(1000)]
    count = shard_count(len(paths))
    assert count == 8
    owners = [[s for s in range(1, count + 1) if Shard(s, count).owns(p)] for p in paths]
    assert all(len(o) == 1 for o in owners)
    assert shard_of("services/svc-0042", count) == shard_of("services/svc-0042", count)
    sizes = Counter(o[0] for o in owners)
    assert min(sizes.values()) > 1000 / count / 2  # no shard gets (almost) nothing
    assert sum(Shard(i, 3).quota(7) for i in (1, 2, 3)) == 7
    assert parse_shard("2/4") == Shard(2, 4)
    with pytest.raises(Exception, match="not I/N"):
        parse_shard("5/4")


def test_matrix_of_nothing_is_one_shard():
    assert matrix([]) == {"include": [{"shard": "1/1", "services": 0}]}


# --- GitHub request budget ---------------------------------------------------------------------
def test_a_noop_run_costs_a_constant_number_of_requests(wave_world):  # noqa: F811
    """Documented in README (On GitHub): one PR list (ceil(PRs/100) pages), the dashboard lookup, and no
    request per PR; opening a PR costs 4 requests (lookup by head, create, labels, reviewers)."""
    gh = wave_world.gh
    gh.clear_requests()
    assert wave_world.run() == 0
    per_pr = Counter()
    for r in gh.requests:
        for pr in gh.pulls():
            if f"/pulls/{pr.number}/" in r.path or f"/issues/{pr.number}/" in r.path:
                per_pr[pr.number] += 1
    creates = [r for r in gh.requests if r.method == "POST" and r.path.endswith("/pulls")]
    lookups = [r for r in gh.requests if r.method == "GET" and r.path.endswith("/pulls")]
    assert len(creates) == len(LOW_SERVICES) and len(lookups) == 1 + len(LOW_SERVICES)
    assert set(per_pr.values()) == {2}  # labels + reviewers: with the lookup and the create, 4 per PR
    gh.clear_requests()
    assert wave_world.run() == 0
    calls = [(r.method, r.path) for r in gh.requests]
    assert [c for c in calls if c[1].endswith("/pulls")] == [("GET", "/repos/acme/fleet/pulls")]
    assert not [c for c in calls if "/pulls/" in c[1]]
    assert len(calls) <= 3 and all(method == "GET" for method, _ in calls)


def test_a_commit_costs_no_git_process_for_one_file_or_forty(tmp_path, monkeypatch):
    """Every process started is counted (GitPython's object store would start one `git hash-object` per
    blob and tree): blobs, trees and the commit are written in this process (bot.commit_object), after one
    `git config` and the object reader, started once per repo."""
    import subprocess as sp
    from bot.config import Identity
    from bot.gitops import GitRepo
    repo = fleet(tmp_path, names=("alpha",))
    head = git(repo.work, "rev-parse", "HEAD")
    git_repo = GitRepo(repo.work)
    started = []
    real_init = sp.Popen.__init__

    def counting_init(self, args, *rest, **kw):
        started.append(args[1] if isinstance(args, (list, tuple)) else str(args))  # git's subcommand
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(sp.Popen, "__init__", counting_init)
    one = git_repo.commit_files(head, {"services/alpha/alpha/core.py": "X = 1\n"}, "one", Identity())
    first = list(started)
    started.clear()
    many = {f"services/alpha/alpha/gen_{i}.py": f"X = {i}\n" for i in range(40)}
    many["services/alpha/alpha/core.py"] = None
    forty = git_repo.commit_files(head, many, "forty", Identity())
    monkeypatch.undo()
    assert started == []
    assert first == ["cat-file", "config"]  # both once per repo: the object reader (commits, trees), the settings
    git_repo.flush()  # the objects stay in this process until something outside it may read them
    assert git(repo.work, "show", f"{one}:services/alpha/alpha/core.py") == "X = 1"
    listed = git(repo.work, "ls-tree", "--name-only", f"{forty}:services/alpha/alpha").split()
    assert "core.py" not in listed and len([n for n in listed if n.startswith("gen_")]) == 40


def test_a_commit_has_the_tree_git_itself_makes_from_an_index(tmp_path):
    """git as the oracle: the same changes applied through a temporary index give the same tree id
    (new nested folders, a folder emptied by deletions, an executable and a symlink kept, names that
    sort differently as files and as folders)."""
    from bot.config import Identity
    from bot.gitops import GitRepo
    repo = fleet(tmp_path, names=("alpha", "beta"))
    work = repo.work
    (work / "services/alpha/run.sh").write_text("#!/bin/sh\n")
    (work / "services/alpha/run.sh").chmod(0o755)
    (work / "services/alpha/link.py").symlink_to("alpha/core.py")
    (work / "services/beta/only").mkdir()
    (work / "services/beta/only/gone.txt").write_text("x\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "shapes")
    head = git(work, "rev-parse", "HEAD")
    changes = {"services/alpha/alpha/core.py": "X = 2\n", "services/alpha/run.sh": "#!/bin/sh\nexit 0\n",
               "services/alpha/link.py": b"alpha/other.py", "services/beta/only/gone.txt": None,
               "services/alpha/new/deep/mod.py": "Y = 1\n", "services/alpha/alpha.py": "Z = 1\n",
               "services/alpha/alpha-x.py": "Z = 2\n", "services/nowhere.txt": None}
    ours = GitRepo(work)
    made = ours.commit_files(head, changes, "shapes", Identity())
    ours.flush()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "oracle-index")}
    run = lambda *args, **kw: subprocess.run(["git", *args], cwd=work, env=env, check=True,
                                             capture_output=True, text=True, **kw).stdout.strip()
    run("read-tree", head)
    modes = {"services/alpha/run.sh": "100755", "services/alpha/link.py": "120000"}
    for path, text in changes.items():
        if text is None:
            run("update-index", "--force-remove", path)
            continue
        data = text if isinstance(text, str) else text.decode()
        blob = run("hash-object", "-w", "--stdin", input=data)
        run("update-index", "--add", "--cacheinfo", f"{modes.get(path, '100644')},{blob},{path}")
    assert git(work, "rev-parse", f"{made}^{{tree}}") == run("write-tree")


def test_commits_on_a_listed_base_read_its_trees_from_the_listing_as_git_stores_them(tmp_path):
    """After snapshot(base), commits on base take its trees' entries from the snapshot's one `ls-tree` instead of
    reading each tree object: the same entries in the same order (an executable, a symlink, a submodule, names
    with spaces, a tab and non-ASCII letters), and the commit has the tree git makes from an index."""
    from git.objects.fun import tree_entries_from_data

    from bot.config import Identity
    repo = fleet(tmp_path, names=("alpha",))
    work = repo.work
    (work / "services/alpha/run me.sh").write_text("#!/bin/sh\n")
    (work / "services/alpha/run me.sh").chmod(0o755)
    (work / "services/alpha/link.py").symlink_to("alpha/core.py")
    (work / "services/alpha/naïve\tdonnée.py").write_text("X = 1\n")
    git(work, "add", "-A")
    head_sha = git(work, "rev-parse", "HEAD")
    git(work, "update-index", "--add", "--cacheinfo", f"160000,{head_sha},services/alpha/vendored")
    git(work, "commit", "-qm", "shapes")
    head = git(work, "rev-parse", "HEAD")
    git_repo = GitRepo(work)
    git_repo.snapshot(head)
    listed = git_repo._listed_trees
    folders = [line for line in git(work, "ls-tree", "-r", "-d", head).splitlines() if " tree " in line]
    assert len(listed) == len(folders) + 1  # and the root
    for tree, entries in listed.items():
        assert entries == tree_entries_from_data(git_repo.repo.odb.stream(tree).read())
    changes = {"services/alpha/alpha/core.py": "X = 2\n", "services/alpha/naïve\tdonnée.py": None,
               "services/alpha/new/mod.py": "Y = 1\n"}
    made = git_repo.commit_files(head, changes, "on a listed base", Identity())
    git_repo.flush()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "oracle-index")}
    run = lambda *args, **kw: subprocess.run(["git", *args], cwd=work, env=env, check=True,
                                             capture_output=True, text=True, **kw).stdout.strip()
    run("read-tree", head)
    for path, text in changes.items():
        if text is None:
            run("update-index", "--force-remove", path)
        else:
            run("update-index", "--add", "--cacheinfo", f"100644,{run('hash-object', '-w', '--stdin', input=text)},{path}")
    assert git(work, "rev-parse", f"{made}^{{tree}}") == run("write-tree")


def test_workers_get_a_service_at_a_time_and_results_keep_job_order(tmp_path):
    """A service's jobs go to one worker together (its files are read and parsed once there), even when
    they are not next to each other in the job list; results still come back in job order."""
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"))
    config = load_config(repo.work)
    runner = build_runner(GitRepo(repo.work), local_forge(repo), config,
                          load_recipes(config.recipe_dirs, config.enabled_recipes), checks=True, skip_checks=True)
    plan, _ = runner.plan({})
    jobs = [*plan.jobs, *reversed(plan.jobs)]  # each service twice, apart
    serial = list(parallel_module.compute_changes(jobs, config.recipe_options, workers=1))
    pooled = list(parallel_module.compute_changes(jobs, config.recipe_options, workers=2))
    assert [c.service_path for c in pooled] == [j.service.path for j in jobs]
    assert [(c.changed, c.manual) for c in pooled] == [(c.changed, c.manual) for c in serial]
    assert len({c.service_path for c in pooled}) == 3 and all(c.changed for c in pooled)
