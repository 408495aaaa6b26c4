"""Flux scripts (escaping) and the decoding of their results, without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from influxdb_client.client.flux_table import FluxRecord

from store.base import Aggregate, Point, Query, SeriesKey
from store.flux import (
    FluxSchema,
    flux_string,
    latest_sample,
    points_from_raw,
    points_from_windows,
    raw_script,
    window_script,
)
from topology.sample import Quality, Sample

SCHEMA = FluxSchema("history", "warden_sample", {"site": "HMP"})
KEY = SeriesKey("DC-1", "lock_1")


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("cost ${x}", '"cost \\${x}"'),
        ("$5 {ok}", '"$5 {ok}"'),
        ("two\nlines\r", '"two\\nlines\\r"'),
        ("Süd ✓", '"Süd ✓"'),
    ],
)
def test_flux_string_literals(text: str, literal: str) -> None:
    assert flux_string(text) == literal


def test_names_enter_scripts_only_as_escaped_literals() -> None:
    hostile = SeriesKey('x") |> drop() //', "${danger}")

    script = raw_script(SCHEMA, Query(hostile, 0.0, 10.0))

    assert 'r.device == "x\\") |> drop() //"' in script
    assert 'r.point == "\\${danger}"' in script
    assert 'r["site"] == "HMP"' in script


def test_range_is_in_nanoseconds_from_microsecond_times() -> None:
    script = raw_script(SCHEMA, Query(KEY, 1_700_000_000.0000015, 1_700_000_001.0))

    assert "range(start: time(v: 1700000000000002000), " in script
    assert "stop: time(v: 1700000001000000000))" in script


def test_window_scripts_name_the_aggregate_and_the_window() -> None:
    mean = window_script(SCHEMA, Query(KEY, 0, 60, every=0.25, limit=7))
    first = window_script(SCHEMA, Query(KEY, 0, 60, every=5, aggregate=Aggregate.FIRST))

    assert "aggregateWindow(every: 250000us, fn: mean" in mean
    assert "limit(n: 7)" in mean
    assert "toFloat()" in mean
    assert "window(every: 5000000us)" in first and "|> first()" in first


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def record(**values: Any) -> FluxRecord:
    return FluxRecord(0, values)


def test_raw_rows_become_points() -> None:
    rows = [
        record(_time=at(10), quality="good", value=1.5, lag_us=10),
        record(_time=at(11), quality="good", value_bool=True, lag_us=10),
        record(_time=at(12), quality="bad", lag_us=10, reason="timeout"),
        record(_time=at(13), quality="uncertain", value_str="ajar", lag_us=10),
    ]

    assert points_from_raw(rows) == [
        Point(10.0, 1.5, Quality.GOOD),
        Point(11.0, True, Quality.GOOD),
        Point(12.0, None, Quality.BAD),
        Point(13.0, "ajar", Quality.UNCERTAIN),
    ]


def test_windows_are_marked_uncertain_where_uncertain_samples_were() -> None:
    rows = [
        record(result="windows", _time=at(0), _value=1.5),
        record(result="windows", _time=at(5), _value=7.0),
        record(result="uncertain", _time=at(5), _value=1),
    ]

    points = points_from_windows(Aggregate.MEAN, rows, limit=10)

    assert points == [Point(0.0, 1.5, Quality.GOOD), Point(5.0, 7.0, Quality.UNCERTAIN)]


def test_first_picks_the_earliest_across_value_fields() -> None:
    rows = [
        record(_start=at(0), _time=at(3), _value=3.0, quality="good"),
        record(_start=at(0), _time=at(1), _value="text", quality="uncertain"),
        record(_start=at(5), _time=at(6), _value=True, quality="good"),
    ]

    first = points_from_windows(Aggregate.FIRST, rows, limit=10)
    last = points_from_windows(Aggregate.LAST, rows, limit=1)

    assert first == [
        Point(0.0, "text", Quality.UNCERTAIN),
        Point(5.0, True, Quality.GOOD),
    ]
    assert last == [Point(0.0, 3.0, Quality.GOOD)]


def test_latest_joins_the_fields_of_the_newest_sample() -> None:
    rows = [
        record(_time=at(20), _field="lag_us", _value=2500, quality="bad"),
        record(_time=at(20), _field="reason", _value="timeout", quality="bad"),
        record(_time=at(10), _field="lag_us", _value=1000, quality="good"),
        record(_time=at(10), _field="value", _value=4.0, quality="good"),
    ]

    latest = latest_sample(KEY, rows)

    assert latest == Sample(
        "DC-1", "lock_1", None, Quality.BAD, 20.0, 20.0025, "timeout"
    )
    assert latest_sample(KEY, []) is None
