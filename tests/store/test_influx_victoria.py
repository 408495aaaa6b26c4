"""The InfluxDB store's write path against a real server: victoria-metrics,
which takes InfluxDB v2 line protocol and lets us read back what it stored."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from store.base import StoreState
from store.influx import InfluxStore
from tests.store.helpers import sample
from tests.store.influx_writer_proc import SERIES
from tests.store.victoria import VictoriaMetrics, free_port, require_binary

ROOT = Path(__file__).resolve().parents[2]


def make_store(url: str, spool_dir: Path, **options: Any) -> InfluxStore:
    settings: dict[str, Any] = {
        "org": "warden",
        "bucket": "history",
        "token": "not-a-secret",
        "spool_dir": spool_dir,
        "flush_interval_s": 0.05,
        "timeout_s": 2.0,
        "retry_initial_s": 0.05,
        "retry_max_s": 0.5,
    }
    settings.update(options)
    return InfluxStore(url, **settings)


@pytest.fixture
async def victoria(tmp_path: Path) -> AsyncIterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    await server.start()
    yield server
    await server.stop()


def by_device(exported: list[dict[str, Any]]) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for row in exported:
        series.setdefault(row["metric"]["device"], []).extend(row["values"])
    return {device: sorted(values) for device, values in series.items()}


async def test_batches_reach_the_server_intact(
    victoria: VictoriaMetrics, tmp_path: Path
) -> None:
    store = make_store(victoria.url, tmp_path / "spool", batch_size=100)
    await store.start()
    try:
        store.write([sample(float(i), i, device=f"D{i % 4}") for i in range(1000)])
        async with asyncio.timeout(10):
            await store.flush()
        stats = store.stats()
    finally:
        await store.close()

    stored = by_device(await victoria.export("warden_sample_value"))
    assert stored == {f"D{d}": [float(i) for i in range(d, 1000, 4)] for d in range(4)}
    assert (stats.state, stats.written, stats.lost, stats.spooled) == (
        StoreState.OK,
        1000,
        0,
        0,
    )


HOSTILE = [
    "DC 1",
    "a,b=c",
    "back\\slash",
    "ends with\\",
    '"quoted"',
    "Zelle Süd ✓",
    "tab\there",
    "x\\,y",
]


async def test_hostile_names_arrive_exactly(
    victoria: VictoriaMetrics, tmp_path: Path
) -> None:
    store = make_store(
        victoria.url,
        tmp_path / "spool",
        measurement="door events,v2",
        extra_tags={"site name=": "HMP \\ Nord"},
    )
    await store.start()
    try:
        store.write(
            [
                sample(i, i, device=name, point=name[::-1])
                for i, name in enumerate(HOSTILE)
            ]
        )
        async with asyncio.timeout(10):
            await store.flush()
    finally:
        await store.close()

    exported = await victoria.export("door events,v2_value")
    labels = sorted(
        (row["metric"]["device"], row["metric"]["point"], row["values"])
        for row in exported
    )
    assert labels == sorted((n, n[::-1], [float(i)]) for i, n in enumerate(HOSTILE))
    assert {row["metric"]["site name="] for row in exported} == {"HMP \\ Nord"}
    assert {row["metric"]["quality"] for row in exported} == {"good"}


async def test_an_outage_spools_and_the_return_replays(
    victoria: VictoriaMetrics, tmp_path: Path
) -> None:
    store = make_store(victoria.url, tmp_path / "spool", batch_size=50)
    await store.start()
    try:
        store.write([sample(i, i) for i in range(100)])
        async with asyncio.timeout(10):
            await store.flush()

        await victoria.stop()
        for chunk in range(100, 300, 100):
            store.write([sample(i, i) for i in range(chunk, chunk + 100)])
            async with asyncio.timeout(10):
                await store.flush()
        during = store.stats()

        await victoria.start()
        async with asyncio.timeout(20):
            await store.wait_drained()
        after = store.stats()
    finally:
        await store.close()

    assert (during.state, during.spooled) == (StoreState.SPOOLING, 200)
    assert during.last_error is not None and "cannot reach" in during.last_error
    assert (after.state, after.spooled, after.replayed, after.written) == (
        StoreState.OK,
        0,
        200,
        300,
    )
    stored = by_device(await victoria.export("warden_sample_value"))
    assert stored == {"DC-1": [float(i) for i in range(300)]}


async def test_a_writer_killed_during_an_outage_loses_nothing_it_spooled(
    tmp_path: Path,
) -> None:
    require_binary()
    port = free_port()  # nothing listens here until the server starts below
    url = f"http://127.0.0.1:{port}"
    spool_dir = tmp_path / "spool"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.store.influx_writer_proc",
        url,
        str(spool_dir),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    spooled = 0
    try:
        async with asyncio.timeout(20):
            for _ in range(6):
                line = await proc.stdout.readline()
                assert line.startswith(b"spooled "), line
                spooled = int(line.split()[1])
    finally:
        proc.kill()
        await proc.wait()
    assert proc.returncode == -9

    server = VictoriaMetrics(tmp_path / "vm", port=port)
    await server.start()
    try:
        store = make_store(url, spool_dir)
        await store.start()
        try:
            async with asyncio.timeout(20):
                await store.wait_drained()
            stats = store.stats()
        finally:
            await store.close()
        exported = await server.export("warden_sample_value")
    finally:
        await server.stop()

    values = {int(v) for row in exported for v in row["values"]}
    assert set(range(spooled)) <= values
    assert {row["metric"]["device"] for row in exported} == {
        f"D{d}" for d in range(SERIES)
    }
    assert stats.replayed >= spooled
    assert stats.state is StoreState.OK
