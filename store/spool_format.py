"""The spool's on-disk record format (see :mod:`store.spool`) and the scan
that finds good records in a segment's bytes, skipping damage.

A record is a header (magic ``b"WS"``, payload length, sample count, CRC-32 of
count and payload, all little-endian u32 after the magic) then the payload. The
CRC makes a stray ``WS`` inside damaged bytes all but impossible to mistake for
a record, which is what lets the scan resynchronise after damage.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Final

MAGIC: Final = b"WS"
_HEADER = struct.Struct("<2sIII")
HEADER_SIZE: Final = _HEADER.size


def encode_record(payload: bytes, count: int) -> bytes:
    """One record's bytes: header then payload."""
    counted = struct.pack("<I", count) + payload
    return _HEADER.pack(MAGIC, len(payload), count, zlib.crc32(counted)) + payload


@dataclass(slots=True)
class ScanResult:
    """What :func:`scan_segment` found in one segment's bytes."""

    records: list[tuple[int, int, int]]
    good_end: int  # where the last good record ends
    corrupt: int  # damaged stretches followed by good records
    corrupt_bytes: int
    torn_bytes: int  # damaged bytes at the end, after the last good record


def record_at(data: bytes, pos: int) -> tuple[int, int] | None:
    """(payload length, count) of a valid record starting at ``pos``, else None."""
    if len(data) - pos < HEADER_SIZE:
        return None
    magic, length, count, crc = _HEADER.unpack_from(data, pos)
    end = pos + HEADER_SIZE + length
    if magic != MAGIC or end > len(data):
        return None
    counted = struct.pack("<I", count) + data[pos + HEADER_SIZE : end]
    if zlib.crc32(counted) != crc:
        return None
    return length, count


def scan_segment(data: bytes) -> ScanResult:
    """Find the good records in a segment's bytes, skipping damage."""
    result = ScanResult([], 0, 0, 0, 0)
    pos = 0
    while pos < len(data):
        found = record_at(data, pos)
        if found is not None:
            length, count = found
            result.records.append((pos, length, count))
            pos += HEADER_SIZE + length
            result.good_end = pos
            continue
        resume = _next_record(data, pos + 1)
        if resume is None:
            result.torn_bytes = len(data) - pos
            break
        result.corrupt += 1
        result.corrupt_bytes += resume - pos
        pos = resume
    return result


def _next_record(data: bytes, start: int) -> int | None:
    pos = data.find(MAGIC, start)
    while pos != -1:
        if record_at(data, pos) is not None:
            return pos
        pos = data.find(MAGIC, pos + 1)
    return None
