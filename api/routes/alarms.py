"""Alarms an operator must see and acknowledge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from api.auth import Operator
from api.deps import Context
from api.schemas import state_json
from twin.alarms import Alarm, AlreadyAcknowledged, UnknownAlarm

router = APIRouter(prefix="/alarms", tags=["alarms"])


def alarm_out(alarm: Alarm) -> dict[str, Any]:
    return state_json(alarm.as_dict())


class Acknowledgement(BaseModel):
    note: Annotated[str | None, Field(max_length=500)] = None


@router.get("")
def list_alarms(context: Context) -> list[dict[str, Any]]:
    """Active alarms and cleared ones nobody has acknowledged yet: active first,
    then the most severe, then the newest."""
    return [alarm_out(alarm) for alarm in context.twin.alarms.listed()]


@router.get("/history")
def alarm_history(
    context: Context, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[dict[str, Any]]:
    """Cleared and acknowledged alarms, newest first."""
    return [alarm_out(alarm) for alarm in context.twin.alarms.history(limit)]


@router.post("/{alarm_id}/acknowledge")
def acknowledge_alarm(
    context: Context, alarm_id: str, body: Acknowledgement, user: Operator
) -> dict[str, Any]:
    """Record that ``user`` has seen the alarm (409 if someone already has)."""
    try:
        alarm = context.twin.alarms.acknowledge(alarm_id, user.name, body.note)
    except UnknownAlarm:
        raise HTTPException(404, detail=f"no alarm with id {alarm_id!r}") from None
    except AlreadyAcknowledged as exc:
        raise HTTPException(
            409,
            detail=f"alarm {alarm_id} was already acknowledged by "
            f"{exc.alarm.acknowledged_by}",
        ) from None
    return alarm_out(alarm)
