"""Twin events: the recent ones over HTTP, the live stream over a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from api.context import ApiContext
from api.deps import Context
from api.schemas import EventOut, state_json, to_datetime
from twin.events import Event, Subscription

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
        detail=state_json(event.detail),
    )


@router.get("/events")
def recent_events(
    context: Context, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[EventOut]:
    """The most recent twin events, oldest first."""
    return [event_out(event) for event in context.twin.bus.recent(limit)]


@router.websocket("/events/stream")
async def stream_events(websocket: WebSocket) -> None:
    """Every twin event as one JSON message, from the moment of connection.

    Messages from the client are read and ignored, so its close handshake is
    answered; the stream ends with code 1001 when the platform shuts down.
    """
    context: ApiContext = websocket.app.state.context
    await websocket.accept()
    async with context.twin.bus.subscribe() as subscription:
        sender = asyncio.create_task(_send(websocket, subscription))
        receiver = asyncio.create_task(_drain(websocket))
        try:
            done, _ = await asyncio.wait(
                [sender, receiver], return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (sender, receiver):
                task.cancel()
            await asyncio.wait([sender, receiver])
    if sender in done and not sender.cancelled() and sender.exception() is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(code=1001, reason="server shutting down")


async def _send(websocket: WebSocket, subscription: Subscription) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        async for event in subscription:
            await websocket.send_text(event_out(event).model_dump_json())


async def _drain(websocket: WebSocket) -> None:
    """Read until the client goes; answers its close handshake."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
