"""A simulated Modbus TCP door controller: a real pymodbus server on loopback.

Each device gets its own listener (``127.0.0.1``, the port its endpoint names, 0 for
any free port; the real port is read back). What each address shows comes from
:class:`simulators.registers.RegisterMap`, which reads the world at request time.

Why pymodbus's ``SimDevice`` with an ``action``: the classic datastore classes
(``ModbusSequentialDataBlock``, ``ModbusDeviceContext``, ``ModbusServerContext``)
log that they go away in pymodbus 4. ``SimDevice`` is their replacement, and its
``action`` coroutine is called on every request with the table's live memory, so
it can fill in current values before a read, see a write before it lands, delay
the answer or return an exception code. Garbage answers are made in the
``trace_packet`` hook, which may rewrite every outgoing frame.

Tables are kept apart (coils, discrete inputs, holding and input registers each
have their own addresses, as on a real controller). Each table answers from its
lowest to its highest point, gaps included; outside that range the device
answers exception 0x02. A request for another unit id than the endpoint's gets
pymodbus's answer for an unknown device (exception 0x04).

Faults (from :attr:`simulators.world.DeviceState.fault`, read on each request
for an address the device has; others get 0x02 at once): ``delay_ms`` sleeps
before answering, ``exception_code`` answers with that exception, ``garbage``
answers with a frame whose header is right but whose body does not parse. A
point value that does not fit its data type answers 0x04 (device failure).
Stopping closes the listener and drops every connection; starting again listens
on the same port with its uptime back at 0 (values written to it are kept: they
live in the world).

An endpoint ``unit_id`` of 0 answers every unit id.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from simulators.errors import FaultError, SimulatorStartError
from simulators.registers import RegisterMap, TableSpan
from simulators.world import HEALTHY, Fault, World
from topology.profile import ModbusProfile, ModbusTable
from topology.site import Device, Door, Endpoint

logger = logging.getLogger(__name__)

_TABLE_BY_FUNCTION = {
    1: ModbusTable.COIL,
    5: ModbusTable.COIL,
    15: ModbusTable.COIL,
    2: ModbusTable.DISCRETE_INPUT,
    3: ModbusTable.HOLDING_REGISTER,
    6: ModbusTable.HOLDING_REGISTER,
    16: ModbusTable.HOLDING_REGISTER,
    22: ModbusTable.HOLDING_REGISTER,
    23: ModbusTable.HOLDING_REGISTER,
    4: ModbusTable.INPUT_REGISTER,
}

# pymodbus answers a single write by writing, then reading back the address;
# the read-back must not be delayed or failed a second time.
_SINGLE_WRITES = frozenset({5, 6})

# Body of a garbage answer: as a read response it claims 250 data bytes and
# brings two; as a write response it is one byte short.
_GARBAGE_BODY = b"\xfa\xde\xad"

_MODBUS_CODES = frozenset(code.value for code in ExcCodes)

LOOPBACK = "127.0.0.1"


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address, else ``127.0.0.1``: a simulator never
    listens anywhere but on this machine, whatever the site file says."""
    if host == "localhost":
        return LOOPBACK
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    return LOOPBACK


def check_modbus_fault(fault: Fault) -> None:
    """Raise :class:`FaultError` if Modbus cannot answer with this fault's
    exception code (it must be one of the codes the protocol defines)."""
    code = fault.exception_code
    if code is not None and code not in _MODBUS_CODES:
        known = ", ".join(f"0x{c.value:02X}" for c in ExcCodes)
        raise FaultError(f"exception code 0x{code:02X} is not a Modbus one ({known})")


def garbage_frame(frame: bytes) -> bytes:
    """A malformed answer to ``frame`` (a Modbus TCP ADU): same transaction and
    unit id and function code, a consistent length, a body that does not parse."""
    pdu = frame[7:8] + _GARBAGE_BODY
    return (
        frame[0:2] + b"\x00\x00" + (len(pdu) + 1).to_bytes(2, "big") + frame[6:7] + pdu
    )


class ModbusDeviceSimulator:
    """One simulated Modbus TCP device.

    ``doors`` are the site's doors; those whose bindings name this device decide
    what its points show. Construction raises :class:`SimulatorError` when a
    binding names a point the profile lacks.
    """

    def __init__(
        self,
        device: Device,
        profile: ModbusProfile,
        doors: Iterable[Door],
        world: World,
    ) -> None:
        endpoint = device.endpoint or Endpoint(port=0)
        self.device_id = device.id
        self._world = world
        self._devices = world.devices  # a live view, kept to skip a look-up
        self._map = RegisterMap(device.id, profile, doors, world)
        self._host = loopback_host(endpoint.host)
        self._port = endpoint.port
        self._unit_id = endpoint.unit_id
        self._server: ModbusTcpServer | None = None
        self._delayed: set[asyncio.Task[Any]] = set()
        self._last_problem: str | None = None
        self._spans = {table: self._map.span(table) for table in ModbusTable}
        self.requests = 0
        """Requests decoded since creation (a cheap load figure)."""

    @property
    def endpoint(self) -> Endpoint:
        """Where the device listens; the port is the real one once it has started
        (0 before the first start when the site asked for any free port)."""
        return Endpoint(host=self._host, port=self._port, unit_id=self._unit_id)

    @property
    def running(self) -> bool:
        return self._server is not None

    def check_fault(self, fault: Fault) -> None:
        """Raise :class:`FaultError` if this device cannot show ``fault``."""
        check_modbus_fault(fault)

    async def start(self) -> None:
        """Listen on the endpoint (the same port as before after a stop).

        Raises :class:`SimulatorStartError` when the port cannot be bound. Does
        nothing if already running.
        """
        if self._server is not None:
            return
        self._map.invalidate()  # the new server starts from fresh memory
        server = ModbusTcpServer(
            self._sim_device(),
            address=(self._host, self._port),
            trace_packet=self._trace_packet,
            trace_pdu=self._trace_pdu,
        )
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise SimulatorStartError(
                f"device {self.device_id!r} cannot listen on "
                f"{self._host}:{self._port} (port taken?)"
            ) from exc
        # The listener is an asyncio server; its socket tells the real port.
        sockets = getattr(server.transport, "sockets", None)
        if not sockets:
            await server.shutdown()  # type: ignore[no-untyped-call]
            raise SimulatorStartError(f"device {self.device_id!r} has no socket")
        self._port = int(sockets[0].getsockname()[1])
        self._server = server
        self._world.record_running(self.device_id, True)
        logger.info(
            "device %s listening on %s:%d", self.device_id, self._host, self._port
        )

    async def stop(self) -> None:
        """Close the listener, drop every connection and abandon answers still
        being delayed. Does nothing if not running."""
        server, self._server = self._server, None
        if server is None:
            return
        await server.shutdown()  # type: ignore[no-untyped-call]
        delayed = list(self._delayed)
        for task in delayed:
            task.cancel()
        await asyncio.gather(*delayed, return_exceptions=True)
        self._world.record_running(self.device_id, False)
        logger.info("device %s stopped", self.device_id)

    def _sim_device(self) -> SimDevice:
        tables = (
            ModbusTable.COIL,
            ModbusTable.DISCRETE_INPUT,
            ModbusTable.HOLDING_REGISTER,
            ModbusTable.INPUT_REGISTER,
        )
        blocks = tuple([self._block(table, self._spans[table])] for table in tables)
        return SimDevice(
            self._unit_id,
            simdata=blocks,  # type: ignore[arg-type]
            action=self._action,
        )

    @staticmethod
    def _block(table: ModbusTable, span: TableSpan | None) -> SimData:
        if table.is_bit:
            # pymodbus needs a bit block even for an empty table; 16 zero bits.
            first, end = (span.first, span.end) if span else (0, 16)
            return SimData(
                first, count=end - first, values=False, datatype=SimType.BITS
            )
        if span is None:
            return SimData(0, datatype=SimType.INVALID)
        return SimData(
            span.first,
            count=span.end - span.first,
            values=0,
            datatype=SimType.REGISTERS,
        )

    async def _action(
        self,
        function_code: int,
        block_start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """Called by pymodbus for each table access, with the table's memory.

        For bit tables ``block_start`` and ``count`` are in registers of 16 bits
        while ``address`` is the bit address.
        """
        fault = self._devices[self.device_id].fault
        if fault is not HEALTHY:
            first_call = values is not None or function_code not in _SINGLE_WRITES
            if first_call and fault.delay_ms:
                await self._delay(fault.delay_ms / 1000)
            if fault.exception_code is not None:
                return _exception(fault.exception_code)

        table = _TABLE_BY_FUNCTION.get(function_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        try:
            if values is not None:
                code = self._map.write(table, address, values, block_start, registers)
                return ExcCodes(code) if code is not None else None
            if table.is_bit:
                first = address - address % 16
                end = first + count * 16
            else:
                first, end = address, address + count
            self._map.refresh(table, first, end, block_start, registers)
        except ValueError as exc:
            # A value set in the world that the point cannot hold: the device
            # reports a failure rather than a made-up number.
            if str(exc) != self._last_problem:
                logger.warning("device %s cannot answer: %s", self.device_id, exc)
                self._last_problem = str(exc)
            return ExcCodes.DEVICE_FAILURE
        self._last_problem = None
        return None

    async def _delay(self, seconds: float) -> None:
        task = asyncio.current_task()
        if task is None:
            await asyncio.sleep(seconds)
            return
        self._delayed.add(task)
        try:
            await asyncio.sleep(seconds)
        finally:
            self._delayed.discard(task)

    def _trace_packet(self, sending: bool, frame: bytes) -> bytes:
        garbage = sending and self._devices[self.device_id].fault.garbage
        return garbage_frame(frame) if garbage and len(frame) >= 8 else frame

    def _trace_pdu(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if not sending:
            self.requests += 1
        return pdu


def _exception(code: int) -> ExcCodes:
    try:
        return ExcCodes(code)
    except ValueError:
        # Checked when the fault is set through the simulator set; a code put
        # straight into the world that Modbus lacks becomes a device failure.
        return ExcCodes.DEVICE_FAILURE


__all__ = [
    "ModbusDeviceSimulator",
    "check_modbus_fault",
    "garbage_frame",
    "loopback_host",
]
