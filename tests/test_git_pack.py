"""The objects a run makes stay in the process until git may need them, then land as one pack (bot.git_pack) or,
when few, as loose objects: git itself is the oracle (verify-pack, index-pack, fsck, and every git process the bot
starts reading them)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import Monorepo, git

from bot.config import Identity
from bot.discover.service_files import GitBlobs
from bot.gitops import PACK_AT_LEAST, GitRepo, RefUpdate

MANY = PACK_AT_LEAST + 20


@pytest.fixture
def repo(tmp_path) -> Monorepo:
    return Monorepo(tmp_path, {"services/alpha/app.py": "X = 0\n", "README.md": "fleet\n"})


def packs(work: Path) -> list[str]:
    folder = work / ".git/objects/pack"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def loose(work: Path) -> int:
    return int(dict(line.split(": ") for line in git(work, "count-objects", "-v").splitlines())["count"])


def many_files(tag: str) -> dict[str, str]:
    """MANY blobs in MANY folders: more objects than PACK_AT_LEAST whatever git shares between them."""
    return {f"services/alpha/m{i}/mod.py": f"X = {i!r}  # {tag}\n" for i in range(MANY)}


def test_many_objects_land_as_one_pack_git_reads_and_indexes_as_we_do(repo, tmp_path):
    ours = GitRepo(repo.work)
    base = git(repo.work, "rev-parse", "HEAD")
    reader = GitBlobs(str(repo.work / ".git"))
    assert reader(git(repo.work, "rev-parse", "HEAD:README.md")) == b"fleet\n"  # a cat-file started before the pack
    before = loose(repo.work)
    first = ours.commit_files(base, many_files("one"), "first", Identity())
    made = ours.commit_files(first, {"services/alpha/app.py": "X = 1\n"}, "second", Identity())
    assert packs(repo.work) == [] and loose(repo.work) == before  # nothing written yet
    with pytest.raises(Exception):
        git(repo.work, "cat-file", "-e", made)
    assert ours.commit(made).parents == (first,) and ours._read_object(made)[0] == "commit"  # read from memory

    ours.flush()
    names = packs(repo.work)
    assert len(names) == 2 and names[0].endswith(".idx") and names[1].endswith(".pack")
    assert loose(repo.work) == before
    pack = repo.work / ".git/objects/pack" / names[1]
    listing = git(repo.work, "verify-pack", "-v", str(pack))
    assert f"{made} commit" in listing and f"{first} commit" in listing
    # git's own index of our pack is ours, byte for byte
    copy = tmp_path / "copy.pack"
    shutil.copyfile(pack, copy)
    git(repo.work, "index-pack", "-o", str(tmp_path / "copy.idx"), str(copy))
    assert (tmp_path / "copy.idx").read_bytes() == pack.with_suffix(".idx").read_bytes()
    git(repo.work, "update-ref", "refs/heads/made", made)
    git(repo.work, "fsck", "--strict", "--no-dangling")
    assert git(repo.work, "show", f"{made}:services/alpha/m7/mod.py") == "X = 7  # one"
    assert reader(git(repo.work, "rev-parse", f"{made}:services/alpha/app.py")) == b"X = 1\n"
    assert os.stat(pack).st_mode & 0o777 == 0o444 and not any(n.startswith("tmp_") for n in names)

    again = ours.commit_files(base, many_files("one"), "first again", Identity())
    assert list(ours._unwritten) == [bytes.fromhex(again)]  # its trees and blobs are in the pack: not again
    ours.flush()
    assert len(packs(repo.work)) == 2 and loose(repo.work) == before + 1  # no pack of one object


def test_few_objects_are_written_loose_and_none_write_nothing(repo):
    ours = GitRepo(repo.work)
    base = git(repo.work, "rev-parse", "HEAD")
    listing = sorted(os.listdir(repo.work / ".git/objects"))
    ours.flush()
    assert sorted(os.listdir(repo.work / ".git/objects")) == listing
    before = loose(repo.work)
    same = ours.commit_files(base, {"README.md": "fleet\n"}, "a blob git has (loose)", Identity())
    assert len(ours._unwritten) == 1  # the commit: its tree is the base's, its blob is in the repository
    ours.flush()
    assert loose(repo.work) == before + 1 and packs(repo.work) == []
    assert git(repo.work, "rev-parse", f"{same}^{{tree}}") == git(repo.work, "rev-parse", "HEAD^{tree}")
    git(repo.work, "fsck", "--strict")


def test_what_the_bot_starts_git_for_sees_its_objects_first(repo):
    """A push, a checkout for the checks, GitPython's reads: each comes after the objects are written."""
    ours = GitRepo(repo.work)
    base = git(repo.work, "rev-parse", "HEAD")
    made = ours.commit_files(base, many_files("pushed"), "pushed", Identity())
    assert ours.push_many([RefUpdate("b", made, None)]) == {"b": True}
    assert git(repo.origin, "rev-parse", "refs/heads/b") == made
    git(repo.origin, "fsck", "--strict", "--no-dangling")

    checked = ours.commit_files(made, {"services/alpha/app.py": "X = 2\n"}, "checked", Identity())
    with ours.temporary_worktree(checked) as checkout:
        assert (checkout / "services/alpha/app.py").read_text() == "X = 2\n"
    tree = ours.commit_files(checked, {"services/alpha/app.py": "X = 3\n"}, "read by GitPython", Identity())
    assert ours.repo.rev_parse(f"{tree}:services/alpha").type == "tree"
    assert ours._unwritten == {}



def test_the_git_folder_is_given_without_writing_the_objects_gitpython_gets_them_written(repo):
    """A path (workers' CommitOn, the checks' environment prefetch) needs none of the objects made so far: they stay
    in memory, so a run still ends with one pack; GitPython's repository, which may read them, gets them written."""
    ours = GitRepo(repo.work)
    base = git(repo.work, "rev-parse", "HEAD")
    before = loose(repo.work)
    ours.commit_files(base, many_files("folder"), "first", Identity())
    assert Path(ours.git_dir) == repo.work / ".git"
    assert packs(repo.work) == [] and loose(repo.work) == before
    assert Path(ours.repo.git_dir) == repo.work / ".git"
    assert len(packs(repo.work)) == 2 and loose(repo.work) == before


def test_an_offset_past_2_gib_goes_to_the_index_s_table_of_large_offsets():
    """gitformat-pack(5): a 4-byte offset with its top bit set is an index into the 8-byte offsets that follow."""
    import struct

    from bot.git_pack import _index
    ids = [bytes([0x10]) + b"\0" * 19, bytes([0xf0]) + b"\0" * 19]
    index = _index([(ids[1], 7, 3 << 31), (ids[0], 9, 12)], b"p" * 20)
    count = 2
    at = 8 + 256 * 4
    fanout = struct.unpack(">256I", index[8:at])
    assert fanout[0x0f] == 0 and fanout[0x10] == 1 and fanout[0xff] == 2
    assert index[at:at + 40] == ids[0] + ids[1]
    crcs = struct.unpack(">2I", index[at + 40:at + 48])
    offsets = struct.unpack(">2I", index[at + 48:at + 56])
    (large,) = struct.unpack(">Q", index[at + 56:at + 64])
    assert crcs == (9, 7) and offsets == (12, 0x80000000) and large == 3 << 31
    assert index[at + 64:at + 84] == b"p" * 20 and len(index) == at + 20 * count + 4 * count * 2 + 8 + 40


def test_commits_made_by_workers_are_written_by_the_run_with_its_other_objects(tmp_path, monkeypatch):
    """-j 2: the workers hand their commits' objects to the run (bot.parallel), which writes them all at once."""
    import bot.gitops
    import bot.parallel
    from conftest import run_bot
    from faults.faultkit import fleet, origin_branches
    monkeypatch.setattr(bot.gitops, "PACK_AT_LEAST", 1)  # any flush is a pack: one pack = one flush
    monkeypatch.setattr(bot.parallel, "SPAWN_WORTH_IT", 2)  # workers even when a thread runs (spawned, not forked)
    handed: list[int] = []
    keep = GitRepo.keep
    monkeypatch.setattr(GitRepo, "keep", lambda self, objects: (handed.append(len(objects)), keep(self, objects)))
    repo = fleet(tmp_path, names=("alpha", "beta", "gamma"))
    before = loose(repo.work)
    assert run_bot(repo, "run", "-j", "2") == 0
    assert len(handed) == 3 and all(handed)  # each job's commit came from a worker, with its objects
    heads = {branch: sha for branch, sha in origin_branches(repo).items() if branch != "main"}
    assert len(heads) == 3 and loose(repo.work) == before
    (pack,) = [name for name in packs(repo.work) if name.endswith(".pack")]
    listing = git(repo.work, "verify-pack", "-v", str(repo.work / ".git/objects/pack" / pack))
    assert all(f"{sha} commit" in listing for sha in heads.values())
    git(repo.work, "fsck", "--strict", "--no-dangling")
