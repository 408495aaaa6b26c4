"""Checks across a whole site file: references, duplicates, cycles, bindings.

Every check runs in time linear in the size of the file (dictionary look-ups, one
walk of the containment tree), so a site of thousands of doors checks quickly.

Ids are gathered from the raw file, including items that failed validation, so a
door that names a space with a typo in its ``kind`` is not also reported as
naming an unknown space.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from topology._rules_fence import FenceRules
from topology._yaml import Location, YamlDocument
from topology.problems import Problem
from topology.profile import DataType, ModbusProfile
from topology.profile_opcua import OpcUaProfile
from topology.site import Door, PointRef, Protocol, SiteFile

# Sections whose items are graph nodes, sharing one id namespace, and the noun
# for one item of each.
NODE_SECTIONS = {
    "spaces": "space",
    "doors": "door",
    "devices": "device",
    "interlocks": "interlock",
    "fence_segments": "fence segment",
}

# Door inputs that a second door must not share: one physical contact, bolt
# switch, exit button or lock relay belongs to one door. A tamper loop may be
# shared (one cabinet switch watching the locks of a pair of doors).
_EXCLUSIVE_ATTRIBUTES = ("locked", "closed", "request_to_exit", "lock")


@dataclass(frozen=True, slots=True)
class Declared:
    """Where an id is first defined: its kind (space, door, ...) and line."""

    kind: str
    line: int


class SiteRules:
    """Cross-checks of one site file. Construct, then call :meth:`run`."""

    def __init__(
        self,
        document: YamlDocument,
        site: SiteFile,
        indexes: Mapping[str, list[int]],
        profiles: Mapping[str, ModbusProfile],
        unusable_profiles: Iterable[str],
        opcua_profiles: Mapping[str, OpcUaProfile] | None = None,
    ) -> None:
        self._doc = document
        self._site = site
        self._indexes = indexes
        self._profiles = profiles
        self._opcua_profiles = opcua_profiles or {}
        self._unusable_profiles = frozenset(unusable_profiles)
        self._problems: list[Problem] = []
        self._declared: dict[str, Declared] = {}
        self._suggestions_left = 20
        self._valid_devices = {device.id: device for device in site.devices}
        # Point look-up tables, one per profile, so each binding costs O(1).
        self._points = {
            profile_id: {point.name: point for point in profile.points}
            for profile_id, profile in profiles.items()
        }

    def run(self) -> list[Problem]:
        """All problems found; an empty list means the file is consistent."""
        self._collect_ids()
        self._check_spaces()
        self._check_devices()
        self._check_doors()
        self._check_interlocks()
        FenceRules(
            self._site,
            self._indexes,
            {**self._profiles, **self._opcua_profiles},
            self._unusable_profiles,
            self._report,
            self._refer,
        ).run()
        return self._problems

    # -- helpers ---------------------------------------------------------

    def _report(self, location: Location, message: str) -> None:
        self._problems.append(
            Problem(self._doc.path, self._doc.line_of(location), message)
        )

    def _items(self, section: str, models: list[Any]) -> Iterable[tuple[Any, int]]:
        """Each valid model of a section with its position in the file."""
        return zip(models, self._indexes.get(section, []), strict=True)

    def _refer(
        self, location: Location, subject: str, target: str, expected: str
    ) -> bool:
        """Report ``target`` if it is not a defined ``expected`` (space, door...).

        ``subject`` starts the sentence (``door D-1 connects``).
        """
        found = self._declared.get(target)
        if found is None:
            self._report(
                location,
                f"{subject} {expected} {target}, which is not defined"
                f"{self._suggest(target, expected)}",
            )
            return False
        if found.kind != expected:
            self._report(
                location,
                f"{subject} {target}, which is a {found.kind}, not a {expected}",
            )
            return False
        return True

    def _suggest(self, target: str, kind: str) -> str:
        # A look-alike search costs O(ids); a file with thousands of broken
        # references gets suggestions for the first few only.
        if self._suggestions_left <= 0:
            return ""
        self._suggestions_left -= 1
        candidates = [i for i, d in self._declared.items() if d.kind == kind]
        close = difflib.get_close_matches(target, candidates, n=1)
        return f" (did you mean {close[0]}?)" if close else ""

    # -- ids -------------------------------------------------------------

    def _collect_ids(self) -> None:
        data = self._doc.data
        for section, kind in NODE_SECTIONS.items():
            items = data.get(section) if isinstance(data, dict) else None
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                node_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(node_id, str):
                    continue
                location = (section, index, "id")
                line = self._doc.line_of(location)
                first = self._declared.get(node_id)
                if first is None:
                    self._declared[node_id] = Declared(kind, line)
                else:
                    self._report(
                        location,
                        f"id {node_id} is already used by the {first.kind} on line "
                        f"{first.line}; spaces, doors, devices, interlocks and "
                        "fence segments need ids unique across all of them",
                    )

    # -- spaces ----------------------------------------------------------

    def _check_spaces(self) -> None:
        parents: dict[str, str] = {}
        lines: dict[str, Location] = {}
        for space, index in self._items("spaces", self._site.spaces):
            lines.setdefault(space.id, ("spaces", index))
            if space.parent is None:
                continue
            location = ("spaces", index, "parent")
            if space.parent == space.id:
                self._report(location, f"space {space.id} is its own parent")
                continue
            subject = f"space {space.id} has parent"
            if self._refer(location, subject, space.parent, "space"):
                parents.setdefault(space.id, space.parent)
        self._check_cycles(parents, lines)

    def _check_cycles(
        self, parents: Mapping[str, str], lines: Mapping[str, Location]
    ) -> None:
        """Report each containment loop once, at its first space in the file.

        Each space has at most one parent, so following parents from every
        space, and never walking a space twice, finds every loop in O(n).
        """
        done: set[str] = set()
        for start in lines:
            path: list[str] = []
            on_path: set[str] = set()
            node: str | None = start
            while node is not None and node not in done and node not in on_path:
                path.append(node)
                on_path.add(node)
                node = parents.get(node)
            if node is not None and node in on_path:
                loop = path[path.index(node) :]
                first = min(loop, key=lambda s: self._doc.line_of(lines[s]))
                at = loop.index(first)
                ordered = [*loop[at:], *loop[:at], first]
                self._report(
                    (*lines[first], "parent"),
                    "spaces contain each other in a loop: "
                    + " is inside ".join(ordered),
                )
            done.update(path)

    # -- devices ---------------------------------------------------------

    def _check_devices(self) -> None:
        declared_profiles = self._declared_profiles()
        endpoints: dict[tuple[str, int, int], tuple[str, int]] = {}
        for device, index in self._items("devices", self._site.devices):
            where = ("devices", index)
            if device.protocol is Protocol.MODBUS:
                if device.endpoint is None:
                    self._report(
                        where,
                        f"device {device.id} speaks modbus but has no endpoint "
                        "(host, port, unit_id)",
                    )
                if device.profile is None:
                    self._report(
                        where,
                        f"device {device.id} speaks modbus but names no profile, "
                        "so its points are unknown",
                    )
            if device.protocol is Protocol.OPCUA:
                if device.endpoint is None:
                    self._report(
                        where,
                        f"device {device.id} speaks opcua but has no endpoint "
                        "(url, or host and port)",
                    )
                if device.profile is None:
                    self._report(
                        where,
                        f"device {device.id} speaks opcua but names no profile, "
                        "so its nodes are unknown",
                    )
            if device.profile is not None:
                self._check_device_profile(
                    device.id,
                    device.protocol,
                    device.profile,
                    (*where, "profile"),
                    declared_profiles,
                )
            if device.location is not None:
                self._refer(
                    (*where, "location"),
                    f"device {device.id} is located in",
                    device.location,
                    "space",
                )
            endpoint = device.endpoint
            # Port 0 asks the operating system for any free port (simulators in
            # tests), so two such devices never collide.
            if endpoint is not None and endpoint.port != 0:
                key = (endpoint.host.lower(), endpoint.port, endpoint.unit_id)
                line = self._doc.line_of((*where, "endpoint"))
                first = endpoints.setdefault(key, (device.id, line))
                if first[0] != device.id:
                    self._report(
                        (*where, "endpoint"),
                        f"device {device.id} has the same endpoint "
                        f"{endpoint.host}:{endpoint.port} unit {endpoint.unit_id} "
                        f"as device {first[0]} on line {first[1]}",
                    )

    def _declared_profiles(self) -> set[str]:
        data = self._doc.data
        raw = data.get("profiles") if isinstance(data, dict) else None
        return {str(key) for key in raw} if isinstance(raw, dict) else set()

    def _check_device_profile(
        self,
        device_id: str,
        protocol: Protocol,
        profile_id: str,
        location: Location,
        declared: set[str],
    ) -> None:
        if profile_id not in declared:
            close = difflib.get_close_matches(profile_id, sorted(declared), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self._report(
                location,
                f"device {device_id} uses profile {profile_id}, which is not listed "
                f"under 'profiles'{hint}",
            )
            return
        profile: ModbusProfile | OpcUaProfile | None = self._profiles.get(profile_id)
        if profile is None:
            profile = self._opcua_profiles.get(profile_id)
        if profile is not None and protocol.value != profile.protocol:
            self._report(
                location,
                f"device {device_id} speaks {protocol}, but profile {profile_id} "
                f"is a {profile.protocol} profile",
            )

    # -- doors -----------------------------------------------------------

    def _check_doors(self) -> None:
        users: dict[tuple[str, str], tuple[str, str, int]] = {}
        for door, index in self._items("doors", self._site.doors):
            where = ("doors", index)
            self._check_between(door, where)
            refs: list[tuple[str, PointRef, Location]] = [
                (name, ref, (*where, "bindings", name))
                for name, ref in door.bindings.refs().items()
            ]
            if door.lock is not None:
                refs.append(("lock", door.lock, (*where, "lock")))
            for attribute, ref, location in refs:
                usable = self._check_binding(door.id, attribute, ref, location)
                if usable and attribute in _EXCLUSIVE_ATTRIBUTES:
                    self._check_shared(door.id, attribute, ref, location, users)

    def _check_between(self, door: Door, where: Location) -> None:
        first, second = door.between
        if first == second:
            self._report(
                (*where, "between"), f"door {door.id} connects space {first} to itself"
            )
            return
        for side, space in enumerate(door.between):
            self._refer(
                (*where, "between", side), f"door {door.id} connects", space, "space"
            )

    def _check_binding(
        self, door_id: str, attribute: str, ref: PointRef, location: Location
    ) -> bool:
        """Check one door input or the lock output; ``True`` if the point exists."""
        what = f"door {door_id}: '{attribute}' is bound to"
        if not self._refer(location, what, ref.device, "device"):
            return False
        device = self._valid_devices.get(ref.device)
        if device is None or device.profile in self._unusable_profiles:
            return False  # the device or its profile is already reported
        if device.profile is None:
            self._report(
                location,
                f"{what} {ref.device}/{ref.point}, but device {ref.device} has no "
                "profile to say which points it has",
            )
            return False
        profile = self._profiles.get(device.profile)
        if profile is None:
            return False  # unknown profile id, reported with the device
        point = self._points[device.profile].get(ref.point)
        if point is None:
            close = difflib.get_close_matches(ref.point, sorted(profile.point_names), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self._report(
                location,
                f"{what} point {ref.point} of device {ref.device}, but its profile "
                f"{profile.id} has no such point{hint}",
            )
            return False

        if attribute == "lock":
            if not point.writable:
                self._report(
                    location,
                    f"door {door_id}: lock point {ref.device}/{ref.point} is not "
                    f"writable in profile {profile.id}, so the door could not be "
                    "locked or unlocked",
                )
        elif point.data_type is not DataType.BOOL:
            self._report(
                location,
                f"{what} {ref.device}/{ref.point}, a {point.data_type} point; "
                f"'{attribute}' needs a bool point",
            )
        return True

    def _check_shared(
        self,
        door_id: str,
        attribute: str,
        ref: PointRef,
        location: Location,
        users: dict[tuple[str, str], tuple[str, str, int]],
    ) -> None:
        key = (ref.device, ref.point)
        line = self._doc.line_of(location)
        first = users.setdefault(key, (door_id, attribute, line))
        if first[0] != door_id:
            self._report(
                location,
                f"door {door_id}: '{attribute}' is bound to {ref.device}/{ref.point}, "
                f"which already serves door {first[0]} ('{first[1]}' on line "
                f"{first[2]})",
            )

    # -- interlocks ------------------------------------------------------

    def _check_interlocks(self) -> None:
        for interlock, index in self._items("interlocks", self._site.interlocks):
            seen: set[str] = set()
            for position, door_id in enumerate(interlock.doors):
                location = ("interlocks", index, "doors", position)
                if door_id in seen:
                    self._report(
                        location, f"interlock {interlock.id} lists door {door_id} twice"
                    )
                    continue
                seen.add(door_id)
                self._refer(
                    location, f"interlock {interlock.id} names", door_id, "door"
                )
