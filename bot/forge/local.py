"""A forge kept as JSON files under .git/upgrade-bot/forge: PRs without a server, for laptops and tests."""
from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.forge.base import CheckResult, Comment, ForgeError, PullRequest

LOCAL_USER = "local-maintainer"


class LocalForge:
    name = "local"

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "forge"
        (self.root / "prs").mkdir(parents=True, exist_ok=True)
        (self.root / "checks").mkdir(exist_ok=True)
        self._parsed: dict[Path, tuple[tuple[int, int, int], dict]] = {}
        self._heads: dict[str, list[int]] = {}  # PR numbers by head, for the numbers below _indexed_upto
        self._indexed_upto = 1
        self._unread: set[int] = set()  # numbers below _indexed_upto whose file was not there

    # --- storage -------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Read-modify-write steps (a PR's record, meta.json: numbering, one open PR per branch) are atomic across
        processes: a command runs beside the rollout, and a write from stale data would drop the other's change.
        Not reentrant (flock locks per open file): a method holding it calls only the unlocked `_` steps."""
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _meta(self) -> dict:
        path = self.root / "meta.json"
        meta = _read_json(path) if path.exists() else {}
        meta.setdefault("next_pr", 1)
        meta.setdefault("next_comment", 1)
        meta.setdefault("permissions", {LOCAL_USER: "admin"})
        return meta

    def _save_meta(self, meta: dict) -> None:
        _write_json(self.root / "meta.json", meta)

    def _pr_path(self, number: int) -> Path:
        return self.root / "prs" / f"{number}.json"

    def _load(self, number: int) -> dict:
        path = self._pr_path(number)
        if not path.exists():
            raise ForgeError(f"local forge: no pull request #{number}")
        return _read_record(path)

    def _store(self, record: dict) -> None:
        _write_json(self._pr_path(record["pr"]["number"]), record)

    @staticmethod
    def _pr(record: dict) -> PullRequest:
        return PullRequest(**record["pr"])

    def _records(self) -> list[dict]:
        # a process killed mid-write leaves a .tmp-*.json behind: not a PR
        files = sorted((p for p in self.root.glob("prs/*.json") if p.stem.isdigit()), key=lambda p: int(p.stem))
        return [_read_record(p) for p in files]

    def _all_prs(self) -> list[PullRequest]:
        """Every PR, read-only."""
        paths = sorted((p for p in self.root.glob("prs/*.json") if p.stem.isdigit()), key=lambda p: int(p.stem))
        return [self._cached_pr(path) for path in paths]

    def _cached_pr(self, path: Path) -> PullRequest:
        """Parsed files are kept while their inode, mtime and size hold (every write replaces the file)."""
        stat = path.stat()
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._parsed.get(path)
        if cached is None or cached[0] != key:
            cached = self._parsed[path] = (key, _read_record(path)["pr"])
        return PullRequest(**dict(cached[1], labels=list(cached[1]["labels"])))

    def _numbers_of(self, head: str, upto: int) -> list[int]:
        """The numbers of head's PRs, oldest first (upto: meta's next_pr). Numbers only grow and a PR's head
        never changes, so only the files numbered since the last look are read: opening the Nth PR of a run
        reads no file (this process indexed the ones it wrote) and checks its head's, not all N (which made
        a first run quadratic in the number of PRs)."""
        for number in sorted(self._unread | set(range(self._indexed_upto, upto))):
            path = self._pr_path(number)
            if path.exists():
                self._unread.discard(number)
                self._heads.setdefault(self._cached_pr(path).head, []).append(number)
            else:  # being written by another process, or deleted by hand
                self._unread.add(number)
        self._indexed_upto = max(self._indexed_upto, upto)
        return sorted(self._heads.get(head, []))

    # --- Forge protocol ------------------------------------------------------------------
    def find_pr(self, head: str) -> PullRequest | None:
        return self._find_pr(head, self._meta())

    def _find_pr(self, head: str, meta: dict) -> PullRequest | None:
        for number in reversed(self._numbers_of(head, meta["next_pr"])):
            path = self._pr_path(number)
            if path.exists():
                return self._cached_pr(path)
        return None

    def list_prs(self, head_prefix: str) -> list[PullRequest]:
        return [pr for pr in self._all_prs() if pr.head.startswith(head_prefix)]

    def get_pr(self, number: int) -> PullRequest:
        return self._pr(self._load(number))

    def open_pr(self, *, head: str, base: str, title: str, body: str, labels: list[str],
                reviewers: list[str], draft: bool = False) -> PullRequest:
        with self._exclusive():
            return self._open_pr(head=head, base=base, title=title, body=body, labels=labels,
                                 reviewers=reviewers, draft=draft)

    def _open_pr(self, *, head: str, base: str, title: str, body: str, labels: list[str],
                 reviewers: list[str], draft: bool) -> PullRequest:
        meta = self._meta()  # read once: every writer of next_pr holds the lock we hold
        existing = self._find_pr(head, meta)
        if existing and existing.state == "open":
            raise ForgeError(f"local forge: a pull request for {head} is already open (#{existing.number})")
        number = meta["next_pr"]
        meta["next_pr"] += 1
        self._save_meta(meta)
        path = self._pr_path(number)
        pr = PullRequest(number=number, title=title, body=body, head=head, base=base, state="open",
                         labels=list(labels), url=str(path), draft=draft, author="upgrade-bot")
        # what dataclasses.asdict(pr) gives, without its field-by-field deep copy: labels is the one mutable field
        fields = dict(vars(pr), labels=list(pr.labels))
        written = _write_json(path, {"pr": fields, "comments": [], "reviewers": list(reviewers)})
        # index and cache the file just written (its stat is the written file's, taken before it was renamed in):
        # the next PR opened, and the dashboard's listing, then need not read and parse it back
        self._parsed[path] = ((written.st_ino, written.st_mtime_ns, written.st_size), fields)
        if self._indexed_upto == number:
            self._heads.setdefault(head, []).append(number)
            self._indexed_upto = number + 1
        return pr

    def update_pr(self, number: int, *, title: str | None = None, body: str | None = None,
                  labels: list[str] | None = None) -> PullRequest:
        with self._exclusive():
            record = self._load(number)
            for key, value in (("title", title), ("body", body), ("labels", labels)):
                if value is not None:
                    record["pr"][key] = value
            self._store(record)
        return self._pr(record)

    def close_pr(self, number: int) -> None:
        with self._exclusive():
            record = self._load(number)
            if record["pr"]["state"] == "open":
                record["pr"]["state"] = "closed"
                self._store(record)

    def reopen_pr(self, number: int) -> None:
        with self._exclusive():
            self._reopen(number)

    def _reopen(self, number: int) -> None:
        record = self._load(number)
        if record["pr"]["state"] == "closed":
            existing = self.find_pr(record["pr"]["head"])
            if existing and existing.state == "open" and existing.number != number:
                raise ForgeError(f"local forge: #{existing.number} is already open for {record['pr']['head']}")
            record["pr"]["state"] = "open"
            self._store(record)

    def mark_ready(self, number: int) -> PullRequest:
        """A draft made ready for review (what GitHub's "Ready for review" button does)."""
        with self._exclusive():
            record = self._load(number)
            record["pr"]["draft"] = False
            self._store(record)
        return self._pr(record)

    def mark_merged(self, number: int, merge_sha: str) -> PullRequest:
        with self._exclusive():
            record = self._load(number)
            record["pr"]["state"] = "merged"
            record["pr"]["merge_sha"] = merge_sha
            self._store(record)
        return self._pr(record)

    def comment(self, number: int, body: str, user: str = "upgrade-bot", user_type: str = "Bot") -> Comment:
        with self._exclusive():
            return self._comment(number, body, user, user_type)

    def _comment(self, number: int, body: str, user: str, user_type: str) -> Comment:
        record = self._load(number)
        meta = self._meta()
        comment = Comment(id=meta["next_comment"], user=user, body=body, user_type=user_type)
        meta["next_comment"] += 1
        self._save_meta(meta)
        record["comments"].append({**dataclasses.asdict(comment), "reactions": []})
        self._store(record)
        return comment

    def list_comments(self, number: int) -> list[Comment]:
        return [Comment(c["id"], c["user"], c["body"], c["user_type"]) for c in self._load(number)["comments"]]

    def reactions(self, comment_id: int) -> list[str]:
        for record in self._records():
            for c in record["comments"]:
                if c["id"] == comment_id:
                    return list(c["reactions"])
        return []

    def react(self, comment_id: int, reaction: str) -> None:
        with self._exclusive():
            for record in self._records():
                for c in record["comments"]:
                    if c["id"] == comment_id:
                        if reaction not in c["reactions"]:
                            c["reactions"].append(reaction)
                        self._store(record)
                        return
        raise ForgeError(f"local forge: no comment {comment_id}")

    def permission(self, user: str) -> str:
        return self._meta()["permissions"].get(user, "read")

    def set_permission(self, user: str, level: str) -> None:
        with self._exclusive():
            meta = self._meta()
            meta["permissions"][user] = level
            self._save_meta(meta)

    def reviewer_problems(self, reviewers) -> list[tuple[str, bool]]:
        return []  # no accounts here: reviewers are recorded on the PR as written

    def checks(self, sha: str) -> CheckResult:
        path = self.root / "checks" / f"{sha}.json"
        if not path.exists():
            return CheckResult("none")
        data = _read_json(path)
        return CheckResult(data["state"], data.get("details", []))

    def record_checks(self, sha: str, result: CheckResult) -> None:
        _write_json(self.root / "checks" / f"{sha}.json", dataclasses.asdict(result))

    def publish_dashboard(self, title: str, body: str) -> str:
        path = self.root / "dashboard.md"
        if not path.exists() or path.read_text() != body:
            _write_atomic(path, body)  # a run killed mid-write must not leave half a dashboard
        return str(path)

    def push_url(self) -> str | None:
        return None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ForgeError(f"{path}: unreadable local forge file ({type(exc).__name__}: {exc}); "
                         f"restore it or delete it") from None
    if not isinstance(data, dict):
        raise ForgeError(f"{path}: unreadable local forge file (not a JSON object); restore it or delete it")
    return data


def _read_record(path: Path) -> dict:
    record = _read_json(path)
    try:
        PullRequest(**record["pr"])
        if not isinstance(record["comments"], list):
            raise TypeError("comments is not a list")
    except (KeyError, TypeError) as exc:
        raise ForgeError(f"{path}: unreadable local forge file (not a pull request: {exc}); "
                         f"restore it or delete it") from None
    return record


def _write_json(path: Path, data: dict) -> os.stat_result:
    """Atomic: a crash never leaves a half-written PR file."""
    return _write_atomic(path, json.dumps(data, indent=2, sort_keys=True))


def _write_atomic(path: Path, text: str) -> os.stat_result:
    """Writes path by renaming a complete temporary file over it; the written file's stat."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it private; others' tools read these like any file
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        written = os.fstat(fd)
    os.replace(tmp, path)
    return written


@functools.cache
def _umask() -> int:
    """The process's umask, read once. Reading it means setting it for a moment (there is no other way), and
    another thread creating a file in that moment would get the wrong mode: once per process, not once per
    file written. The bot never changes its umask; it is the one the user started it with."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
