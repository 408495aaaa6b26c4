"""Declared links against observations, as tables."""

from __future__ import annotations

import pytest

from topology.discovery import (
    MATCHING,
    MISSING,
    UNEXPECTED,
    UNVERIFIED,
    Observation,
    compare_links,
)
from topology.site import SiteFile

SITE = SiteFile.model_validate(
    {
        "site": {"id": "t", "name": "t"},
        "devices": [
            {"id": "CORE", "kind": "switch", "protocol": "snmp"},
            {"id": "SW-A", "kind": "switch", "protocol": "snmp", "name": "access-a"},
            {
                "id": "DC-1",
                "kind": "door_controller",
                "protocol": "modbus",
                "mac": "02:00:00:00:00:01",
            },
            {"id": "DC-2", "kind": "door_controller", "protocol": "modbus"},
            {"id": "CAM-1", "kind": "camera", "protocol": "none"},
        ],
        "links": [
            {"a": "CORE/Gi1/0/1", "b": "SW-A/Gi1/0/48"},
            {"a": "SW-A/Gi1/0/5", "b": "DC-1"},
            {"a": "SW-A/Gi1/0/6", "b": "DC-2"},
            {"a": "SW-A/Gi1/0/7", "b": "CAM-1"},
        ],
    }
)
UPLINK = "CORE/Gi1/0/1 - SW-A/Gi1/0/48"
DC1 = "SW-A/Gi1/0/5 - DC-1"
DC2 = "SW-A/Gi1/0/6 - DC-2"
CAM = "SW-A/Gi1/0/7 - CAM-1"
LLDP_CORE = Observation(
    "SW-A", "Gi1/0/48", "lldp", system="CORE", remote_port="Gi1/0/1"
)
LLDP_CAM = Observation("SW-A", "Gi1/0/7", "lldp", system="cam-1.example.net")
FDB_DC1 = Observation("SW-A", "Gi1/0/5", "fdb", mac="02:00:00:00:00:01")


def statuses(observations: list[Observation], read: set[str]) -> dict[str, str]:
    report = compare_links(SITE, observations, read)
    return {f.link: f.status for f in report.findings}


@pytest.mark.parametrize(
    ("observations", "read", "expected"),
    [
        # Everything seen where declared; DC-2 is silent and has no MAC.
        (
            [LLDP_CORE, LLDP_CAM, FDB_DC1],
            {"SW-A"},
            {UPLINK: MATCHING, DC1: MATCHING, CAM: MATCHING, DC2: UNVERIFIED},
        ),
        # Nothing read at all: nothing can be said.
        (
            [],
            set(),
            {UPLINK: UNVERIFIED, DC1: UNVERIFIED, DC2: UNVERIFIED, CAM: UNVERIFIED},
        ),
        # SW-A read, but DC-1's MAC and the camera are gone: missing.
        (
            [LLDP_CORE],
            {"SW-A"},
            {UPLINK: MATCHING, DC1: MISSING, CAM: MISSING, DC2: UNVERIFIED},
        ),
        # DC-1 moved to port 9: its declared link is missing, port 9 unexpected.
        (
            [
                LLDP_CORE,
                LLDP_CAM,
                Observation("SW-A", "Gi1/0/9", "fdb", mac="02:00:00:00:00:01"),
            ],
            {"SW-A"},
            {
                UPLINK: MATCHING,
                DC1: MISSING,
                CAM: MATCHING,
                DC2: UNVERIFIED,
                "SW-A/Gi1/0/9 - DC-1": UNEXPECTED,
            },
        ),
        # The uplink plugged into the wrong core port (LLDP names another port).
        (
            [
                Observation(
                    "SW-A", "Gi1/0/48", "lldp", system="CORE", remote_port="Gi1/0/2"
                )
            ],
            {"SW-A"},
            {UPLINK: MISSING, DC1: MISSING, CAM: MISSING, DC2: UNVERIFIED},
        ),
        # A stranger on the camera's port: the camera link is contradicted.
        (
            [
                LLDP_CORE,
                FDB_DC1,
                Observation("SW-A", "Gi1/0/7", "lldp", system="laptop"),
            ],
            {"SW-A"},
            {
                UPLINK: MATCHING,
                DC1: MATCHING,
                CAM: MISSING,
                DC2: UNVERIFIED,
                "SW-A/Gi1/0/7 - laptop": UNEXPECTED,
            },
        ),
        # CDP, by name with a domain, confirms from the core's side too.
        (
            [Observation("CORE", "Gi1/0/1", "cdp", system="access-a.example.net")],
            {"CORE"},
            {UPLINK: MATCHING, DC1: UNVERIFIED, DC2: UNVERIFIED, CAM: UNVERIFIED},
        ),
    ],
)
def test_compare_links(
    observations: list[Observation], read: set[str], expected: dict[str, str]
) -> None:
    assert statuses(observations, read) == expected


def test_macs_behind_an_uplink_are_not_unexpected() -> None:
    # The core learns DC-1's MAC on its port towards SW-A: that is expected.
    seen = [
        LLDP_CORE,
        LLDP_CAM,
        FDB_DC1,
        Observation("CORE", "Gi1/0/1", "fdb", mac="02:00:00:00:00:01"),
    ]

    report = compare_links(SITE, seen, {"SW-A", "CORE"})

    assert report.of(UNEXPECTED) == []
    assert report.consistent
    assert report.lines()[0].startswith("unverified SW-A/Gi1/0/6 - DC-2")
