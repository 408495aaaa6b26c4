"""Fence segments in the site file: parsing and neighbours; OPC UA endpoint
fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from topology.fence import segment_neighbours
from topology.site import Device, Endpoint, SiteFile
from topology.site_opcua import SecurityMode, SecurityPolicy, parse_opcua_url


def _segment(sid: str, fence: str = "outer", **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "fence": fence,
        "zone": "perimeter",
        "bindings": {"alarm": f"PP-1/{sid.lower()}_alarm"},
        **extra,
    }


def _site(*segments: dict[str, Any], devices: Any = ()) -> SiteFile:
    return SiteFile.model_validate(
        {
            "site": {"id": "s", "name": "S"},
            "spaces": [{"id": "perimeter", "kind": "zone"}],
            "devices": list(devices),
            "fence_segments": list(segments),
        }
    )


def test_a_site_without_fences_is_still_valid() -> None:
    site = SiteFile.model_validate({"site": {"id": "s", "name": "S"}})
    assert site.fence_segments == []
    assert segment_neighbours(site) == {}


def test_implicit_neighbours_form_a_ring_per_fence() -> None:
    site = _site(
        _segment("O1"),
        _segment("I1", "inner"),
        _segment("O2"),
        _segment("I2", "inner"),
        _segment("O3"),
    )

    assert segment_neighbours(site) == {
        "O1": ("O3", "O2"),
        "O2": ("O1", "O3"),
        "O3": ("O2", "O1"),
        "I1": ("I2",),
        "I2": ("I1",),
    }


def test_explicit_adjacency_is_mirrored_and_replaces_the_ring() -> None:
    site = _site(
        _segment("O1"),
        _segment("O2", adjacent=["O4"]),
        _segment("O3"),
        _segment("O4"),
    )

    neighbours = segment_neighbours(site)

    assert neighbours["O2"] == ("O4",)
    assert set(neighbours["O4"]) == {"O3", "O1", "O2"}
    assert neighbours["O1"] == ("O4",)
    assert neighbours["O3"] == ("O4",)


def test_bindings_accept_the_short_form_and_list_what_is_bound() -> None:
    site = _site(
        _segment(
            "O1",
            bindings={"alarm": "PP-1/a", "tamper": "PP-1/t", "signal": "PP-1/s"},
            cameras=["CAM-1"],
        )
    )

    refs = site.fence_segments[0].bindings.refs()

    assert {name: str(ref) for name, ref in refs.items()} == {
        "alarm": "PP-1/a",
        "tamper": "PP-1/t",
        "signal": "PP-1/s",
    }


def test_segment_needs_an_alarm_binding_and_a_known_fence() -> None:
    with pytest.raises(ValidationError):
        _site({"id": "O1", "fence": "outer", "zone": "perimeter", "bindings": {}})
    with pytest.raises(ValidationError):
        _site(_segment("O1", fence="middle"))


def test_opcua_endpoint_from_url_with_security() -> None:
    endpoint = Endpoint.model_validate(
        {
            "url": "opc.tcp://127.0.0.1:4843/pids",
            "security": {
                "policy": "Basic256Sha256",
                "username": "warden",
                "password_env": "PIDS_PASSWORD",
                "certificate": "certs/client.der",
                "private_key": "certs/client.pem",
            },
        }
    )

    assert (endpoint.host, endpoint.port) == ("127.0.0.1", 4843)
    assert endpoint.model_copy(update={"port": 5000}).opcua_url == (
        "opc.tcp://127.0.0.1:5000/pids"
    )
    assert endpoint.security is not None
    assert endpoint.security.policy is SecurityPolicy.BASIC256SHA256
    assert endpoint.security.channel_mode is SecurityMode.SIGN_AND_ENCRYPT


@pytest.mark.parametrize(
    "endpoint",
    [
        {"url": "http://127.0.0.1:4840/"},
        {"url": "opc.tcp://user:pw@127.0.0.1:4840/"},
        {"url": "opc.tcp://127.0.0.1:4840/", "port": 4841},
        {"port": 4840, "security": {"policy": "Basic256Sha256"}},
        {"port": 4840, "security": {"mode": "Sign"}},
        {"port": 4840, "security": {"username": "u"}},
        {"port": 4840, "security": {"policy": "Aes128"}},
    ],
)
def test_bad_opcua_endpoints_are_refused(endpoint: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Endpoint.model_validate(endpoint)


def test_opcua_endpoint_fields_are_refused_on_other_protocols() -> None:
    with pytest.raises(ValidationError, match="opcua devices only"):
        Device.model_validate(
            {
                "id": "DC-1",
                "kind": "door_controller",
                "protocol": "modbus",
                "endpoint": {"url": "opc.tcp://127.0.0.1:4840/"},
            }
        )


def test_url_port_defaults_to_4840() -> None:
    assert parse_opcua_url("opc.tcp://localhost/x").port == 4840
