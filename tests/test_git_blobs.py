"""A service's files read from git (bot.discover.service_files.GitBlobs): many at once through one `git cat-file
--batch` per process, with what one-by-one reading gave (texts, encodings, undecodable files, GitPython's errors)."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle

import git as gitpython
import pytest
from conftest import git, write_tree

from bot.discover.service_files import GitBlobs, ServiceFiles, _CatFile
from bot.gitops import GitRepo

MISSING = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def repo(tmp_path):
    """Files of every kind a service holds, more of them than one chunk of ids, one bigger than a pipe's buffer."""
    files: dict[str, str | bytes] = {
        "svc/app.py": "print('é')\n",
        "svc/latin.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"),
        "svc/bom.py": b"\xef\xbb\xbfX = 1\n",
        "svc/unknown_codec.py": b"# coding: no-such-codec\nX = 1\n",
        "svc/binary.txt": b"\xff\xfe\x00 not text",
        "svc/empty.py": "", "svc/gen/__init__.py": "",
        "svc/same_a.txt": "same\n", "svc/same_b.txt": "same\n",
        "svc/big.py": "X = 1\n" * 60_000,
    }
    files.update({f"svc/gen/m{i:03}.py": f"N = {i}\n" for i in range(_CatFile.CHUNK + 40)})
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "--initial-branch=main")
    write_tree(work, files)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "files")
    return work


def service_files(work, sha: str = "") -> tuple[ServiceFiles, GitRepo]:
    git_repo = GitRepo(work)
    snapshot = git_repo.snapshot(sha or git(work, "rev-parse", "HEAD"))
    files = ServiceFiles({p: snapshot.blob_id(p) for p in snapshot.paths()}, snapshot.reader())
    return files, git_repo


@pytest.fixture
def round_trips(monkeypatch):
    """The ids of each request to a `git cat-file --batch` process from now on."""
    asked: list[list[str]] = []
    real_read = _CatFile.read

    def read(self, object_ids):
        asked.append(list(object_ids))
        return real_read(self, object_ids)

    monkeypatch.setattr(_CatFile, "read", read)
    return asked


def distinct_objects(files: ServiceFiles) -> int:
    return len({files.source_id(p) for p in files.paths()})


def test_iterating_reads_every_file_in_one_request_as_reading_them_one_by_one(repo, round_trips):
    together, _ = service_files(repo)
    one_by_one, _ = service_files(repo)
    round_trips.clear()
    texts = dict(together)
    assert len(round_trips) == 1 and len(round_trips[0]) == distinct_objects(together) == len(together.paths()) - 2
    round_trips.clear()
    assert {p: one_by_one[p] for p in one_by_one.paths() if p in one_by_one} == texts
    assert len(round_trips) == distinct_objects(one_by_one)
    assert together.undecodable() == one_by_one.undecodable() == {"svc/binary.txt": "utf-8"}
    assert together.encodings == one_by_one.encodings == {"svc/latin.py": "iso-8859-1", "svc/bom.py": "utf-8-sig"}
    assert texts["svc/latin.py"] == "# -*- coding: latin-1 -*-\nname = 'café'\n" and texts["svc/bom.py"] == "X = 1\n"
    assert texts["svc/big.py"] == "X = 1\n" * 60_000 and texts["svc/empty.py"] == ""
    assert texts["svc/same_a.txt"] == texts["svc/same_b.txt"] == "same\n"


def test_a_file_never_asked_for_is_never_read(repo, round_trips):
    files, _ = service_files(repo)
    round_trips.clear()
    assert "svc/app.py" in files and files.loaded() == 1
    assert files.paths()[0] == "svc/app.py" and files.loaded() == 1  # listing reads nothing
    iterated = sorted(files)
    assert files.loaded() == len(iterated) == len(files.paths()) - 1  # the binary file is left out
    assert [len(ids) for ids in round_trips] == [1, distinct_objects(files) - 1]  # what was read is not asked again


def test_an_object_at_several_paths_is_read_from_git_once_and_a_worker_gets_none_of_it(repo, round_trips):
    files, _ = service_files(repo)
    round_trips.clear()
    assert files["svc/empty.py"] == files["svc/gen/__init__.py"] == ""
    assert files["svc/same_a.txt"] == files["svc/same_b.txt"] == "same\n"
    assert len(round_trips) == 2
    blobs = files._read
    assert sorted(v for v in blobs._repeated.values() if v is not None) == [b"", b"same\n"]
    in_worker = pickle.loads(pickle.dumps(files))._read
    assert set(in_worker._repeated) == set(blobs._repeated) and set(in_worker._repeated.values()) == {None}
    assert dict(pickle.loads(pickle.dumps(files))) == dict(files)


def test_an_object_git_does_not_have_is_refused_in_gitpython_s_words_and_the_reader_stays_in_step(repo):
    files, git_repo = service_files(repo)
    blobs = GitBlobs(git_repo.repo.git_dir)
    app = files.source_id("svc/app.py")
    with pytest.raises(ValueError) as ours:
        blobs.read_many([app, MISSING, app])
    with pytest.raises(ValueError) as gitpythons:
        gitpython.Repo(repo).odb.stream(bytes.fromhex(MISSING)).read()
    assert str(ours.value) == str(gitpythons.value)
    assert blobs(app) == "print('é')\n".encode()  # the answers after the missing one were read, not left behind
    assert blobs.read_object(MISSING) == (None, f"{MISSING} missing\n".encode())
    with pytest.raises(ValueError, match="line feed"):
        blobs(app + "\n" + app)


def test_a_reader_whose_git_died_fails_and_the_next_read_starts_another(repo):
    files, git_repo = service_files(repo)
    blobs = GitBlobs(git_repo.repo.git_dir)
    app = files.source_id("svc/app.py")
    assert blobs(app)
    reader = blobs._reader()
    reader._process.kill()
    reader._process.wait()
    with pytest.raises((ValueError, OSError)):
        blobs(app)
    assert reader.closed and blobs(app) == "print('é')\n".encode() and blobs._reader() is not reader


def _read_in_worker(files: ServiceFiles) -> tuple[dict[str, str], int]:
    texts = dict(files)
    return texts, GitBlobs(files._read.git_dir)._reader()._process.pid


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_process_reads_with_a_git_of_its_own_and_the_parent_s_goes_on(repo, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} here")
    files, git_repo = service_files(repo)
    assert files["svc/app.py"]  # the parent's reader is running when the worker starts
    parents = GitBlobs(git_repo.repo.git_dir)._reader()
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
        texts, workers_git = pool.submit(_read_in_worker, files).result()
    assert workers_git != parents._process.pid and not parents.closed
    assert texts == dict(files) and len(texts) == len(files.paths()) - 1


def test_reading_a_commit_starts_one_object_reader_for_trees_commits_and_files(repo, monkeypatch):
    import subprocess
    head = git(repo, "rev-parse", "HEAD")
    started = []
    real_init = subprocess.Popen.__init__

    def counting_init(self, args, *rest, **kw):
        started.append(" ".join(args[1:3]))
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting_init)
    files, _ = service_files(repo, head)
    assert len(dict(files)) == len(files.paths()) - 1
    assert started == ["cat-file --batch", "ls-tree -r"]
