"""The seams between drivers and the rest of the platform.

* :class:`SampleSink` receives samples and device health from the pollers.
* :class:`DeviceDriver` is what a protocol package offers the poller for one device.
* :class:`StreamingDriver` is a device driver that the device pushes data to
  (OPC UA subscriptions): it runs itself and publishes into a sink.
* :class:`CommandTarget` is where the twin and the API send writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from topology.sample import DeviceHealth, Sample, Value


class SampleSink(Protocol):
    """Receives what drivers read. Both methods must return quickly and not block."""

    def publish_samples(self, samples: Sequence[Sample]) -> None: ...

    def publish_health(self, health: DeviceHealth) -> None: ...


class DeviceDriver(Protocol):
    """One device, spoken to over its protocol; driven by a ``DevicePoller``.

    The poller calls :meth:`connect`, then :meth:`poll` on its schedule, and
    :meth:`connect` again after a failure. Methods raise only
    :class:`drivers.errors.DriverError` subclasses (and ``CancelledError``).
    """

    @property
    def device_id(self) -> str:
        """The device's id in the site file; every sample carries it."""
        ...

    @property
    def point_names(self) -> Sequence[str]:
        """Every point the driver reads, in profile order."""
        ...

    @property
    def requests(self) -> int:
        """Protocol requests sent since the driver was made."""
        ...

    async def connect(self) -> None:
        """Open (or reopen) the connection. Raises ``ConnectError``."""
        ...

    async def poll(self) -> list[Sample]:
        """Read every point once.

        Returns one sample per point: good ones stamped with the time of the
        answer, bad ones (with a reason) for the parts the device refused or
        answered garbled. Raises ``ConnectError`` or ``RequestTimeout`` when the
        device cannot be reached at all; the connection is then closed.
        """
        ...

    async def write(self, point_name: str, value: Value) -> None:
        """Write ``value`` (engineering units) to ``point_name`` over the same
        connection. Raises ``NotFoundError``, ``NotWritableError``,
        ``InvalidValueError`` or any request error."""
        ...

    async def close(self) -> None:
        """Close the connection; safe to call more than once."""
        ...


class StreamingDriver(Protocol):
    """One device that sends its changes as they happen, run by itself.

    :meth:`run` connects, streams samples and health into the sink it was made
    with, and reconnects after failures until cancelled; it raises nothing but
    ``CancelledError``. A device going offline is published as health, then one
    bad sample per point.
    """

    @property
    def device_id(self) -> str:
        """The device's id in the site file; every sample carries it."""
        ...

    @property
    def health(self) -> DeviceHealth:
        """The device's health now."""
        ...

    async def run(self) -> None: ...

    async def write(self, point_name: str, value: Value) -> None:
        """Write ``value`` to ``point_name`` over the open session. Raises
        ``NotFoundError``, ``NotWritableError``, ``InvalidValueError``,
        ``ConnectError`` while offline, or a request error."""
        ...


class CommandTarget(Protocol):
    """Accepts writes addressed by device and point (the twin's and API's way in)."""

    async def write_point(self, device_id: str, point: str, value: Value) -> None:
        """Write ``value`` to ``point`` of ``device_id``; raises ``DriverError``."""
        ...
