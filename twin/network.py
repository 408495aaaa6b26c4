"""Root cause in the network: which devices are cut off, and by what.

Every device has a path from the platform (:func:`topology.paths.network_paths`).
Walking it outward, the first broken element is the cause:

1. the port a hop leaves by is down, as reported by the device that owns it
   (reachable, since every element before it is fine): ``port_down``;
2. a device passed through on the way (a switch) is offline: ``device_offline``.

A device with a cause is ``unreachable``; its own health says little then,
since nothing could have reached it. A device whose path is whole but which
does not answer is simply offline: the fault is its own. An end device whose
switch port went down is unreachable with that port as cause, because a dead
device and a cut cable look the same from the switch.

One alarm is raised per cause (``link_down`` for a port, ``device_offline``
for a device on the way), naming every device behind it, instead of one
alarm per device. Ports report down with ifOperStatus ``down``,
``lower_layer_down`` or ``not_present``; any other status, or none yet, is
not taken as down.

An offline report received while a device was cut off says nothing about the
device itself. When the cut is repaired, such a device is *suspect*: its
offline status is not used as a cause until the twin confirms it (its poller
still cannot reach it after a grace time), so a repaired uplink does not turn
into a burst of alarms for devices whose pollers have not caught up yet.

Pure logic with no I/O and no clock: the twin feeds it port and device
changes and turns what :meth:`NetworkWatch.update` returns into events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from topology.paths import NetworkPath

DOWN = frozenset({"down", "lower_layer_down", "not_present"})

PORT_DOWN = "port_down"
DEVICE_OFFLINE = "device_offline"
ALARM_NAMES = {PORT_DOWN: "link_down", DEVICE_OFFLINE: "device_offline"}

_PREFIX = "if."
_SUFFIX = ".oper_status"


def oper_status_point(port: str) -> str:
    """The point that carries ``port``'s ifOperStatus (``if.<port>.oper_status``)."""
    return f"{_PREFIX}{port}{_SUFFIX}"


@dataclass(frozen=True, slots=True, order=True)
class NetworkCause:
    """What cuts devices off: a port that is down (``port`` set) or a device
    on the way that is offline. ``link`` describes the hop for people."""

    kind: str
    device: str
    port: str | None = None
    link: str = field(default="", compare=False)

    @property
    def alarm(self) -> str:
        """The alarm's name: ``link_down`` or ``device_offline``."""
        return ALARM_NAMES[self.kind]

    def describe(self) -> str:
        if self.kind == PORT_DOWN:
            return f"port {self.port} of {self.device} is down (link {self.link})"
        return f"{self.device} is offline"


def find_cause(
    path: NetworkPath,
    offline: frozenset[str] | set[str],
    port_status: Mapping[tuple[str, str], str],
) -> NetworkCause | None:
    """The first broken element on ``path``, or ``None`` if it is whole.

    ``offline`` holds the devices reported offline; ``port_status`` the last
    ifOperStatus word by (device, port).
    """
    for hop in path.hops:
        port = hop.upstream_port
        if port is not None and port_status.get((hop.upstream, port)) in DOWN:
            return NetworkCause(PORT_DOWN, hop.upstream, port, str(hop))
        if hop.downstream != path.device and hop.downstream in offline:
            return NetworkCause(DEVICE_OFFLINE, hop.downstream, None, str(hop))
    return None


@dataclass(frozen=True, slots=True)
class NetworkChange:
    """What one :meth:`NetworkWatch.update` changed.

    ``unreachable`` maps each device whose cause changed to its new cause
    (``None``: reachable again) and ``previous`` to the cause it had before.
    ``suspected`` lists devices that became reachable while last reported
    offline (see the module docstring).
    """

    unreachable: dict[str, NetworkCause | None]
    previous: dict[str, NetworkCause | None]
    suspected: list[str]

    def __bool__(self) -> bool:
        return bool(self.unreachable or self.suspected)


class NetworkWatch:
    """The network's live state for a site's paths, and its current causes."""

    def __init__(self, paths: Mapping[str, NetworkPath]) -> None:
        self._paths = dict(paths)
        # Only the ports that paths leave by matter; samples of other ports
        # are skipped with one dictionary look-up.
        self._watched: dict[str, dict[str, str]] = {}
        for path in self._paths.values():
            for hop in path.hops:
                if hop.upstream_port is not None:
                    points = self._watched.setdefault(hop.upstream, {})
                    points[oper_status_point(hop.upstream_port)] = hop.upstream_port
        self._ports: dict[tuple[str, str], str] = {}
        self._offline: set[str] = set()
        self._reported_while_cut: set[str] = set()
        self._suspect: set[str] = set()
        self._causes: dict[str, NetworkCause] = {}

    @property
    def paths(self) -> Mapping[str, NetworkPath]:
        return self._paths

    def watched_port(self, device: str, point: str) -> str | None:
        """The port name if ``point`` of ``device`` is a watched oper status."""
        points = self._watched.get(device)
        return None if points is None else points.get(point)

    def set_port(self, device: str, port: str, status: str | None) -> bool:
        """Record a port's ifOperStatus word (``None``: unknown); True if it changed."""
        key = (device, port)
        if status is None:
            return self._ports.pop(key, None) is not None
        if self._ports.get(key) == status:
            return False
        self._ports[key] = status
        return True

    def set_offline(self, device: str, offline: bool) -> bool:
        """Record a fresh health report for ``device``; True if that changed
        whether it counts as offline."""
        before = device in self._offline and device not in self._suspect
        self._suspect.discard(device)
        if offline:
            self._offline.add(device)
            if device in self._causes:
                self._reported_while_cut.add(device)
        else:
            self._offline.discard(device)
            self._reported_while_cut.discard(device)
        return before != (device in self._offline)

    def confirm(self, device: str) -> bool:
        """Trust a suspect device's offline status after all; True if it was
        suspect. Call :meth:`update` afterwards."""
        if device not in self._suspect:
            return False
        self._suspect.discard(device)
        self._reported_while_cut.discard(device)
        return True

    def cause_of(self, device: str) -> NetworkCause | None:
        """Why ``device`` is unreachable, or ``None`` if nothing on its path is
        broken (as of the last :meth:`update`)."""
        return self._causes.get(device)

    def causes(self) -> dict[NetworkCause, list[str]]:
        """Every current cause and the devices behind it, in path order."""
        behind: dict[NetworkCause, list[str]] = {}
        for device, cause in self._causes.items():
            behind.setdefault(cause, []).append(device)
        return behind

    def update(self) -> NetworkChange:
        """Recompute every device's cause and say what changed since last time.

        Time is linear in the total length of the paths (times the rare extra
        pass when a repair leaves devices suspect).
        """
        suspected: list[str] = []
        while True:
            trusted = frozenset(self._offline - self._suspect)
            causes: dict[str, NetworkCause] = {}
            for device, path in self._paths.items():
                cause = find_cause(path, trusted, self._ports)
                if cause is not None:
                    causes[device] = cause
            # Offline reports made while cut off are suspect once the cut is
            # gone; another pass, since they may have been causes themselves.
            fresh = sorted(
                d
                for d in self._reported_while_cut & trusted
                if d not in causes and d in self._offline
            )
            if not fresh:
                break
            self._suspect.update(fresh)
            suspected.extend(fresh)

        unreachable: dict[str, NetworkCause | None] = {}
        previous: dict[str, NetworkCause | None] = {}
        for device in sorted(self._causes.keys() | causes.keys()):
            if self._causes.get(device) != causes.get(device):
                unreachable[device] = causes.get(device)
                previous[device] = self._causes.get(device)
        self._causes = causes
        return NetworkChange(unreachable, previous, suspected)


def alarm_conditions(
    causes: Mapping[NetworkCause, Sequence[str]],
) -> dict[tuple[str, str], list[str]]:
    """The alarms the current causes call for: one per (alarm, switch), with
    its cause chain. Several ports down on one switch share its ``link_down``
    alarm; a switch offline on the way amends its own ``device_offline``.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for cause in sorted(causes):
        chain = found.setdefault((cause.alarm, cause.device), [])
        if not chain:
            chain.append(
                f"{cause.device} cuts devices off"
                if cause.kind == DEVICE_OFFLINE
                else f"link down on {cause.device}"
            )
        devices = ", ".join(causes[cause])
        chain.append(f"{cause.describe()}: {devices} unreachable")
    return found


@dataclass(frozen=True, slots=True)
class NetworkEvent:
    """A state event the twin should publish for a device whose reachability
    changed, as in :class:`twin.events.Event`."""

    node: str
    old: str
    new: str
    detail: Mapping[str, object]


def network_events(
    change: NetworkChange, status: Mapping[str, str]
) -> list[NetworkEvent]:
    """``state_changed`` events for devices turning unreachable or reachable.

    ``status`` holds each changed device's health status word (what it shows
    when reachable). A device whose cause merely changed to another cause gets
    no event; the alarms say it.
    """
    events = []
    for device, cause in change.unreachable.items():
        before = change.previous.get(device)
        if (before is None) == (cause is None):
            continue
        own = status.get(device, "unknown")
        if cause is not None:
            events.append(NetworkEvent(device, own, "unreachable", describe(cause)))
        else:
            assert before is not None
            events.append(
                NetworkEvent(
                    device, "unreachable", own, {**describe(before), "cleared": True}
                )
            )
    return events


def describe(cause: NetworkCause) -> dict[str, object]:
    """The cause as event detail."""
    return {
        "cause": cause.describe(),
        "cause_kind": cause.kind,
        "cause_device": cause.device,
        "port": cause.port,
        "link": cause.link,
    }
