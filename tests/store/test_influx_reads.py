"""Flux reads against a real InfluxDB 2.

Needs a server: set INFLUXDB_URL (a loopback address such as
http://127.0.0.1:8086), INFLUXDB_TOKEN, INFLUXDB_ORG and INFLUXDB_BUCKET, for
example against the InfluxDB of docker-compose.yml. Each test writes under a
measurement of its own.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store.base import Aggregate, Point, Query, SeriesKey
from store.influx import InfluxStore
from tests.store.helpers import T0, sample
from topology.sample import Quality, Sample

URL = os.environ.get("INFLUXDB_URL")
pytestmark = pytest.mark.skipif(
    URL is None,
    reason="INFLUXDB_URL is not set (with INFLUXDB_TOKEN, INFLUXDB_ORG and "
    "INFLUXDB_BUCKET) so there is no InfluxDB 2 to read from",
)
KEY = SeriesKey("DC-1", "lock_1")
G, U = Quality.GOOD, Quality.UNCERTAIN


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[InfluxStore]:
    assert URL is not None
    opened = InfluxStore(
        URL,
        org=os.environ["INFLUXDB_ORG"],
        bucket=os.environ["INFLUXDB_BUCKET"],
        token=os.environ["INFLUXDB_TOKEN"],
        spool_dir=tmp_path / "spool",
        measurement=f"test_{uuid.uuid4().hex}",
        flush_interval_s=0.05,
    )
    await opened.start()
    yield opened
    await opened.close()


async def stored(store: InfluxStore, samples: list[Sample]) -> None:
    store.write(samples)
    async with asyncio.timeout(10):
        await store.flush()
    assert store.stats().written >= len(samples)


def window_series() -> list[Sample]:
    samples = [sample(float(i), i) for i in range(14)]
    samples[3] = sample(None, 3, quality=Quality.BAD, reason="timeout")
    samples[7] = sample(7.0, 7, quality=Quality.UNCERTAIN)
    return samples


def everything(**kwargs: object) -> Query:
    return Query(KEY, T0 - 1e6, T0 + 1e6, **kwargs)  # type: ignore[arg-type]


async def test_raw_range_with_every_kind_of_value(store: InfluxStore) -> None:
    written = [
        sample(True, 0),
        sample(2.5, 1),
        sample("ajar", 2),
        sample(None, 3, quality=Quality.BAD, reason="timeout"),
    ]
    await stored(store, written)

    points = await store.query(everything())

    assert points == [
        Point(T0, True, G),
        Point(T0 + 1, 2.5, G),
        Point(T0 + 2, "ajar", G),
        Point(T0 + 3, None, Quality.BAD),
    ]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        (Aggregate.MEAN, [(0, 1.75, G), (5, 7.0, U), (10, 11.5, G)]),
        (Aggregate.MIN, [(0, 0.0, G), (5, 5.0, U), (10, 10.0, G)]),
        (Aggregate.MAX, [(0, 4.0, G), (5, 9.0, U), (10, 13.0, G)]),
        (Aggregate.FIRST, [(0, 0.0, G), (5, 5.0, G), (10, 10.0, G)]),
        (Aggregate.LAST, [(0, 4.0, G), (5, 9.0, G), (10, 13.0, G)]),
        (Aggregate.COUNT, [(0, 4, G), (5, 5, U), (10, 4, G)]),
    ],
)
async def test_windowed_aggregates(
    store: InfluxStore,
    aggregate: Aggregate,
    expected: list[tuple[float, object, Quality]],
) -> None:
    await stored(store, window_series())

    points = await store.query(everything(every=5.0, aggregate=aggregate))

    assert points == [Point(T0 + t, v, q) for t, v, q in expected]  # type: ignore[arg-type]


async def test_latest_is_the_whole_newest_sample(store: InfluxStore) -> None:
    bad = sample(None, 5, quality=Quality.BAD, received=T0 + 5.125, reason="timeout")
    await stored(store, [sample(1.0, 1), bad])

    assert await store.latest(KEY) == bad
    assert await store.latest(SeriesKey("DC-1", "nothing")) is None
