"""Door commands: lock and unlock, checked by the twin and written to the door's
controller; and the audit log of every command."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from api.auth import Operator
from api.deps import Context
from api.schemas import state_json
from twin.commands import CommandRefused, CommandTicket, execute_door_command

router = APIRouter(tags=["commands"])


def ticket_out(ticket: CommandTicket) -> dict[str, Any]:
    return state_json(ticket.as_dict())


class DoorCommand(BaseModel):
    action: Literal["lock", "unlock"]


@router.post("/doors/{door_id}/commands", status_code=202)
async def command_door(
    context: Context, door_id: str, body: DoorCommand, user: Operator
) -> dict[str, Any]:
    """Lock or unlock a door. 202 with the command once written (its outcome
    becomes ``converged`` when the door reports the new state); 409 when the
    twin refuses it (interlock, offline, no lock output), with the reason."""
    if context.commands is None:
        raise HTTPException(503, detail="no devices are connected to send commands to")
    try:
        ticket = await execute_door_command(
            context.twin, context.commands, door_id, body.action, user.name
        )
    except KeyError:
        raise HTTPException(404, detail=f"no door with id {door_id!r}") from None
    except CommandRefused as exc:
        raise HTTPException(409, detail=f"refused: {exc.reason}") from None
    if ticket.outcome == "failed":
        raise HTTPException(502, detail=f"the write failed: {ticket.reason}")
    return ticket_out(ticket)


@router.get("/commands")
def list_commands(
    context: Context, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """The audit log: every command, refused ones included, newest first."""
    return [ticket_out(ticket) for ticket in context.twin.commands(limit)]
