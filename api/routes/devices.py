"""Devices as their drivers see them: endpoint, health and every point's value."""

from __future__ import annotations

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
from topology.sample import Quality
from topology.site import Device

router = APIRouter(tags=["devices"])


def _points(context: ApiContext, device: Device) -> list[PointOut]:
    latest = context.twin.points(device.id)
    profile = context.site.profiles.get(device.profile) if device.profile else None
    out: list[PointOut] = []
    for point in profile.points if profile is not None else []:
        sample = latest.get(point.name)
        out.append(
            PointOut(
                name=point.name,
                value=sample.value if sample is not None else None,
                quality=sample.quality.value if sample is not None else None,
                timestamp=to_datetime(sample.source_time) if sample else None,
                reason=sample.reason if sample is not None else None,
                table=point.table.value,
                address=point.address,
                data_type=point.data_type.value,
                unit=point.unit,
                writable=point.writable,
            )
        )
    return out


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
