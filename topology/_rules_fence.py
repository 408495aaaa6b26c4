"""Checks of the fence segments across the site file, with line numbers.

Run by :class:`topology._rules.SiteRules`, whose helpers it borrows: ``report``
files a problem at a location and ``refer`` checks that an id names a declared
item of the expected kind (with a "did you mean" hint). Linear in the number of
segments and their bindings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping

from topology._yaml import Location
from topology.profile import ModbusProfile
from topology.profile_opcua import OpcUaDataType, OpcUaProfile
from topology.site import Device, DeviceKind, PointRef, SiteFile

Report = Callable[[Location, str], None]
Refer = Callable[[Location, str, str, str], bool]

SEGMENT = "fence segment"

# The segment inputs that must read as true/false; the signal is a level.
_FLAGS = ("alarm", "tamper", "fault")


class FenceRules:
    """Cross-checks of the ``fence_segments`` section. Construct, then
    :meth:`run`; problems go through ``report``."""

    def __init__(
        self,
        site: SiteFile,
        indexes: Mapping[str, list[int]],
        profiles: Mapping[str, ModbusProfile | OpcUaProfile],
        unusable_profiles: Iterable[str],
        report: Report,
        refer: Refer,
    ) -> None:
        self._site = site
        self._indexes = indexes
        self._profiles = profiles
        self._unusable = frozenset(unusable_profiles)
        self._report = report
        self._refer = refer
        self._devices: dict[str, Device] = {d.id: d for d in site.devices}

    def run(self) -> None:
        positions = self._indexes.get("fence_segments", [])
        for segment, index in zip(self._site.fence_segments, positions, strict=True):
            where: Location = ("fence_segments", index)
            name = f"fence segment {segment.id}"
            self._refer((*where, "zone"), f"{name} guards", segment.zone, "space")
            for position, other in enumerate(segment.adjacent or []):
                location = (*where, "adjacent", position)
                if other == segment.id:
                    self._report(location, f"{name} is listed as its own neighbour")
                else:
                    self._refer(location, f"{name} is next to", other, SEGMENT)
            for position, camera in enumerate(segment.cameras):
                location = (*where, "cameras", position)
                if not self._refer(location, f"{name} is covered by", camera, "device"):
                    continue
                device = self._devices.get(camera)
                if device is not None and device.kind is not DeviceKind.CAMERA:
                    self._report(
                        location,
                        f"{name} is covered by {camera}, which is a {device.kind}, "
                        "not a camera",
                    )
            for attribute, ref in segment.bindings.refs().items():
                self._check_binding(
                    name, attribute, ref, (*where, "bindings", attribute)
                )

    def _check_binding(
        self, name: str, attribute: str, ref: PointRef, location: Location
    ) -> None:
        what = f"{name}: '{attribute}' is bound to"
        if not self._refer(location, what, ref.device, "device"):
            return
        device = self._devices.get(ref.device)
        if device is None or device.profile in self._unusable:
            return  # already reported with the device or its profile
        profile = self._profiles.get(device.profile) if device.profile else None
        if profile is None:
            self._report(
                location,
                f"{what} {ref.device}/{ref.point}, but device {ref.device} has no "
                "profile to say which points it has",
            )
            return
        names = profile.point_names
        if ref.point not in names:
            close = difflib.get_close_matches(ref.point, sorted(names), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self._report(
                location,
                f"{what} point {ref.point} of device {ref.device}, but its profile "
                f"{profile.id} has no such point{hint}",
            )
            return
        if attribute in _FLAGS and isinstance(profile, OpcUaProfile):
            data_type = profile.point(ref.point).data_type
            if data_type is not OpcUaDataType.BOOL:
                self._report(
                    location,
                    f"{what} {ref.device}/{ref.point}, a {data_type} point; "
                    f"'{attribute}' needs a bool point",
                )
