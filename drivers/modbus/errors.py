"""Modbus-specific errors, in the shared tree of :mod:`drivers.errors`.

::

    DriverError
    └── ProtocolError
        └── ModbusExceptionError   an exception response, with its code and name

Everything else a Modbus device can do wrong maps onto the shared classes:
connection failures to ``ConnectError``, no answer in time to ``RequestTimeout`` and
an answer of the wrong shape to ``DecodeError``.
"""

from __future__ import annotations

from drivers.errors import ProtocolError

# Names as the Modbus Application Protocol specification V1.1b3 writes them.
EXCEPTION_NAMES: dict[int, str] = {
    0x01: "ILLEGAL FUNCTION",
    0x02: "ILLEGAL DATA ADDRESS",
    0x03: "ILLEGAL DATA VALUE",
    0x04: "SERVER DEVICE FAILURE",
    0x05: "ACKNOWLEDGE",
    0x06: "SERVER DEVICE BUSY",
    0x08: "MEMORY PARITY ERROR",
    0x0A: "GATEWAY PATH UNAVAILABLE",
    0x0B: "GATEWAY TARGET DEVICE FAILED TO RESPOND",
}


def exception_name(code: int) -> str:
    """The specification's name for exception ``code``, or ``"UNKNOWN EXCEPTION"``."""
    return EXCEPTION_NAMES.get(code, "UNKNOWN EXCEPTION")


class ModbusExceptionError(ProtocolError):
    """The device answered a request with Modbus exception ``code``.

    ``function_code`` is the request's function code (without the 0x80 flag the
    response carries). ``reason`` reads like ``"exception 0x02 ILLEGAL DATA
    ADDRESS"``.
    """

    def __init__(self, code: int, *, function_code: int, detail: str = "") -> None:
        self.code = code
        self.name = exception_name(code)
        self.function_code = function_code
        reason = f"exception 0x{code:02X} {self.name}"
        message = f"device answered function 0x{function_code:02X} with {reason}"
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message, reason=reason)
