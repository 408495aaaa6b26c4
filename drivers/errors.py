"""The errors a driver raises, shared by every protocol package.

::

    DriverError                  anything a driver could not do
    ├── ConnectError             no connection to the device (refused, lost, closed)
    │   ├── AuthenticationError  the device refused our user name or password
    │   └── SecurityRejectedError the device refused our certificate or security
    │                            settings, or offers no endpoint we accept
    ├── RequestTimeout           the device did not answer within its timeout
    ├── ProtocolError            the device answered, refusing the request
    │   └── ModbusExceptionError (drivers.modbus) a Modbus exception response
    ├── DecodeError              the answer was garbled, short or no usable value
    ├── NotWritableError         the point exists but is read-only
    ├── InvalidValueError        a value does not fit the point (also a ValueError)
    ├── NotFoundError            no such device or point (also a LookupError)
    └── ConfigurationError       the site asks for what cannot be done here (a
                                 password variable not set, a certificate missing)

Drivers translate every third-party exception into one of these at their boundary
(``raise ConnectError(...) from exc``), so callers never import a protocol library
to handle a failure. ``asyncio.CancelledError`` is never caught or converted.

``AuthenticationError`` and ``SecurityRejectedError`` are connection failures that
retrying with the same settings will not cure; their message says what to fix.

``ConnectError`` and ``RequestTimeout`` mean the device as a whole is unreachable;
the poller counts them towards taking the device offline. ``ProtocolError`` and
``DecodeError`` concern one request; the points behind it get bad-quality samples
while the device stays reachable.

Each error has a short :attr:`DriverError.reason` that goes into bad samples and
device health (for example ``"timeout"`` or ``"exception 0x02 ILLEGAL DATA
ADDRESS"``); ``str(error)`` is the longer sentence for logs.
"""

from __future__ import annotations


class DriverError(Exception):
    """A driver could not do what was asked; ``reason`` is the short form."""

    default_reason = "driver error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason if reason is not None else self.default_reason


class ConnectError(DriverError):
    """No usable connection to the device: refused, unreachable, lost or closed."""

    default_reason = "connection failed"


class RequestTimeout(DriverError):
    """The device did not answer one request within its timeout."""

    default_reason = "timeout"


class ProtocolError(DriverError):
    """The device answered but refused the request (a protocol-level error reply)."""

    default_reason = "protocol error"


class DecodeError(DriverError):
    """The answer was garbled or short, or held a value that cannot be used."""

    default_reason = "undecodable answer"


class NotWritableError(DriverError):
    """A write was asked of a point that is read-only."""

    default_reason = "not writable"


class InvalidValueError(DriverError, ValueError):
    """A value does not fit the point it is meant for (type, range or NaN)."""

    default_reason = "invalid value"


class NotFoundError(DriverError, LookupError):
    """No device or point by the given name."""

    default_reason = "not found"


class AuthenticationError(ConnectError):
    """The device refused the user identity: a wrong user name or password, or
    anonymous login where it wants a user."""

    default_reason = "authentication refused"


class SecurityRejectedError(ConnectError):
    """The device refused our certificate or security policy and mode, or has no
    endpoint with the ones asked for."""

    default_reason = "security refused"


class ConfigurationError(DriverError):
    """The site file asks for something that cannot be done on this machine (an
    environment variable that is not set, a certificate file that is missing)."""

    default_reason = "configuration error"
