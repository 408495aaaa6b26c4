"""``warden discover`` against simulated switches over SNMP on loopback."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from drivers.snmp.discovery import discover_site
from simulators.snmp_site import start_snmp_network
from tests.drivers.snmp.snmpd import free_udp_port
from topology.discovery import MATCHING, MISSING, UNVERIFIED
from topology.loader import load_site
from warden import commands

SITE = """\
version: 1
site: {{id: disc, name: Discovery test}}
devices:
  - {{id: SRV, kind: server, protocol: none}}
  - id: CORE
    kind: switch
    protocol: snmp
    endpoint: {{host: 127.0.0.1, port: {core}}}
    timeout_s: 0.5
    snmp: {{version: v2c, community: lab-community}}
  - id: SW-A
    kind: switch
    protocol: snmp
    endpoint: {{host: 127.0.0.1, port: {access}}}
    timeout_s: 0.5
    snmp: {{version: v2c, community: lab-community}}
  - {{id: DC-1, kind: door_controller, protocol: none, mac: "02:00:00:00:00:01"}}
  - {{id: DC-2, kind: door_controller, protocol: none}}
  - {{id: CAM-1, kind: camera, protocol: none}}
network: {{platform: SRV, trap_port: null}}
links:
  - {{a: SRV, b: CORE/Gi1/0/48}}
  - {{a: CORE/Gi1/0/1, b: SW-A/Gi1/0/48}}
  - {{a: SW-A/Gi1/0/5, b: DC-1}}
  - {{a: SW-A/Gi1/0/6, b: DC-2}}
  - {{a: SW-A/Gi1/0/7, b: CAM-1}}
"""


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE.format(core=free_udp_port(), access=free_udp_port()))
    return path


async def test_discovery_confirms_links_then_reports_a_missing_one(
    site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = load_site(site_file)
    async with asyncio.timeout(20), start_snmp_network(site.site) as network:
        before = await discover_site(site)
        await network.unplug("DC-1")
        code = await commands.discover(argparse.Namespace(site=site_file))
    printed = capsys.readouterr().out

    assert {f.link: f.status for f in before.findings} == {
        "SRV - CORE/Gi1/0/48": MATCHING,  # the server announces itself by LLDP
        "CORE/Gi1/0/1 - SW-A/Gi1/0/48": MATCHING,
        "SW-A/Gi1/0/5 - DC-1": MATCHING,  # its MAC in SW-A's forwarding table
        "SW-A/Gi1/0/6 - DC-2": UNVERIFIED,  # silent, and no MAC in the site
        "SW-A/Gi1/0/7 - CAM-1": MATCHING,
    }
    assert before.read == ("CORE", "SW-A")
    assert code == 1
    assert printed.splitlines()[0] == (
        f"{MISSING:<10} SW-A/Gi1/0/5 - DC-1  (nothing on SW-A/Gi1/0/5 names it)"
    )


async def test_unreachable_switch_leaves_its_links_unverified(site_file: Path) -> None:
    site = load_site(site_file)
    async with asyncio.timeout(20), start_snmp_network(site.site) as network:
        await network.fail_switch("SW-A")
        report = await discover_site(site)

    assert report.unread == ("SW-A",)
    statuses = {f.link: f.status for f in report.findings}
    assert statuses["SW-A/Gi1/0/7 - CAM-1"] == UNVERIFIED
    # The core's port to SW-A went down with it: its LLDP neighbour is gone.
    assert statuses["CORE/Gi1/0/1 - SW-A/Gi1/0/48"] == MISSING
