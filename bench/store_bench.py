"""Sustained write rate of the store back-ends, and the spool through an outage.

    python bench/store_bench.py sqlite --series 1000 --samples 1000000
    python bench/store_bench.py victoria --samples 300000      # InfluxDB line protocol
    python bench/store_bench.py outage --samples 300000        # spool, then replay

``victoria`` and ``outage`` start a victoria-metrics server (Debian package
``victoria-metrics``) on a free loopback port with a temporary data directory,
and stop it at the end. ``outage`` writes while nothing listens (everything goes
to the spool), reports the spooling rate, the process's resident memory before
and after and the spool's size, then starts the server and times the replay.

Samples are made up front (one round = one sample per series, one second apart
in source time) so the figure is the store's, not the sample maker's. Like a
poller waiting for its next period, the writer flushes whenever more than five
batches are queued, so nothing is dropped; the rate is samples over the time
from the first write to the end of the final flush.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from store.base import TimeSeriesStore
from store.influx import InfluxStore
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Victoria:
    """victoria-metrics on 127.0.0.1:port with its data in ``data``."""

    def __init__(self, data: Path, port: int) -> None:
        binary = shutil.which("victoria-metrics")
        if binary is None:
            raise SystemExit("victoria-metrics is not installed")
        self.binary, self.data, self.port = binary, data, port
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Victoria:
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.data}",
                "-retentionPeriod=100y",
                "-loggerLevel=ERROR",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health"):
                    return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("victoria-metrics did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def influx_store(port: int, spool: Path, batch_size: int) -> InfluxStore:
    return InfluxStore(
        f"http://127.0.0.1:{port}",
        org="bench",
        bucket="bench",
        token="bench",
        spool_dir=spool,
        batch_size=batch_size,
        retry_initial_s=0.1,
        retry_max_s=0.5,
    )


def bench_victoria(args: argparse.Namespace, rounds: list[list[Sample]]) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Victoria(Path(tmp) / "vm", free_port()) as vm,
    ):
        store = influx_store(vm.port, Path(tmp) / "spool", args.batch_size)
        rate, cpu_rate = asyncio.run(sustained_rate(store, rounds, 5 * args.batch_size))
    total = sum(len(r) for r in rounds)
    print(
        f"victoria-metrics: {total} samples, {args.series} series, "
        f"batch {args.batch_size}: {rate:,.0f} samples/s "
        f"({cpu_rate:,.0f} per CPU-second of the writing process)"
    )


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def outage(store: InfluxStore, rounds: list[list[Sample]], vm: Victoria) -> None:
    await store.start()
    total = sum(len(r) for r in rounds)
    rss_before = resident_kib()
    began = time.perf_counter()
    for samples in rounds:
        if store.stats().queued > 10 * 5_000:
            await store.flush()
        store.write(samples)
        await asyncio.sleep(0)
    await store.flush()
    spooling = time.perf_counter() - began
    stats = store.stats()
    rss_after = resident_kib()
    if stats.lost:
        raise SystemExit(f"the store lost {stats.lost} samples; the figure is void")
    print(
        f"outage: {stats.spooled} of {total} samples spooled at "
        f"{total / spooling:,.0f} samples/s; spool {stats.spool_bytes / 2**20:.1f} MiB "
        f"({stats.spool_bytes / total:.0f} bytes/sample); resident memory "
        f"{rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after"
    )

    with vm:
        began = time.perf_counter()
        await store.wait_drained()
        replay = time.perf_counter() - began
        replayed = store.stats().replayed
        await store.close()
    print(
        f"replay: {replayed} samples in {replay:.2f} s, "
        f"{replayed / replay:,.0f} samples/s (including the first retry wait)"
    )


def bench_outage(args: argparse.Namespace, rounds: list[list[Sample]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        vm = Victoria(Path(tmp) / "vm", port)
        store = influx_store(port, Path(tmp) / "spool", args.batch_size)
        asyncio.run(outage(store, rounds, vm))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backend", choices=["sqlite", "victoria", "outage"])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int)
    args = parser.parse_args()
    if args.batch_size is None:
        args.batch_size = 50_000 if args.backend == "sqlite" else 5_000
    rounds = make_rounds(args.series, args.samples, time.time() - 86_400)
    {"sqlite": bench_sqlite, "victoria": bench_victoria, "outage": bench_outage}[
        args.backend
    ](args, rounds)


if __name__ == "__main__":
    main()
