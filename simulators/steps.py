"""The steps a scenario is made of, as validated data.

Each step is a pydantic model told apart by its ``action``; :mod:`simulators.scenario`
reads them from YAML and plays them.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from simulators.world import Fault

Seconds = Annotated[float, Field(ge=0, le=7 * 24 * 3600)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Seconds | None = None
    """Seconds from the start of the run; ``None`` runs right after the step
    before."""


class DoorStep(_Step):
    door: str


class DeviceStep(_Step):
    device: str


class OpenDoor(DoorStep):
    action: Literal["open_door"]


class CloseDoor(DoorStep):
    action: Literal["close_door"]


class UnlockDoor(DoorStep):
    action: Literal["unlock_door"]


class LockDoor(DoorStep):
    action: Literal["lock_door"]


class Tamper(DoorStep):
    action: Literal["tamper"]
    on: bool = True


class RequestToExit(DoorStep):
    action: Literal["request_to_exit"]
    hold_s: Annotated[float, Field(gt=0, le=600)] = 2.0


class StopDevice(DeviceStep):
    action: Literal["stop_device"]


class StartDevice(DeviceStep):
    action: Literal["start_device"]


class SetFault(DeviceStep):
    action: Literal["fault"]
    delay_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    exception_code: Annotated[int, Field(ge=1, le=255)] | None = None
    garbage: bool = False


class ClearFault(DeviceStep):
    action: Literal["clear_fault"]


class SetPoint(DeviceStep):
    action: Literal["set_point"]
    point: str
    value: bool | int | float


class Wait(_Step):
    action: Literal["wait"]
    seconds: Annotated[float, Field(gt=0, le=24 * 3600)]


Step = Annotated[
    OpenDoor
    | CloseDoor
    | UnlockDoor
    | LockDoor
    | Tamper
    | RequestToExit
    | StopDevice
    | StartDevice
    | SetFault
    | ClearFault
    | SetPoint
    | Wait,
    Field(discriminator="action"),
]


class Scenario(BaseModel):
    """A validated scenario; ``steps`` run in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    description: str | None = None
    steps: Annotated[list[Step], Field(min_length=1)]


_STEP_TYPES: tuple[type[_Step], ...] = (
    OpenDoor,
    CloseDoor,
    UnlockDoor,
    LockDoor,
    Tamper,
    RequestToExit,
    StopDevice,
    StartDevice,
    SetFault,
    ClearFault,
    SetPoint,
    Wait,
)

ACTIONS: frozenset[str] = frozenset(
    get_args(model.model_fields["action"].annotation)[0] for model in _STEP_TYPES
)
"""Every action a step may name."""


def describe(step: Step) -> str:
    """A short sentence for logs: ``open_door D-A101``, ``wait 2.0 s``."""
    if isinstance(step, Wait):
        return f"wait {step.seconds} s"
    if isinstance(step, DoorStep):
        extra = f" on={step.on}" if isinstance(step, Tamper) else ""
        return f"{step.action} {step.door}{extra}"
    if isinstance(step, SetPoint):
        return f"set_point {step.device}/{step.point} = {step.value!r}"
    if isinstance(step, SetFault):
        return f"fault {step.device} {fault_of(step)}"
    return f"{step.action} {step.device}"


def fault_of(step: SetFault) -> Fault:
    """The world's fault for a ``fault`` step."""
    return Fault(
        delay_ms=step.delay_ms,
        exception_code=step.exception_code,
        garbage=step.garbage,
    )
