"""The alarm list: raise, clear, acknowledge, listing, and what feeds it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from topology.sample import DeviceStatus
from twin.alarms import (
    AlarmBook,
    AlarmError,
    AlarmType,
    AlreadyAcknowledged,
    Severity,
    UnknownAlarm,
)
from twin.clock import FakeClock
from twin.events import EventType

from .rig import Rig, changes

Emitted = tuple[EventType, str, str, str | None, str | None, Mapping[str, object]]


class Book:
    """An alarm book on a fake clock, recording what it emits."""

    def __init__(self, history: int = 1000) -> None:
        self.clock = FakeClock(start=5_000.0)
        self.emitted: list[Emitted] = []
        self.book = AlarmBook(self.clock, self.record, history=history)

    def record(
        self,
        kind: EventType,
        node: str,
        node_kind: str,
        old: str | None,
        new: str | None,
        detail: Mapping[str, object],
    ) -> None:
        self.emitted.append((kind, node, node_kind, old, new, detail))

    def raise_(self, kind: AlarmType = AlarmType.FORCED_OPEN, node: str = "D-1") -> str:
        return self.book.raise_alarm(kind, node, "door", [f"{kind} on {node}"]).id


@pytest.fixture
def b() -> Book:
    return Book()


def test_an_alarm_is_listed_from_raise_until_cleared_and_acknowledged(
    b: Book,
) -> None:
    alarm_id = b.raise_()
    alarm = b.book.get(alarm_id)
    assert alarm.active and not alarm.acknowledged
    assert (alarm.type, alarm.severity, alarm.node) == (
        AlarmType.FORCED_OPEN,
        Severity.CRITICAL,
        "D-1",
    )
    assert alarm.raised_at == 5_000.0
    assert alarm.cause == ("forced_open on D-1",)

    b.clock.advance(10)
    cleared = b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1")

    assert cleared is not None and cleared.cleared_at == 5_010.0
    assert [a.id for a in b.book.listed()] == [alarm_id]

    b.clock.advance(3600)
    acked = b.book.acknowledge(alarm_id, "night-officer", "checked on camera")

    assert (acked.acknowledged_by, acked.acknowledged_at) == ("night-officer", 8_610.0)
    assert acked.note == "checked on camera"
    assert b.book.listed() == []
    assert b.book.history() == [acked]
    assert b.book.get(alarm_id) == acked
    assert [(e[0], e[3], e[4]) for e in b.emitted] == [
        (EventType.ALARM_RAISED, None, "forced_open"),
        (EventType.ALARM_CLEARED, "forced_open", None),
        (EventType.ALARM_ACKNOWLEDGED, None, "forced_open"),
    ]
    last = b.emitted[-1][5]
    assert last["user"] == "night-officer"
    assert last["alarm"] == acked.as_dict()


def test_an_acknowledged_alarm_stays_listed_while_active(b: Book) -> None:
    alarm_id = b.raise_(AlarmType.HELD_OPEN)

    b.book.acknowledge(alarm_id, "op")

    assert [a.id for a in b.book.listed()] == [alarm_id]
    b.book.clear_alarm(AlarmType.HELD_OPEN, "D-1")
    assert b.book.listed() == []
    assert [a.id for a in b.book.history()] == [alarm_id]


def test_raising_an_active_alarm_again_changes_nothing(b: Book) -> None:
    first = b.raise_()
    second = b.raise_()

    assert first == second
    assert len(b.emitted) == 1
    assert b.book.get(first).occurrences == 1


def test_a_returning_condition_reopens_its_unacknowledged_alarm(b: Book) -> None:
    alarm_id = b.raise_(AlarmType.TAMPER)
    b.clock.advance(1)
    b.book.clear_alarm(AlarmType.TAMPER, "D-1")
    b.clock.advance(1)

    again = b.book.raise_alarm(AlarmType.TAMPER, "D-1", "door", ["tamper again"])

    assert again.id == alarm_id
    assert again.active and again.occurrences == 2
    assert (again.raised_at, again.last_raised_at) == (5_000.0, 5_002.0)
    assert again.cause == ("tamper again",)
    assert len(b.book.listed()) == 1


def test_a_condition_after_a_closed_alarm_is_a_new_alarm(b: Book) -> None:
    first = b.raise_()
    b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1")
    b.book.acknowledge(first, "op")

    second = b.raise_()

    assert second != first
    assert [a.id for a in b.book.listed()] == [second]


def test_clearing_what_is_not_active_does_nothing(b: Book) -> None:
    assert b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1") is None
    b.raise_()
    b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1")

    assert b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1") is None
    assert len(b.emitted) == 2


def test_acknowledge_errors_say_what_is_wrong(b: Book) -> None:
    with pytest.raises(UnknownAlarm, match="alm-99"):
        b.book.acknowledge("alm-99", "op")
    with pytest.raises(KeyError):
        b.book.get("alm-99")

    alarm_id = b.raise_()
    b.book.acknowledge(alarm_id, "alice")
    with pytest.raises(AlreadyAcknowledged, match="alice") as raised:
        b.book.acknowledge(alarm_id, "bob")
    assert raised.value.alarm.acknowledged_by == "alice"
    assert isinstance(raised.value, AlarmError)

    b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1")
    with pytest.raises(AlreadyAcknowledged):
        b.book.acknowledge(alarm_id, "bob")
    with pytest.raises(ValueError, match="name"):
        b.book.acknowledge(b.raise_(AlarmType.TAMPER), "  ")


def test_listing_puts_active_then_severe_then_recent_first(b: Book) -> None:
    cleared_critical = b.raise_(AlarmType.FORCED_OPEN, "D-1")
    b.book.clear_alarm(AlarmType.FORCED_OPEN, "D-1")
    b.clock.advance(1)
    old_major = b.raise_(AlarmType.HELD_OPEN, "D-2")
    b.clock.advance(1)
    critical = b.raise_(AlarmType.INTERLOCK_VIOLATION, "IL-1")
    b.clock.advance(1)
    new_major = b.raise_(AlarmType.DEVICE_OFFLINE, "DC-1")

    assert [a.id for a in b.book.listed()] == [
        critical,
        new_major,
        old_major,
        cleared_critical,
    ]
    assert b.book.counts() == {"listed": 4, "active": 3, "unacknowledged": 4}


def test_history_is_bounded_and_newest_first() -> None:
    b = Book(history=2)
    ids = []
    for node in ("D-1", "D-2", "D-3"):
        ids.append(b.raise_(node=node))
        b.book.clear_alarm(AlarmType.FORCED_OPEN, node)
        b.book.acknowledge(ids[-1], "op")

    assert [a.id for a in b.book.history()] == [ids[2], ids[1]]
    assert [a.id for a in b.book.history(1)] == [ids[2]]
    assert b.book.history(0) == []
    with pytest.raises(UnknownAlarm):
        b.book.get(ids[0])


# --- the twin feeding its alarm book -----------------------------------------


def test_forced_open_door_raises_a_critical_alarm_with_its_cause() -> None:
    rig = Rig()
    rig.settle()

    rig.clock.advance(10)
    rig.feed("DC-2", closed_3=False)

    [alarm] = rig.twin.alarms.listed()
    assert (alarm.type, alarm.severity, alarm.node) == (
        AlarmType.FORCED_OPEN,
        Severity.CRITICAL,
        "D-RO",
    )
    assert alarm.cause == (
        "door D-RO forced open",
        "contact DC-2/closed_3 reported open while lock DC-2/bolt_3 reported locked",
        "no unlock or request to exit in the 3 s before",
    )
    raised = [e for e in rig.new_events() if e.type == EventType.ALARM_RAISED]
    assert [(e.node, e.new) for e in raised] == [("D-RO", "forced_open")]
    assert raised[0].detail["alarm"] == alarm.as_dict()
    assert raised[0].detail["inputs"] == {"locked": True, "closed": False}

    rig.feed("DC-2", closed_3=True)
    rig.twin.alarms.acknowledge(alarm.id, "op", "door checked")

    assert rig.twin.alarms.listed() == []
    assert changes(rig.new_events())[-1] == (
        "alarm_acknowledged",
        "D-RO",
        None,
        "forced_open",
    )
    assert rig.twin.stats()["alarms_listed"] == 0


def test_device_offline_is_one_alarm_per_device_not_per_door() -> None:
    rig = Rig()
    rig.settle()

    rig.health("DC-2", DeviceStatus.OFFLINE)
    rig.health("DC-2", DeviceStatus.OFFLINE, failures=9)

    events = rig.new_events()
    raised = [(e.node, e.new) for e in events if e.type == EventType.ALARM_RAISED]
    assert raised == [("DC-2", "device_offline")]
    assert [e.node for e in events if e.new == "offline"] == [
        "DC-2",
        "D-COIL",
        "D-REG",
        "D-RO",
    ]
    [alarm] = rig.twin.alarms.listed()
    assert (alarm.node, alarm.node_kind, alarm.severity) == (
        "DC-2",
        "door_controller",
        Severity.MAJOR,
    )
    assert alarm.cause == (
        "device DC-2 offline",
        "3 failed polls in a row: timeout",
        "no good poll since the twin started",
        "doors not seen: D-COIL, D-REG, D-RO",
    )

    rig.health("DC-2", DeviceStatus.ONLINE)
    assert not rig.twin.alarms.get(alarm.id).active

    rig.health("DC-2", DeviceStatus.OFFLINE)
    reopened = rig.twin.alarms.get(alarm.id)
    assert reopened.active and reopened.occurrences == 2
    assert len(rig.twin.alarms.listed()) == 1


def test_a_degraded_device_raises_no_alarm() -> None:
    rig = Rig()

    rig.health("DC-1", DeviceStatus.DEGRADED)

    assert rig.twin.alarms.listed() == []
