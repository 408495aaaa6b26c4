"""execute_door_command around an in-memory command target.

These test the logic around the ``CommandTarget`` protocol; writes over real
Modbus are tested with the drivers.
"""

from __future__ import annotations

import asyncio

import pytest

from topology.sample import Value
from twin.alarms import AlarmType
from twin.commands import CommandOutcome, CommandRefused, execute_door_command

from .rig import Rig


class WriteRefused(Exception):
    """Stands for a driver error raised by a real target."""


class Controller:
    """Records writes; optionally fails them, or answers like a door
    controller whose fail-secure relays release the bolts (the twin then
    sees the bolt follow the relay)."""

    def __init__(self, rig: Rig, *, error: Exception | None = None) -> None:
        self.rig = rig
        self.error = error
        self.follow = False
        self.writes: list[tuple[str, str, Value]] = []

    async def write_point(self, device_id: str, point: str, value: Value) -> None:
        self.writes.append((device_id, point, value))
        if self.error is not None:
            raise self.error
        if self.follow:
            slot = point.removeprefix("relay_")
            self.rig.feed(device_id, **{f"bolt_{slot}": not value})


class Silent:
    """A target that never answers; ``started`` is set once a write waits."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def write_point(self, device_id: str, point: str, value: Value) -> None:
        self.started.set()
        await asyncio.Event().wait()


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    rig.settle()
    return rig


async def test_the_value_is_written_and_the_command_stays_pending(rig: Rig) -> None:
    target = Controller(rig)

    async with asyncio.timeout(2):
        ticket = await execute_door_command(rig.twin, target, "D-OUT", "unlock", "al")

    assert target.writes == [("DC-1", "relay_1", True)]
    assert ticket.outcome is CommandOutcome.PENDING
    assert ticket.written_at == rig.clock.time()


async def test_a_controller_that_follows_makes_the_command_converge(
    rig: Rig,
) -> None:
    target = Controller(rig)
    target.follow = True

    async with asyncio.timeout(2):
        unlocked = await execute_door_command(rig.twin, target, "D-IN", "unlock", "al")
        locked = await execute_door_command(rig.twin, target, "D-IN", "lock", "al")

    assert target.writes == [("DC-1", "relay_2", True), ("DC-1", "relay_2", False)]
    assert unlocked.outcome is CommandOutcome.CONVERGED
    assert locked.outcome is CommandOutcome.CONVERGED
    assert rig.state("D-IN")["status"] == "secure"


async def test_a_write_error_is_a_failed_command_with_an_alarm(rig: Rig) -> None:
    target = Controller(rig, error=WriteRefused("exception code 4"))

    async with asyncio.timeout(2):
        ticket = await execute_door_command(rig.twin, target, "D-REG", "unlock", "al")

    assert target.writes == [("DC-2", "lock_reg", 0)]
    assert ticket.outcome is CommandOutcome.FAILED
    assert ticket.reason == "write failed: WriteRefused: exception code 4"
    assert rig.twin.alarms.active(AlarmType.COMMAND_FAILED, "D-REG") is not None


async def test_a_write_that_never_answers_fails_after_the_timeout(rig: Rig) -> None:
    async with asyncio.timeout(2):
        ticket = await execute_door_command(
            rig.twin, Silent(), "D-COIL", "unlock", "al", timeout_s=0.05
        )

    assert ticket.outcome is CommandOutcome.FAILED
    assert ticket.reason == "write failed: no answer within 0.05 s"


async def test_a_refused_command_writes_nothing(rig: Rig) -> None:
    target = Controller(rig)
    rig.feed("DC-1", bolt_1=False)

    with pytest.raises(CommandRefused, match="D-OUT"):
        await execute_door_command(rig.twin, target, "D-IN", "unlock", "al")

    assert target.writes == []


async def test_cancelling_the_write_leaves_the_command_to_its_deadline(
    rig: Rig,
) -> None:
    target = Silent()
    task = asyncio.create_task(
        execute_door_command(rig.twin, target, "D-OUT", "unlock", "al")
    )
    async with asyncio.timeout(2):
        await target.started.wait()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    [ticket] = rig.twin.commands()
    assert ticket.outcome is CommandOutcome.PENDING
    rig.clock.advance(2.1)
    rig.twin.tick()
    assert rig.twin.command(ticket.id).outcome is CommandOutcome.NOT_CONVERGED
    assert rig.twin.alarms.listed()[0].cause[2] == (
        f"command {ticket.id} by al: the write of True to DC-1/relay_1 was not "
        "confirmed"
    )
