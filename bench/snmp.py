"""How many switch interfaces one process polls per second, and trap latency.

    python -m bench.snmp [--switches 20] [--ports 48] [--seconds 10]

1. Polling: simulated 48-port switches run in separate agent processes on
   loopback; this process polls them all with :class:`SnmpDriver` as the
   poller would (every switch concurrently, one shared pysnmp engine, the
   first poll reading names and speeds, the rest statuses and counters).
   Reported: interfaces per second (wall clock) and per CPU second of this
   process (the poller's own cost, whatever the agents' speed).
2. The same walks with net-snmp's ``snmpbulkwalk`` (one process per column,
   as a shell script would) on one switch, for comparison.
3. Trap latency: from the simulated switch deciding to send linkDown to the
   sample reaching the sink, through :class:`TrapReceiver`, in one process.

The target is 200 switches of 48 ports every 30 s: 320 interfaces per second.
Agents are Python (pysnmp) too, so the wall-clock figure is usually bounded
by them; the CPU figure is what sizes the poller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from drivers.snmp.client import SnmpEngines
from drivers.snmp.driver import SnmpDriver
from drivers.snmp.interfaces import HC_COLUMNS, STATUS_COLUMNS
from drivers.snmp.oids import format_oid
from drivers.snmp.security import SnmpCredentials
from drivers.snmp.traps import TrapReceiver
from simulators.snmp import SwitchSimulator, TrapTarget
from simulators.snmp_switch import Port, SwitchModel
from topology.sample import DeviceHealth, Sample
from topology.site import Device, DeviceKind, Endpoint, Protocol

TARGET_PER_S = 200 * 48 / 30
COMMUNITY = "public"


def model(name: str, ports: int) -> SwitchModel:
    return SwitchModel(
        name,
        [
            Port(i, f"Gi1/0/{i}", alias=f"port {i}", in_rate=1e5 * i, out_rate=5e4)
            for i in range(1, ports + 1)
        ],
    )


async def serve(count: int, ports: int, first: int) -> None:
    """Agent process: run ``count`` switches, print their ports as JSON, stop
    when stdin closes."""
    switches = [
        SwitchSimulator(model(f"SW-{first + i}", ports), max_bulk_varbinds=128)
        for i in range(count)
    ]
    for switch in switches:
        await switch.start()
    print(json.dumps([s.address[1] for s in switches]), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for switch in switches:
        await switch.stop()


def start_agents(
    switches: int, ports: int, processes: int
) -> tuple[list[subprocess.Popen[str]], list[int]]:
    agents: list[subprocess.Popen[str]] = []
    addresses: list[int] = []
    per = -(-switches // processes)
    for first in range(0, switches, per):
        count = min(per, switches - first)
        agent = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.snmp",
                "--serve",
                str(count),
                "--ports",
                str(ports),
                "--first",
                str(first),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        agents.append(agent)
    for agent in agents:
        assert agent.stdout is not None
        addresses.extend(json.loads(agent.stdout.readline()))
    return agents, addresses


def stop_agents(agents: Sequence[subprocess.Popen[str]]) -> None:
    for agent in agents:
        assert agent.stdin is not None
        agent.stdin.close()
    for agent in agents:
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


async def bench_polling(
    ports: Sequence[int], per_switch: int, seconds: float, repetitions: int = 10
) -> dict[str, float]:
    engines = SnmpEngines()
    drivers = [
        SnmpDriver(
            Device(
                id=f"SW-{i}",
                kind=DeviceKind.SWITCH,
                protocol=Protocol.SNMP,
                endpoint=Endpoint(host="127.0.0.1", port=port),
                timeout_s=5.0,
            ),
            SnmpCredentials.v2c(COMMUNITY),
            engines=engines,
            retries=0,
            max_repetitions=repetitions,
        )
        for i, port in enumerate(ports)
    ]
    try:
        # First poll: names, speeds and addresses too.
        started = time.perf_counter()
        await asyncio.gather(*(d.poll() for d in drivers))
        first_s = time.perf_counter() - started

        rounds = samples = 0
        cpu = time.process_time()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            results = await asyncio.gather(*(d.poll() for d in drivers))
            samples += sum(len(r) for r in results)
            rounds += 1
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        requests = sum(d.requests for d in drivers)
    finally:
        for driver in drivers:
            await driver.close()
    interfaces = rounds * len(drivers) * per_switch
    return {
        "switches": len(drivers),
        "first_poll_s": first_s,
        "rounds": rounds,
        "interfaces_per_s": interfaces / wall,
        "interfaces_per_cpu_s": interfaces / cpu if cpu else float("inf"),
        "samples_per_s": samples / wall,
        "requests": requests,
    }


def bench_snmpbulkwalk(
    port: int, per_switch: int, seconds: float
) -> dict[str, float] | None:
    tool = shutil.which("snmpbulkwalk")
    if tool is None:
        return None
    columns = [format_oid(c) for c in (*STATUS_COLUMNS, *HC_COLUMNS)]
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    walks = 0
    while time.perf_counter() - started < seconds:
        for column in columns:
            subprocess.run(
                [
                    tool,
                    "-v2c",
                    "-c",
                    COMMUNITY,
                    "-Cr10",
                    "-On",
                    "-Oq",
                    f"127.0.0.1:{port}",
                    column,
                ],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        walks += 1
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "walks": walks,
        "interfaces_per_s": walks * per_switch / wall,
        "interfaces_per_cpu_s": walks * per_switch / cpu if cpu else float("inf"),
    }


class _Timing:
    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.at = 0.0

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.at = time.perf_counter()
        self.arrived.set()

    def publish_health(self, health: DeviceHealth) -> None:
        pass


async def bench_traps(count: int) -> dict[str, float]:
    sink = _Timing()
    receiver = TrapReceiver(sink, communities=[COMMUNITY])
    host, port = await receiver.start()
    switch = SwitchSimulator(
        model("SW-T", 4), trap_targets=[TrapTarget(host, port, community=COMMUNITY)]
    )
    await switch.start()
    receiver.add_device("SW-T", *switch.address, interface_name=lambda i: f"Gi1/0/{i}")
    latencies = []
    try:
        for n in range(count):
            sink.arrived.clear()
            started = time.perf_counter()
            await switch.set_link("Gi1/0/1", n % 2 == 1)
            async with asyncio.timeout(5):
                await sink.arrived.wait()
            latencies.append(sink.at - started)
    finally:
        await switch.stop()
        await receiver.stop()
    latencies.sort()
    return {
        "traps": count,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (count - 1))] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--ports", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--agents", type=int, default=2, help="agent processes")
    parser.add_argument("--traps", type=int, default=100)
    parser.add_argument(
        "--repetitions", type=int, default=20, help="GETBULK rows per column"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve is not None:
        asyncio.run(serve(args.serve, args.ports, args.first))
        return

    agents, ports = start_agents(args.switches, args.ports, args.agents)
    try:
        polling = asyncio.run(
            bench_polling(ports, args.ports, args.seconds, args.repetitions)
        )
        walk = bench_snmpbulkwalk(ports[0], args.ports, min(args.seconds, 5.0))
    finally:
        stop_agents(agents)
    traps = asyncio.run(bench_traps(args.traps))

    columns = len(STATUS_COLUMNS) + len(HC_COLUMNS)
    print(
        f"SNMP polling: {polling['switches']} simulated switches x {args.ports} ports "
        f"in {args.agents} agent processes, {columns} columns per interface"
    )
    print(f"  GETBULK max-repetitions {args.repetitions}")
    print(f"  first poll (names, speeds too): {polling['first_poll_s']:.2f} s")
    print(
        f"  warden SnmpDriver: {polling['interfaces_per_s']:.0f} interfaces/s wall, "
        f"{polling['interfaces_per_cpu_s']:.0f} per CPU second "
        f"({polling['rounds']} rounds, {polling['samples_per_s']:.0f} samples/s)"
    )
    print(
        f"  target 200 x 48 ports / 30 s = {TARGET_PER_S:.0f} interfaces/s: "
        f"{polling['interfaces_per_cpu_s'] / TARGET_PER_S:.1f}x by CPU, "
        f"{polling['interfaces_per_s'] / TARGET_PER_S:.1f}x by wall clock"
    )
    if walk is None:
        print("  snmpbulkwalk: not installed (apt-get install snmp)")
    else:
        print(
            f"  net-snmp snmpbulkwalk (one process per column, one switch): "
            f"{walk['interfaces_per_s']:.0f} interfaces/s wall, "
            f"{walk['interfaces_per_cpu_s']:.0f} per CPU second"
        )
    print(
        f"Trap to sample: {traps['traps']} linkDown/linkUp, "
        f"p50 {traps['p50_ms']:.1f} ms, p95 {traps['p95_ms']:.1f} ms, "
        f"max {traps['max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
