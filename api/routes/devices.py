"""Devices as their drivers see them: endpoint, health and every point's value."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.context import ApiContext
from api.deps import Context, not_found
from api.schemas import (
    DeviceOut,
    EndpointOut,
    PointOut,
    to_datetime,
    to_optional_datetime,
)
from topology.sample import Quality, Sample
from topology.site import Device

router = APIRouter(tags=["devices"])


def _reading(sample: Sample | None) -> dict[str, Any]:
    if sample is None:
        return {"value": None, "quality": None, "timestamp": None}
    return {
        "value": sample.value,
        "quality": sample.quality.value,
        "timestamp": to_datetime(sample.source_time),
        "reason": sample.reason,
    }


def _points(context: ApiContext, device: Device) -> list[PointOut]:
    """Every point of the device: the profile's (Modbus or OPC UA), in profile
    order, with their addresses; for devices whose points are discovered (SNMP
    interfaces), every point read so far."""
    latest = context.twin.points(device.id)
    modbus = context.site.profiles.get(device.profile or "")
    opcua = context.site.opcua_profiles.get(device.profile or "")
    if modbus is not None:
        return [
            PointOut(
                name=p.name,
                table=p.table.value,
                address=p.address,
                data_type=p.data_type.value,
                unit=p.unit,
                writable=p.writable,
                **_reading(latest.get(p.name)),
            )
            for p in modbus.points
        ]
    if opcua is not None:
        return [
            PointOut(
                name=p.name,
                node=p.node,
                data_type=p.data_type.value,
                unit=p.unit,
                writable=p.writable,
                **_reading(latest.get(p.name)),
            )
            for p in opcua.points
        ]
    return [PointOut(name=name, **_reading(latest[name])) for name in sorted(latest)]


def known_point(context: ApiContext, device: Device, point: str) -> bool:
    """Whether ``point`` is in the device's profile or has been read from it."""
    modbus = context.site.profiles.get(device.profile or "")
    opcua = context.site.opcua_profiles.get(device.profile or "")
    if modbus is not None and point in modbus.point_names:
        return True
    if opcua is not None and any(p.name == point for p in opcua.points):
        return True
    return point in context.twin.points(device.id)


def _last_seen(context: ApiContext, device_id: str) -> float | None:
    """When a good reading last came from the device (epoch seconds)."""
    seen = [
        sample.received_time
        for sample in context.twin.points(device_id).values()
        if sample.quality is not Quality.BAD
    ]
    return max(seen, default=None)


def _device_out(context: ApiContext, device: Device, with_points: bool) -> DeviceOut:
    health = context.twin.device_health(device.id)
    endpoint = device.endpoint
    return DeviceOut(
        id=device.id,
        name=device.name,
        kind=device.kind.value,
        protocol=device.protocol.value,
        profile=device.profile,
        endpoint=EndpointOut(**endpoint.model_dump()) if endpoint is not None else None,
        poll_interval_s=device.poll_interval_s,
        status=health.status.value,
        status_since=to_optional_datetime(health.since or None),
        last_seen=to_optional_datetime(_last_seen(context, device.id)),
        consecutive_failures=health.consecutive_failures,
        reason=health.reason,
        points=_points(context, device) if with_points else None,
    )


@router.get("/devices", response_model_exclude_none=False)
def list_devices(
    context: Context,
    kind: str | None = Query(None, description="only devices of this kind"),
    points: bool = Query(True, description="include each device's points"),
) -> list[DeviceOut]:
    """Every device of the site with its health and, by default, its points."""
    return [
        _device_out(context, device, points)
        for device in context.site.site.devices
        if kind is None or device.kind.value == kind
    ]


@router.get("/devices/{device_id}")
def get_device(context: Context, device_id: str) -> DeviceOut:
    """One device, its health and every point with value, quality and address."""
    try:
        device = context.site.device(device_id)
    except KeyError:
        raise not_found("device", device_id) from None
    return _device_out(context, device, True)
