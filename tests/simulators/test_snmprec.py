"""Recorded walks: the .snmprec format, and a recording standing in for a device."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pysnmp.proto import rfc1902

from drivers.snmp.driver import SnmpDriver
from drivers.snmp.security import SnmpCredentials
from simulators.snmp import start_recorded_agent
from simulators.snmprec import format_snmprec, parse_snmprec
from topology.sample import Quality
from topology.site import Device, DeviceKind, Endpoint, Protocol

RECORDING = (
    Path(__file__).parents[2] / "simulators" / "recordings" / "net-snmp-debian.snmprec"
)


def test_round_trip_keeps_types_and_binary_strings() -> None:
    text = """\
# a comment, then a blank line

1.3.6.1.2.1.1.5.0|4|core-1 | rack 2
1.3.6.1.2.1.1.3.0|67|12345
1.3.6.1.2.1.2.2.1.6.1|4x|001a2b3c4d5e
1.3.6.1.2.1.2.2.1.10.1|65|4294967295
1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615
1.3.6.1.2.1.2.2.1.5.1|66|1000000000
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9
1.3.6.1.2.1.4.20.1.1.127.0.0.1|64|127.0.0.1
1.3.6.1.2.1.2.2.1.8.1|2|1
"""
    values = parse_snmprec(text)

    assert values[(1, 3, 6, 1, 2, 1, 1, 5, 0)] == rfc1902.OctetString(
        b"core-1 | rack 2"
    )
    assert isinstance(values[(1, 3, 6, 1, 2, 1, 1, 3, 0)], rfc1902.TimeTicks)
    assert bytes(values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1)]) == bytes.fromhex(
        "001a2b3c4d5e"
    )
    assert isinstance(values[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)], rfc1902.Counter64)
    assert parse_snmprec(format_snmprec(values.items())) == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.3.6.1.2.1.1.5.0|4\n", "<snmprec>:1: expected OID|TYPE|VALUE"),
        ("1.3.x|4|a\n", "<snmprec>:1: bad OID"),
        ("\n1.3.6.1|99|a\n", "<snmprec>:2: unsupported type '99'"),
        ("1.3.6.1|2:numeric|1\n", "<snmprec>:1: unsupported type '2:numeric'"),
        ("1.3.6.1|2|one\n", "<snmprec>:1: bad value 'one'"),
        ("1.3.6.1|2x|01\n", "<snmprec>:1: bad value"),
        ("1.3.6.1|4|a\n1.3.6.1|4|b\n", "<snmprec>:2: OID 1.3.6.1 appears twice"),
    ],
)
def test_malformed_recordings_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_snmprec(text)


async def test_recording_of_net_snmp_stands_in_for_the_device() -> None:
    async with asyncio.timeout(10), start_recorded_agent(RECORDING) as agent:
        assert agent.address is not None
        host, port = agent.address
        device = Device(
            id="REC",
            kind=DeviceKind.SERVER,
            protocol=Protocol.SNMP,
            endpoint=Endpoint(host=host, port=port),
        )
        driver = SnmpDriver(device, SnmpCredentials.v2c("public"))
        try:
            samples = await driver.poll()
        finally:
            await driver.close()

    good = {s.point: s.value for s in samples if s.quality is Quality.GOOD}
    assert good["sys.name"] == "warden-snmpd"
    assert good["if.lo.oper_status"] == "up"
    assert good["if.ifb0.oper_status"] == "down"
    assert good["if.eth0.mac"] == "02:fc:00:00:00:01"
    assert "if.lo.mac" not in good  # an empty ifPhysAddress is no address
