"""Turning SNMP wire values into plain Python values, and rendering them.

pysnmp hands back pyasn1 objects. :func:`decode_value` turns each one into an
``int``, ``bytes``, an OID tuple, an :class:`ipaddress.IPv4Address` or an
:class:`Absent` marker, so nothing above the client sees a pysnmp type.

The three SNMPv2 exceptions (noSuchObject, noSuchInstance, endOfMibView) mean
"there is no value here"; they become :class:`Absent`, never ``0`` or ``""``, so
a missing counter can never be mistaken for an idle one.

Octet strings carry both text (sysDescr, ifAlias) and binary data (MAC
addresses, LLDP chassis ids). :func:`render_octets` shows printable UTF-8 as
text and anything else as colon-separated hex; :func:`render_hex` is for columns
known to be binary, where a MAC like ``41:42:43:44:45:46`` must not read "ABCDEF".
"""

from __future__ import annotations

import ipaddress
from enum import Enum

from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

from drivers.errors import DecodeError
from drivers.snmp.oids import Oid


class Absent(Enum):
    """Why an OID has no value (RFC 3416 exception values)."""

    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


WireValue = int | bytes | Oid | ipaddress.IPv4Address | Absent
"""A decoded SNMP value. Integers of every SNMP type (Integer32, Counter32,
Counter64, Gauge32, TimeTicks, Unsigned32) are plain ``int``: the caller knows
from the OID whether it reads a counter and of which width."""

COUNTER32_MODULO = 1 << 32
COUNTER64_MODULO = 1 << 64
TIMETICKS_MODULO = 1 << 32
"""sysUpTime is TimeTicks (hundredths of a second) and wraps after 497.1 days."""


def decode_value(value: object) -> WireValue:
    """One pysnmp value as a plain Python value.

    Raises :class:`DecodeError` for a type SNMPv2 does not define (an
    agent sending garbage that pysnmp still parsed).
    """
    # The exception types derive from Null, which pyasn1 derives from
    # OctetString, so they must be checked before octet strings.
    if isinstance(value, rfc1905.NoSuchInstance):
        return Absent.NO_SUCH_INSTANCE
    if isinstance(value, rfc1905.NoSuchObject):
        return Absent.NO_SUCH_OBJECT
    if isinstance(value, rfc1905.EndOfMibView):
        return Absent.END_OF_MIB_VIEW
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, rfc1902.IpAddress):
        return ipaddress.IPv4Address(bytes(value))
    if isinstance(value, univ.Null):
        raise DecodeError("agent returned a NULL value")
    if isinstance(value, univ.OctetString):
        return bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    raise DecodeError(f"unsupported SNMP value type {type(value).__name__}")


def render_hex(data: bytes) -> str:
    """``b"\\x00\\x1a\\x2b"`` as ``"00:1a:2b"`` (lowercase, colon-separated)."""
    return data.hex(":")


def render_octets(data: bytes) -> str:
    """An octet string for people: its text if it is printable UTF-8, else hex.

    Trailing NUL bytes are dropped first (some agents NUL-terminate strings).
    Tabs and line breaks count as printable; any other control character, or
    bytes that are not UTF-8, make it binary.
    """
    text_bytes = data.rstrip(b"\x00")
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return render_hex(data)
    if all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return text
    return render_hex(data)


def ticks_to_seconds(ticks: int) -> float:
    """TimeTicks (hundredths of a second) as seconds."""
    return ticks / 100.0


def as_int(value: WireValue | None) -> int | None:
    """``value`` if it is an integer; ``None`` if absent or of another type."""
    return value if isinstance(value, int) else None


def as_bytes(value: WireValue | None) -> bytes | None:
    """``value`` if it is an octet string; ``None`` if absent or another type."""
    return value if isinstance(value, bytes) else None
