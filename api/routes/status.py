"""Platform health: devices and doors by status, the store and the pollers."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter

from api.deps import Context
from api.schemas import HealthOut

router = APIRouter(tags=["status"])


def _as_dict(stats: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
        return dataclasses.asdict(stats)
    return dict(stats)


@router.get("/health")
def get_health(context: Context) -> HealthOut:
    """``ok`` when every device is online, ``degraded`` otherwise; with counts."""
    devices = Counter(
        context.twin.device_health(device.id).status.value
        for device in context.site.site.devices
        if device.protocol.value != "none"
    )
    doors = Counter(
        str(node.state.get("status")) for node in context.twin.nodes("door")
    )
    stats = getattr(context.store, "stats", None)
    store_stats = _as_dict(stats()) if callable(stats) else {}
    pollers = _as_dict(context.pollers.stats()) if context.pollers else None
    healthy = set(devices) <= {"online"}
    return HealthOut(
        status="ok" if healthy else "degraded",
        site=context.site.site.site.id,
        uptime_s=round(time.time() - context.started, 3),
        devices=dict(devices),
        doors=dict(doors),
        store=store_stats,
        pollers=pollers,
    )
