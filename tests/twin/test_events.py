"""The event bus: order, bounded queues, counted drops and the gap marker."""

from __future__ import annotations

import asyncio

import pytest

from twin.events import Event, EventBus, EventType, SubscriptionClosed


def make_event(bus: EventBus, node: str = "D-1") -> Event:
    seq = bus.next_seq()
    return Event(
        seq=seq,
        time=1000.0 + seq,
        type=EventType.STATE_CHANGED,
        node=node,
        node_kind="door",
        old="secure",
        new="open",
    )


async def test_subscriber_receives_events_in_order() -> None:
    bus = EventBus()
    async with bus.subscribe() as sub:
        sent = [make_event(bus) for _ in range(5)]
        for event in sent:
            bus.publish(event)

        async with asyncio.timeout(1):
            received = [await sub.get() for _ in range(5)]

    assert received == sent
    assert [e.seq for e in received] == [1, 2, 3, 4, 5]
    assert bus.subscribers == 0


async def test_iteration_waits_for_events_and_ends_when_the_bus_closes() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    received: list[Event] = []

    async def read() -> None:
        async with sub:
            async for event in sub:
                received.append(event)

    async with asyncio.timeout(2), asyncio.TaskGroup() as group:
        group.create_task(read())
        await asyncio.sleep(0)
        bus.publish(make_event(bus, "D-1"))
        bus.publish(make_event(bus, "D-2"))
        bus.close()

    assert [e.node for e in received] == ["D-1", "D-2"]


async def test_overflow_is_counted_and_marked_at_the_gap() -> None:
    bus = EventBus()
    async with bus.subscribe(maxsize=3) as sub:
        for _ in range(10):
            bus.publish(make_event(bus))
        assert sub.dropped == 7

        first = [sub.get_nowait() for _ in range(3)]
        marker = sub.get_nowait()
        assert sub.get_nowait() is None

        bus.publish(make_event(bus))
        after = sub.get_nowait()

    assert [e.seq for e in first if e] == [1, 2, 3]
    assert marker is not None
    assert marker.type == EventType.EVENTS_DROPPED
    assert marker.detail == {"dropped": 7, "first_seq": 4, "last_seq": 10}
    assert after is not None and after.seq == 11


async def test_marker_comes_before_newer_events_when_room_returns() -> None:
    bus = EventBus()
    async with bus.subscribe(maxsize=2) as sub:
        for _ in range(4):
            bus.publish(make_event(bus))
        await sub.get()
        bus.publish(make_event(bus))

        async with asyncio.timeout(1):
            rest = [await sub.get() for _ in range(3)]

    assert [(e.type, e.seq) for e in rest] == [
        (EventType.STATE_CHANGED, 2),
        (EventType.EVENTS_DROPPED, 4),
        (EventType.STATE_CHANGED, 5),
    ]
    assert rest[1].detail["dropped"] == 2


async def test_slow_subscriber_does_not_hold_back_others() -> None:
    bus = EventBus()
    async with bus.subscribe(maxsize=1) as slow, bus.subscribe(maxsize=100) as fast:
        for _ in range(50):
            bus.publish(make_event(bus))

        received = [fast.get_nowait() for _ in range(50)]

    assert slow.dropped == 49
    assert fast.dropped == 0
    assert [e.seq for e in received if e] == list(range(1, 51))


def test_recent_keeps_the_last_events_oldest_first() -> None:
    bus = EventBus(history=3)
    for _ in range(5):
        bus.publish(make_event(bus))

    assert [e.seq for e in bus.recent(2)] == [4, 5]
    assert [e.seq for e in bus.recent()] == [3, 4, 5]
    assert bus.recent(0) == []
    assert bus.published == 5


def test_publish_refuses_a_sequence_number_that_does_not_increase() -> None:
    bus = EventBus()
    event = make_event(bus)
    bus.publish(event)

    with pytest.raises(ValueError, match="does not follow"):
        bus.publish(event)


def test_closed_subscription_receives_nothing_more() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    sub.close()

    bus.publish(make_event(bus))

    assert sub.get_nowait() is None
    assert bus.subscribers == 0


async def test_get_on_a_closed_and_drained_subscription_raises() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    bus.publish(make_event(bus))
    sub.close()

    async with asyncio.timeout(1):
        assert (await sub.get()).seq == 1
        with pytest.raises(SubscriptionClosed):
            await sub.get()
