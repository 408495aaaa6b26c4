"""Sustained write rate of a time-series store back-end.

    python bench/store_bench.py sqlite --series 1000 --samples 1000000

Samples are made up front (one round = one sample per series, one second apart
in source time) so the figure is the store's, not the sample maker's. Like a
poller waiting for its next period, the writer flushes whenever more than five
batches are queued, so nothing is dropped; the rate is samples over the time
from the first write to the end of the final flush.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from store.base import TimeSeriesStore
from store.sqlite import SqliteStore
from topology.sample import Quality, Sample


def make_rounds(series: int, samples: int, t0: float) -> list[list[Sample]]:
    """``samples // series`` rounds of one float sample per series."""
    rounds = []
    for r in range(samples // series):
        t = t0 + r
        rounds.append(
            [
                Sample(f"DEV-{i // 20}", f"p{i % 20}", r * 0.5, Quality.GOOD, t, t)
                for i in range(series)
            ]
        )
    return rounds


async def sustained_rate(
    store: TimeSeriesStore, rounds: list[list[Sample]], high_water: int
) -> tuple[float, float]:
    """Samples per second from the first write to the end of the last flush,
    by the wall clock and per second of this process's CPU (all threads); the
    second stays meaningful when other work shares the machine."""
    await store.start()
    began = time.perf_counter()
    began_cpu = time.process_time()
    for samples in rounds:
        if store.stats().queued > high_water:
            await store.flush()
        store.write(samples)
        await asyncio.sleep(0)
    await store.flush()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - began_cpu
    lost = store.stats().lost
    await store.close()
    if lost:
        raise SystemExit(f"the store lost {lost} samples; the figure is void")
    total = sum(len(r) for r in rounds)
    return total / elapsed, total / cpu


def bench_sqlite(args: argparse.Namespace, rounds: list[list[Sample]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = SqliteStore(path, batch_size=args.batch_size)
        rate, cpu_rate = asyncio.run(sustained_rate(store, rounds, 5 * args.batch_size))
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    total = sum(len(r) for r in rounds)
    print(
        f"sqlite: {total} samples, {args.series} series, batch {args.batch_size}: "
        f"{rate:,.0f} samples/s ({cpu_rate:,.0f} per CPU-second), "
        f"{size / total:.1f} bytes/sample on disk"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["sqlite"])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    rounds = make_rounds(args.series, args.samples, time.time() - 86_400)
    bench_sqlite(args, rounds)


if __name__ == "__main__":
    main()
