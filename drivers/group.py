"""Polling every device of a site: one poller per device, run together.

:class:`PollerGroup` builds a driver for each device whose protocol has a factory
(see :mod:`drivers.registry`), runs all pollers in one task group, answers for
their health and counters, and takes writes addressed by device and point (it is
the :class:`~drivers.base.CommandTarget` of the twin and the API).

Run it with ``await group.run()`` until cancelled, or ``async with group:``.
Either way, stopping cancels every poller and closes every connection before
returning.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from drivers.base import SampleSink, StreamingDriver
from drivers.clock import Clock
from drivers.errors import NotFoundError
from drivers.poller import DevicePoller, PollPolicy
from drivers.registry import (
    DriverFactory,
    StreamFactory,
    default_factories,
    default_stream_factories,
)
from drivers.stats import GroupStats, summarize
from topology.loader import LoadedSite
from topology.sample import DeviceHealth, Value
from topology.site import Protocol

logger = logging.getLogger(__name__)


class PollerGroup:
    """The pollers of every device in ``site`` that a factory can drive.

    Devices are staggered over their poll interval so that a thousand devices do
    not all send at the same instant. ``factories`` defaults to
    :func:`~drivers.registry.default_factories`; devices of a protocol in
    ``streams`` (default :func:`~drivers.registry.default_stream_factories`) get
    a self-running driver instead of a poller. ``policy``, ``clock`` and
    ``draw`` are passed to each :class:`DevicePoller`. Raises ``KeyError`` or
    ``ValueError`` from a factory when the site does not describe a device well
    enough to drive it.
    """

    def __init__(
        self,
        site: LoadedSite,
        sink: SampleSink,
        *,
        factories: Mapping[Protocol, DriverFactory] | None = None,
        streams: Mapping[Protocol, StreamFactory] | None = None,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
        draw: Callable[[], float] = random.random,
        stagger: bool = True,
    ) -> None:
        factories = default_factories() if factories is None else factories
        streams = default_stream_factories() if streams is None else streams
        driven = [d for d in site.site.devices if d.protocol in factories]
        unsupported = [
            d.id
            for d in site.site.devices
            if d.protocol not in factories
            and d.protocol not in streams
            and d.protocol is not Protocol.NONE
        ]
        if unsupported:
            logger.info(
                "no driver for the protocol of %d devices, not polling them: %s",
                len(unsupported),
                ", ".join(unsupported),
            )

        self._pollers: dict[str, DevicePoller] = {}
        for index, device in enumerate(driven):
            driver = factories[device.protocol](device, site)
            offset = device.poll_interval_s * index / len(driven) if stagger else 0.0
            self._pollers[device.id] = DevicePoller(
                driver,
                sink,
                interval_s=device.poll_interval_s,
                policy=policy,
                clock=clock,
                draw=draw,
                start_delay_s=offset,
            )
        self._streams: dict[str, StreamingDriver] = {
            device.id: streams[device.protocol](device, site, sink)
            for device in site.site.devices
            if device.protocol in streams and device.protocol not in factories
        }
        self._task: asyncio.Task[None] | None = None

    @property
    def devices(self) -> Sequence[str]:
        """The ids of the devices being polled, then those streaming, each in
        site file order."""
        return (*self._pollers, *self._streams)

    def poller(self, device_id: str) -> DevicePoller:
        """The poller of ``device_id``; raises ``NotFoundError``."""
        try:
            return self._pollers[device_id]
        except KeyError:
            raise NotFoundError(f"no polled device {device_id!r}") from None

    def health(self, device_id: str) -> DeviceHealth:
        """The health of ``device_id`` now; raises ``NotFoundError``."""
        stream = self._streams.get(device_id)
        if stream is not None:
            return stream.health
        return self.poller(device_id).health()

    def stats(self) -> GroupStats:
        """Totals and lateness percentiles over every poller (streaming devices
        have no polls to count)."""
        return summarize((p.stats, p.driver.requests) for p in self._pollers.values())

    async def write_point(self, device_id: str, point: str, value: Value) -> None:
        """Write ``value`` to ``point`` of ``device_id`` over the device's polling
        connection. Raises ``NotFoundError`` for an unknown device or point and
        whatever the driver raises (``ConnectError`` while it is offline,
        ``NotWritableError``, ``InvalidValueError``, request errors)."""
        stream = self._streams.get(device_id)
        if stream is not None:
            await stream.write(point, value)
            return
        await self.poller(device_id).driver.write(point, value)

    async def run(self) -> None:
        """Poll every device until cancelled; return only once every poller has
        stopped and closed its connection."""
        count = len(self._pollers)
        logger.info("polling %d device%s", count, "" if count == 1 else "s")
        async with asyncio.TaskGroup() as group:
            for device_id, poller in self._pollers.items():
                group.create_task(poller.run(), name=f"poll {device_id}")
            for device_id, stream in self._streams.items():
                group.create_task(stream.run(), name=f"stream {device_id}")
            if not self._pollers and not self._streams:
                await asyncio.Event().wait()  # nothing to poll: wait to be stopped

    async def __aenter__(self) -> PollerGroup:
        if self._task is not None:
            raise RuntimeError("the poller group is already running")
        self._task = asyncio.create_task(self.run(), name="poller group")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
