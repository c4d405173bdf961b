"""Every git effect the bot has, through GitPython. Works on objects and refs only: the user's
checkout, index and working tree are never touched (commits are written as objects, refs moved by push)."""
from __future__ import annotations

import hashlib
from collections import Counter
import io
import os
import re
import shutil
import sys
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import git
from git.objects.fun import tree_entries_from_data, tree_to_stream
from gitdb.util import bin_to_hex

from bot.commit_object import commit_bytes, date_now, kept_as_is, plain_person, utf8_encoding
from bot.config import Identity
from bot.discover.service_files import GitBlobs
from bot.errors import BotError, UsageError
from bot.git_pack import write_once, write_pack

SYMLINK_MODE = 0o120000
_OBJECT_ID = re.compile(r"[0-9a-f]{40}")
_PINNED_DATES = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")
# configuration that changes what `git commit-tree` writes (bot.commit_object)
_COMMIT_SETTINGS = r"^(i18n\.commitencoding|extensions\.(objectformat|compatobjectformat))$"
_SECRET_IN_URL = re.compile(r"(https?://)[^/@\s]+@")
_OWN_WORKTREE = re.compile(r"upgrade-bot-wt-(\d+)-\w+")


TREE_MODE = 0o040000
DEFAULT_FILE_MODE = 0o100644
FILE_MODES = (DEFAULT_FILE_MODE, 0o100755, SYMLINK_MODE)  # what a path written as a file may keep
PARSED_TREES_KEPT = 4096
# Fewer objects than this are written loose, more as one pack: git's own rule for what it receives (its default
# transfer.unpackLimit). A pack per commit (a run with checks writes out each job's commit before testing it) would
# soon make `git gc --auto` repack the repository (at 50 packs); a first run's few hundred objects are one pack.
PACK_AT_LEAST = 100


class GitError(BotError):
    """A git command failed; the message has credentials scrubbed."""


class NotSetUp(GitError, UsageError):
    """The repository cannot be used as it is (not a repository, no origin): exit code 2."""


MAX_GIT_MESSAGE_LINES = 12


def git_failure(args: tuple[str, ...] | list[str], stderr: str, stdout: str, status: object) -> str:
    """`git <cmd> failed: <git's whole message>`: every line, trimmed, blank lines dropped, capped."""
    text = (stderr or stdout or "").strip()
    text = text.removeprefix("stderr:").strip().strip("'").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if stderr:  # `push --porcelain` gives why a ref was refused on stdout ("!<tab>src:dst<tab>[rejected] (why)")
        lines += [line.strip("! \t").replace("\t", " ") for line in (stdout or "").splitlines() if line.startswith("!")]
    if len(lines) > MAX_GIT_MESSAGE_LINES:
        lines = [*lines[:MAX_GIT_MESSAGE_LINES - 1], f"... ({len(lines) - MAX_GIT_MESSAGE_LINES + 1} more lines)"]
    detail = " ".join(lines) if lines else f"exit status {status}"
    hint = next((what for needle, what in _GIT_HINTS if needle in detail), "")
    return scrub(f"git {args[0]} failed: {detail}" + (f" ({hint})" if hint else ""))


# What to do about the git failures a user can fix (matched on git's message).
_GIT_HINTS = (
    ("stale info", "the branch moved on the remote while the bot worked: run the bot again"),
    ("Could not read from remote repository", "check the remote's URL (`git remote -v`) and your access to it"),
    ("does not appear to be a git repository", "check the remote's URL (`git remote -v`)"),
    ("Authentication failed", "check the token (UPGRADE_BOT_TOKEN or GITHUB_TOKEN)"),
    ("unable to access", "check the network and the remote's URL"),
)


def _names(line: str, ref: str) -> bool:
    """Whether a line of git's output is about ref (not merely about a ref whose name starts like it)."""
    at = line.find(ref)
    while at >= 0:
        end = at + len(ref)
        if end == len(line) or not (line[end].isalnum() or line[end] in "-_./"):
            return True
        at = line.find(ref, end)
    return False


def scrub(text: str) -> str:
    return _SECRET_IN_URL.sub(r"\1***@", text)


@dataclass(frozen=True)
class RefUpdate:
    """Set a remote branch to sha (None: delete it) only if it still is at expected (None: absent)."""

    branch: str
    sha: str | None
    expected: str | None


@dataclass(frozen=True)
class CommitInfo:
    """What the bot reads of a commit: its id, author, subject, parents and tree."""

    sha: str
    author_name: str
    author_email: str
    subject: str
    parents: tuple[str, ...]
    tree: str = ""


class GitSnapshot:
    """The files of one commit (bot.discover.snapshot.Snapshot), listed with one `git ls-tree`; blobs are read
    on demand through one persistent `git cat-file --batch` (GitBlobs), never one process per file."""

    def __init__(self, repo: "GitRepo", sha: str) -> None:
        self._blobs: dict[str, str] = {}
        self._trees: dict[str, str] = {"": bin_to_hex(repo._root_tree(sha)).decode()}
        self._links: set[str] = set()
        listing = repo._git("ls-tree", "-r", "-t", "-z", "--full-tree", sha)
        # every tree's entries, in the tree's order (the listing's), for the commits written on this base
        entries: dict[str, list[tuple[bytes, int, str]]] = {}
        for entry in listing.split("\0"):
            if not entry:
                continue
            info, _, path = entry.partition("\t")
            octal, kind, object_id = info.split()
            mode = int(octal, 8)
            folder, _, name = path.rpartition("/")
            entries.setdefault(folder, []).append((bytes.fromhex(object_id), mode, name))
            if kind == "blob":
                self._blobs[path] = object_id
                if mode == SYMLINK_MODE:
                    self._links.add(path)
            elif kind == "tree":
                self._trees[path] = object_id
        repeated = [object_id for object_id, paths in Counter(self._blobs.values()).items() if paths > 1]
        self._read = GitBlobs(repo.git_dir, repeated)
        repo._listed_trees.update((bytes.fromhex(self._trees[folder]), listed) for folder, listed in entries.items())

    def paths(self) -> Iterable[str]:
        return list(self._blobs)

    def read(self, path: str) -> bytes:
        return self._read(self._blobs[path])

    def blob_id(self, path: str) -> str:
        return self._blobs[path]

    def reader(self) -> GitBlobs:
        return self._read

    def tree_id(self, directory: str) -> str:
        return self._trees[directory.strip("/")]

    def link_target(self, path: str) -> str | None:
        return self.read(path).decode("utf-8", "replace") if path in self._links else None


class GitRepo:
    """The objects this process makes (blobs, trees, commits) stay in memory until something outside this object
    may read them: every git process it starts, and every use of `repo` (GitPython), writes them first (`flush`),
    as one pack. Reads of them through this object are answered from memory. Objects no ref names yet need not
    outlive the process: refs move only by git processes (push, update-ref), after the flush."""

    def __init__(self, path: Path, remote: str = "origin") -> None:
        try:
            self._repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise NotSetUp(f"{path}: not inside a git repository (use --repo PATH, or run it in one)") from None
        self.path = Path(self._repo.working_tree_dir or self._repo.git_dir)
        self.remote = remote
        self._parsed_trees: dict[bytes, list[tuple[bytes, int, str]]] = {}
        # the trees of the commits snapshot() listed, as _tree_entries gives them: read from that listing, not
        # one object at a time (a first run's commits walk a hundred of them)
        self._listed_trees: dict[bytes, list[tuple[bytes, int, str]]] = {}
        self._root_trees: dict[str, bytes] = {}  # commit id -> its tree's id (a commit never changes)
        self._remote_heads: dict[str, str] | None = None  # branch -> sha, listed on first use
        self._commit_settings: dict[str, dict[str, str | None] | None] = {}  # read on the first commit
        self._pinned_idents: dict[tuple, tuple[str, str] | None] = {}  # (identity, dates) -> git's lines
        self._commits_known: set[str] = set()  # ids checked to be commits (parents)
        self._objects = self._repo.odb.root_path()  # shared by linked worktrees
        # objects made and not written yet (flush): binary id -> (type, content)
        self._unwritten: dict[bytes, tuple[bytes, bytes]] = {}
        self._flushed: set[bytes] = set()  # ids written by flush (a pack is not looked up by _store)
        # the snapshots' reader (one `git cat-file --batch` per process for every object a run reads)
        self._reader = GitBlobs(self._repo.git_dir)
        # the commits this process wrote itself, as commit() gives them: the dashboard asks for every branch's head,
        # which on a first run is the commit just written; no need to read it back and parse it
        self._written: dict[str, CommitInfo] = {}

    @property
    def repo(self) -> git.Repo:
        """GitPython's repository, for whatever reads objects or starts git with it: the objects made so far are
        written first."""
        self.flush()
        return self._repo

    @property
    def git_dir(self) -> str:
        """The repository's git folder: a path, which needs none of the objects made so far written (unlike `repo`)."""
        return self._repo.git_dir

    @property
    def state_dir(self) -> Path:
        """Bot state that must stay out of the working tree (shared by linked worktrees)."""
        return Path(self._repo.common_dir) / "upgrade-bot"

    def flush(self) -> None:
        """Writes the objects made since the last flush: one pack (and its index), or loose objects when they are
        few (PACK_AT_LEAST). Once per run that pushes its branches together (a first run with --skip-checks)."""
        if not self._unwritten:
            return
        if len(self._unwritten) >= PACK_AT_LEAST:
            write_pack(os.path.join(self._objects, "pack"),
                       ((binsha, kind, data) for binsha, (kind, data) in self._unwritten.items()))
        else:
            for binsha, (kind, data) in self._unwritten.items():
                hexsha = binsha.hex()
                folder = os.path.join(self._objects, hexsha[:2])
                raw = b"%s %d\0%s" % (kind, len(data), data)
                write_once(folder, "tmp_obj_", os.path.join(folder, hexsha[2:]), (zlib.compress(raw, 1),))
        self._flushed.update(self._unwritten)
        self._unwritten.clear()

    def take_unwritten(self) -> dict[bytes, tuple[bytes, bytes]]:
        """The objects made since the last flush, no longer this object's to write: a -j N worker hands its
        commit's objects to the parent (`keep`), whose flush puts a run's objects in one pack."""
        taken, self._unwritten = self._unwritten, {}
        return taken

    def keep(self, objects: Mapping[bytes, tuple[bytes, bytes]]) -> None:
        """Objects another process made (take_unwritten), written with this one's at the next flush."""
        for binsha, kept in objects.items():
            if binsha not in self._flushed:
                self._unwritten.setdefault(binsha, kept)

    def _git(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
             stdin=None) -> str:
        self.flush()
        try:
            runner = git.Git(str(cwd)) if cwd else self._repo.git
            return runner.execute(["git", *args], env=dict(env or {}), with_extended_output=False, istream=stdin)
        except git.GitCommandError as exc:
            raise GitError(git_failure(args, exc.stderr, exc.stdout, exc.status)) from None

    def fetch(self, url: str | None = None) -> None:
        source = url or self.remote
        if url is None and self.remote not in [r.name for r in self.repo.remotes]:
            raise NotSetUp(f"{self.path}: no remote {self.remote!r}: add one with "
                           f"`git remote add {self.remote} <url>` (the bot pushes its branches there)")
        self._git("fetch", "--prune", "--quiet", source,
                  f"+refs/heads/*:refs/remotes/{self.remote}/*")
        self._remote_heads = None

    def remote_head(self, branch: str) -> str | None:
        """Where the remote's branch was at the last fetch or push of this process: the remote-tracking
        refs, listed by one `git for-each-ref` (a run asks for every job's branch; only fetch and push,
        both here, move them)."""
        if self._remote_heads is None:
            prefix = f"refs/remotes/{self.remote}/"
            listing = self._git("for-each-ref", "--format=%(objectname) %(refname)", prefix)
            self._remote_heads = {ref[len(prefix):]: sha for sha, _, ref in
                                  (line.partition(" ") for line in listing.splitlines())}
        return self._remote_heads.get(branch)

    def remote_heads_merged_into(self, commit: str) -> set[str]:
        """The tips of remote-tracking branches that `commit` contains, in one process."""
        listing = self._git("for-each-ref", f"--merged={commit}", "--format=%(objectname)",
                            f"refs/remotes/{self.remote}/")
        return set(listing.split())

    def snapshot(self, sha: str) -> GitSnapshot:
        return GitSnapshot(self, sha)

    def commit(self, sha: str) -> CommitInfo:
        written = self._written.get(sha)
        if written is not None:
            return written
        c = self.repo.commit(sha)
        return CommitInfo(c.hexsha, c.author.name, c.author.email, c.summary,
                          tuple(p.hexsha for p in c.parents), c.tree.hexsha)

    def commits_between(self, base: str, head: str) -> list[CommitInfo]:
        """Commits reachable from head but not from base, oldest first."""
        out = self._git("rev-list", "--reverse", f"{base}..{head}")
        return [self.commit(s) for s in out.split()]

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self._git("merge-base", a, b).strip() or None
        except GitError:
            return None

    def commit_files(self, parent: str, files: Mapping[str, str | bytes | None], message: str,
                     identity: Identity) -> str:
        """A new commit on `parent` with `files` (path -> text (UTF-8) or bytes, None = delete); no ref moves.

        One git process (commit-tree) whatever the number of files or the size of the repository: blobs
        and the trees on the changed paths are written in-process, every other tree is reused by its id.
        (A temporary index cost a read-tree and write-tree of the whole monorepo per commit, which made a
        first run quadratic in the number of services.) A file keeps its mode (an executable stays one)."""
        changes: dict[str, bytes | None] = {}
        for path, text in files.items():
            data = text if text is None or isinstance(text, bytes) else text.encode("utf-8")
            changes[path] = None if data is None else self._store("blob", data)
        tree = self._write_tree(self._root_tree(parent), changes)
        return self._commit(bin_to_hex(tree).decode() if tree else self._empty_tree(), [parent], message, identity,
                            tree_known=True)

    def _root_tree(self, commit: str) -> bytes:
        """The commit's tree id; read once per commit id (every job of a run commits on the same base: two
        round trips to git's object reader each). A name that is not a commit id is looked up each time."""
        found = self._root_trees.get(commit)
        if found is None:
            kind, data = self._read_object(commit)
            if kind == "commit":
                found = self._root_trees[commit] = bytes.fromhex(data[5:45].decode())  # `tree <id>` comes first
                self._commits_known.add(commit)
            else:  # a name, a tag, nothing: GitPython resolves it, or says why not
                found = self.repo.commit(commit).tree.binsha
        return found

    def _store(self, kind: str, data: bytes) -> bytes:
        """An object's id; the object is kept until the next flush, unless it is kept already or the repository has
        it loose (GitPython's own store runs `git hash-object` per object). One the repository has packed is written
        again, as git's own fetch may: harmless, and gc keeps one copy."""
        kind_bytes = kind.encode()
        digest = hashlib.sha1(b"%s %d\0" % (kind_bytes, len(data)))
        digest.update(data)
        binsha = digest.digest()
        if binsha not in self._unwritten and binsha not in self._flushed:
            hexsha = binsha.hex()
            if not os.path.exists(os.path.join(self._objects, hexsha[:2], hexsha[2:])):
                self._unwritten[binsha] = (kind_bytes, data)
        return binsha

    def _write_tree(self, base: bytes | None, changes: Mapping[str, bytes | None]) -> bytes | None:
        """The id of `base` (a tree id, or None for none) with `changes` (paths relative to it -> blob id,
        None to delete) applied; None when the result is empty, as git drops empty folders."""
        entries = {name: (sha, mode) for sha, mode, name in self._tree_entries(base)}
        below: dict[str, dict[str, bytes | None]] = {}
        for path, blob in changes.items():
            head, _, rest = path.partition("/")
            if rest:
                below.setdefault(head, {})[rest] = blob
            elif blob is None:
                entries.pop(head, None)
            else:
                mode = entries.get(head, (b"", DEFAULT_FILE_MODE))[1]
                entries[head] = (blob, mode if mode in FILE_MODES else DEFAULT_FILE_MODE)
        for name, sub in below.items():
            current = entries.get(name)
            subtree = current[0] if current is not None and current[1] == TREE_MODE else None
            written = self._write_tree(subtree, sub)
            if written is None:
                entries.pop(name, None)
            else:
                entries[name] = (written, TREE_MODE)
        if not entries:
            return None
        # git orders a tree's entries by name, a folder's name compared as if it ended with "/"
        ordered = sorted(((sha, mode, name) for name, (sha, mode) in entries.items()),
                         key=lambda e: e[2] + ("/" if e[1] == TREE_MODE else ""))
        stream = io.BytesIO()
        tree_to_stream(ordered, stream.write)
        return self._store("tree", stream.getvalue())

    def _tree_entries(self, tree: bytes | None) -> list[tuple[bytes, int, str]]:
        """A tree's entries, parsed once per process: every commit on one base walks the same big trees
        (the repository's root, the folder of all services)."""
        if tree is None:
            return []
        entries = self._parsed_trees.get(tree)
        if entries is None:
            entries = self._listed_trees.get(tree)
        if entries is None:
            if len(self._parsed_trees) >= PARSED_TREES_KEPT:
                self._parsed_trees.clear()
            kept = self._unwritten.get(tree)
            data = kept[1] if kept else self._reader.read_many([bin_to_hex(tree).decode()])[0]
            entries = self._parsed_trees[tree] = tree_entries_from_data(data)
        return entries

    def _empty_tree(self) -> str:
        return bin_to_hex(self._store("tree", b"")).decode()

    def commit_tree(self, tree: str, parents: list[str], message: str, identity: Identity) -> str:
        """`git commit-tree tree -p parent... -m message` as identity (author and committer): its commit id."""
        return self._commit(tree, parents, message, identity)

    def _commit(self, tree: str, parents: list[str], message: str, identity: Identity, *,
                tree_known: bool = False) -> str:
        """Written in this process when the result is certainly the object git would write (bot.commit_object),
        else by `git commit-tree`: its own output, its own errors. tree_known: tree is an id this process
        just wrote (a tree), so it need not be checked."""
        lines = self._identity_lines(identity) if self._writes_as_git(tree, parents, message, tree_known) else None
        if lines is None:
            return self._commit_tree_process(tree, parents, message, identity)
        sha = bin_to_hex(self._store("commit", commit_bytes(tree, parents, *lines, message))).decode()
        # what GitPython reads back from it: git's identity line is exactly `name <email> date` (_identity_lines)
        subject = message.split("\n", 1)[0]
        self._written[sha] = CommitInfo(sha, identity.name, identity.email, subject, tuple(parents), tree)
        return sha

    def _commit_tree_process(self, tree: str, parents: list[str], message: str, identity: Identity) -> str:
        args = ["commit-tree", tree, "-m", message]
        for p in parents:
            args += ["-p", p]
        return self._git(*args, env=_identity_env(identity)).strip()

    def _writes_as_git(self, tree: str, parents: list[str], message: str, tree_known: bool) -> bool:
        """Whether git would take these ids and this message as they are: full ids of a tree and of distinct
        commits (git resolves names, peels tags, drops a repeated parent, refuses others), a message it keeps
        byte for byte, passed as UTF-8, and a repository whose configuration adds nothing to a commit."""
        if not message or not kept_as_is(message) or sys.getfilesystemencoding() != "utf-8":
            return False
        if not all(_OBJECT_ID.fullmatch(i) for i in (tree, *parents)) or len(set(parents)) != len(parents):
            return False
        settings = self._settings_for_commits()
        if (settings is None or not utf8_encoding(settings.get("i18n.commitencoding"))
                or settings.get("extensions.objectformat", "sha1").lower() != "sha1"
                or "extensions.compatobjectformat" in settings):
            return False
        return (tree_known or self._object_type(tree) == "tree") and all(self._is_commit(p) for p in parents)

    def _settings_for_commits(self) -> dict[str, str | None] | None:
        """The effective values (all scopes, includes, `-c`) of the settings that change a commit object, read
        once with one `git config` (a key given without a value: None); None when git could not read them."""
        if "read" not in self._commit_settings:
            status, listing, _ = self._repo.git.execute(["git", "config", "-z", "--get-regexp", _COMMIT_SETTINGS],
                                                       with_extended_output=True, with_exceptions=False)
            settings: dict[str, str | None] = {}
            for entry in listing.split("\0") if status == 0 else ():  # 1: none is set
                if entry:
                    key, newline, value = entry.partition("\n")
                    settings[key.lower()] = value if newline else None
            self._commit_settings["read"] = settings if status in (0, 1) else None
        return self._commit_settings["read"]

    def _read_object(self, object_id: str) -> tuple[str | None, bytes]:
        """(type, content) of a full object id; (None, ...) for a name, or an object git does not have."""
        if _OBJECT_ID.fullmatch(object_id):
            kept = self._unwritten.get(bytes.fromhex(object_id))
            if kept is not None:
                return kept[0].decode(), kept[1]
            try:
                return self._reader.read_object(object_id)
            except (ValueError, OSError):
                pass
        return None, b""

    def _object_type(self, object_id: str) -> str | None:
        """"commit", "tree", ... or None (not a full id, or not in the repository)."""
        if not _OBJECT_ID.fullmatch(object_id):
            return None
        kept = self._unwritten.get(bytes.fromhex(object_id))
        if kept is not None:
            return kept[0].decode()
        try:
            return self._repo.odb.info(bytes.fromhex(object_id)).type.decode()
        except (ValueError, OSError, git.GitError):  # GitPython: ValueError for an object git does not have
            return None

    def _is_commit(self, object_id: str) -> bool:
        if object_id not in self._commits_known and self._object_type(object_id) == "commit":
            self._commits_known.add(object_id)
        return object_id in self._commits_known

    def _identity_lines(self, identity: Identity) -> tuple[str, str] | None:
        """(author, committer) lines as git writes them for identity now, or None when only git can say
        (an identity git would trim, or dates pinned by GIT_AUTHOR_DATE / GIT_COMMITTER_DATE in a form
        that `git var` must parse: asked once per identity and pinned dates)."""
        if not plain_person(identity.name, identity.email):
            return None
        pinned = tuple(os.environ.get(name, "") for name in _PINNED_DATES)
        person = f"{identity.name} <{identity.email}>"
        if not any(pinned):
            now = f"{person} {date_now()}"
            return now, now
        key = (identity, pinned)
        if key not in self._pinned_idents:
            try:
                lines = tuple(self._git("var", var, env=_identity_env(identity)).rstrip("\n")
                              for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"))
            except GitError:  # a date git cannot read: `git commit-tree` says so
                lines = None
            ok = lines is not None and all(line.startswith(person + " ") for line in lines)
            self._pinned_idents[key] = lines if ok else None
        lines = self._pinned_idents[key]
        if lines is None:
            return None
        now = f"{person} {date_now()}"  # a date left unpinned is the commit's time, not `git var`'s
        author, committer = (line if date else now for line, date in zip(lines, pinned))
        return author, committer

    def merges_only(self, commit: CommitInfo, base_sha: str) -> bool:
        """A merge of the base into a branch and nothing else (GitHub's "Update branch" button, or `git merge
        main` pushed as it came): two parents, the second already in the base, and exactly the tree git
        makes of them. A merge that resolved a conflict or changed anything of its own is not one."""
        return (len(commit.parents) == 2 and self.is_ancestor(commit.parents[1], base_sha)
                and self.merge_tree(*commit.parents) == commit.tree)

    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging head into base, or None on conflict (git >= 2.38)."""
        try:
            return self._git("merge-tree", "--write-tree", base, head).split()[0]
        except GitError:
            return None

    def push(self, sha: str | None, branch: str, expected: str | None, url: str | None = None) -> bool:
        """Set (or delete, sha=None) the remote branch, only if it still is at `expected`.

        Returns whether this push changed the ref: False when it already was at `sha` (another run
        pushed the same commit), so a caller never undoes a push that was not its own."""
        outcome = self.push_many([RefUpdate(branch, sha, expected)], url)[branch]
        if isinstance(outcome, GitError):
            raise outcome
        return outcome

    def push_many(self, updates: list[RefUpdate], url: str | None = None) -> dict[str, bool | GitError]:
        """Every update in one `git push`, each leased on its own expected sha and not atomic: one refused
        ref does not hold back the others. Per branch: whether the push changed it (as `push`), or why
        git refused it. One process for the push and one for the tracking refs, whatever their number."""
        if not updates:
            return {}
        args = ["push", "--porcelain"]
        args += [f"--force-with-lease=refs/heads/{u.branch}:{u.expected or ''}" for u in updates]
        args.append(url or self.remote)
        args += [f"{u.sha}:refs/heads/{u.branch}" if u.sha else f":refs/heads/{u.branch}" for u in updates]
        status, out, err = self.repo.git.execute(["git", *args], with_extended_output=True, with_exceptions=False)
        flags = {}
        for line in out.splitlines():
            flag, _, rest = line.partition("\t")
            target = rest.split("\t", 1)[0].rpartition(":")[2]
            if len(flag) == 1 and target.startswith("refs/heads/"):
                flags[target[len("refs/heads/"):]] = (flag, line)
        outcomes: dict[str, bool | GitError] = {}
        for u in updates:
            flag, line = flags.get(u.branch, ("", ""))
            if flag in ("", "!"):  # refused, or the push as a whole failed (no line for the ref)
                others = [f"refs/heads/{o.branch}" for o in updates if o.branch != u.branch]
                own = "\n".join(e for e in err.splitlines() if not any(_names(e, ref) for ref in others))
                outcomes[u.branch] = GitError(git_failure(args, own, line or out, status))
            else:
                outcomes[u.branch] = flag != "="
        self._set_tracking({u.branch: u.sha for u in updates if not isinstance(outcomes[u.branch], GitError)})
        return outcomes

    def _set_tracking(self, heads: Mapping[str, str | None]) -> None:
        """refs/remotes/<remote>/<branch> as the remote now has them (None: deleted), in one process."""
        if not heads:
            return
        commands = "".join(f"update refs/remotes/{self.remote}/{b} {sha}\n" if sha
                           else f"delete refs/remotes/{self.remote}/{b}\n" for b, sha in heads.items())
        with tempfile.TemporaryFile() as stdin:  # a pipe's end must be a real file for the child
            stdin.write(commands.encode())
            stdin.seek(0)
            try:
                self._git("update-ref", "--stdin", stdin=stdin)
            except GitError:
                self._remote_heads = None  # listed again on next use
                raise
        if self._remote_heads is not None:  # what the refs now hold: no `for-each-ref` after every push
            for branch, sha in heads.items():
                if sha:
                    self._remote_heads[branch] = sha
                else:
                    self._remote_heads.pop(branch, None)

    def is_ancestor(self, commit: str, of: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", commit, of)
        except GitError:
            return False
        return True

    def merge_of(self, head: str, base: str) -> str | None:
        """The oldest commit on base's first-parent line that brought `head` in (a merge, or head itself)."""
        line = self._git("rev-list", "--first-parent", "--reverse", "--parents", f"{head}..{base}")
        for entry in line.splitlines():
            sha, *parents = entry.split()
            if head in parents or any(self.is_ancestor(head, p) for p in parents[1:]):
                return sha
        return head if self.is_ancestor(head, base) else None

    def prune_own_worktrees(self) -> list[str]:
        """Remove the temporary worktrees a killed bot process left registered in this repository.

        Only ours (named upgrade-bot-wt-<pid>-...) whose process is gone; the user's are never touched."""
        from bot.runlock import pid_alive
        removed: list[str] = []
        if not (Path(self._repo.common_dir) / "worktrees").is_dir():  # where git registers them: none at all
            return removed
        for line in self._git("worktree", "list", "--porcelain").splitlines():
            if not line.startswith("worktree "):
                continue
            path = Path(line[len("worktree "):])
            match = _OWN_WORKTREE.fullmatch(path.name)
            if not match or pid_alive(int(match.group(1))):
                continue
            self._git("worktree", "remove", "--force", str(path))
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
        return removed

    @contextmanager
    def temporary_worktree(self, sha: str) -> Iterator[Path]:
        """A detached checkout of sha in a temp dir, removed afterwards (even on error)."""
        tmp = self.add_worktree(sha)
        try:
            yield tmp
        finally:
            self.remove_worktree(tmp)

    def add_worktree(self, sha: str) -> Path:
        """A detached checkout of sha in a temp dir named as ours (prune_own_worktrees removes it if we die)."""
        tmp = Path(tempfile.mkdtemp(prefix=f"upgrade-bot-wt-{os.getpid()}-"))
        self._git("worktree", "add", "--detach", "--quiet", str(tmp), sha)
        return tmp

    def switch_worktree(self, path: Path, sha: str) -> None:
        """Makes a worktree of ours hold exactly sha's tree: the files that differ are rewritten, whatever else is
        there (untracked, ignored, changed by a test run) is removed. Cheap: only what differs is written."""
        self._git("checkout", "--force", "--quiet", "--detach", sha, cwd=path)
        self._git("clean", "-ffdxq", cwd=path)

    def remove_worktree(self, path: Path) -> None:
        self._git("worktree", "remove", "--force", str(path))
        shutil.rmtree(path, ignore_errors=True)

    def replay(self, onto: str, commits: list[str], identity: Identity) -> tuple[str, str | None]:
        """Cherry-picks commits (keeping their authors) onto `onto`.

        Returns (new head, None), or (onto, the first commit that conflicts)."""
        env = _committer_env(identity)
        with self.temporary_worktree(onto) as tmp:
            for sha in commits:
                try:
                    self._git("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha, env=env, cwd=tmp)
                except GitError:
                    self._git("cherry-pick", "--abort", cwd=tmp)
                    return onto, sha
            return self._git("rev-parse", "HEAD", cwd=tmp).strip(), None

    def revert_merge(self, onto: str, merge_sha: str, identity: Identity) -> str | None:
        """`git revert -m 1 merge_sha` on top of `onto`; None when it conflicts."""
        env = {**_committer_env(identity), "GIT_AUTHOR_NAME": identity.name,
               "GIT_AUTHOR_EMAIL": identity.email}
        with self.temporary_worktree(onto) as tmp:
            try:
                self._git("revert", "-m", "1", "--no-edit", merge_sha, env=env, cwd=tmp)
            except GitError:
                self._git("revert", "--abort", cwd=tmp)
                return None
            return self._git("rev-parse", "HEAD", cwd=tmp).strip()


def _identity_env(identity: Identity) -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": identity.name, "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name, "GIT_COMMITTER_EMAIL": identity.email}


def _committer_env(identity: Identity) -> dict[str, str]:
    return {"GIT_COMMITTER_NAME": identity.name, "GIT_COMMITTER_EMAIL": identity.email}
