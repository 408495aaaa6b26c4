"""Door commands: command points, refusals, convergence, failures, audit."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from topology.sample import DeviceStatus, Quality, Value
from topology.site import Door
from twin.alarms import AlarmType
from twin.commands import (
    CommandError,
    CommandOutcome,
    CommandPoint,
    CommandRefused,
    command_point,
)
from twin.events import EventType
from twin.model import Twin

from .rig import Rig, changes
from .sites import command_site


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    rig.settle()
    return rig


# --- where a command is written ------------------------------------------


@pytest.mark.parametrize(
    ("door", "expected", "lock_value", "unlock_value"),
    [
        (
            "D-OUT",
            CommandPoint("DC-1", "relay_1", invert=True),
            False,
            True,
        ),
        ("D-COIL", CommandPoint("DC-2", "lock_coil"), True, False),
        ("D-REG", CommandPoint("DC-2", "lock_reg", numeric=True), 1, 0),
    ],
)
def test_command_point_and_the_value_written(
    door: str, expected: CommandPoint, lock_value: object, unlock_value: object
) -> None:
    site = command_site()
    model = next(d for d in site.site.doors if d.id == door)

    point = command_point(model, site)

    assert point == expected
    assert isinstance(point, CommandPoint)
    assert point.value_for(True) == lock_value
    assert type(point.value_for(True)) is type(lock_value)
    assert point.value_for(False) == unlock_value


@pytest.mark.parametrize(
    ("door", "update", "reason"),
    [
        ("D-RO", {}, "its lock input DC-2/bolt_3 is read-only"),
        ("D-BARE", {}, "no profile of DC-3 says whether bolt_1 is writable"),
        (
            "D-IN",
            {"lock": "DC-1/closed_2"},
            "the lock point DC-1/closed_2 of door D-IN is read-only",
        ),
        (
            "D-COIL",
            {"bindings": {"locked": "DC-2/nothing", "closed": "DC-2/closed_1"}},
            "profile ctl has no point nothing",
        ),
    ],
)
def test_doors_without_a_writable_command_point(
    door: str, update: dict[str, object], reason: str
) -> None:
    site = command_site()
    model = next(d for d in site.site.doors if d.id == door)
    model = Door.model_validate({**model.model_dump(exclude_none=True), **update})

    point = command_point(model, site)

    assert isinstance(point, str)
    assert reason in point


# --- refusals ------------------------------------------------------------

Setup = Callable[[Rig], None]


def nothing(rig: Rig) -> None:
    pass


def offline(device: str) -> Setup:
    return lambda rig: rig.health(device, DeviceStatus.OFFLINE)


def outer(quality: Quality = Quality.GOOD, /, **values: Value) -> Setup:
    return lambda rig: rig.feed("DC-1", quality, **values)


def outer_commanded(rig: Rig) -> None:
    rig.twin.request_door("D-OUT", "unlock", "alice")


def outer_never_seen(rig: Rig) -> None:
    rig.twin = Twin(command_site(), clock=rig.clock, bus=rig.bus)
    rig.feed("DC-1", bolt_2=True, closed_2=True)


@pytest.mark.parametrize(
    ("door", "action", "setup", "reason", "conflict"),
    [
        ("D-RO", "lock", nothing, "DC-2/bolt_3 is read-only", None),
        ("D-BARE", "unlock", nothing, "no profile of DC-3", None),
        (
            "D-OUT",
            "lock",
            offline("DC-1"),
            "door D-OUT is offline: DC-1 not reachable",
            None,
        ),
        (
            "D-COIL",
            "unlock",
            offline("DC-2"),
            "door D-COIL is offline: DC-2 not reachable",
            None,
        ),
        ("D-IN", "unlock", outer(bolt_1=False), "door D-OUT unlocked", "D-OUT"),
        ("D-IN", "unlock", outer(closed_1=False), "door D-OUT open", "D-OUT"),
        (
            "D-IN",
            "unlock",
            outer_commanded,
            "door D-OUT has been commanded to unlock (interlock Sally port)",
            "D-OUT",
        ),
        (
            "D-IN",
            "unlock",
            outer(Quality.BAD, bolt_1=None),
            "door D-OUT has a bad-quality lock or contact reading",
            "D-OUT",
        ),
        (
            "D-IN",
            "unlock",
            outer_never_seen,
            "door D-OUT has not yet reported",
            "D-OUT",
        ),
    ],
)
def test_refused_commands_say_why_and_are_audited(
    rig: Rig,
    door: str,
    action: str,
    setup: Setup,
    reason: str,
    conflict: str | None,
) -> None:
    setup(rig)
    rig.new_events()
    before = rig.state(door)["command"]

    with pytest.raises(CommandRefused) as refused:
        rig.twin.request_door(door, action, "bob")  # type: ignore[arg-type]

    error = refused.value
    assert isinstance(error, CommandError)
    assert reason in error.reason
    assert (error.door, error.action, error.conflict) == (door, action, conflict)
    assert f"cannot {action} door {door}" in str(error)
    assert rig.state(door)["command"] == before
    [latest, *_] = rig.twin.commands()
    assert (latest.id, latest.door, latest.user, latest.outcome) == (
        error.command_id,
        door,
        "bob",
        CommandOutcome.REFUSED,
    )
    assert latest.reason == error.reason
    assert changes(rig.new_events()) == [("command_changed", door, None, "refused")]


def test_locking_is_never_refused_by_an_interlock(rig: Rig) -> None:
    rig.feed("DC-1", bolt_1=False, closed_2=False)

    ticket = rig.twin.request_door("D-IN", "lock", "bob")

    assert ticket.outcome is CommandOutcome.PENDING


def test_unlocking_a_confirmed_shut_sally_port_door_is_allowed(rig: Rig) -> None:
    ticket = rig.twin.request_door("D-IN", "unlock", "bob")

    assert (ticket.device, ticket.point, ticket.value) == ("DC-1", "relay_2", True)


def test_bad_requests_raise_and_are_not_audited(rig: Rig) -> None:
    with pytest.raises(KeyError):
        rig.twin.request_door("D-NOWHERE", "lock", "bob")
    with pytest.raises(ValueError, match="open"):
        rig.twin.request_door("D-COIL", "open", "bob")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        rig.twin.request_door("D-COIL", "lock", " ")

    assert rig.twin.commands() == []


# --- convergence -----------------------------------------------------------


def test_a_command_converges_when_the_door_reports_the_desired_state(
    rig: Rig,
) -> None:
    ticket = rig.twin.request_door("D-COIL", "unlock", "alice")

    assert (ticket.device, ticket.point, ticket.value) == ("DC-2", "lock_coil", False)
    assert ticket.requested_at == rig.clock.time()
    # DC-2 polls every second with a 1 s timeout: 3 polls and the timeout.
    assert ticket.deadline == rig.clock.time() + 4.0
    view = rig.state("D-COIL")
    assert (view["desired_locked"], view["desired_since"], view["converged"]) == (
        False,
        ticket.requested_at,
        None,
    )
    assert rig.twin.stats()["commands_watched"] == 1

    rig.clock.advance(0.2)
    written = rig.twin.command_written(ticket.id)
    assert written.outcome is CommandOutcome.PENDING
    assert written.written_at == rig.clock.time()

    rig.clock.advance(1.0)
    rig.feed("DC-2", lock_coil=False)

    done = rig.twin.command(ticket.id)
    assert done.outcome is CommandOutcome.CONVERGED
    assert done.finished_at == rig.clock.time()
    assert rig.state("D-COIL")["converged"] is True
    assert rig.state("D-COIL")["status"] == "unlocked"
    assert changes(rig.new_events())[0] == (
        "command_changed",
        "D-COIL",
        None,
        "pending",
    )
    assert rig.twin.stats()["commands_watched"] == 0

    rig.clock.advance(10)
    rig.twin.tick()
    assert rig.twin.alarms.listed() == []


def test_a_command_past_its_deadline_is_not_converged_and_alarms(rig: Rig) -> None:
    ticket = rig.twin.request_door("D-OUT", "unlock", "alice")
    rig.twin.command_written(ticket.id)
    rig.new_events()

    rig.clock.advance(1.9)
    rig.twin.tick()
    assert rig.twin.command(ticket.id).outcome is CommandOutcome.PENDING

    rig.clock.advance(0.2)
    rig.twin.tick()

    assert rig.twin.command(ticket.id).outcome is CommandOutcome.NOT_CONVERGED
    assert rig.state("D-OUT")["converged"] is False
    assert rig.state("D-OUT")["desired_locked"] is False
    [alarm] = rig.twin.alarms.listed()
    assert (alarm.type, alarm.node) == (AlarmType.NOT_CONVERGED, "D-OUT")
    assert alarm.cause == (
        f"door D-OUT not unlocked within 2 s of command {ticket.id}",
        "its lock still reports locked",
        f"command {ticket.id} by alice: True written to DC-1/relay_1",
    )
    assert changes(rig.new_events()) == [
        ("command_changed", "D-OUT", "pending", "not_converged"),
        ("alarm_raised", "D-OUT", None, "not_converged"),
    ]

    rig.clock.advance(5)
    rig.feed("DC-1", bolt_1=False)

    assert rig.twin.command(ticket.id).outcome is CommandOutcome.CONVERGED_LATE
    assert rig.state("D-OUT")["converged"] is False
    assert not rig.twin.alarms.get(alarm.id).active
    assert rig.twin.stats()["commands_watched"] == 0


def test_a_door_already_in_the_desired_state_converges_without_a_sample(
    rig: Rig,
) -> None:
    written = rig.twin.request_door("D-COIL", "lock", "alice")
    unwritten = rig.twin.request_door("D-REG", "lock", "alice")

    assert rig.twin.command_written(written.id).outcome is CommandOutcome.CONVERGED

    rig.clock.advance(4.1)
    rig.twin.tick()
    assert rig.twin.command(unwritten.id).outcome is CommandOutcome.CONVERGED
    assert rig.twin.alarms.listed() == []


def test_a_bad_or_offline_lock_reading_does_not_count_as_converged(
    rig: Rig,
) -> None:
    bad = rig.twin.request_door("D-COIL", "lock", "alice")
    rig.feed("DC-2", Quality.BAD, lock_coil=None)
    rig.clock.advance(4.1)
    rig.twin.tick()

    assert rig.twin.command(bad.id).outcome is CommandOutcome.NOT_CONVERGED
    [alarm] = rig.twin.alarms.listed()
    assert alarm.cause[1] == "its lock reading is bad; last usable: locked"

    unseen = rig.twin.request_door("D-REG", "lock", "alice")
    rig.health("DC-2", DeviceStatus.OFFLINE)
    rig.clock.advance(4.1)
    rig.twin.tick()

    assert rig.twin.command(unseen.id).outcome is CommandOutcome.NOT_CONVERGED
    offline = rig.twin.alarms.active(AlarmType.NOT_CONVERGED, "D-REG")
    assert offline is not None
    assert offline.cause[1] == "its controller is offline"


def test_a_failed_write_alarms_and_keeps_the_desired_state(rig: Rig) -> None:
    ticket = rig.twin.request_door("D-COIL", "unlock", "alice")

    failed = rig.twin.command_failed(ticket.id, "ConnectError: refused")

    assert failed.outcome is CommandOutcome.FAILED
    assert failed.reason == "write failed: ConnectError: refused"
    view = rig.state("D-COIL")
    assert view["desired_locked"] is False
    assert view["converged"] is False
    command = view["command"]
    assert isinstance(command, dict) and command["failed"] is True
    [alarm] = rig.twin.alarms.listed()
    assert (alarm.type, alarm.node) == (AlarmType.COMMAND_FAILED, "D-COIL")
    assert alarm.cause == (
        "door D-COIL could not be unlocked",
        "writing False to DC-2/lock_coil failed: ConnectError: refused",
        f"command {ticket.id} by alice",
    )

    rig.clock.advance(10)
    rig.twin.tick()
    assert len(rig.twin.alarms.listed()) == 1

    retry = rig.twin.request_door("D-COIL", "unlock", "alice")
    assert not rig.twin.alarms.get(alarm.id).active
    assert rig.twin.command(ticket.id).outcome is CommandOutcome.FAILED
    assert rig.twin.command(retry.id).outcome is CommandOutcome.PENDING


def test_a_failed_command_clears_its_alarm_if_the_door_gets_there_anyway(
    rig: Rig,
) -> None:
    ticket = rig.twin.request_door("D-COIL", "unlock", "alice")
    rig.twin.command_failed(ticket.id, "timeout")

    rig.feed("DC-2", lock_coil=False)

    [alarm] = rig.twin.alarms.listed()
    assert not alarm.active
    assert rig.twin.command(ticket.id).outcome is CommandOutcome.FAILED
    assert rig.twin.stats()["commands_watched"] == 0


def test_a_newer_command_supersedes_a_pending_one(rig: Rig) -> None:
    first = rig.twin.request_door("D-COIL", "unlock", "alice")
    rig.clock.advance(1)
    second = rig.twin.request_door("D-COIL", "lock", "bob")

    assert rig.twin.command(first.id).outcome is CommandOutcome.SUPERSEDED
    assert rig.twin.command(first.id).reason == f"replaced by {second.id}"
    assert rig.state("D-COIL")["desired_locked"] is True
    assert rig.state("D-COIL")["desired_since"] == second.requested_at

    late = rig.twin.command_failed(first.id, "timeout")
    assert late.outcome is CommandOutcome.SUPERSEDED
    assert rig.twin.alarms.listed() == []


# --- audit -----------------------------------------------------------------


def test_the_audit_log_keeps_every_command_newest_first_and_bounded() -> None:
    rig = Rig(command_log=3)
    rig.settle()
    ids = [rig.twin.request_door("D-COIL", "lock", f"user{n}").id for n in range(3)]
    with pytest.raises(CommandRefused):
        rig.twin.request_door("D-RO", "unlock", "user3")

    log = rig.twin.commands()

    assert [(c.user, c.door, c.action) for c in log] == [
        ("user3", "D-RO", "unlock"),
        ("user2", "D-COIL", "lock"),
        ("user1", "D-COIL", "lock"),
    ]
    assert [c.outcome for c in log] == [
        CommandOutcome.REFUSED,
        CommandOutcome.PENDING,
        CommandOutcome.SUPERSEDED,
    ]
    assert [c.id for c in rig.twin.commands(limit=1)] == [log[0].id]
    assert rig.twin.commands(limit=0) == []
    with pytest.raises(KeyError):
        rig.twin.command(ids[0])


def test_commands_are_logged_at_info(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="twin.command_book")

    ticket = rig.twin.request_door("D-COIL", "unlock", "alice")
    rig.feed("DC-2", lock_coil=False)
    with pytest.raises(CommandRefused):
        rig.twin.request_door("D-RO", "unlock", "bob")

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages[0].startswith(
        f"command {ticket.id} by alice: unlock D-COIL, writing False to DC-2/lock_coil"
    )
    assert messages[1].startswith(
        f"command {ticket.id} by alice: unlock D-COIL converged"
    )
    assert "by bob: unlock D-RO refused: " in messages[2]


def test_command_events_carry_the_command(rig: Rig) -> None:
    ticket = rig.twin.request_door("D-COIL", "unlock", "alice")

    [event] = rig.new_events()

    assert event.type == EventType.COMMAND_CHANGED
    assert event.node_kind == "door"
    assert event.detail["command"] == ticket.as_dict()
