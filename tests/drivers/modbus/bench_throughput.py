"""Requests per second of the Modbus driver against a bare pymodbus loop.

Run from the repository root::

    python -m tests.drivers.modbus.bench_throughput [--requests 500] [--devices 100]

A pymodbus server runs in a child process on 127.0.0.1 (so its CPU time is not
counted against the client) and stops by itself after five minutes at most. Each
variant sends the same number of sequential requests over one connection and
reports wall-clock requests per second and client CPU microseconds per request.
Then a PollerGroup polls ``--devices`` copies of a four-door controller once a
second for ``--seconds`` and reports the share of one core it used and the poll
start lateness.
Not collected by pytest: timings on a shared machine make poor assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from pymodbus.client import AsyncModbusTcpClient

from drivers.group import PollerGroup
from drivers.modbus import ModbusConnection, ModbusDriver
from drivers.modbus.plan import ReadBlock
from tests.drivers.modbus.servers import LOOPBACK, LoopbackModbusServer
from topology.loader import LoadedSite
from topology.profile import DataType, ModbusPoint, ModbusProfile, ModbusTable
from topology.sample import DeviceHealth, Sample
from topology.site import Device, DeviceKind, Endpoint, Protocol, SiteFile, SiteInfo

HR = ModbusTable.HOLDING_REGISTER
SERVER_LIFETIME_S = 300.0


async def serve(lifetime_s: float) -> None:
    """Child process: serve 20 registers and 16 bits until killed or ``lifetime_s``."""
    server = LoopbackModbusServer(
        coils=[True, False] * 8,
        discrete_inputs=[False, True] * 8,
        holding_registers=[0x42F6, 0xE979] * 10,
        input_registers=list(range(20)),
    )
    port = await server.start()
    print(port, flush=True)
    try:
        await asyncio.sleep(lifetime_s)
    finally:
        await server.stop()


def door_profile() -> ModbusProfile:
    """Four doors: lock and contact bits, five float32 and five int16 registers."""
    points = [
        ModbusPoint(name=f"lock_{i}", table=ModbusTable.COIL, address=i, writable=True)
        for i in range(4)
    ]
    points += [
        ModbusPoint(name=f"closed_{i}", table=ModbusTable.DISCRETE_INPUT, address=i)
        for i in range(4)
    ]
    points += [
        ModbusPoint(name=f"f_{i}", table=HR, address=2 * i, data_type=DataType.FLOAT32)
        for i in range(5)
    ]
    points += [
        ModbusPoint(
            name=f"t_{i}",
            table=ModbusTable.INPUT_REGISTER,
            address=i,
            data_type=DataType.INT16,
            scale=0.1,
        )
        for i in range(5)
    ]
    return ModbusProfile(id="bench", points=points)


async def measure(
    label: str,
    requests_per_call: int,
    calls: int,
    call: Callable[[], Awaitable[object]],
) -> None:
    for _ in range(20):  # warm up
        await call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    requests = calls * requests_per_call
    print(
        f"{label:<44} {requests / wall:8.0f} req/s "
        f"{cpu / requests * 1e6:8.1f} us CPU/req"
    )


async def bench(port: int, count: int) -> None:
    bare = AsyncModbusTcpClient(LOOPBACK, port=port, retries=0, reconnect_delay=0)
    await bare.connect()

    async def bare_read() -> object:
        return await bare.read_holding_registers(0, count=10, device_id=1)

    await measure("bare pymodbus read_holding_registers(10)", 1, count, bare_read)
    bare.close()

    connection = ModbusConnection(LOOPBACK, port, timeout_s=1.0)
    await connection.connect()
    block = ReadBlock(HR, 0, 10, ())

    async def connection_read() -> object:
        return await connection.read(block)

    await measure("ModbusConnection.read (10 registers)", 1, count, connection_read)
    await connection.close()

    device = Device(
        id="BENCH",
        kind=DeviceKind.DOOR_CONTROLLER,
        protocol=Protocol.MODBUS,
        endpoint=Endpoint(host=LOOPBACK, port=port),
        timeout_s=1.0,
    )
    driver = ModbusDriver(device, door_profile())
    await driver.connect()
    blocks = len(driver.blocks)
    points = len(driver.point_names)
    label = f"ModbusDriver.poll ({blocks} requests, {points} samples)"
    await measure(label, blocks, max(1, count // blocks), driver.poll)
    await driver.close()


class CountingSink:
    def __init__(self) -> None:
        self.samples = 0

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.samples += len(samples)

    def publish_health(self, health: DeviceHealth) -> None:
        pass


async def bench_group(port: int, devices: int, seconds: float) -> None:
    controllers = [
        Device(
            id=f"DC-{n}",
            kind=DeviceKind.DOOR_CONTROLLER,
            protocol=Protocol.MODBUS,
            endpoint=Endpoint(host=LOOPBACK, port=port),
            profile="bench",
            poll_interval_s=1.0,
            timeout_s=2.0,
        )
        for n in range(devices)
    ]
    site = LoadedSite(
        Path("bench.yaml"),
        SiteFile(site=SiteInfo(id="bench", name="bench"), devices=controllers),
        {"bench": door_profile()},
        graph=None,
    )
    sink = CountingSink()
    group = PollerGroup(site, sink)
    async with group:
        await asyncio.sleep(2.0)  # every device connected and polling
        before = group.stats()
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(seconds)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        after = group.stats()

    requests = after.requests - before.requests
    polls = after.polls - before.polls
    print(
        f"PollerGroup, {devices} devices at 1 s: {polls / wall:.0f} polls/s, "
        f"{requests / wall:.0f} req/s, {(after.samples - before.samples) / wall:.0f} "
        f"samples/s, {cpu / wall:.1%} of one core, "
        f"{cpu / max(requests, 1) * 1e6:.0f} us CPU/req, "
        f"lateness p50 {(after.lateness_p50_s or 0) * 1e3:.1f} ms "
        f"p99 {(after.lateness_p99_s or 0) * 1e3:.1f} ms, "
        f"skipped slots {after.skipped_slots}, failed polls {after.failed_polls}"
    )


async def bench_bare_group(port: int, devices: int, seconds: float) -> None:
    """The same load as :func:`bench_group` from bare pymodbus clients, each a
    task reading the four blocks once a second with no decoding."""
    clients = [
        AsyncModbusTcpClient(LOOPBACK, port=port, retries=0, reconnect_delay=0)
        for _ in range(devices)
    ]
    requests = 0

    async def poll_forever(client: AsyncModbusTcpClient, offset: float) -> None:
        nonlocal requests
        loop = asyncio.get_running_loop()
        slot = loop.time() + offset
        while True:
            await asyncio.sleep(max(0.0, slot - loop.time()))
            await client.read_coils(0, count=4, device_id=1)
            await client.read_discrete_inputs(0, count=4, device_id=1)
            await client.read_holding_registers(0, count=10, device_id=1)
            await client.read_input_registers(0, count=5, device_id=1)
            requests += 4
            slot += 1.0

    for client in clients:
        await client.connect()
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(poll_forever(client, n / devices))
            for n, client in enumerate(clients)
        ]
        await asyncio.sleep(2.0)
        start_requests = requests
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(seconds)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        done = requests - start_requests
        for task in tasks:
            task.cancel()
    for client in clients:
        client.close()
    print(
        f"bare pymodbus, {devices} clients at 1 s: {done / wall:.0f} req/s, "
        f"{cpu / wall:.1%} of one core, {cpu / max(done, 1) * 1e6:.0f} us CPU/req"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(SERVER_LIFETIME_S)
        return

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.drivers.modbus.bench_throughput",
        "--serve",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        async with asyncio.timeout(30):
            port = int(await child.stdout.readline())
        await bench(port, args.requests)
        if args.devices > 0:
            await bench_bare_group(port, args.devices, args.seconds)
            await bench_group(port, args.devices, args.seconds)
    finally:
        child.terminate()
        async with asyncio.timeout(10):
            await child.wait()


if __name__ == "__main__":
    asyncio.run(main())
