"""Writes git objects as one pack and its version 2 index (git's gitformat-pack(5)), as `git index-pack` leaves them.

A run makes a few hundred small objects (a commit and the blobs and trees on its changed paths, per job): one pack
is two files, where loose objects are a file each plus their fan-out folders, and creating those files cost several
times what compressing the objects did. Objects go in whole (no deltas): git reads such a pack as any other, and
`git gc` deltifies them later like loose objects."""
from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import zlib
from typing import Iterable

TYPE_NUMBERS = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}
INDEX_MAGIC = b"\377tOc"
LARGE_OFFSET = 0x80000000  # an offset at or past 2 GiB is kept in the index's table of 8-byte offsets


def write_pack(pack_dir: str, objects: Iterable[tuple[bytes, bytes, bytes]], level: int = 1) -> str:
    """Writes objects (binary id, type, content; distinct ids) as `pack-<checksum>.pack` and `.idx` in pack_dir; the
    pack's checksum (hex). The pack lands first, then its index: git looks for packs by their index, so a reader
    never meets an index whose pack is not complete. Each file is written under a `tmp_` name that git's gc removes
    if this process is killed, read-only, then renamed into place. level: zlib's, git's loose-object default (1)."""
    chunks: list[bytes] = []
    entries: list[tuple[bytes, int, int]] = []  # (id, crc32 of the entry as stored, offset in the pack)
    offset = 12
    for binsha, kind, data in objects:
        header = _entry_header(TYPE_NUMBERS[kind], len(data))
        body = zlib.compress(data, level)
        entries.append((binsha, zlib.crc32(body, zlib.crc32(header)), offset))
        chunks += (header, body)
        offset += len(header) + len(body)
    pack = b"".join([b"PACK", struct.pack(">II", 2, len(entries)), *chunks])
    checksum = hashlib.sha1(pack).digest()
    name = os.path.join(pack_dir, f"pack-{checksum.hex()}")
    write_once(pack_dir, "tmp_pack_", name + ".pack", (pack, checksum))
    write_once(pack_dir, "tmp_idx_", name + ".idx", (_index(entries, checksum),))
    return checksum.hex()


def _entry_header(type_number: int, size: int) -> bytes:
    """The type in bits 4-6 of the first byte, the size in 4 bits there and 7 bits in each following byte."""
    out = bytearray()
    byte = (type_number << 4) | (size & 0x0F)
    size >>= 4
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


def _index(entries: list[tuple[bytes, int, int]], pack_checksum: bytes) -> bytes:
    """Version 2: magic and version, 256 cumulative counts by first byte, then in id order the ids, the crc32s,
    the offsets (large ones as indices into the table of 8-byte offsets that follows), the pack's checksum, and
    the index's own."""
    entries = sorted(entries)
    fanout = [0] * 256
    for binsha, _, _ in entries:
        fanout[binsha[0]] += 1
    total = 0
    for first in range(256):
        total += fanout[first]
        fanout[first] = total
    small, large = [], []
    for _, _, offset in entries:
        if offset < LARGE_OFFSET:
            small.append(offset)
        else:
            small.append(LARGE_OFFSET | len(large))
            large.append(offset)
    count = len(entries)
    index = b"".join([INDEX_MAGIC, struct.pack(">I256I", 2, *fanout), *(e[0] for e in entries),
                      struct.pack(f">{count}I", *(e[1] for e in entries)), struct.pack(f">{count}I", *small),
                      struct.pack(f">{len(large)}Q", *large), pack_checksum])
    return index + hashlib.sha1(index).digest()


def write_once(folder: str, prefix: str, target: str, parts: tuple[bytes, ...]) -> None:
    """Writes parts to target (a file of folder, made when missing) as git writes objects: a temporary file named
    `<prefix><pid>_<n>` (git's gc removes one a killed process left), read-only, renamed into place. A target
    already there is left as it is: git names objects and packs by their content."""
    if os.path.exists(target):
        return
    fd, tmp = _temporary(folder, prefix)
    try:
        try:
            os.fchmod(fd, 0o444)
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(folder: str, prefix: str) -> tuple[int, str]:
    """Named by process and count, not tempfile.mkstemp's random names: a flush of loose objects writes hundreds,
    and the names' randomness and os.makedirs' checks of a folder that is there cost more than the writes."""
    n = 0
    while True:
        n += 1
        tmp = os.path.join(folder, f"{prefix}{os.getpid()}_{n}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        except FileExistsError:  # left by a killed process that had this process id
            continue
