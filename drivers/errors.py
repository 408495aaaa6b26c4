"""The exceptions every driver raises, whatever its protocol.

Drivers translate their library's exceptions into these at their boundary
(``raise ConnectionFailed(...) from exc``), so callers handle one tree::

    DriverError
    ├── ConfigurationError      the site or profile asks for something impossible
    ├── ConnectionFailed        cannot reach the device, or the connection dropped
    │   └── DeviceTimeout       the device did not answer in time
    ├── AuthenticationError     the device refused our user name or password
    ├── SecurityRejectedError   the device refused our certificate or security
    │                           policy, or offers no endpoint we accept
    ├── ProtocolError           the device answered something we cannot use
    └── WriteRejected           the device refused a write

``device`` names the device concerned. ``asyncio.CancelledError`` is never
converted into any of these.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of every driver failure; ``device`` is the device id, if known."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        self.device = device
        super().__init__(f"{device}: {message}" if device else message)


class ConfigurationError(DriverError):
    """The site file or profile asks for something the device or driver cannot do
    (an unknown point, a write to a read-only point, a missing password)."""


class ConnectionFailed(DriverError):
    """The device is unreachable or the connection to it was lost."""


class DeviceTimeout(ConnectionFailed):
    """The device did not answer within the configured timeout."""


class AuthenticationError(DriverError):
    """The device rejected the user identity (wrong user name or password, or
    anonymous login refused). Retrying with the same credentials will not help."""


class SecurityRejectedError(DriverError):
    """The device rejected our certificate or security settings, or offers no
    endpoint with the requested policy and mode."""


class ProtocolError(DriverError):
    """The device answered with something the protocol forbids or we cannot
    decode."""


class WriteRejected(DriverError):
    """The device refused a write; the message carries its reason."""
