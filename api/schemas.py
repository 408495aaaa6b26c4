"""Response models of the HTTP API. Times are ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field


def to_datetime(epoch: float) -> datetime:
    """Epoch seconds to an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)


_TIME_KEYS = frozenset({"since", "last_seen", "opened_at"})


def _is_time(key: str) -> bool:
    return key in _TIME_KEYS or key.endswith("_at")


def state_json(state: Mapping[str, object]) -> dict[str, Any]:
    """A state, alarm or command as JSON: every epoch time (``since``,
    ``*_at``) as ISO 8601, nested mappings too; the monotonic ``deadline`` of a
    command is left out."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if key == "deadline":
            continue
        if _is_time(key) and isinstance(value, int | float):
            out[key] = to_datetime(value)
        elif isinstance(value, Mapping):
            out[key] = state_json(value)
        else:
            out[key] = value
    return out


def to_optional_datetime(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class EndpointOut(BaseModel):
    host: str
    port: int
    unit_id: int
    url: str | None = Field(None, description="OPC UA endpoint URL")


class PointOut(BaseModel):
    name: str
    value: bool | int | float | str | None
    quality: str | None = Field(
        description="good, uncertain or bad; null before any read"
    )
    timestamp: datetime | None = Field(description="source time of the latest sample")
    reason: str | None = None
    table: str | None = Field(None, description="Modbus table")
    address: int | None = Field(None, description="0-based Modbus protocol address")
    node: str | None = Field(None, description="OPC UA node, nsu=URI;s=ID")
    data_type: str | None = None
    unit: str | None = None
    writable: bool = False


class DeviceOut(BaseModel):
    id: str
    name: str | None
    kind: str
    protocol: str
    profile: str | None
    endpoint: EndpointOut | None
    poll_interval_s: float
    status: str = Field(description="online, degraded, offline or unknown")
    status_since: datetime | None
    last_seen: datetime | None = Field(description="time of the last good poll")
    consecutive_failures: int
    reason: str | None
    points: list[PointOut] | None = None


class NodeOut(BaseModel):
    id: str
    kind: str
    name: str | None
    parent: str | None
    state: dict[str, Any]


class NeighborOut(BaseModel):
    id: str
    kind: str
    relation: str


class PathOut(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    doors: list[str]


class HistoryPoint(BaseModel):
    time: datetime
    value: bool | int | float | str | None
    quality: str


class HistoryOut(BaseModel):
    device: str
    point: str
    start: datetime
    end: datetime
    every: float | None
    aggregate: str | None
    points: list[HistoryPoint]


class HealthOut(BaseModel):
    status: str
    site: str
    uptime_s: float
    devices: dict[str, int]
    doors: dict[str, int]
    store: dict[str, Any]
    pollers: dict[str, Any] | None


class EventOut(BaseModel):
    seq: int
    time: datetime
    type: str
    node: str
    node_kind: str
    old: str | None
    new: str | None
    detail: dict[str, Any]
