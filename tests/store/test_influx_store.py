"""What the InfluxDB store does with each kind of answer from the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from store.base import StoreState
from store.influx import InfluxStore
from store.influx_http import parse_retry_after
from tests.store.helpers import sample
from tests.store.scripted_influx import ScriptedInflux


def make_store(url: str, tmp_path: Path, **options: Any) -> InfluxStore:
    settings: dict[str, Any] = {
        "org": "warden",
        "bucket": "history",
        "token": "not-a-secret",
        "spool_dir": tmp_path / "spool",
        "flush_interval_s": 0.05,
        "timeout_s": 2.0,
        "retry_initial_s": 0.05,
        "retry_max_s": 0.2,
    }
    settings.update(options)
    return InfluxStore(url, **settings)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedInflux]:
    scripted = ScriptedInflux()
    await scripted.start()
    yield scripted
    await scripted.stop()


def values(lines: list[str]) -> list[str]:
    return [line.split(" ")[1].split(",")[0] for line in lines]


async def test_one_request_per_batch_with_precision_and_token(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    store = make_store(server.url, tmp_path, batch_size=100)
    await store.start()
    try:
        store.write([sample(i, i) for i in range(1000)])
        async with asyncio.timeout(10):
            await store.flush()
    finally:
        await store.close()

    assert [len(r.lines) for r in server.requests] == [100] * 10
    first = server.requests[0]
    assert first.target.startswith("/api/v2/write?")
    assert "precision=us" in first.target and "bucket=history" in first.target
    assert first.headers["authorization"] == "Token not-a-secret"
    assert values(server.accepted_lines) == [f"value={i}.0" for i in range(1000)]


async def test_refused_lines_are_isolated_and_the_rest_written(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    server.script = lambda lines: (
        (400, {}) if any("device=poison" in line for line in lines) else (204, {})
    )
    store = make_store(server.url, tmp_path, batch_size=8)
    await store.start()
    try:
        batch = [sample(i, i) for i in range(8)]
        batch[5] = sample(5, 5, device="poison")
        store.write(batch)
        async with asyncio.timeout(10):
            await store.flush()
        stats = store.stats()
    finally:
        await store.close()

    assert (stats.written, stats.rejected, stats.spooled) == (7, 1, 0)
    assert sorted(values(server.accepted_lines)) == sorted(
        f"value={i}.0" for i in range(8) if i != 5
    )
    assert stats.state is StoreState.OK


async def test_retry_after_is_honoured_and_order_kept(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    answers = iter([(429, {"Retry-After": "1"})])
    server.script = lambda lines: next(answers, (204, {}))
    store = make_store(server.url, tmp_path, batch_size=10)
    await store.start()
    try:
        store.write([sample(i, i) for i in range(30)])
        async with asyncio.timeout(10):
            await store.flush()
        during = store.stats()
        async with asyncio.timeout(10):
            await store.wait_drained()
        after = store.stats()
    finally:
        await store.close()

    refused, retried = server.requests[0], server.requests[1]
    assert retried.at - refused.at >= 0.95
    assert during.state is StoreState.SPOOLING and during.spooled == 30
    assert during.last_error is not None and "429" in during.last_error
    assert values(server.accepted_lines) == [f"value={i}.0" for i in range(30)]
    assert (after.state, after.written, after.replayed) == (StoreState.OK, 30, 30)


async def test_server_errors_spool_and_replay_in_write_order(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    failures = iter(range(4))
    server.script = lambda lines: (
        (503, {}) if next(failures, None) is not None else (204, {})
    )
    store = make_store(server.url, tmp_path, batch_size=10)
    await store.start()
    try:
        for start in range(0, 60, 10):
            store.write([sample(i, i) for i in range(start, start + 10)])
            async with asyncio.timeout(10):
                await store.flush()
        async with asyncio.timeout(10):
            await store.wait_drained()
        stats = store.stats()
    finally:
        await store.close()

    assert values(server.accepted_lines) == [f"value={i}.0" for i in range(60)]
    assert stats.written == 60 and stats.lost == 0


async def test_an_unauthorised_token_spools_and_says_why(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    server.script = lambda lines: (401, {})
    store = make_store(server.url, tmp_path, batch_size=10)
    await store.start()
    try:
        store.write([sample(i, i) for i in range(10)])
        async with asyncio.timeout(10):
            await store.flush()
        stats = store.stats()
    finally:
        await store.close()

    assert stats.state is StoreState.SPOOLING
    assert stats.spooled == 10
    assert stats.last_error is not None and "401" in stats.last_error
    assert "not-a-secret" not in stats.last_error


async def test_what_is_spooled_at_close_is_sent_by_the_next_start(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    server.script = lambda lines: (503, {})
    first = make_store(server.url, tmp_path, batch_size=10)
    await first.start()
    first.write([sample(i, i) for i in range(20)])
    async with asyncio.timeout(10):
        await first.flush()
    await first.close()
    assert server.accepted_lines == []

    server.script = lambda lines: (204, {})
    second = make_store(server.url, tmp_path, batch_size=10)
    await second.start()
    try:
        async with asyncio.timeout(10):
            await second.wait_drained()
        stats = second.stats()
    finally:
        await second.close()

    assert values(server.accepted_lines) == [f"value={i}.0" for i in range(20)]
    assert stats.replayed == 20


async def test_a_full_spool_counts_what_it_drops(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    server.script = lambda lines: (503, {})
    store = make_store(
        server.url,
        tmp_path,
        batch_size=10,
        spool_max_bytes=4000,
        spool_segment_bytes=1000,
    )
    await store.start()
    try:
        for start in range(0, 200, 10):
            store.write([sample(i, i) for i in range(start, start + 10)])
            async with asyncio.timeout(10):
                await store.flush()
        stats = store.stats()
    finally:
        await store.close()

    assert stats.dropped_spool > 0
    assert stats.state is StoreState.FAILING
    assert stats.spooled + stats.dropped_spool == 200
    assert stats.spool_bytes <= 4000
    assert stats.lost == stats.dropped_spool


async def test_unencodable_samples_are_counted_not_sent(
    server: ScriptedInflux, tmp_path: Path
) -> None:
    store = make_store(server.url, tmp_path, batch_size=3)
    await store.start()
    try:
        store.write([sample(1, 0), sample(float("nan"), 1), sample(2, 2)])
        async with asyncio.timeout(10):
            await store.flush()
        stats = store.stats()
    finally:
        await store.close()

    assert (stats.written, stats.rejected) == (2, 1)
    assert values(server.accepted_lines) == ["value=1.0", "value=2.0"]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("Fri, 04 Dec 2026 17:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 16:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    now = 1_796_403_600.0  # Fri, 04 Dec 2026 17:00:00 GMT

    assert parse_retry_after(header, now=now) == seconds
