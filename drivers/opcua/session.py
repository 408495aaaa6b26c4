"""What the driver does on one open session: resolve, subscribe, poll.

:class:`SessionReader` maps every point to a node id with the namespace array
the server has now, creates one subscription per sampling interval (all of them
before any monitored item, see :meth:`OpcUaClient.create_subscription`), and
polls the points that cannot be monitored. Samples go to an ``emit`` callable;
once the session is over the reader drops late notifications.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from asyncua import ua

from drivers.clock import Clock
from drivers.errors import ConnectError, DriverError, NotFoundError, RequestTimeout
from drivers.opcua.client import MonitoredItem, OpcUaClient, OpenSubscription
from drivers.opcua.codec import bad_sample, node_id, to_sample
from topology.profile_opcua import Acquisition, OpcUaPoint, OpcUaProfile
from topology.sample import Sample

logger = logging.getLogger(__name__)

# Status names that mean the node itself is missing: reading it will not work
# either, so such points are reported bad rather than polled.
_MISSING_NODE = frozenset(
    {"BadNodeIdUnknown", "BadNodeIdInvalid", "BadAttributeIdInvalid"}
)

Emit = Callable[[list[Sample]], None]


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


class SessionReader:
    """Reads ``profile``'s points of device ``device`` over ``client``."""

    def __init__(
        self,
        device: str,
        profile: OpcUaProfile,
        client: OpcUaClient,
        clock: Clock,
        emit: Emit,
    ) -> None:
        self._device = device
        self._profile = profile
        self._client = client
        self._clock = clock
        self._emit = emit
        self._points = list(profile.points)
        self._arrivals = _Arrivals()
        self.nodes: dict[str, ua.NodeId] = {}
        """Each resolved point's node id on this server."""
        self.polled: list[OpcUaPoint] = []
        """The points read periodically on this session."""
        self.active = True
        """Cleared when the session is over; later notifications are dropped."""

    async def start(self) -> list[Sample]:
        """Resolve and subscribe; return bad samples for the points this server
        lacks (an unknown namespace or node). Raises ``ConnectError`` or
        ``RequestTimeout`` when the session fails meanwhile."""
        failing = await self._resolve()
        failing += await self._subscribe()
        self._arrivals.expect(
            {p.name for p in self._points} - {s.point for s in failing}
        )
        return failing

    async def first_values(self, within: float) -> bool:
        """Wait up to ``within`` seconds for every readable point's first value;
        ``False`` if some stayed silent."""
        try:
            async with asyncio.timeout(within):
                await self._arrivals.done.wait()
        except TimeoutError:
            return False
        return True

    async def poll(self) -> None:
        """Read the polled points, each group at its interval, until cancelled
        or a read fails (which marks the session lost)."""
        groups: dict[float, list[OpcUaPoint]] = {}
        for point in self.polled:
            interval = self._profile.sampling_interval_of(point)
            groups.setdefault(interval, []).append(point)
        async with asyncio.TaskGroup() as group:
            for interval, points in groups.items():
                group.create_task(self._poll_group(interval, points))

    async def _resolve(self) -> list[Sample]:
        namespaces = await self._client.namespace_array()
        now = self._clock.time()
        failing: list[Sample] = []
        for point in self._points:
            try:
                self.nodes[point.name] = node_id(point.address, namespaces)
            except NotFoundError as exc:
                failing.append(bad_sample(self._device, point.name, now, exc.reason))
        return failing

    async def _subscribe(self) -> list[Sample]:
        handles = {index: point for index, point in enumerate(self._points, start=1)}
        groups: dict[float, list[tuple[int, OpcUaPoint]]] = {}
        for handle, point in handles.items():
            if point.name not in self.nodes:
                continue
            if point.acquisition is Acquisition.POLL:
                self.polled.append(point)
            else:
                interval = self._profile.sampling_interval_of(point)
                groups.setdefault(interval, []).append((handle, point))

        def on_data(handle: int, data_value: ua.DataValue) -> None:
            point = handles.get(handle)
            if point is None or not self.active:
                return
            received = self._clock.time()
            sample = to_sample(
                self._device, point.name, point.data_type, data_value, received
            )
            self._emit([sample])
            self._arrivals.saw(point.name)

        opened: list[tuple[OpenSubscription, list[tuple[int, OpcUaPoint]]]] = []
        for interval, members in groups.items():
            try:
                subscription = await self._client.create_subscription(interval, on_data)
            except (ConnectError, RequestTimeout):
                raise
            except DriverError as exc:
                self._poll_instead("subscribe", exc, [p for _, p in members])
                continue
            opened.append((subscription, members))

        missing: list[Sample] = []
        for subscription, members in opened:
            items = [
                MonitoredItem(
                    handle,
                    self.nodes[p.name],
                    subscription.publishing_interval_s,
                    self._profile.queue_size_of(p),
                )
                for handle, p in members
            ]
            try:
                refused = await self._client.monitor(subscription, items)
            except (ConnectError, RequestTimeout):
                raise
            except DriverError as exc:
                self._poll_instead("monitor", exc, [p for _, p in members])
                continue
            now = self._clock.time()
            for handle, status in refused.items():
                point = handles[handle]
                if status in _MISSING_NODE:
                    missing.append(bad_sample(self._device, point.name, now, status))
                else:
                    self.polled.append(point)
        return missing

    def _poll_instead(
        self, action: str, exc: DriverError, points: list[OpcUaPoint]
    ) -> None:
        logger.info(
            "%s: cannot %s (%s); polling %d points instead",
            self._device,
            action,
            exc,
            len(points),
        )
        self.polled.extend(points)

    async def _poll_group(self, interval: float, points: Sequence[OpcUaPoint]) -> None:
        nodes = [self.nodes[p.name] for p in points]
        while True:
            started = self._clock.monotonic()
            try:
                values = await self._client.read(nodes)
            except DriverError as exc:
                self._client.mark_lost(f"poll failed: {exc}")
                return
            received = self._clock.time()
            self._emit(
                [
                    to_sample(self._device, p.name, p.data_type, value, received)
                    for p, value in zip(points, values, strict=True)
                ]
            )
            for point in points:
                self._arrivals.saw(point.name)
            elapsed = self._clock.monotonic() - started
            await self._clock.sleep(max(0.0, interval - elapsed))
