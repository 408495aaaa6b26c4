"""Twin events: the recent ones over HTTP, the live stream over a WebSocket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from api.context import ApiContext
from api.deps import Context
from api.schemas import EventOut, to_datetime
from twin.events import Event

router = APIRouter(tags=["events"])


def event_out(event: Event) -> EventOut:
    return EventOut(
        seq=event.seq,
        time=to_datetime(event.time),
        type=event.type,
        node=event.node,
        node_kind=event.node_kind,
        old=event.old,
        new=event.new,
        detail=dict(event.detail),
    )


@router.get("/events")
def recent_events(
    context: Context, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[EventOut]:
    """The most recent twin events, oldest first."""
    return [event_out(event) for event in context.twin.bus.recent(limit)]


@router.websocket("/events/stream")
async def stream_events(websocket: WebSocket) -> None:
    """Every twin event as one JSON message, from the moment of connection."""
    context: ApiContext = websocket.app.state.context
    await websocket.accept()
    try:
        async with context.twin.bus.subscribe() as subscription:
            async for event in subscription:
                await websocket.send_text(event_out(event).model_dump_json())
    except WebSocketDisconnect:
        return
