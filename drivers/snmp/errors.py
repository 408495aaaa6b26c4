"""SNMP-specific errors, in the shared tree of :mod:`drivers.errors`.

::

    DriverError
    ├── ConnectError
    │   └── SnmpSecurityError       SNMPv3 refused us: unknown user, wrong keys,
    │                               engine discovery or time window failed
    ├── RequestTimeout              no response after all retries (a wrong v2c
    │                               community is silent, so it looks the same)
    ├── ProtocolError
    │   └── SnmpErrorStatus         the agent answered with an error-status
    │                               (noSuchName, tooBig, genErr, ...)
    ├── DecodeError
    │   └── OidNotIncreasingError   a walk got an OID not after the one asked for:
    │                               the agent loops, and walking on never ends
    └── SnmpConfigError             (also ValueError) settings that cannot work:
                                    an unknown protocol, a missing key variable

pysnmp's exceptions and error indications are translated at the client's
boundary (``drivers.snmp.client``) and never leave the package. Missing values
(noSuchObject, noSuchInstance, endOfMibView) are not errors: the codec turns them
into :class:`drivers.snmp.codec.Absent`.
"""

from __future__ import annotations

from drivers.errors import ConnectError, DecodeError, DriverError, ProtocolError


class SnmpSecurityError(ConnectError):
    """SNMPv3 security failed; ``reason`` names the USM condition."""

    default_reason = "snmpv3 security failure"


class SnmpErrorStatus(ProtocolError):
    """The agent answered with a non-zero error-status.

    ``status`` is the RFC 3416 name (``"genErr"``) and ``index`` the 1-based
    variable binding it names (0 for none).
    """

    def __init__(self, message: str, *, status: str, index: int) -> None:
        super().__init__(message, reason=f"error-status {status}")
        self.status = status
        self.index = index


class OidNotIncreasingError(DecodeError):
    """During a walk the agent returned an OID that is not after the requested one."""

    default_reason = "OID not increasing"


class SnmpConfigError(DriverError, ValueError):
    """SNMP settings that cannot work; retrying will not help."""

    default_reason = "bad SNMP settings"
