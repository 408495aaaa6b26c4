"""Phase A of the Modbus benchmark: the least any poller could do, in bare pymodbus.

One ``AsyncModbusTcpClient`` per controller sends the reads that the driver's
planner makes for the controller's profile (the same blocks, in the same
order), once per slot of the poll interval, staggered over the interval as the
:class:`~drivers.group.PollerGroup` staggers devices. Answers are checked for
errors and thrown away: no decoding, no samples, no twin. It keeps the same
schedule rules (a slot missed while a poll ran long is skipped) so the two
phases differ only in what happens to an answer.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from drivers.modbus.plan import ReadBlock, plan_reads
from topology.loader import LoadedSite
from topology.profile import ModbusTable

T = TypeVar("T")


@dataclass(slots=True)
class LoopCounters:
    """Counts kept by every bare poller, and read at the window's edges."""

    requests: int = 0
    values: int = 0
    polls: int = 0
    failed_requests: int = 0
    skipped_slots: int = 0
    measuring: bool = False
    stopped: bool = False
    lateness: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BareFigures:
    """What phase A measured over its window of ``window_s`` seconds.

    ``values`` counts the profile points the answers covered (what would have
    become samples); ``lateness`` holds every poll start delay in the window,
    in seconds.
    """

    controllers: int
    window_s: float
    cpu_s: float
    requests: int
    values: int
    polls: int
    failed_requests: int
    skipped_slots: int
    lateness: Sequence[float]


ReadCall = Callable[..., Awaitable[Any]]


def _read_call(client: AsyncModbusTcpClient, table: ModbusTable) -> ReadCall:
    if table is ModbusTable.COIL:
        return client.read_coils
    if table is ModbusTable.DISCRETE_INPUT:
        return client.read_discrete_inputs
    if table is ModbusTable.HOLDING_REGISTER:
        return client.read_holding_registers
    return client.read_input_registers


async def _poll_forever(
    client: AsyncModbusTcpClient,
    blocks: Sequence[ReadBlock],
    unit_id: int,
    first_slot: float,
    interval_s: float,
    counters: LoopCounters,
) -> None:
    loop = asyncio.get_running_loop()
    reads = [(_read_call(client, b.table), b, len(b.points)) for b in blocks]
    slot = first_slot
    # ``stopped`` ends the loop even when pymodbus dropped the cancel (its
    # wait_for does on Python 3.11 when the answer lands with the cancel).
    while not counters.stopped:
        wait = slot - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if counters.measuring:
            counters.lateness.append(loop.time() - slot)
            counters.polls += 1

        for read, block, points in reads:
            if counters.stopped:
                return
            try:
                answer = await read(block.address, count=block.count, device_id=unit_id)
                failed = answer.isError()
            except ModbusException:
                failed = True
            # Requests are counted as they complete inside the window, as the
            # pollers' counters are read at the window's edges.
            if counters.measuring:
                counters.requests += 1
                if failed:
                    counters.failed_requests += 1
                else:
                    counters.values += points

        slot += interval_s
        now = loop.time()
        if slot < now:
            missed = math.ceil((now - slot) / interval_s)
            slot += missed * interval_s
            if counters.measuring:
                counters.skipped_slots += missed


async def _stop(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` until all have ended, for a few seconds at most (a
    cancel can be lost inside pymodbus); ``RuntimeError`` if some never do."""
    for _ in range(10):
        running = [task for task in tasks if not task.done()]
        if not running:
            break
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=0.5)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # seen here; the caller has its own error
    if any(not task.done() for task in tasks):
        raise RuntimeError("bare pollers did not stop")


def _raise_failure(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Raise the error of the first task that failed (a bug in the loop)."""
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()


async def run_bare_loop(
    site: LoadedSite,
    *,
    interval_s: float,
    duration_s: float,
    during: Callable[[], Coroutine[Any, Any, T]],
) -> tuple[BareFigures, T]:
    """Poll every Modbus device of ``site`` (real endpoints) with bare pymodbus.

    Connects every client first, lets every poller run one interval, then
    measures for ``duration_s`` seconds with ``during()`` running alongside;
    returns the figures and what ``during()`` returned. Raises
    ``ConnectionError`` if a controller does not accept a connection.
    """
    devices = [d for d in site.site.devices if d.endpoint is not None and d.profile]
    clients: list[AsyncModbusTcpClient] = []
    tasks: list[asyncio.Task[Any]] = []
    alongside: asyncio.Task[T] | None = None
    counters = LoopCounters()
    try:
        for device in devices:
            assert device.endpoint is not None
            client = AsyncModbusTcpClient(
                device.endpoint.host,
                port=device.endpoint.port,
                timeout=device.timeout_s,
                retries=0,
                reconnect_delay=0,
            )
            clients.append(client)
            if not await client.connect():
                raise ConnectionError(f"{device.id}: connection refused")

        start = asyncio.get_running_loop().time()
        for index, (device, client) in enumerate(zip(devices, clients, strict=True)):
            assert device.endpoint is not None
            poll = _poll_forever(
                client,
                plan_reads(site.profile_for(device.id).points),
                device.endpoint.unit_id,
                start + interval_s * index / len(devices),
                interval_s,
                counters,
            )
            tasks.append(asyncio.create_task(poll, name=f"bare poll {device.id}"))
        await asyncio.sleep(interval_s)  # every poller past its first slot
        _raise_failure(tasks)

        counters.measuring = True
        alongside = asyncio.create_task(during(), name="during window")
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.sleep(duration_s)
        counters.measuring = False
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        _raise_failure(tasks)
        result = await alongside
    finally:
        # Closed first, a client cannot take an answer for a request whose
        # task is being cancelled (pymodbus would log it as unexpected).
        counters.stopped = True
        for client in clients:
            client.close()
        if alongside is not None:
            tasks.append(alongside)
        await _stop(tasks)

    figures = BareFigures(
        controllers=len(devices),
        window_s=wall,
        cpu_s=cpu,
        requests=counters.requests,
        values=counters.values,
        polls=counters.polls,
        failed_requests=counters.failed_requests,
        skipped_slots=counters.skipped_slots,
        lateness=tuple(counters.lateness),
    )
    return figures, result
