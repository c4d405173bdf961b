"""The pieces of a write API's move to the client: a write's new arguments, the edits and listings decided
(made by rules INF006/INF007, listed by INF104/INF110), and what one use of an object that now holds the client
needs. Pure: node shapes only (the flow, write_flow.py, decides which write APIs move)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import libcst as cst

from bot.analysis import Definition, ParsedModule, walk

from . import v2_api
from .arguments import KeepArg, build_arguments
from .module_facts import last_name, method_call

SYNC_WRITE, WRITE_API_LIFECYCLE = "INF006", "INF007"

CHAINED_WRITE = "write_api(SYNCHRONOUS).write(bucket=, record=) -> client.write(record=, database=)"
HANDED = "write API handed to a helper -> the client itself (the helper's writes are rewritten)"
HELPER_WRITE = ("write_api.write(bucket=, record=) in a helper -> client.write(record=, database=) (the helper "
                "receives the client)")
HELPER_CLOSE = "write_api.close() dropped (it would close the client)"
CLOSE = "write_api.close() dropped (client.close() covers it)"
FLUSH = "write_api.flush() -> client.flush()"
WITH_DROPPED = "with write_api(...) as w: dropped (its exit only closed the write API)"
BATCHING = ("write_api() without SYNCHRONOUS batches in the v2 client (the default when no options are given); "
            "InfluxDBClient3 has no write_api() and writes synchronously unless given write_client_options("
            "write_options=WriteOptions(...)): decide the v3 write mode, and move any callbacks into "
            "write_client_options(...).")


@dataclass(frozen=True)
class WriteSite:
    """A v2 write call that moves to the client, with its bucket and arguments."""

    call: cst.Call
    bucket: cst.BaseExpression
    specs: list[KeepArg]
    dataframes: bool  # writes DataFrames (data_frame_* keywords): influxdb3-python[pandas]


@dataclass(frozen=True)
class Rewrite:
    """One edit decided here, made by rule `rule` on `node` (its file's plan): replace it with
    `change(updated)`, remove it (`change` None and `remove`), or only count the site."""

    rule: str
    node: cst.CSTNode
    description: str
    change: Callable[[cst.CSTNode], cst.CSTNode] | None = None
    remove: bool = False
    count: int = 1


@dataclass(frozen=True)
class Escape:
    """A write API left as it is, for rule INF110 to list; `blocking`: nothing in the service moves."""

    node: cst.CSTNode
    why: str
    blocking: bool = False


@dataclass
class ModuleWrites:
    """What the flow decided in one module."""

    rewrites: list[Rewrite] = field(default_factory=list)
    escapes: list[Escape] = field(default_factory=list)
    batching: list[tuple[cst.Call, str]] = field(default_factory=list)  # INF104: (write_api call, why)
    consumed: set[cst.CSTNode] = field(default_factory=set)  # names only the rewritten write_api() calls used
    write_sites: list[WriteSite] = field(default_factory=list)  # writes rewritten to client.write(database=)
    unmoved: set[cst.Call] = field(default_factory=set)  # write_api(...) calls left as they are

    @property
    def unrewritten(self) -> int:
        """Write APIs left for a human here (they may write to any bucket)."""
        return len(self.escapes) + len(self.batching)


def write_keywords(call: cst.Call) -> dict[str, int] | None:
    """v2 write() keyword -> argument index; None when the call cannot be mapped (*/**, no bucket or record)."""
    keywords: dict[str, int] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None:
            keywords[arg.keyword.value] = index
        elif index < len(v2_api.WRITE_POSITIONAL):
            keywords[v2_api.WRITE_POSITIONAL[index]] = index
        else:
            return None
    return keywords if "bucket" in keywords and "record" in keywords else None


def write_site(call: cst.Call) -> WriteSite | None:
    """`.write(bucket=B, record=R, ...)` as `.write(record=R, database=B, ...)` (org= dropped), or None."""
    keywords = write_keywords(call)
    if keywords is None:
        return None
    specs = [KeepArg(keywords["record"], "record"), KeepArg(keywords["bucket"], "database")]
    dataframes = False
    for keyword, index in keywords.items():
        if keyword in ("record", "bucket", "org"):
            continue
        dataframes = dataframes or keyword in v2_api.DATAFRAME_WRITE_KEYWORDS
        specs.append(KeepArg(index, keyword))
    return WriteSite(call, call.args[keywords["bucket"]].value, specs, dataframes)


@dataclass
class Uses:
    """A helper parameter's (or an imported binding's) uses, all rewritable: edits, sites, hand-ons."""

    rewrites: list[tuple[str, Rewrite]] = field(default_factory=list)  # (path, rewrite)
    sites: list[tuple[str, WriteSite]] = field(default_factory=list)
    passes: list[tuple[tuple[Definition, str], cst.CSTNode]] = field(default_factory=list)  # (helper, the read handed to it)


def use(parsed: ParsedModule, node: cst.CSTNode, uses: Uses) -> str | None:
    """One use of an object that now holds the client: its edit goes to `uses`; else why it cannot move."""
    found = method_call(parsed, node, v2_api.WRITE_API_METHODS)
    if found is None:
        return f"it is used as `{parsed.tree.code_for_node(parsed.parent(node))}`, not only for .write/.flush/.close"
    method, call = found
    if method == "write":
        site = write_site(call)
        if site is None:
            return "a write cannot be rewritten (positional */** arguments, or no bucket or record)"
        uses.sites.append((parsed.path, site))
        uses.rewrites.append((parsed.path, Rewrite(SYNC_WRITE, call, HELPER_WRITE, write_change(site.specs))))
        return None
    if method == "close":
        statement = parsed.parent(call)
        if not isinstance(statement, cst.Expr):
            return "write_api.close() is used as a value"
        uses.rewrites.append((parsed.path, Rewrite(WRITE_API_LIFECYCLE, statement, HELPER_CLOSE, remove=True)))
        return None
    uses.rewrites.append((parsed.path, Rewrite(WRITE_API_LIFECYCLE, call, FLUSH)))  # the client flushes too
    return None


def write_change(specs: list[KeepArg], receiver: Callable | None = None) -> Callable:
    def change(updated: cst.Call) -> cst.Call:
        rebuilt = build_arguments(updated, specs)
        if receiver is not None:
            rebuilt = rebuilt.with_changes(func=updated.func.with_changes(value=receiver(updated)))
        return rebuilt
    return change


def receiver_change(receiver: Callable) -> Callable:
    return lambda updated: updated.with_changes(func=updated.func.with_changes(value=receiver(updated)))


def write_options(call: cst.Call) -> tuple[bool, set, str]:
    """(synchronous?, the names its options use, why it is not) for a `write_api(...)` call."""
    if len(call.args) != 1 or call.args[0].star:
        if not call.args:
            return False, set(), BATCHING
        return False, set(), BATCHING + (" (extra write_api() arguments such as point_settings or callbacks also "
                                         "need a decision)")
    arg = call.args[0]
    if arg.keyword is not None and arg.keyword.value != "write_options":
        return False, set(), BATCHING
    value = arg.value
    if last_name(value) == "SYNCHRONOUS":
        return True, names_in(value), ""
    if isinstance(value, cst.Call) and last_name(value.func) == "WriteOptions":
        keywords = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
        if len(value.args) == 1 and last_name(keywords.get("write_type")) == "synchronous":
            return True, names_in(value), ""
    return False, set(), BATCHING


def names_in(node: cst.CSTNode) -> set:
    return {n for n in walk(node) if isinstance(n, cst.Name)}
