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
from collections.abc import Callable
from pathlib import Path

from drivers.backoff import Backoff
from drivers.base import SampleSink
from drivers.clock import Clock, SystemClock
from drivers.errors import (
    ConfigurationError,
    ConnectError,
    DriverError,
    NotFoundError,
    NotWritableError,
)
from drivers.opcua.client import OpcUaClient
from drivers.opcua.codec import bad_sample, encode_value
from drivers.opcua.session import SessionReader
from topology.loader import LoadedSite
from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceHealth, DeviceStatus, Sample, Value
from topology.site import Device, Endpoint

logger = logging.getLogger(__name__)


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
        self._reader: SessionReader | None = None
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
        reader = SessionReader(
            self._device.id, self._profile, client, self._clock, self._emit
        )
        self._reader = reader
        self._client = client
        try:
            failing = await reader.start()
            async with asyncio.TaskGroup() as group:
                polling = group.create_task(reader.poll())
                # Report the device up only once fresh values are out, so nobody
                # sees it online with the outage's bad samples still standing.
                if not await reader.first_values(self._device.timeout_s):
                    logger.debug("%s: some points sent no first value", self.device_id)
                self._emit(failing)
                self._flush()
                self._came_up(degraded=bool(failing), polled=len(reader.polled))
                reason = await client.wait_lost()
                polling.cancel()
        finally:
            reader.active = False
            self._reader = None
            self._client = None
        return reason

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
        client, reader = self._client, self._reader
        if client is None or reader is None or client.is_lost:
            raise ConnectError(f"{device}: no open session", reason="offline")
        node = reader.nodes.get(point_name)
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
