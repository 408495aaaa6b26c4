"""OPC UA subscriptions: the warden driver beside a bare asyncua client.

    python -m bench.opcua [--latency-items 100] [--items 10000] [--servers 2]
                          [--seconds 10]

Perimeter processor simulators run in child processes on loopback, so the
client's CPU figure is the client's alone (one asyncua server cannot change
10,000 values a second by itself, hence ``--servers``). Their variables change
at a steady rate, each stamped with the time of the change as source
timestamp. Each client (first the warden driver, one per server, then a bare
asyncua subscription in callback mode per server, all in this one process)
subscribes to every variable with a 50 ms sampling and publishing interval and
measures, for each notification, the time from the change to the moment the
value is in its hands: for the driver, when the sample reaches its sink; for
the bare client, when its handler runs. Two runs:

- latency: ``--latency-items`` variables on one server, each changing 5 times a
  second;
- scale: ``--items`` variables over ``--servers`` servers, each changing once a
  second.

For each client it prints the changes the servers made and the notifications it
got per second in its measuring window, the latency p50/p99 and its CPU use.
Clients and servers share one machine, so the figures are relative.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asyncua import ua
from asyncua.client.client import Client

from drivers.opcua.driver import OpcUaDriver
from simulators.opcua import PerimeterSimulator
from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceHealth, DeviceStatus, Sample
from topology.site import Device

URI = "urn:warden:bench"
INTERVAL_S = 0.05
Stop = Callable[[], Awaitable[None]]


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


# -- the server processes ------------------------------------------------------------


async def serve(items: int, changes_per_item_s: float, lifetime_s: float) -> None:
    """Serve ``items`` variables, changing each ``changes_per_item_s`` times a
    second in 50 ms ticks, until stdin closes or ``lifetime_s`` passes. Prints
    ``PORT n`` once listening, then ``MADE epoch count`` every second."""
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
        made = position = 0
        reported = time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(lifetime_s):
                while not stdin_closed.done():
                    tick = time.monotonic()
                    for _ in range(per_tick):
                        await simulator.set_value(names[position], float(made))
                        position = (position + 1) % items
                        made += 1
                    if tick - reported >= 1.0:
                        print(f"MADE {time.time()} {made}", flush=True)
                        reported = tick
                    spent = time.monotonic() - tick
                    await asyncio.sleep(max(0.0, INTERVAL_S - spent))
        stdin_closed.cancel()


@dataclass
class Server:
    """One child process: its port and its ``(epoch, changes so far)`` reports."""

    port: int
    made: list[tuple[float, int]] = field(default_factory=list)

    def made_between(self, start: float, end: float) -> float:
        """Changes per second made between two epoch times (nearest reports)."""
        inside = [(t, n) for t, n in self.made if start <= t <= end]
        if len(inside) < 2:
            return float("nan")
        (t0, n0), (t1, n1) = inside[0], inside[-1]
        return (n1 - n0) / (t1 - t0)


@contextlib.asynccontextmanager
async def server_processes(
    count: int, items: int, changes_per_item_s: float
) -> AsyncIterator[list[Server]]:
    """Run ``count`` servers of ``items`` variables each for the block."""
    children = [
        await asyncio.create_subprocess_exec(
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
        for _ in range(count)
    ]
    readers: list[asyncio.Task[None]] = []
    try:
        servers = []
        for child in children:
            assert child.stdout is not None
            async with asyncio.timeout(300):
                line = (await child.stdout.readline()).decode()
            if not line.startswith("PORT "):
                raise SystemExit(f"a benchmark server did not start: {line!r}")
            servers.append(Server(int(line.split()[1])))
        readers = [
            asyncio.create_task(_read_reports(child, server))
            for child, server in zip(children, servers, strict=True)
        ]
        yield servers
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.close()
        for child in children:
            try:
                async with asyncio.timeout(20):
                    await child.wait()
            except TimeoutError:
                child.kill()
                await child.wait()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


async def _read_reports(child: asyncio.subprocess.Process, server: Server) -> None:
    assert child.stdout is not None
    async for raw in child.stdout:
        parts = raw.decode().split()
        if len(parts) == 3 and parts[0] == "MADE":
            server.made.append((float(parts[1]), int(parts[2])))


# -- the clients ---------------------------------------------------------------------


@dataclass
class Tally:
    """Latencies (seconds) of the notifications received inside the window."""

    latencies: list[float] = field(default_factory=list)
    counting: bool = False


class _TallySink:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.online = asyncio.Event()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        if self.tally.counting:
            now = time.time()
            self.tally.latencies.extend(now - s.source_time for s in samples)

    def publish_health(self, health: DeviceHealth) -> None:
        if health.status is DeviceStatus.ONLINE:
            self.online.set()


async def run_warden(port: int, profile: OpcUaProfile, tally: Tally) -> Stop:
    """Subscribe with the warden driver; return how to stop it."""
    device = Device.model_validate(
        {
            "id": f"BENCH-{port}",
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
        if self.tally.counting and stamp is not None:
            self.tally.latencies.append(time.time() - stamp.timestamp())


async def run_bare(port: int, profile: OpcUaProfile, tally: Tally) -> Stop:
    """Subscribe with asyncua alone; return how to stop it."""
    client = Client(f"opc.tcp://127.0.0.1:{port}/perimeter", timeout=10)
    await client.connect()
    index = ua.Int16(await client.get_namespace_index(URI))
    nodes = [
        client.get_node(ua.NodeId(ua.String(p.address.identifier), index))
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
    made_per_s: float
    delivered_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_percent: float


async def measure(
    client: str, servers: list[Server], items: int, seconds: float
) -> Result:
    """One client on every server: subscribe, settle, then count for
    ``seconds``."""
    profile = bench_profile(items)
    tally = Tally()
    runner = run_warden if client == "warden" else run_bare
    stops = [await runner(server.port, profile, tally) for server in servers]
    try:
        await asyncio.sleep(3.0)  # let the initial values pass
        tally.counting = True
        begin, cpu, wall = time.time(), time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        tally.counting = False
        end = time.time()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        for stop in stops:
            await stop()
    latencies = sorted(tally.latencies) or [float("nan")]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(
        sum(server.made_between(begin, end) for server in servers),
        len(tally.latencies) / wall,
        statistics.median(latencies) * 1000,
        p99 * 1000,
        100 * cpu / wall,
    )


async def compare(
    servers: int, items: int, rate: float, seconds: float
) -> dict[str, Result]:
    """Both clients, one after the other, on the same servers."""
    per_server = items // servers
    results: dict[str, Result] = {}
    async with server_processes(servers, per_server, rate) as running:
        for client in ("warden", "bare asyncua"):
            results[client] = await measure(client, running, per_server, seconds)
    return results


def report(title: str, results: dict[str, Result]) -> None:
    print(f"\n{title}")
    print(f"  {'':34}{'warden driver':>16}{'bare asyncua':>16}")
    rows = [
        ("changes made by the servers /s", "made_per_s", "{:,.0f}"),
        ("notifications received /s", "delivered_per_s", "{:,.0f}"),
        ("latency p50 (ms)", "p50_ms", "{:.1f}"),
        ("latency p99 (ms)", "p99_ms", "{:.1f}"),
        ("client CPU (% of one core)", "cpu_percent", "{:.0f}"),
    ]
    for label, name, fmt in rows:
        cells = [fmt.format(getattr(results[c], name)) for c in results]
        print(f"  {label:34}" + "".join(f"{cell:>16}" for cell in cells))


async def main(args: argparse.Namespace) -> None:
    print("OPC UA subscriptions over loopback, 50 ms sampling and publishing")
    latency = await compare(1, args.latency_items, 5.0, args.seconds)
    report(f"latency run: {args.latency_items} items, 5 changes/s each", latency)
    scale = await compare(args.servers, args.items, 1.0, args.seconds)
    report(
        f"scale run: {args.items} items over {args.servers} servers, 1 change/s each",
        scale,
    )


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.opcua")
    sub = parser.add_subparsers(dest="mode")
    server = sub.add_parser("serve", help="(internal) one benchmark server")
    server.add_argument("--items", type=int, required=True)
    server.add_argument("--rate", type=float, required=True)
    server.add_argument("--lifetime", type=float, default=600.0)
    parser.add_argument("--latency-items", type=int, default=100)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = _parse(sys.argv[1:])
    if options.mode == "serve":
        asyncio.run(serve(options.items, options.rate, options.lifetime))
    else:
        asyncio.run(main(options))
