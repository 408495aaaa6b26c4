"""A bounded, crash-safe, append-only spool of write batches on local disk.

While a remote store is unreachable or refusing, each batch (already encoded, an
opaque payload plus its sample count) is appended here; once the store is back
the batches are read oldest first, sent, and acknowledged.

Layout: a directory holding ``LOCK`` (an advisory lock, so two processes never
share a spool) and numbered segment files ``<16 digits>.seg``. A segment is a
sequence of records::

    magic    2 bytes  b"WS"
    length   u32 LE   payload bytes
    count    u32 LE   samples in the payload
    crc32    u32 LE   of the count and payload bytes
    payload  length bytes

Records go to the newest segment until it passes ``segment_bytes``; then a new
one starts. A segment file is deleted once all its records are acknowledged.
Replay is at least once: after a crash the records of a partly acknowledged
segment are sent again, which a time-series store absorbs (a point is
identified by its series and time).

Durability: with ``fsync=True`` (the default) every append is fsynced before it
returns, and the directory is fsynced when a segment is created, so an appended
batch survives a power cut. With ``fsync=False`` the OS writes it back when it
likes: a killed process loses nothing, a power cut may lose the last seconds.

Damage: on :meth:`Spool.open` every segment is checked. A record cut short at a
segment's end (a crash mid-append) is a *torn* tail: it is cut off the file and
counted. Bytes that fail their checksum or are not a record header, followed by
good records, are *corrupt*: skipped (the reader resynchronises on the next
valid record) and counted. Either way the samples they held are lost, and their
number is unknown.

Full spool (``max_bytes`` reached): policy ``drop_oldest`` deletes the oldest
segment (its pending samples are counted as dropped); ``refuse_newest`` keeps
what is spooled and counts the new batch as dropped.

Errors: I/O failures (disk full, permissions, a spool locked by another
process) raise :class:`SpoolError`, a :class:`~store.base.StoreError`. Not
thread-safe: use one spool from one thread at a time.
"""

from __future__ import annotations

import fcntl
import logging
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from store.base import StoreError
from store.spool_format import HEADER_SIZE, encode_record, record_at, scan_segment

logger = logging.getLogger(__name__)

_SUFFIX = ".seg"


class SpoolError(StoreError):
    """The spool cannot be read or written; the message says which file and why."""


class SpoolPolicy(StrEnum):
    """What a full spool gives up: its oldest batches or the new one."""

    DROP_OLDEST = "drop_oldest"
    REFUSE_NEWEST = "refuse_newest"


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One spooled batch, as :meth:`Spool.peek` returns it."""

    segment: int
    index: int
    payload: bytes
    count: int


@dataclass(slots=True)
class _Segment:
    seq: int
    path: Path
    size: int = 0
    # (offset, payload length, sample count) of each good record, in order.
    records: list[tuple[int, int, int]] = field(default_factory=list)
    acked: int = 0  # records at the front already acknowledged
    pending: int = 0  # samples not yet acknowledged


class Spool:
    """The spool in ``directory``; call :meth:`open` before anything else.

    ``max_bytes`` bounds the files on disk, ``segment_bytes`` is the size at
    which a new segment starts (and so the unit ``drop_oldest`` deletes).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        max_bytes: int = 1 << 30,
        segment_bytes: int = 8 << 20,
        policy: SpoolPolicy = SpoolPolicy.DROP_OLDEST,
        fsync: bool = True,
    ) -> None:
        if segment_bytes > max_bytes:
            raise ValueError("segment_bytes must not exceed max_bytes")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.policy = SpoolPolicy(policy)
        self.fsync = fsync
        self._segments: list[_Segment] = []
        self._active_fd: int | None = None
        self._lock_fd: int | None = None
        self._next_seq = 1
        self.bytes = 0
        self.samples = 0
        self.dropped = 0
        self.torn = 0
        self.corrupt = 0

    # -- opening and closing -----------------------------------------------

    def open(self) -> None:
        """Lock the directory (creating it), check every segment, cut torn
        tails and count damage. Raises :class:`SpoolError`."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock()
            paths = sorted(self.directory.glob("*" + _SUFFIX))
            for path in paths:
                self._load(path)
        except OSError as exc:
            self.close()
            raise SpoolError(f"spool {self.directory}: cannot open: {exc}") from exc
        if self._segments:
            self._next_seq = self._segments[-1].seq + 1
            logger.info(
                "spool %s holds %d samples in %d segments to replay",
                self.directory,
                self.samples,
                len(self._segments),
            )

    def _lock(self) -> None:
        fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise SpoolError(
                f"spool {self.directory} is in use by another process"
            ) from exc
        self._lock_fd = fd

    def _load(self, path: Path) -> None:
        try:
            seq = int(path.stem)
        except ValueError:
            logger.warning("spool %s: ignoring stray file %s", self.directory, path)
            return
        data = path.read_bytes()
        scan = scan_segment(data)
        if scan.torn_bytes:
            self.torn += 1
            logger.warning(
                "spool %s: cut a torn record (%d bytes) off the end of %s",
                self.directory,
                scan.torn_bytes,
                path.name,
            )
            os.truncate(path, scan.good_end)
        if scan.corrupt:
            self.corrupt += scan.corrupt
            logger.warning(
                "spool %s: skipped %d corrupt stretches (%d bytes) in %s",
                self.directory,
                scan.corrupt,
                scan.corrupt_bytes,
                path.name,
            )
        if not scan.records:
            path.unlink()
            return
        segment = _Segment(seq, path, size=scan.good_end, records=scan.records)
        segment.pending = sum(count for _, _, count in scan.records)
        self._segments.append(segment)
        self.bytes += segment.size
        self.samples += segment.pending

    def close(self) -> None:
        """Release the files; what is spooled stays for the next open."""
        for fd in (self._active_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._active_fd = self._lock_fd = None

    # -- appending -------------------------------------------------------------

    def append(self, payload: bytes, count: int) -> bool:
        """Spool one batch; return False if the full-spool policy refused it
        (counted in ``dropped``). Raises :class:`SpoolError` on I/O failure,
        with nothing appended."""
        record = encode_record(payload, count)
        if len(record) > self.max_bytes:
            self._drop(count, "a batch larger than the whole spool")
            return False
        while self.bytes + len(record) > self.max_bytes:
            if self.policy is SpoolPolicy.REFUSE_NEWEST:
                self._drop(count, "the spool is full (refuse_newest)")
                return False
            self._evict_oldest()

        try:
            segment = self._writable_segment(len(record))
            self._write(segment, record)
        except OSError as exc:
            raise SpoolError(
                f"spool {self.directory}: cannot append {count} samples: {exc}"
            ) from exc
        segment.records.append((segment.size, len(payload), count))
        segment.size += len(record)
        segment.pending += count
        self.bytes += len(record)
        self.samples += count
        return True

    def _writable_segment(self, record_size: int) -> _Segment:
        active = self._segments[-1] if self._active_fd is not None else None
        if active is not None and (
            active.size == 0 or active.size + record_size <= self.segment_bytes
        ):
            return active
        if self._active_fd is not None:
            os.close(self._active_fd)
            self._active_fd = None
        path = self.directory / f"{self._next_seq:016d}{_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        self._active_fd = fd
        segment = _Segment(self._next_seq, path)
        self._next_seq += 1
        self._segments.append(segment)
        if self.fsync:
            self._sync_directory()
        return segment

    def _write(self, segment: _Segment, record: bytes) -> None:
        fd = self._active_fd
        if fd is None:
            raise OSError("no segment open for appending")
        try:
            view = memoryview(record)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(fd)
        except OSError:
            # Leave no partial record behind: the file ends at its last record.
            os.ftruncate(fd, segment.size)
            raise

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        logger.warning(
            "spool %s: dropped %d samples: %s (%d dropped so far)",
            self.directory,
            count,
            why,
            self.dropped,
        )

    def _evict_oldest(self) -> None:
        oldest = self._segments[0]
        if len(self._segments) == 1 and self._active_fd is not None:
            os.close(self._active_fd)
            self._active_fd = None
        self._remove(oldest)
        self._drop(oldest.pending, f"the spool is full, deleted {oldest.path.name}")

    def _remove(self, segment: _Segment) -> None:
        self._segments.remove(segment)
        self.bytes -= segment.size
        self.samples -= segment.pending
        try:
            segment.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SpoolError(
                f"spool {self.directory}: cannot delete {segment.path.name}: {exc}"
            ) from exc

    # -- replaying -------------------------------------------------------------

    def peek(self) -> SpoolRecord | None:
        """The oldest batch not yet acknowledged, or None if there is none. A
        record whose checksum no longer matches is skipped and counted."""
        while self._segments:
            head = self._segments[0]
            if head.acked == len(head.records):
                if head is self._segments[-1] and self._active_fd is not None:
                    return None
                self._remove(head)
                continue
            offset, length, count = head.records[head.acked]
            try:
                with head.path.open("rb") as f:
                    f.seek(offset)
                    data = f.read(HEADER_SIZE + length)
            except OSError as exc:
                raise SpoolError(
                    f"spool {self.directory}: cannot read {head.path.name}: {exc}"
                ) from exc
            if record_at(data, 0) is None:
                self.corrupt += 1
                logger.warning(
                    "spool %s: record at %d of %s is damaged; skipping %d samples",
                    self.directory,
                    offset,
                    head.path.name,
                    count,
                )
                self._ack_head(head, count)
                continue
            return SpoolRecord(head.seq, head.acked, data[HEADER_SIZE:], count)
        return None

    def ack(self, record: SpoolRecord) -> None:
        """Mark the record from :meth:`peek` as delivered. A record evicted in
        the meantime (full spool) is ignored."""
        if not self._segments:
            return
        head = self._segments[0]
        if head.seq != record.segment or head.acked != record.index:
            return
        self._ack_head(head, record.count)
        if self.samples == 0:
            # All delivered: start afresh, so a restart has nothing to resend.
            if self._active_fd is not None:
                os.close(self._active_fd)
                self._active_fd = None
            for segment in list(self._segments):
                self._remove(segment)
        elif head.acked == len(head.records) and head is not self._segments[-1]:
            self._remove(head)

    def _ack_head(self, head: _Segment, count: int) -> None:
        head.acked += 1
        head.pending -= count
        self.samples -= count

    @property
    def segments(self) -> int:
        return len(self._segments)
