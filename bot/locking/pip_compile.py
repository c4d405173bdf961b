"""Requirements files compiled from a `.in` by pip-tools or `uv pip compile`: regenerated from their
sources with the command their header records, plus `--upgrade-package` for the recipe's packages,
so the new version's own dependencies get pinned and stale `# via` pins disappear."""
from __future__ import annotations

import posixpath
import shlex
from typing import Mapping, Sequence

from bot.declared.compile_header import header_command
from bot.declared.requirements import parse_requirements
from bot.locking.model import LockTask, Upgrade

PIP_TOOLS = "7.5.1"
_OUTPUT_OPTIONS = ("-o", "--output-file")
# options that would change what gets upgraded: the bot decides that
_DROPPED = ("-U", "--upgrade", "-P", "--upgrade-package")


def _sibling_source(rel: str, files: Mapping[str, str]) -> str | None:
    """No header, but `# via` annotations and a `.in` beside it: a compiled file all the same."""
    stem, ext = posixpath.splitext(rel)
    if ext != ".txt" or f"{stem}.in" not in files or "# via" not in files[rel]:
        return None
    name = posixpath.basename(stem)
    hashes = " --generate-hashes" if "--hash=" in files[rel] else ""
    return f"uv pip compile {name}.in -o {name}.txt{hashes}"


def pinned_names(text: str) -> set[str]:
    return {d.name for d in parse_requirements(text, "")[0]}


def task(rel: str, files: Mapping[str, str], upgrades: Sequence[Upgrade]) -> LockTask | None:
    if not rel.endswith(".txt"):
        return None
    command = header_command(files[rel]) or _sibling_source(rel, files)
    if command is None:
        return None
    try:
        tokens = shlex.split(command)
    except ValueError:
        return None
    uv = tokens[:3] == ["uv", "pip", "compile"]
    args = tokens[3:] if uv else tokens[1:]
    if any(t.startswith("/") or ".." in t.split("/") for t in args):
        return None  # never let a header reach outside the service
    args, output = _without_output(args)
    directory = posixpath.dirname(rel)
    sources = [a for a in args if not a.startswith("-") and _looks_like_file(a)]
    if output is None and not uv:  # pip-compile's own default
        output = posixpath.splitext(sources[0])[0] + ".txt" if sources and sources[0].endswith(".in") \
            else "requirements.txt"
    if output is not None and posixpath.basename(output) != posixpath.basename(rel):
        return None  # the header names another file: copied here, not generated here
    upgrade_args = [a for u in upgrades for a in ("--upgrade-package", u.pinned)]
    args = _without_dropped(args) + upgrade_args + ["--custom-compile-command", command]
    if output is not None:
        args += ["--output-file", posixpath.basename(rel)]
    if uv:
        argv = ("uv", "pip", "compile", *args)
    else:
        argv = ("uv", "tool", "run", "--from", f"pip-tools=={PIP_TOOLS}", "pip-compile", *args)
    inputs = tuple(posixpath.join(directory, s) if directory else s for s in sources)
    return LockTask("uv-pip-compile" if uv else "pip-compile", rel, argv, inputs=inputs,
                    stdout=output is None, keep_base_output=True)


def _looks_like_file(token: str) -> bool:
    return token.endswith((".in", ".txt", ".toml", ".py", ".cfg"))


def _without_output(args: list[str]) -> tuple[list[str], str | None]:
    out, output, skip = [], None, False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in _OUTPUT_OPTIONS and i + 1 < len(args):
            output, skip = args[i + 1], True
        elif arg.startswith("--output-file="):
            output = arg.split("=", 1)[1]
        elif arg.startswith("-o") and len(arg) > 2:
            output = arg[2:]
        else:
            out.append(arg)
    return out, output


def _without_dropped(args: list[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-P", "--upgrade-package"):
            skip = True
        elif arg in _DROPPED or arg.startswith("--upgrade-package="):
            continue
        else:
            out.append(arg)
    return out
