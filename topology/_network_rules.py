"""Whole-file checks of the network part of a site file, with line numbers.

* a device that speaks SNMP has an endpoint and ``snmp`` settings;
* every link end names a device of the site, and a switch end names its port;
* no port is in two links, and a device named without a port is in one link;
* ``network.platform`` is a device of the site;
* no two devices claim the same MAC address.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from topology._yaml import YamlDocument
from topology.problems import Problem
from topology.site import DeviceKind, Protocol, SiteFile


def network_problems(
    document: YamlDocument, site: SiteFile, indexes: Mapping[str, Sequence[int]]
) -> list[Problem]:
    """Every network mistake of ``site`` (validated from ``document``).

    ``indexes`` maps a list section to the file positions of its valid items,
    as :func:`topology._validate.validate` returns them.
    """
    problems: list[Problem] = []

    def report(location: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(document.path, document.line_of(location), message))

    devices = {device.id: device for device in site.devices}
    device_positions = indexes.get("devices", range(len(site.devices)))
    macs: dict[str, str] = {}
    for device, index in zip(site.devices, device_positions, strict=True):
        where = ("devices", index)
        if device.protocol is Protocol.SNMP:
            if device.endpoint is None:
                report(where, f"device {device.id} speaks snmp but has no endpoint")
            if device.snmp is None:
                report(
                    where,
                    f"device {device.id} speaks snmp but has no snmp settings "
                    "(version and community_env, or v3 user and keys)",
                )
        if device.mac is not None:
            first = macs.setdefault(device.mac, device.id)
            if first != device.id:
                report(
                    (*where, "mac"),
                    f"device {device.id} has the same MAC address {device.mac} "
                    f"as device {first}",
                )

    def unknown(name: str) -> str:
        close = difflib.get_close_matches(name, sorted(devices), n=1)
        return f" (did you mean {close[0]}?)" if close else ""

    used: dict[tuple[str, str | None], int] = {}
    link_positions = indexes.get("links", range(len(site.links)))
    for link, index in zip(site.links, link_positions, strict=True):
        for side in ("a", "b"):
            end = getattr(link, side)
            at = ("links", index, side)
            linked = devices.get(end.device)
            if linked is None:
                report(at, f"link {link}: no device {end.device}{unknown(end.device)}")
                continue
            if end.port is None and linked.kind is DeviceKind.SWITCH:
                report(at, f"link {link}: name the port of switch {end.device}")
                continue
            earlier = used.setdefault((end.device, end.port), index)
            if earlier != index:
                what = f"port {end}" if end.port else f"device {end.device}"
                hint = "" if end.port else "; name its ports"
                line = document.line_of(("links", earlier))
                report(
                    at, f"link {link}: {what} is already linked on line {line}{hint}"
                )

    if site.network is not None and site.network.platform not in devices:
        name = site.network.platform
        report(
            ("network", "platform"),
            f"network platform {name} is not a device of the site{unknown(name)}",
        )
    return problems
