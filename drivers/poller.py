"""The poll scheduler for one device, whatever its protocol.

A :class:`DevicePoller` connects its driver, polls it on a fixed schedule and turns
every outcome into samples and device health for a :class:`SampleSink`:

* Polls start at ``start + k * interval_s``. A slot that has passed while a poll
  was still running is skipped, never made up in a burst; the delay of each start
  after its slot is kept as lateness.
* A device that cannot be reached is retried at once the first time, then after
  a capped exponential backoff with jitter (0.5 s doubling to 30 s by default).
* After ``offline_after`` unreachable attempts in a row the device is offline:
  health goes out, one bad sample per point goes out (so nobody keeps a stale good
  value), and one WARNING line says what happens next. Coming back is one INFO
  line. Health is published on every status change; polls log at DEBUG only.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.backoff import Backoff
from drivers.base import DeviceDriver, SampleSink
from drivers.clock import Clock, SystemClock
from drivers.errors import DriverError
from drivers.health import HealthTracker
from drivers.stats import PollerStats
from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample

logger = logging.getLogger(__name__)

_GOOD = Quality.GOOD


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How pollers react to failures: after how many unreachable attempts in a row
    a device is offline, and the backoff between reconnects."""

    offline_after: int = 2
    backoff: Backoff = field(default_factory=Backoff)


def next_slot(previous: float, interval: float, now: float) -> tuple[float, int]:
    """The first slot after ``previous`` that is not in the past at ``now``, and
    how many slots were skipped to reach it (monotonic seconds)."""
    slot = previous + interval
    if slot >= now:
        return slot, 0
    missed = math.ceil((now - slot) / interval)
    return slot + missed * interval, missed


def _seconds(seconds: float) -> str:
    """``4.0`` or ``0.45``: one decimal, two below a second."""
    return f"{seconds:.1f}" if seconds >= 1 or seconds == 0 else f"{seconds:.2f}"


class DevicePoller:
    """Polls one driver every ``interval_s`` seconds until cancelled.

    ``start_delay_s`` postpones the first connect (to spread many devices over
    the interval). ``clock`` and ``draw`` (random numbers in [0, 1) for the
    jitter) are seams for tests.
    """

    def __init__(
        self,
        driver: DeviceDriver,
        sink: SampleSink,
        *,
        interval_s: float,
        policy: PollPolicy | None = None,
        clock: Clock | None = None,
        draw: Callable[[], float] = random.random,
        start_delay_s: float = 0.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.driver = driver
        self.interval_s = interval_s
        self.stats = PollerStats()
        self._sink = sink
        self._policy = policy or PollPolicy()
        self._clock = clock or SystemClock()
        self._draw = draw
        self._start_delay_s = start_delay_s
        self._tracker = HealthTracker(
            driver.device_id,
            offline_after=self._policy.offline_after,
            now=self._clock.time(),
        )
        self._retry_in = 0.0

    @property
    def device_id(self) -> str:
        return self.driver.device_id

    def health(self) -> DeviceHealth:
        """The device's health now."""
        return self._tracker.snapshot()

    async def run(self) -> None:
        """Connect, poll and reconnect until cancelled; the driver is closed on
        the way out. Only a bug (not a device failure) ends it otherwise."""
        try:
            if self._start_delay_s > 0:
                await self._clock.sleep(self._start_delay_s)
            while True:
                await self._connect()
                await self._poll_until_failure()
        finally:
            await self._close_driver()

    async def _connect(self) -> None:
        while True:
            if self._retry_in > 0:
                await self._clock.sleep(self._retry_in)
            try:
                await self.driver.connect()
            except DriverError as exc:
                self.stats.failed_connects += 1
                self._unreachable(exc.reason, str(exc))
                continue
            logger.debug("%s: connected", self.device_id)
            return

    async def _poll_until_failure(self) -> None:
        clock = self._clock
        stats = self.stats
        slot = clock.monotonic()

        while True:
            wait = slot - clock.monotonic()
            if wait > 0:
                await clock.sleep(wait)
            stats.lateness.append(clock.monotonic() - slot)
            stats.polls += 1

            try:
                samples = await self.driver.poll()
            except DriverError as exc:
                stats.failed_polls += 1
                self._unreachable(exc.reason, str(exc))
                return
            except Exception as exc:
                # A driver bug must not stop the other devices: treat it as a
                # failed poll, loudly, and reconnect like after any failure.
                logger.exception("%s: poll failed unexpectedly", self.device_id)
                stats.failed_polls += 1
                self._unreachable("internal error", repr(exc))
                return

            self._polled(samples)
            slot, skipped = next_slot(slot, self.interval_s, clock.monotonic())
            stats.skipped_slots += skipped

    def _polled(self, samples: list[Sample]) -> None:
        bad = 0
        reason: str | None = None
        for sample in samples:
            if sample.quality is not _GOOD:
                bad += 1
                reason = reason or sample.reason

        self.stats.samples += len(samples)
        self._sink.publish_samples(samples)

        now = self._clock.time()
        was, was_since = self._tracker.status, self._tracker.since
        if bad:
            summary = f"{bad} of {len(samples)} points bad: {reason}"
            changed = self._tracker.record_partial(now, summary)
        else:
            changed = self._tracker.record_good(now)
        self._retry_in = 0.0
        logger.debug("%s: polled %d points, %d bad", self.device_id, len(samples), bad)
        if changed:
            self._log_change(was, now - was_since)
            self._sink.publish_health(self._tracker.snapshot())

    def _unreachable(self, reason: str, detail: str) -> None:
        detail = detail.removeprefix(f"{self.device_id}: ")
        tracker = self._tracker
        changed = tracker.record_unreachable(self._clock.time(), reason)
        streak = tracker.unreachable_streak
        # The first retry after a working connection is immediate; then back off.
        self._retry_in = (
            0.0 if streak <= 1 else self._policy.backoff.delay(streak - 2, self._draw())
        )

        if not changed:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s: %s; retrying in %s s",
                    self.device_id,
                    detail,
                    _seconds(self._retry_in),
                )
            return
        logger.warning(
            "%s offline after %d failed attempts (%s); retrying in %s s",
            self.device_id,
            streak,
            detail,
            _seconds(self._retry_in),
        )
        self._publish_offline(reason)
        self._sink.publish_health(tracker.snapshot())

    def _publish_offline(self, reason: str) -> None:
        now = self._clock.time()
        device = self.device_id
        why = f"offline: {reason}"
        samples = [
            Sample(device, point, None, Quality.BAD, now, now, why)
            for point in self.driver.point_names
        ]
        self.stats.samples += len(samples)
        self._sink.publish_samples(samples)

    def _log_change(self, was: DeviceStatus, was_for_s: float) -> None:
        health = self._tracker.snapshot()
        if was is DeviceStatus.OFFLINE and health.status is DeviceStatus.ONLINE:
            logger.info(
                "%s back online after %.1f s offline", self.device_id, was_for_s
            )
        elif was is DeviceStatus.OFFLINE:
            logger.info(
                "%s back after %.1f s offline, degraded: %s",
                self.device_id,
                was_for_s,
                health.reason,
            )
        elif health.status is DeviceStatus.DEGRADED:
            logger.warning("%s degraded: %s", self.device_id, health.reason)
        elif was is DeviceStatus.DEGRADED:
            logger.info("%s: every point reads good again", self.device_id)
        else:
            logger.debug("%s: %s", self.device_id, health.status.value)

    async def _close_driver(self) -> None:
        try:
            await self.driver.close()
        except DriverError as exc:
            logger.debug("%s: close failed: %s", self.device_id, exc)
