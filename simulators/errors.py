"""Errors raised by the simulators.

One tree for the whole package::

    SimulatorError
    ├── UnknownDoorError        a door id that the simulated site does not have
    ├── UnknownDeviceError      a device id that is not in the site or not simulated
    ├── FaultError              a fault that the device's protocol cannot produce
    ├── SimulatorStartError     a device's listener could not be opened
    └── ScenarioError           a scenario file is invalid (``problems`` says where)

Errors from pymodbus, uvicorn or the YAML parser are translated into these at the
point where they are caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SimulatorError(Exception):
    """Base of every error the simulators raise."""


class UnknownDoorError(SimulatorError):
    """No door with this id in the simulated site."""

    def __init__(self, door_id: str) -> None:
        self.door_id = door_id
        super().__init__(f"no door {door_id!r} in the simulated site")


class UnknownDeviceError(SimulatorError):
    """No device with this id in the simulated site, or it has no simulator."""

    def __init__(self, device_id: str, reason: str = "in the simulated site") -> None:
        self.device_id = device_id
        super().__init__(f"no device {device_id!r} {reason}")


class FaultError(SimulatorError):
    """A fault setting that cannot be applied (for example an unknown code)."""


class SimulatorStartError(SimulatorError):
    """A simulated device could not start listening (port taken, bad host)."""


@dataclass(frozen=True, slots=True)
class ScenarioProblem:
    """One mistake in a scenario file; ``step`` is the 0-based step index."""

    file: Path | None
    step: int | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        if self.step is not None:
            where += f": step {self.step}"
        return f"{where}: {self.message}"


class ScenarioError(SimulatorError):
    """A scenario file is invalid; every problem found is listed."""

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
