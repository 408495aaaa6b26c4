"""Device health: how each poll outcome moves a device between statuses.

==========  ==================================================================
status      when
==========  ==================================================================
unknown     nothing has been tried yet
online      the last poll read every point
degraded    the last poll reached the device but some points came back bad
offline     ``offline_after`` attempts in a row (connect or poll) could not reach
            the device at all: refused, lost or timed out
==========  ==================================================================

One unreachable attempt alone does not take a device offline (a device that drops
an idle connection is back on the next try); from ``offline_after`` on it does.
``consecutive_failures`` counts the attempts since the last fully good poll,
partial ones included; ``last_good`` is the time of that poll.
"""

from __future__ import annotations

from topology.sample import DeviceHealth, DeviceStatus


class HealthTracker:
    """The health of one device, fed with poll outcomes (times in epoch seconds).

    Each ``record_*`` method returns whether the status changed, which is when the
    poller publishes the new :meth:`snapshot`.
    """

    def __init__(self, device: str, *, offline_after: int = 2, now: float) -> None:
        if offline_after < 1:
            raise ValueError("offline_after must be at least 1")
        self.device = device
        self.offline_after = offline_after
        self._status = DeviceStatus.UNKNOWN
        self._since = now
        self._last_good: float | None = None
        self._failures = 0
        self._unreachable = 0
        self._reason: str | None = None

    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def since(self) -> float:
        """When the current status began."""
        return self._since

    @property
    def unreachable_streak(self) -> int:
        """Attempts in a row that could not reach the device."""
        return self._unreachable

    def snapshot(self) -> DeviceHealth:
        return DeviceHealth(
            device=self.device,
            status=self._status,
            since=self._since,
            last_good=self._last_good,
            consecutive_failures=self._failures,
            reason=self._reason,
        )

    def record_good(self, now: float) -> bool:
        """Every point was read."""
        self._failures = self._unreachable = 0
        self._last_good = now
        self._reason = None
        return self._move(DeviceStatus.ONLINE, now)

    def record_partial(self, now: float, reason: str) -> bool:
        """The device answered but some points came back bad, for ``reason``."""
        self._failures += 1
        self._unreachable = 0
        self._reason = reason
        return self._move(DeviceStatus.DEGRADED, now)

    def record_unreachable(self, now: float, reason: str) -> bool:
        """A connect or poll failed to reach the device, for ``reason``."""
        self._failures += 1
        self._unreachable += 1
        self._reason = reason
        if self._unreachable >= self.offline_after:
            return self._move(DeviceStatus.OFFLINE, now)
        return False

    def _move(self, status: DeviceStatus, now: float) -> bool:
        if status is self._status:
            return False
        self._status = status
        self._since = now
        return True
