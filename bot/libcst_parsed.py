"""Which source texts libcst has parsed without error in this process.

The codemods' shared parse (bot.analysis.service.SharedFiles) records each text it parsed; the syntax check of
bot.discover.services skips those, since a file counts as broken only when both `compile` and libcst refuse it.
Texts are kept by digest (a large fleet's sources must not stay alive for this), the last REMEMBERED of them.
Free of libcst and of the rest of the bot: discovery imports it without loading either."""
from __future__ import annotations

import hashlib
from collections import OrderedDict

REMEMBERED = 4096
_parsed: OrderedDict[bytes, None] = OrderedDict()


def _digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def record_parsed(text: str) -> None:
    _parsed[_digest(text)] = None
    while len(_parsed) > REMEMBERED:
        _parsed.popitem(last=False)


def was_parsed(text: str) -> bool:
    return _digest(text) in _parsed
