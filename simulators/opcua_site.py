"""Perimeter processor simulators built from a site file.

Every OPC UA device of the site gets a :class:`PerimeterSimulator` serving its
profile, with the fence segments whose bindings point at it. The endpoint's
security is mirrored: a device the platform reaches with Basic256Sha256 and a
user name is simulated requiring exactly that, the password read from the same
environment variable.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from simulators.opcua import PerimeterSimulator, SegmentPoints
from simulators.opcua_server import SimulatorSecurity
from topology.profile_opcua import OpcUaProfile
from topology.site import Protocol, SiteFile
from topology.site_opcua import SecurityMode, SecurityPolicy, parse_opcua_url


def segments_on(site: SiteFile, device_id: str) -> dict[str, SegmentPoints]:
    """The fence segments whose alarm point is on ``device_id``, with the names of
    their points on that device (points bound elsewhere are left out)."""
    found: dict[str, SegmentPoints] = {}
    for segment in site.fence_segments:
        bindings = segment.bindings
        if bindings.alarm.device != device_id:
            continue

        local = {
            name: ref.point
            for name, ref in bindings.refs().items()
            if ref.device == device_id
        }
        found[segment.id] = SegmentPoints(
            alarm=bindings.alarm.point,
            tamper=local.get("tamper"),
            fault=local.get("fault"),
            signal=local.get("signal"),
        )
    return found


def perimeter_simulator_for(
    site: SiteFile,
    profiles: Mapping[str, Any],
    device_id: str,
    *,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> PerimeterSimulator:
    """A (not yet started) simulator for the OPC UA device ``device_id``.

    ``profiles`` maps profile ids to loaded profiles. ``options`` go to
    :class:`PerimeterSimulator` and override what the site says (``port=0`` for
    tests). Raises ``ValueError`` when the device is not an OPC UA device with an
    OPC UA profile, or its password variable is not set.
    """
    device = next((d for d in site.devices if d.id == device_id), None)
    if device is None or device.protocol is not Protocol.OPCUA:
        raise ValueError(f"{device_id!r} is not an OPC UA device of this site")
    profile = profiles.get(device.profile) if device.profile else None
    if not isinstance(profile, OpcUaProfile):
        raise ValueError(f"{device_id!r} has no OPC UA profile")

    settings: dict[str, Any] = {}
    endpoint = device.endpoint
    if endpoint is not None:
        settings["host"] = endpoint.host
        settings["port"] = endpoint.port
        if endpoint.url is not None:
            settings["path"] = parse_opcua_url(endpoint.url).path
        security = endpoint.security
        if security is not None and security.policy is not SecurityPolicy.NONE:
            env = os.environ if environ is None else environ
            password = env.get(security.password_env or "")
            if security.username is None or password is None:
                raise ValueError(
                    f"{device_id}: a secured simulator needs security.username and "
                    f"the variable {security.password_env} set"
                )
            settings["security"] = SimulatorSecurity(
                security.username,
                password,
                allow_sign=security.channel_mode is SecurityMode.SIGN,
            )
    settings.update(options)
    return PerimeterSimulator(
        device_id, profile, segments_on(site, device_id), **settings
    )


@asynccontextmanager
async def start_perimeter_simulator(
    site: SiteFile,
    profiles: Mapping[str, Any],
    device_id: str,
    **options: Any,
) -> AsyncIterator[PerimeterSimulator]:
    """Run the simulator of ``device_id`` for the duration of the block; see
    :func:`perimeter_simulator_for` for the arguments. Its real port is
    ``simulator.port``."""
    simulator = perimeter_simulator_for(site, profiles, device_id, **options)
    async with simulator:
        yield simulator
