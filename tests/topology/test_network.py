"""The network part of a site file: SNMP settings, MAC addresses, links."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.topology.files import SITE, WriteSite
from topology.loader import SiteError, load_site
from topology.network import Link, SnmpSettings, normalise_mac
from topology.paths import network_paths

NETWORK = """\
  - id: SRV
    kind: server
    protocol: none
  - id: SW-A
    kind: switch
    protocol: snmp
    endpoint: {host: 127.0.0.1, port: 16100}
    snmp: {version: v2c, community_env: WARDEN_TEST_COMMUNITY}
  - id: CAM-1
    kind: camera
    protocol: none
    mac: 00-1A-2B-3C-4D-5E
network: {platform: SRV}
links:
  - {a: SRV, b: SW-A/Gi1/0/48}
  - {a: SW-A/Gi1/0/5, b: DC-1}
  - {a: SW-A/Gi1/0/6, b: CAM-1}
"""
FIRST_NETWORK_LINE = SITE.count("\n") + 1


def test_site_without_network_stays_valid(write_site: WriteSite) -> None:
    site = load_site(write_site()).site

    assert site.links == []
    assert site.network is None


def test_network_section_loads(write_site: WriteSite) -> None:
    site = load_site(write_site(SITE + NETWORK)).site

    switch = next(d for d in site.devices if d.id == "SW-A")
    camera = next(d for d in site.devices if d.id == "CAM-1")
    assert switch.snmp == SnmpSettings(community_env="WARDEN_TEST_COMMUNITY")
    assert camera.mac == "00:1a:2b:3c:4d:5e"
    assert [str(link) for link in site.links] == [
        "SRV - SW-A/Gi1/0/48",
        "SW-A/Gi1/0/5 - DC-1",
        "SW-A/Gi1/0/6 - CAM-1",
    ]
    assert network_paths(site)["DC-1"].upstream_devices == ("SRV", "SW-A")


def line_of(text: str) -> int:
    return FIRST_NETWORK_LINE + NETWORK.splitlines().index(text)


@pytest.mark.parametrize(
    ("old", "new", "line", "phrase"),
    [
        (
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "  - {a: SW-A/Gi1/0/6, b: CAM-2}",
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "link SW-A/Gi1/0/6 - CAM-2: no device CAM-2 (did you mean CAM-1?)",
        ),
        (
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "  - {a: SW-A/Gi1/0/5, b: CAM-1}",
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "port SW-A/Gi1/0/5 is already linked on line",
        ),
        (
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "  - {a: SW-A, b: CAM-1}",
            "  - {a: SW-A/Gi1/0/6, b: CAM-1}",
            "name the port of switch SW-A",
        ),
        (
            "network: {platform: SRV}",
            "network: {platform: SRV-1}",
            "network: {platform: SRV}",
            "network platform SRV-1 is not a device of the site",
        ),
        (
            "    snmp: {version: v2c, community_env: WARDEN_TEST_COMMUNITY}",
            "",
            "  - id: SW-A",
            "device SW-A speaks snmp but has no snmp settings",
        ),
    ],
)
def test_network_mistakes_name_their_line(
    write_site: WriteSite, old: str, new: str, line: str, phrase: str
) -> None:
    text = SITE + NETWORK.replace(old + "\n", new + "\n" if new else "")

    with pytest.raises(SiteError) as caught:
        load_site(write_site(text))

    found = [p for p in caught.value.problems if phrase in p.message]
    assert found, caught.value.problems
    assert found[0].line == line_of(line)


@pytest.mark.parametrize(
    "settings",
    [
        {"version": "v2c"},
        {"version": "v2c", "community": "x", "community_env": "X"},
        {"version": "v2c", "community": "x", "user": "u"},
        {"version": "v3"},
        {"version": "v3", "user": "u", "community": "x"},
        {"version": "v3", "user": "u", "auth_protocol": "sha"},
        {"version": "v3", "user": "u", "priv_protocol": "aes", "priv_key_env": "P"},
        {"version": "v3", "user": "u", "auth_protocol": "rot13", "auth_key_env": "A"},
        {"version": "v2c", "community_env": "not a name"},
    ],
)
def test_snmp_settings_that_cannot_work_are_refused(settings: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        SnmpSettings.model_validate(settings)


def test_links_and_macs_parse() -> None:
    link = Link.model_validate({"a": "SW-A/Gi1/0/5", "b": "DC-1"})
    assert (link.a.device, link.a.port, link.b.port) == ("SW-A", "Gi1/0/5", None)
    with pytest.raises(ValidationError):
        Link.model_validate({"a": "SW-A/Gi1/0/5", "b": "SW-A/Gi1/0/6"})
    with pytest.raises(ValidationError):
        Link.model_validate({"a": "SW-A/", "b": "DC-1"})

    for spelling in (
        "00:1a:2b:3c:4d:5e",
        "00-1A-2B-3C-4D-5E",
        "001a.2b3c.4d5e",
        "001A2B3C4D5E",
    ):
        assert normalise_mac(spelling) == "00:1a:2b:3c:4d:5e"
    for bad in ("00:1a:2b:3c:4d", "00:1a-2b:3c:4d:5e", "zz:1a:2b:3c:4d:5e"):
        with pytest.raises(ValueError):
            normalise_mac(bad)
