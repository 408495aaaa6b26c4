"""Codec tables: status codes to quality, timestamps, type checks, node ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes

from drivers.errors import InvalidValueError, NotFoundError
from drivers.opcua.codec import (
    decode_value,
    encode_value,
    epoch_seconds,
    node_id,
    to_sample,
)
from topology.profile_opcua import OpcUaDataType, parse_node_address
from topology.sample import Quality

T_SOURCE = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
T_SERVER = T_SOURCE + timedelta(milliseconds=40)
RECEIVED = T_SOURCE.timestamp() + 0.25
NAMESPACES = ["http://opcfoundation.org/UA/", "urn:server", "urn:decoy", "urn:pids"]


def _value(
    raw: object,
    variant: ua.VariantType,
    status: int = StatusCodes.Good,
    source: datetime | None = T_SOURCE,
    server: datetime | None = T_SERVER,
) -> ua.DataValue:
    stamps: dict[str, object] = {"SourceTimestamp": source, "ServerTimestamp": server}
    return ua.DataValue(
        ua.Variant(raw, variant), StatusCode=ua.StatusCode(status), **stamps
    )


B = ua.VariantType.Boolean


@pytest.mark.parametrize(
    ("data_value", "data_type", "expected"),
    [
        (_value(True, B), "bool", (True, Quality.GOOD, None)),
        (
            _value(True, B, StatusCodes.UncertainLastUsableValue),
            "bool",
            (True, Quality.UNCERTAIN, "UncertainLastUsableValue"),
        ),
        (
            _value(None, ua.VariantType.Null, StatusCodes.BadSensorFailure),
            "bool",
            (None, Quality.BAD, "BadSensorFailure"),
        ),
        # A Bad status voids whatever value came with it.
        (
            _value(True, B, StatusCodes.BadCommunicationError),
            "bool",
            (None, Quality.BAD, "BadCommunicationError"),
        ),
        # Info bits in the low word do not hide the code's name.
        (
            _value(7, ua.VariantType.Int32, StatusCodes.Good | 0x0400),
            "int32",
            (7, Quality.GOOD, None),
        ),
        (_value(1, ua.VariantType.Byte), "bool", (True, Quality.GOOD, None)),
        (
            _value(12.300000190734863, ua.VariantType.Float),
            "float32",
            (12.3, Quality.GOOD, None),
        ),
        (_value(3, ua.VariantType.Int16), "float64", (3.0, Quality.GOOD, None)),
        (
            _value(ua.LocalizedText("ok"), ua.VariantType.LocalizedText),
            "string",
            ("ok", Quality.GOOD, None),
        ),
        (
            _value("on", ua.VariantType.String),
            "bool",
            (None, Quality.BAD, "type mismatch: expected bool, got str"),
        ),
        (
            _value(70000, ua.VariantType.Int32),
            "int16",
            (None, Quality.BAD, "70000 is out of range for int16"),
        ),
        (
            _value(None, ua.VariantType.Null),
            "int32",
            (None, Quality.BAD, "empty value"),
        ),
    ],
)
def test_data_values_become_samples(
    data_value: ua.DataValue, data_type: str, expected: tuple[object, ...]
) -> None:
    sample = to_sample("PP-1", "p", OpcUaDataType(data_type), data_value, RECEIVED)

    assert (sample.value, sample.quality, sample.reason) == expected
    assert (sample.device, sample.point) == ("PP-1", "p")
    assert sample.source_time == T_SOURCE.timestamp()
    assert sample.received_time == RECEIVED


@pytest.mark.parametrize(
    ("source", "server", "expected"),
    [
        (T_SOURCE, T_SERVER, T_SOURCE.timestamp()),
        (None, T_SERVER, T_SERVER.timestamp()),
        (datetime(1601, 1, 1, tzinfo=UTC), T_SERVER, T_SERVER.timestamp()),
        (datetime(1970, 1, 1, tzinfo=UTC), None, RECEIVED),
        (datetime(1970, 1, 3, 4, 5, tzinfo=UTC), None, RECEIVED),
        (None, None, RECEIVED),
        (T_SOURCE.replace(tzinfo=None), None, T_SOURCE.timestamp()),
    ],
)
def test_sample_time_falls_back_from_source_to_server_to_received(
    source: datetime | None, server: datetime | None, expected: float
) -> None:
    data_value = _value(False, B, source=source, server=server)

    sample = to_sample("PP-1", "p", OpcUaDataType.BOOL, data_value, RECEIVED)

    assert sample.source_time == expected


def test_aware_times_in_other_zones_convert_exactly() -> None:
    cet = T_SOURCE.astimezone(timezone(timedelta(hours=1)))
    assert epoch_seconds(cet) == T_SOURCE.timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nsu=urn:pids;s=Zone01.Alarm", ua.NodeId("Zone01.Alarm", 3)),
        ("nsu=urn:decoy;i=1042", ua.NodeId(1042, 2)),
        ("i=2259", ua.NodeId(2259, 0)),
        ("nsu=urn:server;b=AAEC", ua.NodeId(b"\0\1\2", 1, ua.NodeIdType.ByteString)),
        (
            "nsu=urn:pids;g=72962b91-fa75-4ae6-8d28-b404dc7daf63",
            ua.NodeId(uuid.UUID("72962b91-fa75-4ae6-8d28-b404dc7daf63"), 3),
        ),
    ],
)
def test_addresses_resolve_against_the_servers_namespace_array(
    text: str, expected: ua.NodeId
) -> None:
    resolved = node_id(parse_node_address(text), NAMESPACES)

    assert resolved == expected


def test_opaque_identifiers_stay_byte_strings() -> None:
    resolved = node_id(parse_node_address("nsu=urn:pids;b=AAEC"), NAMESPACES)

    assert resolved.NodeIdType is ua.NodeIdType.ByteString


def test_a_namespace_the_server_lacks_is_named() -> None:
    with pytest.raises(NotFoundError, match="urn:elsewhere"):
        node_id(parse_node_address("nsu=urn:elsewhere;s=X"), NAMESPACES)


@pytest.mark.parametrize(
    ("data_type", "value", "variant"),
    [
        ("bool", True, ua.VariantType.Boolean),
        ("uint16", 65535, ua.VariantType.UInt16),
        ("int64", -(2**40), ua.VariantType.Int64),
        ("float32", 2, ua.VariantType.Float),
        ("float64", 0.5, ua.VariantType.Double),
        ("string", "armed", ua.VariantType.String),
    ],
)
def test_values_encode_to_the_points_type(
    data_type: str, value: bool | int | float | str, variant: ua.VariantType
) -> None:
    encoded = encode_value(OpcUaDataType(data_type), value)

    assert (encoded.Value, encoded.VariantType) == (value, variant)


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        ("bool", 1),
        ("uint16", -1),
        ("int16", 40000),
        ("int32", True),
        ("float64", "1.0"),
        ("string", 5),
        ("bool", None),
    ],
)
def test_wrong_values_are_refused_before_writing(
    data_type: str, value: bool | int | float | str | None
) -> None:
    with pytest.raises(InvalidValueError):
        encode_value(OpcUaDataType(data_type), value)


def test_integer_points_refuse_booleans_and_floats() -> None:
    with pytest.raises(ValueError, match="type mismatch"):
        decode_value(OpcUaDataType.INT32, True)
    with pytest.raises(ValueError, match="type mismatch"):
        decode_value(OpcUaDataType.UINT32, 1.0)
