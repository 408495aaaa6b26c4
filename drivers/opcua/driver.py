"""The OPC UA device driver: one server, its points, samples into a sink.

:meth:`OpcUaDriver.run` keeps one session open to the device for as long as it
runs. On every connect it reads the namespace array and resolves each point's
``nsu=`` address to a node id (indexes may change between server starts), then
monitors the ``subscribe`` points (one subscription per sampling interval, in
callback mode so no queue silently overflows) and reads the ``poll`` points
periodically. Points the server will not monitor are polled instead; a server
without subscriptions gets everything polled.

When the session is lost (socket closed, keepalive probe failing, subscription
reporting a Bad status) the driver publishes one bad sample per point with the
reason, so the gap is visible in history, marks the device offline, closes the
session and reconnects after a capped exponential backoff. Values resume with the
initial notifications of the new subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from asyncua import ua

from drivers.backoff import Backoff
from drivers.base import SampleSink
from drivers.clock import Clock, SystemClock
from drivers.errors import (
    ConfigurationError,
    ConnectError,
    DriverError,
    NotFoundError,
    NotWritableError,
    RequestTimeout,
)
from drivers.opcua.client import MonitoredItem, OpcUaClient, OpenSubscription
from drivers.opcua.codec import bad_sample, encode_value, node_id, to_sample
from topology.loader import LoadedSite
from topology.profile_opcua import Acquisition, OpcUaPoint, OpcUaProfile
from topology.sample import DeviceHealth, DeviceStatus, Sample, Value
from topology.site import Device, Endpoint

logger = logging.getLogger(__name__)

# Status names that mean the node itself is missing: reading it will not work
# either, so such points are reported bad rather than polled.
_MISSING_NODE = frozenset(
    {"BadNodeIdUnknown", "BadNodeIdInvalid", "BadAttributeIdInvalid"}
)


class _Arrivals:
    """Which points have sent a value since the session opened; ``done`` is set
    once every expected point has."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._missing: set[str] | None = None
        self.done = asyncio.Event()

    def saw(self, point: str) -> None:
        if self._missing is None:
            self._seen.add(point)
        elif self._missing:
            self._missing.discard(point)
            if not self._missing:
                self.done.set()

    def expect(self, points: set[str]) -> None:
        self._missing = points - self._seen
        self._seen.clear()
        if not self._missing:
            self.done.set()


class OpcUaDriver:
    """Reads device ``device`` (an OPC UA server described by ``profile``) into
    ``sink`` while :meth:`run` runs.

    Reconnects wait ``backoff`` (retry ``n`` counts failures since the last
    session that stayed up ``stable_s`` seconds); ``draw`` picks its jitter.
    ``clock`` stamps samples and paces reconnects and polls (a seam for tests).
    ``base_dir`` is where relative certificate paths start (the site file's
    folder); ``environ`` supplies passwords named in the endpoint's security.
    """

    def __init__(
        self,
        device: Device,
        profile: OpcUaProfile,
        sink: SampleSink,
        *,
        base_dir: Path | None = None,
        environ: dict[str, str] | None = None,
        backoff: Backoff | None = None,
        stable_s: float = 10.0,
        draw: Callable[[], float] = random.random,
        keepalive_s: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        if device.endpoint is None:
            raise ConfigurationError(f"device {device.id} has no endpoint")
        self._device = device
        self._profile = profile
        self._sink = sink
        self._base_dir = base_dir
        self._environ = environ
        self._backoff = backoff or Backoff()
        self._stable_s = stable_s
        self._draw = draw
        self._keepalive_s = keepalive_s
        self._clock: Clock = clock or SystemClock()
        self._points = list(profile.points)
        self._client: OpcUaClient | None = None
        self._nodes: dict[str, ua.NodeId] = {}
        self._generation = 0
        self._pending: list[Sample] = []
        self._flush_scheduled = False
        self._down_reason: str | None = None
        self._health = DeviceHealth(
            device.id, DeviceStatus.UNKNOWN, self._clock.time(), None, 0
        )
        self.sessions_opened = 0
        """How many sessions this driver has opened so far (for supervision)."""

    @property
    def device_id(self) -> str:
        return self._device.id

    @property
    def health(self) -> DeviceHealth:
        return self._health

    # -- the supervision loop ---------------------------------------------------

    async def run(self) -> None:
        """Connect, stream samples and reconnect until cancelled. Never raises a
        :class:`DriverError`: failures become bad samples and device health."""
        failures = 0
        while True:
            client = OpcUaClient(
                self._device.id,
                self._endpoint(),
                timeout_s=self._device.timeout_s,
                keepalive_s=self._keepalive_s,
                base_dir=self._base_dir,
                environ=self._environ,
            )
            started = self._clock.monotonic()
            try:
                await client.connect()
            except DriverError as exc:
                failures += 1
                await self._pause(exc.reason, str(exc), failures - 1)
                continue

            self.sessions_opened += 1
            try:
                reason = await self._serve(client)
                detail = reason
            except DriverError as exc:
                reason, detail = exc.reason, str(exc)
            finally:
                self._client = None
                self._generation += 1
                await client.close()
            if self._clock.monotonic() - started >= self._stable_s:
                failures = 0
            failures += 1
            await self._pause(reason, detail, failures - 1)

    def _endpoint(self) -> Endpoint:
        assert self._device.endpoint is not None
        return self._device.endpoint

    async def _pause(self, reason: str, detail: str, attempt: int) -> None:
        """Mark the device offline (``reason`` is the short form for health and
        samples, ``detail`` the sentence for the log) and wait before retrying."""
        delay = self._backoff.delay(attempt, self._draw())
        # Health first: a consumer then reads the gap's bad samples as the
        # device being offline, not as every sensor failing at once.
        self._set_health(DeviceStatus.OFFLINE, reason, failed=True)
        if self._down_reason is None:
            logger.warning(
                "%s offline (%s); retrying in %.1f s", self._device.id, detail, delay
            )
            self._went_down(reason)
        else:
            logger.debug(
                "%s still offline (%s); retrying in %.1f s",
                self._device.id,
                detail,
                delay,
            )
        await self._clock.sleep(delay)

    def _went_down(self, reason: str) -> None:
        self._down_reason = reason
        now = self._clock.time()
        self._emit(
            [bad_sample(self._device.id, p.name, now, reason) for p in self._points]
        )
        self._flush()

    async def _serve(self, client: OpcUaClient) -> str:
        """Resolve, subscribe and poll on one session; return why it ended."""
        failing = await self._resolve(client)
        self._client = client
        arrivals = _Arrivals()
        polled, missing = await self._subscribe(client, arrivals)
        failing.extend(missing)
        expected = {p.name for p in self._points} - {s.point for s in failing}
        arrivals.expect(expected)

        polls: dict[float, list[OpcUaPoint]] = {}
        for point in polled:
            interval = self._profile.sampling_interval_of(point)
            polls.setdefault(interval, []).append(point)
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self._poll(client, interval, points, arrivals))
                for interval, points in polls.items()
            ]
            # Report the device up only once fresh values are out, so nobody
            # sees it online with the outage's bad samples still standing.
            try:
                async with asyncio.timeout(self._device.timeout_s):
                    await arrivals.done.wait()
            except TimeoutError:
                logger.debug("%s: not every point sent a first value", self.device_id)
            self._emit(failing)
            self._flush()
            self._came_up(degraded=bool(failing), polled=len(polled))
            reason = await client.wait_lost()
            for task in tasks:
                task.cancel()
        return reason

    async def _resolve(self, client: OpcUaClient) -> list[Sample]:
        """Map every point to a node id on this server; bad samples for those
        whose namespace the server lacks."""
        namespaces = await client.namespace_array()
        now = self._clock.time()
        nodes: dict[str, ua.NodeId] = {}
        failing: list[Sample] = []
        for point in self._points:
            try:
                nodes[point.name] = node_id(point.address, namespaces)
            except NotFoundError as exc:
                failing.append(bad_sample(self._device.id, point.name, now, exc.reason))
        self._nodes = nodes
        return failing

    async def _subscribe(
        self, client: OpcUaClient, arrivals: _Arrivals
    ) -> tuple[list[OpcUaPoint], list[Sample]]:
        """Monitor the subscribe points, one subscription per sampling interval.

        Returns the points to poll instead (those of a ``poll`` acquisition and
        those the server would not monitor) and bad samples for points whose node
        the server does not have.
        """
        nodes = self._nodes
        generation = self._generation
        handles = {index: point for index, point in enumerate(self._points, start=1)}
        polled: list[OpcUaPoint] = []
        groups: dict[float, list[tuple[int, OpcUaPoint]]] = {}
        for handle, point in handles.items():
            if point.name not in nodes:
                continue
            if point.acquisition is Acquisition.POLL:
                polled.append(point)
            else:
                interval = self._profile.sampling_interval_of(point)
                groups.setdefault(interval, []).append((handle, point))

        def on_data(handle: int, data_value: ua.DataValue) -> None:
            point = handles.get(handle)
            if point is None or generation != self._generation:
                return
            received = self._clock.time()
            self._emit(
                [
                    to_sample(
                        self._device.id,
                        point.name,
                        point.data_type,
                        data_value,
                        received,
                    )
                ]
            )
            arrivals.saw(point.name)

        # Every subscription first, then the items: see create_subscription.
        opened: list[tuple[OpenSubscription, list[tuple[int, OpcUaPoint]]]] = []
        for interval, members in groups.items():
            try:
                subscription = await client.create_subscription(interval, on_data)
            except (ConnectError, RequestTimeout):
                raise
            except DriverError as exc:
                logger.info(
                    "%s: cannot subscribe (%s); polling %d points instead",
                    self._device.id,
                    exc,
                    len(members),
                )
                polled.extend(p for _, p in members)
                continue
            opened.append((subscription, members))

        missing: list[Sample] = []
        for subscription, members in opened:
            items = [
                MonitoredItem(
                    handle,
                    nodes[p.name],
                    subscription.publishing_interval_s,
                    self._profile.queue_size_of(p),
                )
                for handle, p in members
            ]
            try:
                refused = await client.monitor(subscription, items)
            except (ConnectError, RequestTimeout):
                raise
            except DriverError as exc:
                logger.info(
                    "%s: cannot monitor (%s); polling %d points instead",
                    self._device.id,
                    exc,
                    len(members),
                )
                polled.extend(p for _, p in members)
                continue
            for handle, status in refused.items():
                point = handles[handle]
                if status in _MISSING_NODE:
                    missing.append(
                        bad_sample(
                            self._device.id, point.name, self._clock.time(), status
                        )
                    )
                else:
                    polled.append(point)
        return polled, missing

    def _came_up(self, *, degraded: bool, polled: int) -> None:
        status = DeviceStatus.DEGRADED if degraded else DeviceStatus.ONLINE
        if self._down_reason is not None or self._health.status is DeviceStatus.UNKNOWN:
            logger.info(
                "%s: online at %s (%d points, %d polled)",
                self._device.id,
                self._endpoint().opcua_url,
                len(self._points),
                polled,
            )
        self._down_reason = None
        self._set_health(status, "some points cannot be read" if degraded else None)

    async def _poll(
        self,
        client: OpcUaClient,
        interval: float,
        points: Sequence[OpcUaPoint],
        arrivals: _Arrivals,
    ) -> None:
        nodes = [self._nodes[p.name] for p in points]
        while True:
            started = self._clock.monotonic()
            try:
                values = await client.read(nodes)
            except DriverError as exc:
                client.mark_lost(f"poll failed: {exc}")
                return
            received = self._clock.time()
            self._emit(
                [
                    to_sample(self._device.id, p.name, p.data_type, value, received)
                    for p, value in zip(points, values, strict=True)
                ]
            )
            self._flush()
            for point in points:
                arrivals.saw(point.name)
            elapsed = self._clock.monotonic() - started
            await self._clock.sleep(max(0.0, interval - elapsed))

    # -- samples and health ------------------------------------------------------

    def _emit(self, samples: list[Sample]) -> None:
        if not samples:
            return
        self._pending.extend(samples)
        if not self._flush_scheduled:
            # Notifications of one publish arrive as a burst of callbacks; hand
            # them to the sink together once the burst is over.
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        samples, self._pending = self._pending, []
        self._sink.publish_samples(samples)

    def _set_health(
        self, status: DeviceStatus, reason: str | None, *, failed: bool = False
    ) -> None:
        old = self._health
        now = self._clock.time()
        last_good = old.last_good if failed else now
        failures = old.consecutive_failures + 1 if failed else 0
        self._health = DeviceHealth(
            self._device.id,
            status,
            now if status is not old.status else old.since,
            last_good,
            failures,
            reason,
        )
        if status is not old.status:
            self._sink.publish_health(self._health)

    # -- commands ----------------------------------------------------------------

    async def write(self, point_name: str, value: Value) -> None:
        """Write ``value`` to the writable point ``point_name`` on the open
        session.

        Raises :class:`NotFoundError` for an unknown point (or one whose node the
        server lacks), :class:`NotWritableError` for a read-only one,
        :class:`InvalidValueError` for a value of the wrong type,
        :class:`ConnectError` when no session is open and :class:`ProtocolError`
        (reason: the status name) when the server refuses.
        """
        device = self._device.id
        try:
            spec = self._profile.point(point_name)
        except KeyError:
            raise NotFoundError(f"{device} has no point {point_name!r}") from None
        if not spec.writable:
            raise NotWritableError(f"{device}: point {point_name!r} is read-only")
        variant = encode_value(spec.data_type, value)
        client = self._client
        node = self._nodes.get(point_name)
        if client is None or client.is_lost:
            raise ConnectError(f"{device}: no open session", reason="offline")
        if node is None:
            raise NotFoundError(f"{device}: point {point_name!r} has no node here")
        await client.write(node, variant)


def create_driver(device: Device, site: LoadedSite, sink: SampleSink) -> OpcUaDriver:
    """The driver for an OPC UA ``device`` of ``site``, publishing into ``sink``;
    certificate paths are taken relative to the site file. Raises ``KeyError``
    when the device has no OPC UA profile and ``ConfigurationError`` (a
    ``DriverError``) when it has no endpoint."""
    return OpcUaDriver(
        device,
        site.opcua_profile_for(device.id),
        sink,
        base_dir=site.path.parent,
    )
