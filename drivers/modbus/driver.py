"""The Modbus device driver: one device, its profile's points, one connection."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from drivers.errors import (
    DecodeError,
    NotFoundError,
    NotWritableError,
    ProtocolError,
)
from drivers.modbus.client import ModbusConnection
from drivers.modbus.codec import PointDecoder, encode_point, point_decoder
from drivers.modbus.plan import PlanLimits, ReadBlock, plan_reads
from topology.loader import LoadedSite
from topology.profile import ModbusPoint, ModbusProfile
from topology.sample import Quality, Sample, Value
from topology.site import Device

logger = logging.getLogger(__name__)

_GOOD = Quality.GOOD
_BAD = Quality.BAD

# (point name, index in the block's answer, decoder), built once per driver.
_Entry = tuple[str, int, PointDecoder]


class ModbusDriver:
    """Reads and writes one Modbus TCP device as its profile describes.

    ``device.endpoint`` gives host, port and unit id; ``device.timeout_s`` bounds
    connecting and every request. ``limits`` shapes the read plan (see
    :class:`~drivers.modbus.plan.PlanLimits`). Raises ``ValueError`` when the
    device has no endpoint or a point does not fit the limits.
    """

    def __init__(
        self,
        device: Device,
        profile: ModbusProfile,
        *,
        limits: PlanLimits | None = None,
    ) -> None:
        if device.endpoint is None:
            raise ValueError(f"device {device.id!r} has no endpoint")
        self._device_id = device.id
        self._points: dict[str, ModbusPoint] = {p.name: p for p in profile.points}
        self._point_names = tuple(p.name for p in profile.points)
        self._blocks = plan_reads(profile.points, limits)
        self._reads: list[tuple[ReadBlock, tuple[_Entry, ...]]] = [
            (block, self._entries(block)) for block in self._blocks
        ]
        self._connection = ModbusConnection(
            device.endpoint.host,
            device.endpoint.port,
            unit_id=device.endpoint.unit_id,
            timeout_s=device.timeout_s,
            name=device.id,
        )

    @staticmethod
    def _entries(block: ReadBlock) -> tuple[_Entry, ...]:
        return tuple(
            (point.name, point.address - block.address, point_decoder(point))
            for point in block.points
        )

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def point_names(self) -> Sequence[str]:
        return self._point_names

    @property
    def requests(self) -> int:
        return self._connection.requests

    @property
    def blocks(self) -> Sequence[ReadBlock]:
        """The read plan: one request per block on every poll."""
        return self._blocks

    @property
    def connected(self) -> bool:
        return self._connection.connected

    async def connect(self) -> None:
        """Open a fresh connection. Raises ``ConnectError``."""
        await self._connection.connect()

    async def close(self) -> None:
        await self._connection.close()

    async def poll(self) -> list[Sample]:
        """Read every block once; one sample per point.

        A block answered with a Modbus exception or a garbled answer gives bad
        samples for its points and the other blocks are still read. Raises
        ``ConnectError`` or ``RequestTimeout`` when the device cannot be reached;
        the connection is closed by then.
        """
        device = self._device_id
        samples: list[Sample] = []
        append = samples.append

        for block, entries in self._reads:
            try:
                answer = await self._connection.read(block)
            except (ProtocolError, DecodeError) as exc:
                now = time.time()
                logger.debug("%s: %s failed: %s", device, block, exc)
                reason = exc.reason
                for name, _, _ in entries:
                    append(Sample(device, name, None, _BAD, now, now, reason))
                continue

            now = time.time()
            for name, index, decode in entries:
                try:
                    value = decode(answer, index)
                except DecodeError as exc:
                    append(Sample(device, name, None, _BAD, now, now, exc.reason))
                    continue
                append(Sample(device, name, value, _GOOD, now, now))
        return samples

    async def write(self, point_name: str, value: Value) -> None:
        """Write ``value`` in engineering units to ``point_name``: a coil with function
        0x05, a holding-register value with 0x10.

        Raises ``NotFoundError`` (no such point), ``NotWritableError``,
        ``InvalidValueError`` (wrong type, out of range, NaN), ``ConnectError``
        (not connected), ``RequestTimeout``, ``ModbusExceptionError`` or
        ``DecodeError``.
        """
        target = self._points.get(point_name)
        if target is None:
            raise NotFoundError(
                f"device {self._device_id!r} has no point {point_name!r}"
            )
        if not target.writable:
            raise NotWritableError(
                f"point {point_name!r} of device {self._device_id!r} is read-only"
            )

        encoded = encode_point(target, value)
        if isinstance(encoded, bool):
            await self._connection.write_coil(target.address, encoded)
        else:
            await self._connection.write_registers(target.address, encoded)
        logger.debug("%s: wrote %r to %s", self._device_id, value, point_name)

    def __repr__(self) -> str:
        return f"<ModbusDriver {self._device_id} {len(self._blocks)} blocks>"


def create_driver(device: Device, site: LoadedSite) -> ModbusDriver:
    """The driver for a Modbus ``device`` of ``site``, with the profile the site
    names for it. Raises ``KeyError`` when the device has no profile and
    ``ValueError`` when it has no endpoint."""
    return ModbusDriver(device, site.profile_for(device.id))
