"""Table tests: pysnmp wire values in, plain values and renderings out."""

from __future__ import annotations

import ipaddress

import pytest
from pysnmp.proto import rfc1902, rfc1905

from drivers.errors import DecodeError
from drivers.snmp.codec import (
    Absent,
    as_bytes,
    as_int,
    decode_value,
    render_hex,
    render_octets,
    ticks_to_seconds,
)
from drivers.snmp.oids import format_oid, parse_oid


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (rfc1902.Integer32(-5), -5),
        (rfc1902.Counter32(4294967295), 4294967295),
        (rfc1902.Counter64(18446744073709551615), 18446744073709551615),
        (rfc1902.Gauge32(1000), 1000),
        (rfc1902.TimeTicks(12345), 12345),
        (rfc1902.Unsigned32(7), 7),
        (rfc1902.OctetString(b"\x00\x1a"), b"\x00\x1a"),
        (rfc1902.ObjectIdentifier("1.3.6.1.4.1.9"), (1, 3, 6, 1, 4, 1, 9)),
        (rfc1902.IpAddress("127.0.0.1"), ipaddress.IPv4Address("127.0.0.1")),
        (rfc1905.noSuchObject, Absent.NO_SUCH_OBJECT),
        (rfc1905.noSuchInstance, Absent.NO_SUCH_INSTANCE),
        (rfc1905.endOfMibView, Absent.END_OF_MIB_VIEW),
    ],
)
def test_decode_value(wire: object, expected: object) -> None:
    assert decode_value(wire) == expected


def test_absent_values_are_never_numbers() -> None:
    for wire in (rfc1905.noSuchObject, rfc1905.noSuchInstance, rfc1905.endOfMibView):
        decoded = decode_value(wire)
        assert as_int(decoded) is None
        assert as_bytes(decoded) is None


def test_decode_rejects_unknown_types() -> None:
    with pytest.raises(DecodeError):
        decode_value(3.5)
    with pytest.raises(DecodeError):
        decode_value(rfc1902.Null(""))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Gi1/0/5", "Gi1/0/5"),
        (b"Zelle 1 T\xc3\xbcr", "Zelle 1 Tür"),
        (b"uplink to core\x00", "uplink to core"),
        (b"line one\r\nline two\tend", "line one\r\nline two\tend"),
        (b"", ""),
        (b"\x00\x1a\x2b\x3c\x4d\x5e", "00:1a:2b:3c:4d:5e"),
        (b"\xff\xfe", "ff:fe"),
        (b"abc\x07def", "61:62:63:07:64:65:66"),
    ],
)
def test_render_octets(data: bytes, expected: str) -> None:
    assert render_octets(data) == expected


def test_render_hex_keeps_printable_macs_binary() -> None:
    assert render_hex(b"ABCDEF") == "41:42:43:44:45:46"


def test_ticks_and_oids() -> None:
    assert ticks_to_seconds(12345) == pytest.approx(123.45)
    assert parse_oid(".1.3.6.1.2.1.1.3.0") == (1, 3, 6, 1, 2, 1, 1, 3, 0)
    assert format_oid((1, 3, 6)) == "1.3.6"
    for bad in ("", "1.x.3", "1..2", "-1.3"):
        with pytest.raises(ValueError):
            parse_oid(bad)
