"""Phase B of the Modbus benchmark: the platform's own path, end to end.

A :class:`~drivers.group.PollerGroup` polls every controller through
:class:`~drivers.modbus.ModbusDriver` and hands the samples to a fan-out that
counts them and passes them on as ``warden run`` does: to a store, when one is
given, and to a real :class:`~twin.model.Twin` (through
:class:`warden.runtime.Fanout`). A subscriber on the twin's event bus keeps
every door ``state_changed`` event with its time, from which the caller works
out how long a change in the simulated world took to show in the twin.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from drivers.base import SampleSink
from drivers.group import PollerGroup
from store.base import TimeSeriesStore
from topology.loader import LoadedSite
from topology.sample import DeviceHealth, Sample
from twin.events import EventType, Subscription
from twin.model import Twin
from twin.views import DOOR_KIND
from warden.runtime import Fanout, freeze_startup_heap

T = TypeVar("T")

_EVENT_QUEUE = 1_000_000
"""Events the collector may fall behind by before the bus drops (and counts)."""


class CountingFanOut:
    """A sample sink that counts samples and passes everything to ``sinks``, in
    order. A sink that raises stops the others for that call, as it would if it
    were the only sink: the benchmark must not hide a failing part.

    :attr:`all_reported` is set once each of ``devices`` has published samples.
    """

    def __init__(self, sinks: Sequence[SampleSink], devices: Collection[str]) -> None:
        self._sinks = tuple(sinks)
        self._silent = set(devices)
        self.samples = 0
        self.all_reported = asyncio.Event()
        if not self._silent:
            self.all_reported.set()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.samples += len(samples)
        if self._silent and samples:
            self._silent.discard(samples[0].device)
            if not self._silent:
                self.all_reported.set()
        for sink in self._sinks:
            sink.publish_samples(samples)

    def publish_health(self, health: DeviceHealth) -> None:
        for sink in self._sinks:
            sink.publish_health(health)


@dataclass(frozen=True, slots=True)
class DoorEvent:
    """A door's new status as the twin announced it at ``time`` (epoch s)."""

    door: str
    status: str
    time: float


@dataclass(frozen=True, slots=True)
class OursFigures:
    """What phase B measured over its window of ``window_s`` seconds.

    Counters cover the window only. Lateness percentiles (seconds) come from
    the pollers' own statistics, cleared when the window opened, so they cover
    the window's polls (the last 128 of each device at most). ``door_events``
    runs past the window by the grace period so late changes are still seen.
    """

    controllers: int
    window_s: float
    cpu_s: float
    requests: int
    samples: int
    polls: int
    failed_polls: int
    failed_connects: int
    skipped_slots: int
    lateness_p50_s: float | None
    lateness_p99_s: float | None
    lateness_max_s: float | None
    door_events: Sequence[DoorEvent]
    events_dropped: int


async def _collect(subscription: Subscription, into: list[DoorEvent]) -> None:
    async for event in subscription:
        if (
            event.type == EventType.STATE_CHANGED
            and event.node_kind == DOOR_KIND
            and event.new is not None
        ):
            into.append(DoorEvent(event.node, event.new, event.time))


async def run_pollers(
    site: LoadedSite,
    *,
    interval_s: float,
    duration_s: float,
    grace_s: float,
    during: Callable[[], Coroutine[Any, Any, T]],
    store: TimeSeriesStore | None = None,
    freeze_heap: bool = True,
) -> tuple[OursFigures, T]:
    """Poll ``site`` (real endpoints) into a twin, and into ``store`` if given
    (started and closed by the caller), and measure for ``duration_s``.
    ``freeze_heap`` freezes the start-up heap as ``warden run`` does (see
    :func:`warden.runtime.freeze_startup_heap`).

    Waits for every device's first poll (raising ``TimeoutError`` if that takes
    over ``2 * interval_s + 60`` seconds), lets one more interval pass, then
    opens the window and starts ``during()`` alongside it. After the window it
    awaits ``during()``'s result and keeps polling ``grace_s`` seconds more for
    the twin to show the last changes. Returns the figures and that result.
    """
    twin = Twin(site)
    devices = [device.id for device in site.site.devices]
    sink: SampleSink = twin if store is None else Fanout(twin, store)
    fan_out = CountingFanOut([sink], devices)
    group = PollerGroup(site, fan_out)
    events: list[DoorEvent] = []
    if freeze_heap:
        freeze_startup_heap()  # as warden run does once its parts are built

    subscription = twin.bus.subscribe(maxsize=_EVENT_QUEUE)
    ticking = asyncio.create_task(twin.run(), name="twin clock")
    collecting = asyncio.create_task(_collect(subscription, events), name="events")
    driving: asyncio.Task[T] | None = None
    try:
        async with group:
            async with asyncio.timeout(2 * interval_s + 60.0):
                await fan_out.all_reported.wait()
            await asyncio.sleep(interval_s)

            for device in group.devices:
                group.poller(device).stats.lateness.clear()
            before = group.stats()
            samples_before = fan_out.samples
            driving = asyncio.create_task(during(), name="during window")
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.sleep(duration_s)
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            after = group.stats()
            samples = fan_out.samples - samples_before

            result = await driving
            await asyncio.sleep(grace_s)
    finally:
        if freeze_heap:
            gc.unfreeze()
        subscription.close()
        for task in (ticking, driving):
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in (ticking, driving, collecting) if t is not None),
            return_exceptions=True,
        )

    figures = OursFigures(
        controllers=after.devices,
        window_s=wall,
        cpu_s=cpu,
        requests=after.requests - before.requests,
        samples=samples,
        polls=after.polls - before.polls,
        failed_polls=after.failed_polls - before.failed_polls,
        failed_connects=after.failed_connects - before.failed_connects,
        skipped_slots=after.skipped_slots - before.skipped_slots,
        lateness_p50_s=after.lateness_p50_s,
        lateness_p99_s=after.lateness_p99_s,
        lateness_max_s=after.lateness_max_s,
        door_events=tuple(events),
        events_dropped=subscription.dropped,
    )
    return figures, result
