"""A small HTTP interface to drive the simulated world by hand or from a script.

Served on loopback only (port 0 picks a free one). Routes::

    GET  /world                          every door and device, and the last change
    GET  /changes?after=N                changes numbered above N, oldest first
    GET  /doors/{id}                     one door
    POST /doors/{id}/open | /close       move the door leaf
    POST /doors/{id}/tamper?on=true      open (or restore with on=false) the tamper
    POST /doors/{id}/request-to-exit     press the button (?hold_s=2.0)
    GET  /devices/{id}                   one device
    POST /devices/{id}/stop | /start     drop off the network, come back
    POST /devices/{id}/fault             JSON {"delay_ms", "exception_code",
                                         "garbage"}; {} makes it healthy again

An unknown door or device answers 404 naming the id, a bad value 422 saying
which field, a device that cannot start again 409.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from simulators.errors import (
    FaultError,
    SimulatorStartError,
    UnknownDeviceError,
    UnknownDoorError,
)
from simulators.modbus import loopback_host
from simulators.runner import SimulatorSet
from simulators.world import DeviceState, DoorState, Fault, WorldChange

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 10.0


class FaultBody(BaseModel):
    """The fault to show; every field left out means healthy in that respect."""

    model_config = ConfigDict(extra="forbid")

    delay_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    exception_code: Annotated[int, Field(ge=1, le=255)] | None = None
    garbage: bool = False


class DoorView(BaseModel):
    id: str
    open: bool
    locked: bool
    tamper: bool
    request_to_exit: bool
    changed_at: float


class EndpointView(BaseModel):
    host: str
    port: int
    unit_id: int


class DeviceView(BaseModel):
    id: str
    simulated: bool
    running: bool
    endpoint: EndpointView | None
    fault: FaultBody
    values: dict[str, bool | int | float]
    started_at: float | None
    changed_at: float


class ChangeView(BaseModel):
    seq: int
    time: float
    kind: str
    target: str
    attribute: str
    value: Any


class WorldView(BaseModel):
    site: str
    last_seq: int
    doors: list[DoorView]
    devices: list[DeviceView]


def _door_view(state: DoorState) -> DoorView:
    return DoorView(
        id=state.id,
        open=state.open,
        locked=state.locked,
        tamper=state.tamper,
        request_to_exit=state.request_to_exit,
        changed_at=state.changed_at,
    )


def _change_view(change: WorldChange) -> ChangeView:
    value = change.value
    if isinstance(value, Fault):
        value = FaultBody(
            delay_ms=value.delay_ms,
            exception_code=value.exception_code,
            garbage=value.garbage,
        ).model_dump()
    return ChangeView(
        seq=change.seq,
        time=change.time,
        kind=change.kind,
        target=change.target,
        attribute=change.attribute,
        value=value,
    )


def create_app(sims: SimulatorSet, started: asyncio.Event | None = None) -> FastAPI:
    """The control interface of ``sims`` as an ASGI app (serve it with
    :func:`serve_control`, or call it in-process in a test). ``started`` is set
    once the server running the app has started it."""
    world = sims.world

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if started is not None:
            started.set()
        yield

    def device_view(state: DeviceState) -> DeviceView:
        simulator = sims.simulators.get(state.id)
        endpoint = simulator.endpoint if simulator is not None else None
        return DeviceView(
            id=state.id,
            simulated=simulator is not None,
            running=state.running,
            endpoint=EndpointView(**endpoint.model_dump()) if endpoint else None,
            fault=FaultBody(
                delay_ms=state.fault.delay_ms,
                exception_code=state.fault.exception_code,
                garbage=state.fault.garbage,
            ),
            values=dict(state.values),
            started_at=state.started_at,
            changed_at=state.changed_at,
        )

    app = FastAPI(
        lifespan=lifespan,
        title="warden simulator control",
        summary=f"Drive the simulated world of site {sims.site.site.site.id}",
    )

    @app.exception_handler(UnknownDoorError)
    @app.exception_handler(UnknownDeviceError)
    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(FaultError)
    async def bad_fault(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(SimulatorStartError)
    async def cannot_start(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.get("/world")
    async def get_world() -> WorldView:
        return WorldView(
            site=sims.site.site.site.id,
            last_seq=world.last_seq,
            doors=[_door_view(state) for state in world.doors.values()],
            devices=[device_view(state) for state in world.devices.values()],
        )

    @app.get("/changes")
    async def get_changes(
        after: Annotated[int, Query(ge=0)] = 0,
    ) -> list[ChangeView]:
        return [_change_view(change) for change in world.history(after)]

    @app.get("/doors/{door_id}")
    async def get_door(door_id: str) -> DoorView:
        return _door_view(world.door(door_id))

    @app.post("/doors/{door_id}/open")
    async def open_door(door_id: str) -> DoorView:
        world.open_door(door_id)
        return _door_view(world.door(door_id))

    @app.post("/doors/{door_id}/close")
    async def close_door(door_id: str) -> DoorView:
        world.close_door(door_id)
        return _door_view(world.door(door_id))

    @app.post("/doors/{door_id}/tamper")
    async def tamper(door_id: str, on: bool = True) -> DoorView:
        world.set_tamper(door_id, on)
        return _door_view(world.door(door_id))

    @app.post("/doors/{door_id}/request-to-exit")
    async def request_to_exit(
        door_id: str,
        hold_s: Annotated[float, Query(gt=0, le=600)] = 2.0,
    ) -> DoorView:
        world.press_request_to_exit(door_id, hold_s)
        return _door_view(world.door(door_id))

    @app.get("/devices/{device_id}")
    async def get_device(device_id: str) -> DeviceView:
        return device_view(world.device(device_id))

    @app.post("/devices/{device_id}/stop")
    async def stop_device(device_id: str) -> DeviceView:
        await sims.stop_device(device_id)
        return device_view(world.device(device_id))

    @app.post("/devices/{device_id}/start")
    async def start_device(device_id: str) -> DeviceView:
        await sims.start_device(device_id)
        return device_view(world.device(device_id))

    @app.post("/devices/{device_id}/fault")
    async def set_fault(device_id: str, body: FaultBody) -> DeviceView:
        sims.set_fault(
            device_id,
            Fault(
                delay_ms=body.delay_ms,
                exception_code=body.exception_code,
                garbage=body.garbage,
            ),
        )
        return device_view(world.device(device_id))

    return app


@dataclass(frozen=True, slots=True)
class ControlServer:
    """A running control interface; ``url`` has no trailing slash."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def serve_control(
    sims: SimulatorSet, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[ControlServer]:
    """Serve :func:`create_app` with uvicorn while the block runs.

    The socket is bound before uvicorn starts, so the port is known (and
    connections wait in the backlog) at once; a non-loopback ``host`` is replaced
    by ``127.0.0.1``. Raises :class:`SimulatorStartError` if the port cannot be
    bound or the server does not come up within ``STARTUP_TIMEOUT_S``.
    """
    host = loopback_host(host)
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        raise SimulatorStartError(
            f"control interface cannot listen on {host}:{port}: {exc}"
        ) from exc

    started = asyncio.Event()
    config = uvicorn.Config(
        create_app(sims, started),
        host=host,
        port=sock.getsockname()[1],
        ws="websockets-sansio",
        lifespan="on",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="control-http")
    waiting = asyncio.create_task(started.wait(), name="control-started")
    try:
        # The socket already listens; wait until the app has started (or the
        # server gave up) so a failure is reported here, not on first use.
        await asyncio.wait(
            {serving, waiting},
            timeout=STARTUP_TIMEOUT_S,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not started.is_set():
            raise SimulatorStartError("control interface did not start")
        control = ControlServer(host, int(sock.getsockname()[1]))
        logger.info("control interface on %s", control.url)
        yield control
    finally:
        waiting.cancel()
        server.should_exit = True
        try:
            outcome, _ = await asyncio.gather(serving, waiting, return_exceptions=True)
            if isinstance(outcome, Exception):
                logger.error("control interface failed: %r", outcome)
        finally:
            sock.close()
