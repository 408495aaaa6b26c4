"""Flux scripts for the reads of :class:`store.influx.InfluxStore`, and their
results turned back into points and samples.

The scripts assume the schema of :mod:`store.line_protocol`: one measurement,
tags ``device``, ``point``, ``quality`` (plus configured extra tags) and the
fields ``value`` (float), ``value_bool``, ``value_str``, ``reason`` and
``lag_us`` (every sample has ``lag_us``, so it marks that a sample exists).

Every name is put into the script as an escaped Flux string literal; nothing
from a caller is pasted in raw.

Against SQLite the differences are: windowed ``mean``, ``min`` and ``max`` come
back as floats (bools counted as 0/1), and raw reads return every number as a
float (the write schema keeps one float field for all numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.base import Aggregate, Point, Query, SeriesKey, StoreError
from topology.sample import Quality, Sample, Value

VALUE_FIELDS = ("value", "value_bool", "value_str")
_NS = 1_000_000_000
_US = 1_000_000


def flux_string(text: str) -> str:
    """``text`` as a Flux string literal."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("${", "\\${")
    )
    return f'"{escaped}"'


def _time(seconds: float) -> str:
    return f"time(v: {round(seconds * _US) * 1000})"


@dataclass(frozen=True, slots=True)
class FluxSchema:
    """Where the samples are: bucket, measurement and the configured extra tags."""

    bucket: str
    measurement: str
    extra_tags: Mapping[str, str]

    def source(self, series: SeriesKey, start: str, stop: str | None = None) -> str:
        """``from |> range |> filter`` for one series (all qualities, all fields)."""
        matches = [
            f"r._measurement == {flux_string(self.measurement)}",
            f"r.device == {flux_string(series.device)}",
            f"r.point == {flux_string(series.point)}",
            *(
                f"r[{flux_string(k)}] == {flux_string(v)}"
                for k, v in sorted(self.extra_tags.items())
            ),
        ]
        stop_arg = "" if stop is None else f", stop: {stop}"
        return (
            f"from(bucket: {flux_string(self.bucket)})\n"
            f"  |> range(start: {start}{stop_arg})\n"
            f"  |> filter(fn: (r) => {' and '.join(matches)})\n"
        )


def _fields(*names: str) -> str:
    return " or ".join(f'r._field == "{name}"' for name in names)


def raw_script(schema: FluxSchema, query: Query) -> str:
    """Every sample of the range, one row each, time ordered, limited."""
    return (
        schema.source(query.series, _time(query.start), _time(query.end))
        + f"  |> filter(fn: (r) => {_fields(*VALUE_FIELDS, 'lag_us')})\n"
        '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
        "  |> group()\n"
        '  |> sort(columns: ["_time"])\n'
        f"  |> limit(n: {query.limit})\n"
    )


def window_script(schema: FluxSchema, query: Query) -> str:
    """Windows of the range reduced by the query's aggregate (bad samples have no
    value field, so they never take part), plus a second result naming the
    windows that held uncertain samples."""
    assert query.every is not None
    every = f"{max(1, round(query.every * _US))}us"
    source = schema.source(query.series, _time(query.start), _time(query.end))
    good_or_uncertain = 'r.quality != "bad"'
    aggregate = query.aggregate

    if aggregate in (Aggregate.FIRST, Aggregate.LAST):
        # Each value field is its own type, so each is windowed on its own and
        # the earliest (latest) of them is picked per window afterwards.
        picked = (
            source + f"  |> filter(fn: (r) => ({_fields(*VALUE_FIELDS)}) "
            f"and {good_or_uncertain})\n"
            '  |> group(columns: ["_field"])\n'
            '  |> sort(columns: ["_time"])\n'
            f"  |> window(every: {every})\n"
            f"  |> {aggregate.value}()\n"
            '  |> yield(name: "picked")\n'
        )
        return picked

    if aggregate is Aggregate.COUNT:
        values = f"{_fields('lag_us')} and {good_or_uncertain}"
        convert = ""
        uncertain = _fields("lag_us")
    else:
        values = f"({_fields('value', 'value_bool')}) and {good_or_uncertain}"
        convert = "  |> toFloat()\n"
        uncertain = _fields("value", "value_bool")
    return (
        f"data = {source.strip()}\n"
        f"data\n  |> filter(fn: (r) => {values})\n{convert}"
        "  |> group()\n"
        f"  |> aggregateWindow(every: {every}, fn: {aggregate.value}, "
        'createEmpty: false, timeSrc: "_start")\n'
        f"  |> limit(n: {query.limit})\n"
        '  |> yield(name: "windows")\n'
        f'data\n  |> filter(fn: (r) => ({uncertain}) and r.quality == "uncertain")\n'
        "  |> group()\n"
        f"  |> aggregateWindow(every: {every}, fn: count, createEmpty: false, "
        'timeSrc: "_start")\n'
        '  |> yield(name: "uncertain")\n'
    )


def latest_script(schema: FluxSchema, series: SeriesKey) -> str:
    """The last row of every field and quality; :func:`latest_sample` picks."""
    return schema.source(series, "0") + "  |> last()\n"


def _seconds(when: datetime) -> float:
    return round(when.timestamp() * _US) / _US


def _window_start(record: Any) -> float:
    return _seconds(record.values["_start"])


def points_from_raw(records: Iterable[Any]) -> list[Point]:
    """Rows of :func:`raw_script` as points."""
    points = []
    for record in records:
        row = record.values
        value: Value = None
        for name in VALUE_FIELDS:
            if row.get(name) is not None:
                value = row[name]
        points.append(Point(_seconds(row["_time"]), value, Quality(row["quality"])))
    return points


def points_from_windows(
    aggregate: Aggregate, records: Iterable[Any], limit: int
) -> list[Point]:
    """Rows of :func:`window_script` as points, in window order."""
    rows = list(records)
    if aggregate in (Aggregate.FIRST, Aggregate.LAST):
        return _picked(aggregate, rows, limit)

    uncertain = {
        _seconds(r.get_time())
        for r in rows
        if r.values.get("result") == "uncertain" and r.get_value()
    }
    points = []
    for record in rows:
        if record.values.get("result") != "windows":
            continue
        start = _seconds(record.get_time())
        value = record.get_value()
        if aggregate is Aggregate.COUNT:
            value = int(value)
        elif value is None:
            value = math.nan
        quality = Quality.UNCERTAIN if start in uncertain else Quality.GOOD
        points.append(Point(start, value, quality))
    points.sort(key=lambda p: p.time)
    return points[:limit]


def _picked(aggregate: Aggregate, rows: list[Any], limit: int) -> list[Point]:
    best: dict[float, Any] = {}
    for record in rows:
        window = _window_start(record)
        current = best.get(window)
        if current is None:
            best[window] = record
            continue
        earlier = record.get_time() < current.get_time()
        if earlier == (aggregate is Aggregate.FIRST):
            best[window] = record
    return [
        Point(window, best[window].get_value(), Quality(best[window]["quality"]))
        for window in sorted(best)[:limit]
    ]


def latest_sample(series: SeriesKey, records: Iterable[Any]) -> Sample | None:
    """The newest sample among the rows of :func:`latest_script`."""
    rows = list(records)
    marks = [r for r in rows if r.get_field() == "lag_us"]
    if not marks:
        return None
    mark = max(marks, key=lambda r: r.get_time())
    when, quality = mark.get_time(), mark["quality"]
    fields = {
        r.get_field(): r.get_value()
        for r in rows
        if r.get_time() == when and r["quality"] == quality
    }
    value: Value = None
    for name in VALUE_FIELDS:
        if fields.get(name) is not None:
            value = fields[name]
    source = _seconds(when)
    lag = fields.get("lag_us")
    if not isinstance(lag, int):
        raise StoreError(f"InfluxDB returned a lag_us of {lag!r} for {series}")
    return Sample(
        series.device,
        series.point,
        value,
        Quality(quality),
        source,
        (round(source * _US) + lag) / _US,
        fields.get("reason"),
    )


def check_query(query: Query) -> None:
    """The same checks the SQLite store makes, with the same messages."""
    if query.limit < 1:
        raise StoreError(f"query limit must be at least 1, not {query.limit}")
    if query.every is not None and not round(query.every * _US) >= 1:
        raise StoreError(
            f"query window must be at least a microsecond, not {query.every!r} s"
        )
    if not (math.isfinite(query.start) and math.isfinite(query.end)):
        raise StoreError("query start and end must be finite epoch seconds")
