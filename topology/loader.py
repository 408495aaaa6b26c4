"""Loading a site file and its profiles into a validated, typed structure.

``load_site`` reads the site file, validates it with the models of
:mod:`topology.site`, reads and checks every profile it lists, cross-checks the
whole (see :mod:`topology._rules`) and builds the graph of :mod:`topology.graph`.
It reports every mistake it finds at once, each with its file and line, by
raising :class:`SiteError`; nothing is loaded from a file with mistakes.

Profile paths in the site file are relative to the site file's directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from topology._network_rules import network_problems
from topology._profiles import load_profile
from topology._rules import NODE_SECTIONS, SiteRules
from topology._validate import validate
from topology._yaml import YamlReadError, read_yaml
from topology.graph import build_graph
from topology.problems import Problem, SiteError
from topology.profile import ModbusProfile
from topology.profile_opcua import OpcUaProfile
from topology.site import Device, Endpoint, SiteFile

__all__ = ["LoadedSite", "Problem", "SiteError", "load_site", "with_endpoints"]


@dataclass(frozen=True)
class LoadedSite:
    """A validated site: the file's model, its profiles by id and the graph.

    ``profiles`` holds the Modbus profiles and ``opcua_profiles`` the OPC UA ones
    (a profile id is in one of them, never both).
    """

    path: Path
    site: SiteFile
    profiles: Mapping[str, ModbusProfile]
    graph: Any  # networkx.MultiDiGraph; see topology.graph for node and edge kinds
    opcua_profiles: Mapping[str, OpcUaProfile] = field(default_factory=dict)

    def device(self, device_id: str) -> Device:
        for device in self.site.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)

    def profile_for(self, device_id: str) -> ModbusProfile:
        device = self.device(device_id)
        if device.profile is None:
            raise KeyError(f"device {device_id!r} has no profile")
        return self.profiles[device.profile]

    def opcua_profile_for(self, device_id: str) -> OpcUaProfile:
        """The OPC UA profile of ``device_id``; ``KeyError`` if it has none."""
        device = self.device(device_id)
        if device.profile is None or device.profile not in self.opcua_profiles:
            raise KeyError(f"device {device_id!r} has no OPC UA profile")
        return self.opcua_profiles[device.profile]


def load_site(path: str | Path) -> LoadedSite:
    """Read, validate and link a site file; raise :class:`SiteError` listing every
    problem found (file, line, plain sentence).

    Problems in the site file come first, in line order, then those of each
    profile file. Time and memory grow linearly with the size of the files.
    """
    site_path = Path(path)
    try:
        document = read_yaml(site_path)
    except YamlReadError as exc:
        raise SiteError([Problem(site_path, exc.line, exc.message)]) from exc
    if document.data is None:
        raise SiteError([Problem(site_path, None, "the site file is empty")])

    result = validate(
        document,
        SiteFile,
        "site file",
        lists=(*NODE_SECTIONS, "links"),
        mappings=("profiles",),
    )
    problems = list(result.problems)
    site = result.model
    if site is None:
        raise SiteError(_ordered(problems, site_path))

    profiles: dict[str, ModbusProfile] = {}
    opcua_profiles: dict[str, OpcUaProfile] = {}
    unusable = set(result.dropped.get("profiles", set()))
    for profile_id, relative in site.profiles.items():
        location = ("profiles", profile_id)
        line = document.line_of(location)
        profile_path = site_path.parent / relative
        if not profile_path.is_file():
            problems.append(
                Problem(
                    site_path,
                    line,
                    f"profile {profile_id}: file {relative} not found "
                    f"(looked for {profile_path})",
                )
            )
            unusable.add(profile_id)
            continue
        profile, found = load_profile(
            profile_path, profile_id, f"{site_path.name} line {line}"
        )
        problems.extend(found)
        if profile is None:
            unusable.add(profile_id)
        elif isinstance(profile, OpcUaProfile):
            opcua_profiles[profile_id] = profile
        else:
            profiles[profile_id] = profile

    rules = SiteRules(
        document, site, result.indexes, profiles, unusable, opcua_profiles
    )
    problems.extend(rules.run())
    problems.extend(network_problems(document, site, result.indexes))
    if problems:
        raise SiteError(_ordered(problems, site_path))
    return LoadedSite(site_path, site, profiles, build_graph(site), opcua_profiles)


def with_endpoints(site: LoadedSite, endpoints: Mapping[str, Endpoint]) -> LoadedSite:
    """A copy of ``site`` whose devices named in ``endpoints`` use those endpoints.

    Simulators bound to port 0 learn their real ports only once listening; this
    lets the rest of the platform talk to them. Devices not named keep theirs.
    Raises ``KeyError`` naming any device id that the site does not have.
    """
    known = {device.id for device in site.site.devices}
    unknown = sorted(set(endpoints) - known)
    if unknown:
        raise KeyError(f"the site has no device {', '.join(unknown)}")

    devices = [
        device.model_copy(update={"endpoint": endpoints[device.id]})
        if device.id in endpoints
        else device
        for device in site.site.devices
    ]
    return replace(site, site=site.site.model_copy(update={"devices": devices}))


def _ordered(problems: list[Problem], site_path: Path) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (p.file != site_path, str(p.file), p.line or 0),
    )
