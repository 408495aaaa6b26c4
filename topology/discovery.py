"""Declared links against what the switches see: matching, missing, unexpected.

Switches report who is on each port three ways, from best to weakest:
LLDP and CDP neighbours (the neighbour names itself and its port) and the
bridge forwarding table (the MAC addresses learnt on the port). An
:class:`Observation` is one such report; :func:`compare_links` weighs them
against the site's ``links``:

* ``matching``: a declared link that a neighbour protocol or a learnt MAC on
  the declared port confirms;
* ``missing``: a declared link the switch contradicts or cannot confirm,
  although it was read and the far device can be recognised (it speaks LLDP
  or has a ``mac``): the cable is pulled, moved or never was;
* ``unexpected``: a neighbour on a port no link declares, or a site device's
  MAC on a port that cannot lead to it by the declared links;
* ``unverified``: a declared link nothing could confirm or contradict (the
  switch was not read, or the far device is silent and has no ``mac``).

A device is recognised by its id or name (LLDP system name, CDP device id
without its domain) or by its MAC address. Pure functions of the site and the
observations; the SNMP side lives in :mod:`drivers.snmp.discovery`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from topology.network import Link, PortRef
from topology.site import Device, SiteFile

MATCHING = "matching"
MISSING = "missing"
UNEXPECTED = "unexpected"
UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Observation:
    """What ``switch`` reports on its ``port``: a neighbour by ``how`` (``lldp``
    or ``cdp``) naming ``system`` and ``remote_port``, or (``fdb``) a learnt
    ``mac``. ``mac`` may also carry an LLDP chassis MAC."""

    switch: str
    port: str
    how: str
    system: str | None = None
    remote_port: str | None = None
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: ``link`` as ``A/port - B[/port]``, its status and
    the evidence (or why there is none)."""

    status: str
    link: str
    evidence: str


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    """The comparison; ``read`` and ``unread`` list the switches by whether
    they could be read (an unread switch's links are ``unverified``)."""

    findings: tuple[Finding, ...]
    read: tuple[str, ...] = ()
    unread: tuple[str, ...] = field(default=())

    def of(self, status: str) -> list[Finding]:
        return [f for f in self.findings if f.status == status]

    @property
    def consistent(self) -> bool:
        """No link missing and nothing unexpected."""
        return not self.of(MISSING) and not self.of(UNEXPECTED)

    def lines(self) -> list[str]:
        """The report as text, one finding per line, worst first."""
        order = {MISSING: 0, UNEXPECTED: 1, UNVERIFIED: 2, MATCHING: 3}
        ranked = sorted(self.findings, key=lambda f: (order[f.status], f.link))
        lines = [f"{f.status:<10} {f.link}  ({f.evidence})" for f in ranked]
        if self.unread:
            lines.append(f"not read: {', '.join(self.unread)}")
        return lines


class _Names:
    """Recognises site devices by name or MAC."""

    def __init__(self, devices: Iterable[Device]) -> None:
        self.by_name: dict[str, str] = {}
        self.by_mac: dict[str, str] = {}
        for device in devices:
            self.by_name[device.id.lower()] = device.id
            if device.name:
                self.by_name.setdefault(device.name.lower(), device.id)
            if device.mac:
                self.by_mac[device.mac] = device.id

    def device(self, observation: Observation) -> str | None:
        if observation.system:
            name = observation.system.strip().lower()
            found = self.by_name.get(name) or self.by_name.get(name.split(".")[0])
            if found:
                return found
        if observation.mac:
            return self.by_mac.get(observation.mac)
        return None


def _behind(links: Sequence[Link], switch: str, port: str) -> set[str]:
    """Devices the declared links reach from ``switch`` through ``port``."""
    start = [
        far.device
        for link in links
        for near, far in ((link.a, link.b), (link.b, link.a))
        if near.device == switch and near.port == port
    ]
    seen = {switch, *start}
    queue = list(start)
    while queue:
        here = queue.pop()
        for link in links:
            for near, far in ((link.a, link.b), (link.b, link.a)):
                if near.device == here and far.device not in seen:
                    seen.add(far.device)
                    queue.append(far.device)
    seen.discard(switch)
    return seen


def _talks(device: Device, kinds: frozenset[str]) -> bool:
    return device.kind.value in kinds or device.mac is not None


def compare_links(
    site: SiteFile,
    observations: Iterable[Observation],
    read: Iterable[str],
    *,
    lldp_kinds: frozenset[str] = frozenset({"switch", "camera", "server"}),
) -> DiscoveryReport:
    """Compare ``site.links`` with what the switches in ``read`` reported.

    ``lldp_kinds`` are device kinds expected to announce themselves (LLDP or
    CDP); other devices can only be confirmed by their ``mac``.
    """
    read_set = set(read)
    names = _Names(site.devices)
    devices = {device.id: device for device in site.devices}
    seen: dict[tuple[str, str], list[tuple[str | None, Observation]]] = {}
    for observation in observations:
        key = (observation.switch, observation.port)
        seen.setdefault(key, []).append((names.device(observation), observation))

    findings: list[Finding] = []
    declared_ports: set[tuple[str, str]] = set()
    for link in site.links:
        findings.append(_judge(link, seen, read_set, devices, lldp_kinds))
        for end in (link.a, link.b):
            if end.port is not None:
                declared_ports.add((end.device, end.port))

    for (switch, port), found in sorted(seen.items()):
        behind = _behind(site.links, switch, port)
        for device_id, observation in found:
            if observation.how == "fdb":
                if device_id is None or device_id in behind:
                    continue
                what = f"{switch}/{port} - {device_id}"
                evidence = f"fdb: {observation.mac} learnt here"
            else:
                if (switch, port) in declared_ports and device_id in behind:
                    continue
                far = device_id or observation.system or "?"
                remote = (
                    f"/{observation.remote_port}" if observation.remote_port else ""
                )
                what = f"{switch}/{port} - {far}{remote}"
                evidence = f"{observation.how}: {observation.system}"
                if device_id is None:
                    evidence += ", not a device of the site"
            findings.append(Finding(UNEXPECTED, what, evidence))

    unread = sorted(
        {
            end.device
            for link in site.links
            for end in (link.a, link.b)
            if end.port is not None
            and devices.get(end.device) is not None
            and devices[end.device].kind.value == "switch"
            and end.device not in read_set
        }
    )
    return DiscoveryReport(
        tuple(_unique(findings)), tuple(sorted(read_set)), tuple(unread)
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    kept: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        kept.setdefault((finding.status, finding.link), finding)
    return list(kept.values())


def _judge(
    link: Link,
    seen: dict[tuple[str, str], list[tuple[str | None, Observation]]],
    read: set[str],
    devices: dict[str, Device],
    lldp_kinds: frozenset[str],
) -> Finding:
    """One declared link, judged from both ends where they were read."""
    text = str(link)
    recognisable = False
    contradictions: list[str] = []
    for near, far in ((link.a, link.b), (link.b, link.a)):
        if near.device not in read or near.port is None:
            continue
        far_device = devices.get(far.device)
        if far_device is None:
            continue
        if _talks(far_device, lldp_kinds):
            recognisable = True
        for device_id, observation in seen.get((near.device, near.port), []):
            if device_id == far.device and _port_agrees(observation, far):
                return Finding(MATCHING, text, _evidence(near, observation))
            if observation.how != "fdb" and device_id != far.device:
                contradictions.append(
                    f"{observation.how} on {near} sees {observation.system}"
                )
    if contradictions:
        return Finding(MISSING, text, "; ".join(contradictions))
    if recognisable:
        ends = [str(end) for end in (link.a, link.b) if end.device in read and end.port]
        return Finding(MISSING, text, f"nothing on {', '.join(ends)} names it")
    if not any(end.device in read for end in (link.a, link.b)):
        return Finding(UNVERIFIED, text, "no switch of this link was read")
    return Finding(UNVERIFIED, text, "the far device is silent and has no mac")


def _port_agrees(observation: Observation, far: PortRef) -> bool:
    """A neighbour naming another port of the right device is a moved cable."""
    if observation.how == "fdb" or far.port is None or observation.remote_port is None:
        return True
    return observation.remote_port == far.port


def _evidence(near: PortRef, observation: Observation) -> str:
    if observation.how == "fdb":
        return f"fdb on {near}: {observation.mac}"
    remote = f" {observation.remote_port}" if observation.remote_port else ""
    return f"{observation.how} on {near}: {observation.system}{remote}"
