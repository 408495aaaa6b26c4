"""One-minute rollups of the SQLite store, and windowed reads over them.

With a retention set, raw samples older than it are deleted; just before, in
the same transaction, each minute of them is folded into ``rollup_1m``, which
is kept for longer (``rollup_retention_s``). Every raw sample is therefore
counted exactly once: either it is still a row of ``samples`` or it is part of
a rollup. A sample arriving late for a minute already rolled up is merged into
that minute when its own turn comes.

A rollup row holds what is needed to answer every aggregate exactly over whole
minutes (bad samples excluded, as in raw reads)::

    rollup_1m(series, t = minute start in µs,
              n            samples (any kind)
              num_seen     numeric samples (bool, int, float, NaN included)
              num_n        numeric samples with a value (NaN excluded)
              total        their sum
              lo, hi       their min and max
              kmin, kmax   the smallest and largest numeric kind (bool stays bool)
              quality      worst quality of all; num_quality of the numeric ones
              first_t, first_value, first_kind, first_quality   the earliest sample
              last_t,  last_value,  last_kind,  last_quality    the latest sample)

Windowed reads run over the union of raw rows and rollup rows (a raw row is a
rollup of one sample), so a window spanning the retention boundary combines
both in SQL. Over rolled-up time the resolution is a minute: a window shorter
than a minute gets each minute's aggregate at the window holding its start.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from store.base import Aggregate, Point
from store.sqlite_codes import (
    BAD_CODE,
    NUMERIC_KINDS,
    QUALITY_BY_CODE,
    US,
    decode_value,
)

MINUTE_US: Final = 60 * US

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS rollup_1m (
    series INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n INTEGER NOT NULL,
    num_seen INTEGER NOT NULL,
    num_n INTEGER NOT NULL,
    total,
    lo,
    hi,
    kmin INTEGER,
    kmax INTEGER,
    quality INTEGER NOT NULL,
    num_quality INTEGER,
    first_t INTEGER,
    first_value,
    first_kind INTEGER,
    first_quality INTEGER,
    last_t INTEGER,
    last_value,
    last_kind INTEGER,
    last_quality INTEGER,
    PRIMARY KEY (series, t)
) WITHOUT ROWID
"""

_IS_NUMERIC = f"kind IN {NUMERIC_KINDS}"
_RAW_RANGE = f"series = :series AND t >= :start AND t < :end AND quality != {BAD_CODE}"


def _numeric(expression: str) -> str:
    return f"CASE WHEN {_IS_NUMERIC} THEN {expression} END"


# Raw samples shaped like rollup rows (a raw sample is a rollup of one).
_RAW_AS_PARTS = f"""
SELECT t, 1 AS n,
       CASE WHEN {_IS_NUMERIC} THEN 1 ELSE 0 END AS num_seen,
       CASE WHEN {_IS_NUMERIC} AND value IS NOT NULL THEN 1 ELSE 0 END AS num_n,
       {_numeric("value")} AS total, {_numeric("value")} AS lo,
       {_numeric("value")} AS hi, {_numeric("kind")} AS kmin,
       {_numeric("kind")} AS kmax, quality, {_numeric("quality")} AS num_quality,
       t AS first_t, value AS first_value, kind AS first_kind,
       quality AS first_quality, t AS last_t, value AS last_value,
       kind AS last_kind, quality AS last_quality
FROM samples WHERE {_RAW_RANGE}
"""

_PARTS = f"""
WITH parts AS (
    {_RAW_AS_PARTS}
    UNION ALL
    SELECT t, n, num_seen, num_n, total, lo, hi, kmin, kmax, quality, num_quality,
           first_t, first_value, first_kind, first_quality,
           last_t, last_value, last_kind, last_quality
    FROM rollup_1m WHERE series = :series AND t >= :start AND t < :end
)
"""

# A window's start, aligned to the epoch; the double modulo floors times before
# 1970 too, where SQLite's % keeps the dividend's sign.
_W = "t - ((t % :every) + :every) % :every"
_TAIL = "GROUP BY w ORDER BY w LIMIT :limit"
_HAS_NUMBERS = "HAVING SUM(num_seen) > 0"

# For first and last SQLite fills the bare columns from the row that holds the
# min(first_t) or max(last_t), so each window's value is that one sample's,
# with its own quality. The others report the worst quality that went in.
WINDOW_SQL: Final[dict[Aggregate, str]] = {
    Aggregate.MEAN: f"{_PARTS} SELECT {_W} AS w, SUM(total) * 1.0 / SUM(num_n), "
    f"MAX(num_quality) FROM parts GROUP BY w {_HAS_NUMBERS} "
    "ORDER BY w LIMIT :limit",
    Aggregate.MIN: f"{_PARTS} SELECT {_W} AS w, MIN(lo), MAX(num_quality), "
    f"MIN(kmin), MAX(kmax) FROM parts GROUP BY w {_HAS_NUMBERS} "
    "ORDER BY w LIMIT :limit",
    Aggregate.MAX: f"{_PARTS} SELECT {_W} AS w, MAX(hi), MAX(num_quality), "
    f"MIN(kmin), MAX(kmax) FROM parts GROUP BY w {_HAS_NUMBERS} "
    "ORDER BY w LIMIT :limit",
    Aggregate.FIRST: f"{_PARTS} SELECT {_W} AS w, MIN(first_t), first_value, "
    f"first_kind, first_quality FROM parts {_TAIL}",
    Aggregate.LAST: f"{_PARTS} SELECT {_W} AS w, MAX(last_t), last_value, "
    f"last_kind, last_quality FROM parts {_TAIL}",
    Aggregate.COUNT: f"{_PARTS} SELECT {_W} AS w, SUM(n), MAX(quality) "
    f"FROM parts {_TAIL}",
}

WindowRow = tuple[int, Any, int]


def _decode_mean(rows: Iterable[Any]) -> Iterator[WindowRow]:
    for w, value, quality in rows:
        yield w, math.nan if value is None else float(value), quality


def _decode_extreme(rows: Iterable[Any]) -> Iterator[WindowRow]:
    for w, raw, quality, kmin, kmax in rows:
        if raw is None:
            yield w, math.nan, quality
        elif kmin == kmax:
            yield w, decode_value(raw, kmin), quality
        else:
            yield w, raw, quality


def _decode_pick(rows: Iterable[Any]) -> Iterator[WindowRow]:
    for w, _t, raw, kind, quality in rows:
        yield w, decode_value(raw, kind), quality


def _decode_count(rows: Iterable[Any]) -> Iterator[WindowRow]:
    for w, count, quality in rows:
        yield w, int(count), quality


_DECODE: Final[dict[Aggregate, Callable[[Iterable[Any]], Iterator[WindowRow]]]] = {
    Aggregate.MEAN: _decode_mean,
    Aggregate.MIN: _decode_extreme,
    Aggregate.MAX: _decode_extreme,
    Aggregate.FIRST: _decode_pick,
    Aggregate.LAST: _decode_pick,
    Aggregate.COUNT: _decode_count,
}


def window_points(
    conn: sqlite3.Connection,
    series_id: int,
    start: int,
    end: int,
    every: int,
    aggregate: Aggregate,
    limit: int,
) -> list[Point]:
    """Windows of ``every`` µs over ``[start, end)`` µs, raw and rolled-up data
    together."""
    params = {
        "series": series_id,
        "start": start,
        "end": end,
        "every": every,
        "limit": limit,
    }
    rows = conn.execute(WINDOW_SQL[aggregate], params)
    return [
        Point(w / US, value, QUALITY_BY_CODE[quality])
        for w, value, quality in _DECODE[aggregate](rows)
    ]


# -- building rollups ---------------------------------------------------------

_MINUTE = f"t - ((t % {MINUTE_US}) + {MINUTE_US}) % {MINUTE_US}"
_OLD = f"series = :series AND t < :cutoff AND quality != {BAD_CODE}"

_FOLD_COUNTS = f"""
INSERT INTO rollup_1m (series, t, n, num_seen, num_n, total, lo, hi, kmin, kmax,
                       quality, num_quality)
SELECT :series, {_MINUTE} AS m, COUNT(*),
       SUM(CASE WHEN {_IS_NUMERIC} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {_IS_NUMERIC} AND value IS NOT NULL THEN 1 ELSE 0 END),
       SUM({_numeric("value")}), MIN({_numeric("value")}), MAX({_numeric("value")}),
       MIN({_numeric("kind")}), MAX({_numeric("kind")}),
       MAX(quality), MAX({_numeric("quality")})
FROM samples WHERE {_OLD} GROUP BY m
ON CONFLICT (series, t) DO UPDATE SET
    n = n + excluded.n,
    num_seen = num_seen + excluded.num_seen,
    num_n = num_n + excluded.num_n,
    total = CASE WHEN excluded.total IS NULL THEN total
                 WHEN total IS NULL THEN excluded.total
                 ELSE total + excluded.total END,
    lo = CASE WHEN excluded.lo IS NULL OR (lo IS NOT NULL AND lo <= excluded.lo)
              THEN lo ELSE excluded.lo END,
    hi = CASE WHEN excluded.hi IS NULL OR (hi IS NOT NULL AND hi >= excluded.hi)
              THEN hi ELSE excluded.hi END,
    kmin = CASE WHEN kmin IS NULL OR excluded.kmin < kmin THEN excluded.kmin
                ELSE kmin END,
    kmax = CASE WHEN kmax IS NULL OR excluded.kmax > kmax THEN excluded.kmax
                ELSE kmax END,
    quality = MAX(quality, excluded.quality),
    num_quality = CASE WHEN num_quality IS NULL THEN excluded.num_quality
                       WHEN excluded.num_quality IS NULL THEN num_quality
                       ELSE MAX(num_quality, excluded.num_quality) END
"""


def _fold_pick(which: str, pick: str, better: str) -> str:
    return f"""
UPDATE rollup_1m SET {which}_t = p.pt, {which}_value = p.v, {which}_kind = p.k,
                     {which}_quality = p.q
FROM (SELECT {_MINUTE} AS m, {pick}(t) AS pt, value AS v, kind AS k, quality AS q
      FROM samples WHERE {_OLD} GROUP BY m) AS p
WHERE rollup_1m.series = :series AND rollup_1m.t = p.m
  AND (rollup_1m.{which}_t IS NULL OR p.pt {better} rollup_1m.{which}_t)
"""


_FOLD_FIRST = _fold_pick("first", "MIN", "<")
_FOLD_LAST = _fold_pick("last", "MAX", ">")


def fold_and_delete(conn: sqlite3.Connection, series_id: int, cutoff: int) -> int:
    """Fold the series' samples before ``cutoff`` µs (a minute boundary) into
    its rollups, then delete them; return how many were deleted. Call inside a
    transaction."""
    params = {"series": series_id, "cutoff": cutoff}
    conn.execute(_FOLD_COUNTS, params)
    conn.execute(_FOLD_FIRST, params)
    conn.execute(_FOLD_LAST, params)
    deleted = conn.execute(
        "DELETE FROM samples WHERE series = ? AND t < ?", (series_id, cutoff)
    )
    return deleted.rowcount


def delete_rollups(conn: sqlite3.Connection, series_id: int, cutoff: int) -> int:
    """Delete the series' rollups of minutes before ``cutoff`` µs."""
    deleted = conn.execute(
        "DELETE FROM rollup_1m WHERE series = ? AND t < ?", (series_id, cutoff)
    )
    return deleted.rowcount
