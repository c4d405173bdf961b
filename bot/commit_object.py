"""A commit object byte for byte as `git commit-tree TREE -p PARENT... -m MESSAGE` writes it, made in this
process: a first run writes one commit per job, and a `git commit-tree` process each cost more CPU than
everything else a commit needs. Pure: gitops reads what git decides (configuration, pinned dates) and
falls back to `git commit-tree` itself whenever the input is one git would change or refuse.

`git commit-tree` is plumbing: it never signs (commit.gpgSign is read by porcelain such as `git commit`
only; tests/test_commit_object.py checks that against the installed git) and runs no hook. What it does
with its input, and what this module therefore copies or leaves to git:
- the message gets a final newline if it has none; an empty one means "read stdin" (left to git);
- author and committer are `NAME <EMAIL> SECONDS ±HHMM`, with "crud" trimmed from the ends of the name and
  email and `<`, `>`, newlines dropped (an identity that would change is left to git);
- the date is now in local time, unless GIT_AUTHOR_DATE / GIT_COMMITTER_DATE pin it (then git formats
  it: `git var`, see gitops);
- an `encoding` header when i18n.commitEncoding names an encoding other than UTF-8 (left to git);
- text that is not valid UTF-8 to git's eyes (surrogates, noncharacters) is rewritten (left to git)."""
from __future__ import annotations

import re
import time

# ident.c crud(): trimmed from both ends of a name or an email
_CRUD = frozenset(chr(c) for c in range(33)) | set(".,:;<>\"\\'")
# what git's verify_utf8 rewrites (surrogates, U+FDD0..U+FDEF, U+xxFFFE/U+xxFFFF), and NUL (argv ends there)
_NOT_KEPT = re.compile("[\x00\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                       + "".join(f"{chr(plane << 16 | 0xfffe)}{chr(plane << 16 | 0xffff)}" for plane in range(1, 17))
                       + "]")


def kept_as_is(text: str) -> bool:
    """Whether git writes this text (a message, a name) into a commit unchanged."""
    return _NOT_KEPT.search(text) is None


def plain_person(name: str, email: str) -> bool:
    """Whether git's identity line for name and email is exactly `name <email>`."""
    return all(part and part[0] not in _CRUD and part[-1] not in _CRUD and not any(c in part for c in "<>\n")
               and kept_as_is(part) for part in (name, email))


def date_now(now: float | None = None) -> str:
    """`SECONDS ±HHMM` as git's datestamp() writes the current time (its offset from local time)."""
    seconds = int(time.time() if now is None else now)
    offset = time.localtime(seconds).tm_gmtoff
    minutes = int(offset / 60)  # seconds to minutes as C divides (toward zero), then the sign of that
    return f"{seconds} {'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def utf8_encoding(name: str | None) -> bool:
    """git's is_encoding_utf8: no i18n.commitEncoding, or one that names UTF-8."""
    return name is None or name.lower() in ("utf-8", "utf8")


def commit_bytes(tree: str, parents: list[str], author: str, committer: str, message: str) -> bytes:
    """The object's content (UTF-8, no encoding header); author and committer are whole identity lines
    (`NAME <EMAIL> DATE`)."""
    heads = "".join([f"tree {tree}\n", *(f"parent {p}\n" for p in parents), f"author {author}\n",
                     f"committer {committer}\n"])
    return (heads + "\n" + message + ("" if message.endswith("\n") else "\n")).encode("utf-8")
