"""OPC UA profiles: node addresses, point defaults, the protocol union."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from topology.profile import ModbusProfile, parse_profile
from topology.profile_opcua import (
    Acquisition,
    IdentifierKind,
    NodeAddress,
    OpcUaDataType,
    OpcUaProfile,
    parse_node_address,
)

GUID = "72962b91-fa75-4ae6-8d28-b404dc7daf63"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "nsu=urn:acme:pids;s=Zone01.Alarm",
            NodeAddress("urn:acme:pids", IdentifierKind.STRING, "Zone01.Alarm"),
        ),
        (
            "nsu=http://acme.example/UA/;i=1042",
            NodeAddress("http://acme.example/UA/", IdentifierKind.NUMERIC, 1042),
        ),
        (
            f"nsu=urn:x;g={GUID}",
            NodeAddress("urn:x", IdentifierKind.GUID, uuid.UUID(GUID)),
        ),
        ("nsu=urn:x;b=AAEC", NodeAddress("urn:x", IdentifierKind.OPAQUE, b"\0\1\2")),
        ("i=2259", NodeAddress(None, IdentifierKind.NUMERIC, 2259)),
        ("ns=0;i=2259", NodeAddress(None, IdentifierKind.NUMERIC, 2259)),
        ("nsu=urn:x;s=a;b=c", NodeAddress("urn:x", IdentifierKind.STRING, "a;b=c")),
    ],
)
def test_node_addresses_parse(text: str, expected: NodeAddress) -> None:
    assert parse_node_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "s=",
        "Zone01.Alarm",
        "ns=2;s=Zone01.Alarm",
        "nsu=;s=a",
        "nsu=urn:x;i=12a",
        "nsu=urn:x;i=4294967296",
        "nsu=urn:x;g=not-a-guid",
        "nsu=urn:x;b=***",
        "nsu=urn:x;x=1",
    ],
)
def test_bad_node_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_node_address(text)


@pytest.mark.parametrize(
    "text",
    ["nsu=urn:acme:pids;s=Zone01.Alarm", "i=2259", "nsu=urn:x;b=AAEC", f"g={GUID}"],
)
def test_node_address_text_round_trips(text: str) -> None:
    assert str(parse_node_address(text)) == text


def _profile(**points: object) -> dict[str, object]:
    return {"id": "pids", "protocol": "opcua", "points": [points]}


def test_point_defaults_come_from_the_profile() -> None:
    profile = parse_profile(
        {
            "id": "pids",
            "protocol": "opcua",
            "sampling_interval_s": 0.5,
            "points": [
                {"name": "a", "node": "nsu=urn:x;s=A"},
                {
                    "name": "b",
                    "node": "nsu=urn:y;s=B",
                    "data_type": "float32",
                    "acquisition": "poll",
                    "sampling_interval_s": 2,
                    "queue_size": 1,
                },
            ],
        }
    )

    assert isinstance(profile, OpcUaProfile)
    a, b = profile.points
    assert (a.data_type, a.acquisition) == (OpcUaDataType.BOOL, Acquisition.SUBSCRIBE)
    assert profile.sampling_interval_of(a) == 0.5
    assert profile.queue_size_of(a) == 10
    assert (profile.sampling_interval_of(b), profile.queue_size_of(b)) == (2.0, 1)
    assert profile.namespace_uris == ["urn:x", "urn:y"]


def test_profile_without_protocol_is_modbus() -> None:
    profile = parse_profile(
        {"id": "dc", "points": [{"name": "lock", "table": "coil", "address": 0}]}
    )
    assert isinstance(profile, ModbusProfile)


@pytest.mark.parametrize(
    "document",
    [
        _profile(name="a", node="ns=3;s=A"),
        _profile(name="a", node="nsu=urn:x;s=A", data_type="float16"),
        _profile(name="a", node="nsu=urn:x;s=A", sampling_interval_s=0),
        _profile(name="a", node="nsu=urn:x;s=A", acquisition="push"),
        _profile(name="a b", node="nsu=urn:x;s=A"),
        {"id": "x", "protocol": "bacnet", "points": []},
    ],
)
def test_bad_opcua_profiles_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parse_profile(document)
