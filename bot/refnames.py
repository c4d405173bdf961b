"""Whether a name can be a git branch: the rules of `git check-ref-format`, checked before any work. Pure."""
from __future__ import annotations

_FORBIDDEN = {" ": "a space", "~": "'~'", "^": "'^'", ":": "':'", "?": "'?'", "*": "'*'", "[": "'['",
              "\\": "'\\'"}


def ref_name_problem(name: str) -> str:
    """Why `name` is not a valid branch name ("" when it is)."""
    if not name or name == "@":
        return "empty or '@'"
    for char in name:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return "a control character"
        if char in _FORBIDDEN:
            return _FORBIDDEN[char]
    for needle in ("..", "@{", "//"):
        if needle in name:
            return f"{needle!r}"
    if name.startswith("/") or name.endswith("/") or name.endswith("."):
        return "a leading or trailing '/' or a trailing '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "a part starting with '.'"
        if part.endswith(".lock"):
            return "a part ending in '.lock'"
    return ""
