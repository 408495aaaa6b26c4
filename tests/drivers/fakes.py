"""Stand-ins for unit tests of the poller logic: a fake clock, a recording sink and
a driver that follows a script. Protocol behaviour is tested over real Modbus TCP
elsewhere; these only drive the scheduling and health rules."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from drivers.errors import ConnectError, DriverError
from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample, Value

EPOCH = 1_700_000_000.0


class FakeClock:
    """Time that moves only when someone sleeps (or :meth:`advance` is called)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return EPOCH + self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class RecordingSink:
    """Keeps everything published, in order, and wakes waiters on each publish."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.batches: list[list[Sample]] = []
        self.health: list[DeviceHealth] = []
        self._changed = asyncio.Event()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.batches.append(list(samples))
        self.samples.extend(samples)
        self._changed.set()

    def publish_health(self, health: DeviceHealth) -> None:
        self.health.append(health)
        self._changed.set()

    def statuses(self, device: str | None = None) -> list[DeviceStatus]:
        return [h.status for h in self.health if device in (None, h.device)]

    async def wait_for(
        self, condition: Callable[[], bool], timeout_s: float = 5
    ) -> None:
        """Wait until ``condition()`` holds after some publish."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


Outcome = str | BaseException
"""A scripted poll: ``"good"``, ``"partial"`` or an exception to raise."""


class ScriptedDriver:
    """A DeviceDriver whose connects and polls follow a script.

    ``connects`` lists exceptions to raise (``None`` for success); once used up,
    connecting succeeds. Each poll takes the next outcome and ``poll_s`` of fake
    time; once the script is used up, ``idle`` is set and the poll waits until
    cancelled.
    """

    def __init__(
        self,
        device_id: str,
        clock: FakeClock,
        *,
        points: Sequence[str] = ("a", "b", "c"),
        connects: Iterable[BaseException | None] = (),
        polls: Iterable[Outcome] = (),
        poll_s: float = 0.0,
    ) -> None:
        self._device_id = device_id
        self._points = tuple(points)
        self._clock = clock
        self._connects = deque(connects)
        self._polls = deque(polls)
        self._poll_s = poll_s
        self.idle = asyncio.Event()
        self.connect_times: list[float] = []
        self.poll_times: list[float] = []
        self.writes: list[tuple[str, Value]] = []
        self.closed = 0

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def point_names(self) -> Sequence[str]:
        return self._points

    @property
    def requests(self) -> int:
        return len(self.poll_times)

    async def connect(self) -> None:
        self.connect_times.append(self._clock.now)
        outcome = self._connects.popleft() if self._connects else None
        if outcome is not None:
            raise outcome

    async def poll(self) -> list[Sample]:
        self.poll_times.append(self._clock.now)
        if not self._polls:
            self.idle.set()
            await asyncio.Event().wait()
        outcome = self._polls.popleft()
        self._clock.advance(self._poll_s)
        if isinstance(outcome, BaseException):
            raise outcome
        now = self._clock.time()
        samples = [
            Sample(self._device_id, p, 1, Quality.GOOD, now, now) for p in self._points
        ]
        if outcome == "partial":
            samples[-1] = Sample(
                self._device_id,
                self._points[-1],
                None,
                Quality.BAD,
                now,
                now,
                "refused",
            )
        return samples

    async def write(self, point_name: str, value: Value) -> None:
        self.writes.append((point_name, value))

    async def close(self) -> None:
        self.closed += 1


def refused() -> DriverError:
    return ConnectError("connection refused", reason="connection refused")
