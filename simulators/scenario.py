"""Scenario files: a timeline of things that happen to the simulated site.

A scenario is YAML::

    name: A quiet night, mostly
    steps:
      - at: 2.5                 # seconds from the start of the run
        action: open_door
        door: D-A101
      - action: wait            # a step without ``at`` follows the one before
        seconds: 1
      - at: 10
        action: fault
        device: DC-A1
        delay_ms: 800

Actions: ``open_door``, ``close_door``, ``unlock_door`` / ``lock_door`` (the
relay, as a local keypad would), ``tamper`` (``on``, default true),
``request_to_exit`` (``hold_s``), ``stop_device``, ``start_device``, ``fault``
(``delay_ms``, ``exception_code``, ``garbage``), ``clear_fault``, ``set_point``
(``point``, ``value``) and ``wait`` (``seconds``). ``at`` values must not go
backwards.

:func:`load_scenario` validates the file and reports every problem with the file,
line and step index; :func:`check_scenario` checks the ids against a site;
:func:`run_scenario` plays it against a :class:`SimulatorSet` and returns when the
last step is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from simulators.errors import ScenarioError, ScenarioProblem
from simulators.runner import SimulatorSet
from simulators.steps import (
    ACTIONS,
    ClearFault,
    CloseDoor,
    DeviceStep,
    DoorStep,
    LockDoor,
    OpenDoor,
    RequestToExit,
    Scenario,
    SetFault,
    SetPoint,
    StartDevice,
    Step,
    StopDevice,
    Tamper,
    UnlockDoor,
    Wait,
    describe,
    fault_of,
)
from simulators.world import HEALTHY

logger = logging.getLogger(__name__)


# Loading


def _line_of(node: Any, step: int | None, field: object) -> int | None:
    """1-based line of ``steps[step].field`` (or of the step) in the parsed YAML."""
    try:
        steps = node["steps"]
        if step is None:
            return int(node.lc.key("steps")[0]) + 1
        item = steps[step]
        if isinstance(field, str) and field in item:
            return int(item.lc.key(field)[0]) + 1
        return int(steps.lc.item(step)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _problems(
    path: Path | None, data: Any, exc: ValidationError
) -> list[ScenarioProblem]:
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        step: int | None = None
        rest: tuple[Any, ...] = loc
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            step = loc[1]
            # Drop the union tag pydantic puts after the index.
            rest = (
                loc[3:]
                if len(loc) > 2 and isinstance(loc[2], str) and loc[2] in ACTIONS
                else loc[2:]
            )
        field = rest[0] if rest else None
        where = ".".join(str(part) for part in rest)
        message = f"{where}: {error['msg']}" if where else error["msg"]
        if error["type"] == "union_tag_invalid":
            field = "action"
            message = f"action must be one of {', '.join(sorted(ACTIONS))}"
        elif error["type"] == "union_tag_not_found":
            message = "a step needs an action"
        problems.append(
            ScenarioProblem(path, step, _line_of(data, step, field), message)
        )
    return problems


def _order_problems(
    path: Path | None, data: Any, scenario: Scenario
) -> list[ScenarioProblem]:
    problems = []
    latest: float | None = None
    for index, step in enumerate(scenario.steps):
        if step.at is None:
            continue
        if latest is not None and step.at < latest:
            problems.append(
                ScenarioProblem(
                    path,
                    index,
                    _line_of(data, index, "at"),
                    f"at: {step.at} s comes before an earlier step's {latest} s",
                )
            )
        latest = step.at if latest is None else max(latest, step.at)
    return problems


def parse_scenario(text: str, path: Path | None = None) -> Scenario:
    """Validate scenario YAML ``text``; raise :class:`ScenarioError` listing
    every problem (``path`` only names the source in messages)."""
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(
            [ScenarioProblem(path, None, line, f"not valid YAML: {exc}")]
        ) from exc
    if not isinstance(data, dict):
        raise ScenarioError(
            [ScenarioProblem(path, None, None, "expected a mapping with steps:")]
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(path, data, exc)) from exc
    problems = _order_problems(path, data, scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing
    every problem with the file, line and step index."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            [ScenarioProblem(path, None, None, f"cannot read: {exc.strerror}")]
        ) from exc
    return parse_scenario(text, path)


def check_scenario(
    scenario: Scenario, sims: SimulatorSet, path: Path | None = None
) -> None:
    """Raise :class:`ScenarioError` if a step names a door the site lacks, a
    device that is not simulated, or a point its profile lacks."""
    problems = []
    for index, step in enumerate(scenario.steps):
        message = None
        if isinstance(step, DoorStep) and step.door not in sims.world.doors:
            message = f"door {step.door!r} is not in site {sims.site.site.site.id!r}"
        elif isinstance(step, DeviceStep) and step.device not in sims.simulators:
            message = f"device {step.device!r} is not simulated"
        elif isinstance(step, SetPoint):
            device = sims.site.device(step.device)
            key = device.profile or ""
            names = (
                sims.site.profiles[key].point_names
                if key in sims.site.profiles
                else sims.site.opcua_profiles[key].point_names
                if key in sims.site.opcua_profiles
                else None
            )
            if names is not None and step.point not in names:
                message = f"device {step.device!r} has no point {step.point!r}"
        if message is not None:
            problems.append(ScenarioProblem(path, index, None, message))
    if problems:
        raise ScenarioError(problems)


# Running


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step as it ran: ``time`` is when it was done (epoch seconds)."""

    index: int
    action: str
    description: str
    at: float | None
    time: float


async def _perform(step: Step, sims: SimulatorSet, speed: float) -> None:
    world = sims.world
    match step:
        case OpenDoor():
            world.open_door(step.door)
        case CloseDoor():
            world.close_door(step.door)
        case UnlockDoor():
            world.set_relay(step.door, False)
        case LockDoor():
            world.set_relay(step.door, True)
        case Tamper():
            world.set_tamper(step.door, step.on)
        case RequestToExit():
            world.press_request_to_exit(step.door, step.hold_s / speed)
        case StopDevice():
            await sims.stop_device(step.device)
        case StartDevice():
            await sims.start_device(step.device)
        case SetFault():
            sims.set_fault(step.device, fault_of(step))
        case ClearFault():
            sims.set_fault(step.device, HEALTHY)
        case SetPoint():
            world.set_point_value(step.device, step.point, step.value)
        case Wait():
            await asyncio.sleep(step.seconds / speed)


async def run_scenario(
    scenario: Scenario, sims: SimulatorSet, *, speed: float = 1.0
) -> list[StepRecord]:
    """Play every step in order against ``sims`` and return what ran when.

    ``speed`` divides the timeline (``at``, waits, button holds): 10 plays a
    scenario ten times faster. Protocol delays (``delay_ms``) are not scaled.

    Checks the scenario against the site first (:class:`ScenarioError`). A step
    with ``at`` waits until that many seconds after the start (it runs at once
    if earlier steps overran). Errors of a step (for example a port taken when a
    device starts again) propagate and end the run.
    """
    if speed <= 0:
        raise ValueError(f"speed must be positive, not {speed}")
    check_scenario(scenario, sims)
    loop = asyncio.get_running_loop()
    start = loop.time()
    records = []
    logger.info(
        "scenario %s: %d steps", scenario.name or "(unnamed)", len(scenario.steps)
    )
    for index, step in enumerate(scenario.steps):
        if step.at is not None:
            # The timeline itself: sleep until the step is due.
            await asyncio.sleep(max(0.0, start + step.at / speed - loop.time()))
        description = describe(step)
        logger.info(
            "scenario step %d at %.1f s: %s", index, loop.time() - start, description
        )
        await _perform(step, sims, speed)
        records.append(
            StepRecord(index, step.action, description, step.at, time.time())
        )
    return records


__all__ = [
    "ACTIONS",
    "Scenario",
    "Step",
    "StepRecord",
    "check_scenario",
    "describe",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
]
