"""OPC UA subscriptions: the warden driver beside a bare asyncua client.

    python -m bench.opcua [--latency-items 100] [--items 10000] [--seconds 10]

A perimeter processor simulator runs in a child process on loopback, so the
client's CPU figure is the client's alone. Its variables change at a steady
rate, each stamped with the time of the change as source timestamp. Each client
(first the warden driver, then a bare asyncua subscription in callback mode on
the same server) subscribes to every variable with a 50 ms sampling and
publishing interval and measures, for each notification it gets, the time from
the change to the moment the value is in its hands: for the driver, when the
sample reaches its sink; for the bare client, when its handler runs. Two runs:

- latency: ``--latency-items`` variables, each changing 5 times a second;
- scale: ``--items`` variables, each changing once a second.

For each it prints the notifications delivered per second (against those the
server made), the latency p50/p99 and the client's CPU use. Both clients share
one machine with the server, so the figures are relative, not absolute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from asyncua import ua
from asyncua.client.client import Client

from drivers.opcua.driver import OpcUaDriver
from simulators.opcua import PerimeterSimulator
from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceHealth, Sample
from topology.site import Device

URI = "urn:warden:bench"
INTERVAL_S = 0.05


def bench_profile(items: int) -> OpcUaProfile:
    """``items`` float variables sampled every 50 ms."""
    return OpcUaProfile.model_validate(
        {
            "id": "bench",
            "sampling_interval_s": INTERVAL_S,
            "queue_size": 4,
            "points": [
                {
                    "name": f"p{i:05d}",
                    "node": f"nsu={URI};s=Bench.P{i:05d}",
                    "data_type": "float64",
                }
                for i in range(items)
            ],
        }
    )


# -- the server process ------------------------------------------------------------


async def serve(items: int, changes_per_item_s: float, lifetime_s: float) -> None:
    """Serve ``items`` variables, changing each ``changes_per_item_s`` times a
    second in 50 ms ticks, until stdin closes or ``lifetime_s`` passes."""
    simulator = PerimeterSimulator("BENCH", bench_profile(items), heartbeat_s=3600)
    names = [f"p{i:05d}" for i in range(items)]
    per_tick = max(1, round(items * changes_per_item_s * INTERVAL_S))
    async with simulator:
        print(f"PORT {simulator.port}", flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
        stdin_closed = asyncio.create_task(reader.read())
        made = 0
        start = time.monotonic()
        position = 0
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(lifetime_s):
                while not stdin_closed.done():
                    tick = time.monotonic()
                    for _ in range(per_tick):
                        await simulator.set_value(names[position], float(made))
                        position = (position + 1) % items
                        made += 1
                    await asyncio.sleep(
                        max(0.0, INTERVAL_S - (time.monotonic() - tick))
                    )
        stdin_closed.cancel()
        rate = made / (time.monotonic() - start)
        print(f"MADE {rate:.0f}", flush=True)


@dataclass
class Server:
    """The child process's port, and once it has exited, the changes per second
    it really made over its life."""

    port: int
    made_per_s: float | None = None


@contextlib.asynccontextmanager
async def server_process(
    items: int, changes_per_item_s: float
) -> AsyncIterator[Server]:
    """Run :func:`serve` in a child process for the duration of the block."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.opcua",
        "serve",
        "--items",
        str(items),
        "--rate",
        str(changes_per_item_s),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    server: Server | None = None
    try:
        async with asyncio.timeout(180):
            line = (await child.stdout.readline()).decode()
        if not line.startswith("PORT "):
            raise SystemExit(f"the benchmark server did not start: {line!r}")
        server = Server(int(line.split()[1]))
        yield server
    finally:
        child.stdin.close()
        try:
            async with asyncio.timeout(20):
                rest = (await child.stdout.read()).decode()
                await child.wait()
        except TimeoutError:
            child.kill()
            await child.wait()
            rest = ""
        for line in rest.splitlines():
            if line.startswith("MADE ") and server is not None:
                server.made_per_s = float(line.split()[1])


# -- the clients --------------------------------------------------------------------


@dataclass
class Tally:
    """Latencies (seconds) of notifications received inside the window."""

    latencies: list[float]
    counting: bool = False

    def note(self, source: float) -> None:
        if self.counting:
            self.latencies.append(time.time() - source)


class _TallySink:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.online = asyncio.Event()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        now = time.time()
        if self.tally.counting:
            self.tally.latencies.extend(now - s.source_time for s in samples)

    def publish_health(self, health: DeviceHealth) -> None:
        if health.status.value == "online":
            self.online.set()


async def run_warden(port: int, profile: OpcUaProfile, tally: Tally) -> Any:
    """Subscribe with the warden driver; return a stopper."""
    device = Device.model_validate(
        {
            "id": "BENCH",
            "kind": "perimeter_processor",
            "protocol": "opcua",
            "endpoint": {"url": f"opc.tcp://127.0.0.1:{port}/perimeter"},
            "timeout_s": 10,
        }
    )
    sink = _TallySink(tally)
    driver = OpcUaDriver(device, profile, sink)
    task = asyncio.create_task(driver.run())
    async with asyncio.timeout(120):
        await sink.online.wait()

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return stop


class _BareHandler:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        stamp = data.monitored_item.Value.SourceTimestamp
        if stamp is not None:
            self.tally.note(stamp.timestamp())


async def run_bare(port: int, profile: OpcUaProfile, tally: Tally) -> Any:
    """Subscribe with asyncua alone; return a stopper."""
    client = Client(f"opc.tcp://127.0.0.1:{port}/perimeter", timeout=10)
    await client.connect()
    index = await client.get_namespace_index(URI)
    nodes = [
        client.get_node(ua.NodeId(ua.String(p.address.identifier), ua.Int16(index)))
        for p in profile.points
    ]
    subscription = await client.create_subscription(
        INTERVAL_S * 1000, _BareHandler(tally)
    )
    for start in range(0, len(nodes), 1000):
        await subscription.subscribe_data_change(
            nodes[start : start + 1000],
            queuesize=profile.queue_size,
            sampling_interval=ua.Double(INTERVAL_S * 1000),
        )

    async def stop() -> None:
        await client.disconnect()

    return stop


@dataclass(frozen=True)
class Result:
    delivered_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_percent: float


async def measure(client: str, port: int, items: int, seconds: float) -> Result:
    profile = bench_profile(items)
    tally = Tally([])
    runner = run_warden if client == "warden" else run_bare
    stop = await runner(port, profile, tally)
    try:
        await asyncio.sleep(2.0)  # let the initial values pass
        tally.counting = True
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        tally.counting = False
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await stop()
    latencies = sorted(tally.latencies) or [float("nan")]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(
        len(tally.latencies) / wall,
        statistics.median(latencies) * 1000,
        p99 * 1000,
        100 * cpu / wall,
    )


async def compare(
    items: int, rate: float, seconds: float
) -> tuple[float, dict[str, Result]]:
    """Both clients, one after the other, on one server; the server's real
    change rate and each client's result."""
    results: dict[str, Result] = {}
    async with server_process(items, rate) as server:
        for client in ("warden", "bare asyncua"):
            results[client] = await measure(client, server.port, items, seconds)
    return server.made_per_s or float("nan"), results


def report(title: str, made: float, results: dict[str, Result]) -> None:
    print(f"\n{title}; the server made {made:,.0f} changes/s")
    print(f"  {'':32}{'warden driver':>16}{'bare asyncua':>16}")
    rows = [
        ("notifications delivered /s", "delivered_per_s", "{:,.0f}"),
        ("latency p50 (ms)", "p50_ms", "{:.1f}"),
        ("latency p99 (ms)", "p99_ms", "{:.1f}"),
        ("client CPU (% of one core)", "cpu_percent", "{:.0f}"),
    ]
    for label, name, fmt in rows:
        cells = [fmt.format(getattr(results[c], name)) for c in results]
        print(f"  {label:32}" + "".join(f"{cell:>16}" for cell in cells))


async def main(args: argparse.Namespace) -> None:
    print("OPC UA subscriptions over loopback, 50 ms sampling and publishing")
    made, latency = await compare(args.latency_items, 5.0, args.seconds)
    report(f"latency run: {args.latency_items} items, 5 changes/s each", made, latency)
    made, scale = await compare(args.items, 1.0, args.seconds)
    report(f"scale run: {args.items} items, 1 change/s each", made, scale)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.opcua")
    sub = parser.add_subparsers(dest="mode")
    server = sub.add_parser("serve", help="(internal) the benchmark's server")
    server.add_argument("--items", type=int, required=True)
    server.add_argument("--rate", type=float, required=True)
    server.add_argument("--lifetime", type=float, default=600.0)
    parser.add_argument("--latency-items", type=int, default=100)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = _parse(sys.argv[1:])
    if options.mode == "serve":
        asyncio.run(serve(options.items, options.rate, options.lifetime))
    else:
        asyncio.run(main(options))
