"""Events the twin publishes, and the bus that fans them out to subscribers.

An :class:`Event` says that something changed on one node: a status transition
(``state_changed``), an alarm raised, cleared or acknowledged (see
:mod:`twin.alarms`), or a door command's progress (``command_changed``, see
:mod:`twin.commands`). Events carry an increasing
``seq`` so a client can tell whether it missed any.

The bus never blocks its publisher. Each subscriber has a bounded queue; when a
subscriber falls behind, new events for it are dropped and counted, and at the
gap it receives one ``events_dropped`` marker saying how many it missed and
which sequence numbers, before it receives anything newer. A slow WebSocket
client therefore loses events visibly and never slows the twin down.

Errors: :meth:`EventBus.publish` raises ``ValueError`` for an event whose
``seq`` does not increase (a programming error); :meth:`Subscription.get`
raises :class:`SubscriptionClosed` once its subscription is closed and drained
(iterating simply ends instead).
The bus is not thread-safe: publish from the event loop's thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Self


class SubscriptionClosed(Exception):
    """The subscription was closed and every event queued for it was taken."""


class EventType(StrEnum):
    STATE_CHANGED = "state_changed"
    ALARM_RAISED = "alarm_raised"
    ALARM_CLEARED = "alarm_cleared"
    ALARM_ACKNOWLEDGED = "alarm_acknowledged"
    COMMAND_CHANGED = "command_changed"
    EVENTS_DROPPED = "events_dropped"
    """Only ever seen by a subscriber that fell behind; never in the history."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change on one node.

    ``time`` is epoch seconds. For ``state_changed``, ``old`` and ``new`` are the
    statuses; for ``alarm_raised`` and ``alarm_acknowledged`` ``new`` is the
    alarm's type (``old`` is None) and for ``alarm_cleared`` ``old`` is (``new``
    is None); for ``command_changed`` they are the command's outcome before and
    after (``old`` is None for a new command). ``detail`` says why: the inputs
    behind a door's change, the cause, the device's reason, the alarm or the
    command as a mapping.
    """

    seq: int
    time: float
    type: str
    node: str
    node_kind: str
    old: str | None
    new: str | None
    detail: Mapping[str, object] = field(default_factory=dict)


class Subscription:
    """One subscriber's bounded view of the bus; iterate it asynchronously.

    ``dropped`` counts the events this subscriber lost because its queue was
    full. Iteration ends once the subscription is closed (by leaving its
    ``async with`` block, :meth:`close`, or :meth:`EventBus.close`) and the
    events already queued have been taken.
    """

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self._bus = bus
        self._maxsize = maxsize
        self._queue: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self._dropped = 0
        # The gap not yet reported: (count, first seq, last seq, last time).
        self._gap: tuple[int, int, int, float] | None = None

    @property
    def dropped(self) -> int:
        """Events lost by this subscriber since it subscribed."""
        return self._dropped

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, event: Event) -> None:
        """Queue ``event`` or, if the queue is full, count it as dropped."""
        if self._closed:
            return
        if len(self._queue) >= self._maxsize:
            self._dropped += 1
            if self._gap is None:
                self._gap = (1, event.seq, event.seq, event.time)
            else:
                count, first, _, _ = self._gap
                self._gap = (count + 1, first, event.seq, event.time)
            return
        if self._gap is not None:
            # The marker goes where the gap is, so the order stays readable.
            self._queue.append(self._take_marker())
        self._queue.append(event)
        self._ready.set()

    def get_nowait(self) -> Event | None:
        """The next event if one is waiting, else None."""
        if self._queue:
            return self._queue.popleft()
        if self._gap is not None:
            return self._take_marker()
        return None

    async def get(self) -> Event:
        """Wait for the next event; :class:`SubscriptionClosed` once closed."""
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            if self._closed:
                raise SubscriptionClosed
            self._ready.clear()
            await self._ready.wait()

    def close(self) -> None:
        """Stop receiving; a waiting reader wakes and ends after the backlog."""
        if not self._closed:
            self._closed = True
            self._bus.forget(self)
            self._ready.set()

    def _take_marker(self) -> Event:
        assert self._gap is not None
        count, first, last, when = self._gap
        self._gap = None
        return Event(
            seq=last,
            time=when,
            type=EventType.EVENTS_DROPPED,
            node="",
            node_kind="",
            old=None,
            new=None,
            detail={"dropped": count, "first_seq": first, "last_seq": last},
        )

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fans events out to subscribers and keeps the last ``history`` of them."""

    def __init__(self, history: int = 1000) -> None:
        if history < 0:
            raise ValueError(f"history must not be negative, not {history}")
        self._history: deque[Event] = deque(maxlen=history)
        self._subscriptions: list[Subscription] = []
        self._last_seq = 0
        self._reserved = 0
        self._published = 0

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last published event, 0 before any."""
        return self._last_seq

    @property
    def published(self) -> int:
        """Events published since the bus was made."""
        return self._published

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def next_seq(self) -> int:
        """Reserve the sequence number for the next event to build."""
        self._reserved = max(self._reserved, self._last_seq) + 1
        return self._reserved

    def publish(self, event: Event) -> None:
        """Record ``event`` and hand it to every subscriber; never blocks.

        Raises ``ValueError`` if ``event.seq`` is not above the last one's.
        """
        if event.seq <= self._last_seq:
            raise ValueError(
                f"event seq {event.seq} does not follow the last one, {self._last_seq}"
            )
        self._last_seq = event.seq
        self._published += 1
        self._history.append(event)
        for subscription in self._subscriptions:
            subscription.offer(event)

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        """A new subscription receiving every event published from now on.

        ``maxsize`` bounds its queue (events); use it as an async context
        manager so it is closed when the reader leaves.
        """
        subscription = Subscription(self, maxsize)
        self._subscriptions.append(subscription)
        return subscription

    def forget(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription`` (it calls this when closed)."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def recent(self, n: int | None = None) -> list[Event]:
        """The last ``n`` events (all kept if None), oldest first."""
        if n is None:
            return list(self._history)
        if n <= 0:
            return []
        return list(self._history)[-n:]

    def close(self) -> None:
        """Close every subscription, for shutdown."""
        for subscription in list(self._subscriptions):
            subscription.close()
