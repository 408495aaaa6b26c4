"""The SQLite file behind :class:`store.sqlite.SqliteStore`: schema, writes, reads.

Everything here is synchronous and runs on one dedicated thread per connection;
nothing here touches the event loop.

Schema (``PRAGMA user_version`` 1)::

    series(id INTEGER PRIMARY KEY, device TEXT, point TEXT, UNIQUE(device, point))
    samples(series, t, value, kind, quality, lag, reason)
        PRIMARY KEY (series, t) WITHOUT ROWID

``t`` is the source time in integer microseconds since the epoch, so a range read
of one series is one contiguous walk of the primary key. ``value`` has no column
type, so SQLite keeps each value's own storage class; ``kind`` records the Python
type (SQLite has no boolean) and ``quality`` the sample quality, both as small
codes. ``lag`` is ``received_time - source_time`` in microseconds: usually a few
thousand, which SQLite stores in two or three bytes instead of eight.

Special values: NaN is stored as NULL (SQLite has no NaN) and read back as NaN;
an int outside 64 bits is stored as its decimal text. A sample that cannot be
bound at all (a value of a foreign type, a non-finite time) is rejected and
counted, so one bad sample never blocks a batch.

Errors: every ``sqlite3`` error is raised as :class:`~store.base.StoreError`
naming the file and what was being done.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from store.base import Point, Query, SeriesKey, StoreError
from store.sqlite_codes import (
    KIND_BOOL,
    KIND_FLOAT,
    KIND_INT,
    KIND_NONE,
    KIND_STR,
    QUALITY_BY_CODE,
    QUALITY_CODE,
    US,
    decode_value,
    to_us,
)
from store.sqlite_rollup import (
    MINUTE_US,
    delete_rollups,
    fold_and_delete,
    window_points,
)
from store.sqlite_rollup import SCHEMA as ROLLUP_SCHEMA
from topology.sample import Sample, Value

logger = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    point TEXT NOT NULL,
    UNIQUE (device, point)
);
CREATE TABLE IF NOT EXISTS samples (
    series INTEGER NOT NULL,
    t INTEGER NOT NULL,
    value,
    kind INTEGER NOT NULL,
    quality INTEGER NOT NULL,
    lag INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (series, t)
) WITHOUT ROWID;
"""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# Times beyond this many microseconds (year ~294,000) cannot be a real sample.
_T_LIMIT: Final = 2**62

_KIND_BY_TYPE: Final[dict[type, int]] = {
    type(None): KIND_NONE,
    bool: KIND_BOOL,
    int: KIND_INT,
    float: KIND_FLOAT,
    str: KIND_STR,
}

# Errors raised while binding one sample's values: the sample is at fault,
# not the database.
_DATA_ERRORS = (
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.IntegrityError,
    OverflowError,
    UnicodeError,
    TypeError,
    ValueError,
)

Row = tuple[int, int, Value, int, int, int, str | None]
_INSERT = "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?)"


class _Unstorable(Exception):
    """One sample cannot be stored (foreign value type, non-finite time)."""


def _encode(series_id: int, sample: Sample) -> Row:
    value: Value = sample.value
    kind = _KIND_BY_TYPE.get(type(value))
    if kind is None:
        kind = _kind_of_subclass(value)
        value = _plain(value, kind)
    if kind == KIND_INT and not _INT64_MIN <= value <= _INT64_MAX:  # type: ignore[operator]
        value = str(value)
    try:
        t = round(sample.source_time * US)
        lag = round(sample.received_time * US) - t
    except (OverflowError, ValueError, TypeError) as exc:
        raise _Unstorable(f"time not storable: {exc}") from exc
    if not (-_T_LIMIT < t < _T_LIMIT and -_T_LIMIT < lag < _T_LIMIT):
        raise _Unstorable("time out of range")
    reason = sample.reason
    if reason is not None and type(reason) is not str:
        reason = str(reason)
    return (series_id, t, value, kind, QUALITY_CODE[sample.quality], lag, reason)


def _kind_of_subclass(value: object) -> int:
    # IntEnum members, str enums and the like: store them as their base type.
    if isinstance(value, bool):
        return KIND_BOOL
    if isinstance(value, int):
        return KIND_INT
    if isinstance(value, float):
        return KIND_FLOAT
    if isinstance(value, str):
        return KIND_STR
    raise _Unstorable(f"value of type {type(value).__name__} is not storable")


def _plain(value: Any, kind: int) -> Value:
    base: Callable[[Any], Value] = (bool, int, float, str)[kind - 1]
    return base(value)


def _store_error(path: Path, action: str, exc: BaseException) -> StoreError:
    return StoreError(f"SQLite store {path}: {action} failed: {exc}")


class SqliteDatabase:
    """One connection to the store's file. Use it from a single thread.

    ``busy_timeout_s`` is how long a statement waits for a lock held by another
    connection before failing with "database is locked". ``max_bytes`` caps the
    file size (writes beyond it fail as "database or disk is full").
    """

    def __init__(
        self,
        path: Path,
        *,
        writer: bool,
        busy_timeout_s: float = 5.0,
        max_bytes: int | None = None,
    ) -> None:
        self.path = path
        self._series: dict[tuple[str, str], int] = {}
        try:
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=True
            )
        except sqlite3.Error as exc:
            raise _store_error(path, "opening", exc) from exc
        try:
            self._configure(writer, busy_timeout_s, max_bytes)
        except sqlite3.Error as exc:
            self._conn.close()
            raise _store_error(path, "opening", exc) from exc
        except StoreError:
            self._conn.close()
            raise

    def _configure(
        self, writer: bool, busy_timeout_s: float, max_bytes: int | None
    ) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        # Reading the schema here makes a foreign or damaged file fail now.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise StoreError(
                f"SQLite store {self.path}: schema version {version} is not "
                f"{SCHEMA_VERSION}; this file was written by another version"
            )
        conn.execute("PRAGMA cache_size = -65536")
        if not writer:
            conn.execute("PRAGMA query_only = ON")
            return

        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"SQLite store {self.path}: cannot use WAL ({mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        # A batch dirties about one page per series; checkpointing every 4000
        # pages rather than 1000 measured ~10 % faster at 1,000 series.
        conn.execute("PRAGMA wal_autocheckpoint = 4000")
        if max_bytes is not None:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
        conn.execute("BEGIN IMMEDIATE")
        for statement in (*_SCHEMA.split(";"), ROLLUP_SCHEMA):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error as exc:
            raise _store_error(self.path, "closing", exc) from exc

    # -- writing -----------------------------------------------------------

    def write(self, samples: list[Sample]) -> int:
        """Store a batch in one transaction; return how many were rejected.

        Raises :class:`StoreError` with nothing of the batch stored when the
        database fails (locked, full, I/O error, corrupt).
        """
        new_series: list[tuple[str, str]] = []
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows, rejected = self._encode_all(samples, new_series)
                try:
                    self._conn.executemany(_INSERT, rows)
                except _DATA_ERRORS:
                    # A value slipped past the encoder; find it one row at a time.
                    rejected += self._insert_one_by_one(rows)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            for key in new_series:
                self._series.pop(key, None)
            raise _store_error(
                self.path, f"writing {len(samples)} samples", exc
            ) from exc
        return rejected

    def _encode_all(
        self, samples: Iterable[Sample], new_series: list[tuple[str, str]]
    ) -> tuple[list[Row], int]:
        rows: list[Row] = []
        rejected = 0
        series = self._series
        for sample in samples:
            key = (sample.device, sample.point)
            series_id = series.get(key)
            try:
                if series_id is None:
                    series_id = self._add_series(key)
                    new_series.append(key)
                rows.append(_encode(series_id, sample))
            except (_Unstorable, KeyError, *_DATA_ERRORS) as exc:
                rejected += 1
                logger.warning(
                    "rejected sample %s/%s at %r: %s",
                    sample.device,
                    sample.point,
                    sample.source_time,
                    exc,
                )
        return rows, rejected

    def _add_series(self, key: tuple[str, str]) -> int:
        if type(key[0]) is not str or type(key[1]) is not str:
            raise _Unstorable("device and point must be strings")
        self._conn.execute(
            "INSERT OR IGNORE INTO series (device, point) VALUES (?, ?)", key
        )
        row = self._conn.execute(
            "SELECT id FROM series WHERE device = ? AND point = ?", key
        ).fetchone()
        series_id: int = row[0]
        self._series[key] = series_id
        return series_id

    def _insert_one_by_one(self, rows: list[Row]) -> int:
        rejected = 0
        for row in rows:
            try:
                self._conn.execute(_INSERT, row)
            except _DATA_ERRORS as exc:
                rejected += 1
                logger.warning("rejected sample row %r: %s", row[:3], exc)
        return rejected

    def retain(self, raw_before: float, rollups_before: float | None) -> int:
        """Fold the samples older than ``raw_before`` (epoch seconds, taken down
        to a whole minute) into one-minute rollups and delete them, and delete
        rollups older than ``rollups_before``; return how many samples went.
        One transaction, indexed range work per series."""
        cutoff = to_us(raw_before) // MINUTE_US * MINUTE_US
        rollup_cutoff = None if rollups_before is None else to_us(rollups_before)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [r[0] for r in self._conn.execute("SELECT id FROM series")]
                deleted = 0
                for series_id in ids:
                    deleted += fold_and_delete(self._conn, series_id, cutoff)
                    if rollup_cutoff is not None:
                        delete_rollups(self._conn, series_id, rollup_cutoff)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _store_error(self.path, "deleting old samples", exc) from exc
        return deleted

    # -- reading -----------------------------------------------------------

    def _series_id(self, key: SeriesKey) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM series WHERE device = ? AND point = ?",
            (key.device, key.point),
        ).fetchone()
        return None if row is None else int(row[0])

    def query(self, query: Query) -> list[Point]:
        """Run a :class:`Query`; raises :class:`StoreError` on a bad query or a
        database failure."""
        _check_query(query)
        try:
            series_id = self._series_id(query.series)
            if series_id is None:
                return []
            start, end = to_us(query.start), to_us(query.end)
            if query.every is None:
                return list(self._raw(series_id, start, end, query.limit))
            every = to_us(query.every)
            return window_points(
                self._conn, series_id, start, end, every, query.aggregate, query.limit
            )
        except sqlite3.Error as exc:
            raise _store_error(self.path, f"querying {query.series}", exc) from exc

    def _raw(self, series_id: int, start: int, end: int, limit: int) -> Iterator[Point]:
        cursor = self._conn.execute(
            "SELECT t, value, kind, quality FROM samples "
            "WHERE series = ? AND t >= ? AND t < ? ORDER BY t LIMIT ?",
            (series_id, start, end, limit),
        )
        for t, raw, kind, quality in cursor:
            yield Point(t / US, decode_value(raw, kind), QUALITY_BY_CODE[quality])

    def latest(self, key: SeriesKey) -> Sample | None:
        """The sample of ``key`` with the latest source time, or ``None``."""
        try:
            series_id = self._series_id(key)
            if series_id is None:
                return None
            row = self._conn.execute(
                "SELECT t, value, kind, quality, lag, reason FROM samples "
                "WHERE series = ? ORDER BY t DESC LIMIT 1",
                (series_id,),
            ).fetchone()
        except sqlite3.Error as exc:
            raise _store_error(self.path, f"reading latest of {key}", exc) from exc
        if row is None:
            return None
        t, raw, kind, quality, lag, reason = row
        return Sample(
            key.device,
            key.point,
            decode_value(raw, kind),
            QUALITY_BY_CODE[quality],
            t / US,
            (t + lag) / US,
            reason,
        )


def _check_query(query: Query) -> None:
    if query.limit < 1:
        raise StoreError(f"query limit must be at least 1, not {query.limit}")
    if query.every is not None and not to_us(query.every) >= 1:
        raise StoreError(
            f"query window must be at least a microsecond, not {query.every!r} s"
        )
    if not (math.isfinite(query.start) and math.isfinite(query.end)):
        raise StoreError("query start and end must be finite epoch seconds")
