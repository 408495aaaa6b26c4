"""Figures of the Modbus benchmark: latency matching, targets, table and JSON.

Nothing here does I/O; :mod:`bench.modbus` runs the phases and hands the
results to :func:`summarize`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.modbus_bare import BareFigures
from bench.modbus_ours import DoorEvent, OursFigures
from bench.simproc import ChildCounters, DoorChange
from store.base import StoreStats

OPEN_STATUSES = frozenset({"open", "forced_open", "held_open"})
CLOSED_STATUSES = frozenset({"secure", "unlocked"})

TARGET_DOORS = 3000
TARGET_INTERVAL_S = 1.0
TARGET_LATENESS_P99_S = 0.100
TARGET_END_TO_END_MARGIN_S = 0.100
TARGET_REQUEST_RATIO = 0.80
POLLED_SHARE = 0.99
"""Share of the scheduled polls that must have succeeded for 'every door
polled every interval' to hold (a poll or two lost to a restart is not a miss)."""


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``; None if
    empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[min(max(rank, 1), len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class Latency:
    """How long world changes took to show as door status changes in the twin.

    ``seconds`` holds one latency per matched change; ``unmatched`` counts
    changes for which no fitting event followed.
    """

    changes: int
    seconds: Sequence[float]
    unmatched: int

    @property
    def p50_s(self) -> float | None:
        return percentile(self.seconds, 0.50)

    @property
    def p99_s(self) -> float | None:
        return percentile(self.seconds, 0.99)


def match_changes(
    changes: Sequence[DoorChange], events: Sequence[DoorEvent]
) -> Latency:
    """Pair each door change with the first later event of that door whose new
    status fits it (open: ``open``, ``forced_open`` or ``held_open``; closed:
    ``secure`` or ``unlocked``), door by door in time order; an event serves
    one change at most."""
    by_door: dict[str, list[DoorEvent]] = defaultdict(list)
    for event in events:
        by_door[event.door].append(event)
    taken: dict[str, int] = defaultdict(int)

    seconds: list[float] = []
    unmatched = 0
    for change in sorted(changes, key=lambda c: c.time):
        wanted = OPEN_STATUSES if change.open else CLOSED_STATUSES
        door_events = by_door.get(change.door, [])
        index = taken[change.door]
        while index < len(door_events) and not (
            door_events[index].time >= change.time
            and door_events[index].status in wanted
        ):
            index += 1
        if index == len(door_events):
            unmatched += 1
            continue
        seconds.append(door_events[index].time - change.time)
        taken[change.door] = index + 1
    return Latency(len(changes), seconds, unmatched)


@dataclass(frozen=True, slots=True)
class Setup:
    """What was benchmarked: the site, the schedule and the sinks."""

    doors: int
    controllers: int
    doors_per_controller: int
    requests_per_poll: int
    points_per_poll: int
    interval_s: float
    duration_s: float
    change_rate_per_s: float
    sinks: str
    heap_frozen: bool


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    measured: str
    verdict: str  # "pass", "MISS" or "n/a"


@dataclass(frozen=True, slots=True)
class Report:
    setup: Setup
    bare: BareFigures
    ours: OursFigures
    latency: Latency
    simulators_bare: ChildCounters
    simulators_ours: ChildCounters
    store: StoreStats | None

    @property
    def bare_lateness_p50_s(self) -> float | None:
        return percentile(self.bare.lateness, 0.50)

    @property
    def bare_lateness_p99_s(self) -> float | None:
        return percentile(self.bare.lateness, 0.99)

    @property
    def request_ratio(self) -> float | None:
        bare_rate = self.bare.requests / self.bare.window_s
        if bare_rate <= 0:
            return None
        return (self.ours.requests / self.ours.window_s) / bare_rate

    def targets(self) -> list[Target]:
        """Each target with what was measured and pass, MISS or n/a."""
        setup, ours = self.setup, self.ours
        scheduled = setup.controllers * ours.window_s / setup.interval_s
        polled = (ours.polls - ours.failed_polls) / scheduled if scheduled else 0.0
        at_scale = setup.doors >= TARGET_DOORS and setup.interval_s <= TARGET_INTERVAL_S
        scale_verdict = _verdict(polled >= POLLED_SHARE) if at_scale else "n/a"
        lateness = ours.lateness_p99_s
        latency_p99 = self.latency.p99_s
        latency_limit = setup.interval_s + TARGET_END_TO_END_MARGIN_S
        ratio = self.request_ratio
        return [
            Target(
                f"{TARGET_DOORS:,} doors polled every {TARGET_INTERVAL_S:g} s",
                f"{setup.doors:,} doors every {setup.interval_s:g} s, "
                f"{polled:.1%} of slots polled",
                scale_verdict,
            ),
            Target(
                f"poll lateness p99 < {TARGET_LATENESS_P99_S * 1e3:.0f} ms",
                _ms(lateness),
                _verdict(lateness is not None and lateness < TARGET_LATENESS_P99_S),
            ),
            Target(
                f"end-to-end p99 < {latency_limit * 1e3:.0f} ms",
                f"{_ms(latency_p99)}, {self.latency.unmatched} of "
                f"{self.latency.changes} changes unseen",
                _verdict(
                    latency_p99 is not None
                    and latency_p99 < latency_limit
                    and self.latency.unmatched == 0
                ),
            ),
            Target(
                f"request rate >= {TARGET_REQUEST_RATIO:.0%} of bare loop",
                "-" if ratio is None else f"{ratio:.1%}",
                _verdict(ratio is not None and ratio >= TARGET_REQUEST_RATIO),
            ),
        ]


def _verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.1f} ms"


def _rate(count: int, window_s: float) -> str:
    return f"{count / window_s:,.1f}"


def _core(cpu_s: float, window_s: float) -> str:
    return f"{cpu_s / window_s:.1%}"


def _per_1000(cpu_s: float, window_s: float, items: int) -> str:
    if items == 0:
        return "-"
    share = cpu_s / window_s
    return f"{share / (items / window_s / 1000):.2%}"


def _store_line(store: StoreStats | None) -> str:
    if store is None:
        return "store: none (--no-store)"
    lost = store.dropped_overflow + store.rejected + store.lost_at_close
    return (
        f"store ({store.backend}): {store.written:,} samples written over phase B, "
        f"{lost:,} lost, {store.write_errors} write errors"
    )


def format_report(report: Report) -> str:
    """The side-by-side table and the targets, as printable text."""
    setup, bare, ours = report.setup, report.bare, report.ours
    sim_bare, sim_ours = report.simulators_bare, report.simulators_ours
    a, b = bare.window_s, ours.window_s
    seen = f"{len(report.latency.seconds)} / {report.latency.changes}"
    rows = [
        ("requests/s", _rate(bare.requests, a), _rate(ours.requests, b)),
        (
            "values/s (bare) | samples/s (ours)",
            _rate(bare.values, a),
            _rate(ours.samples, b),
        ),
        ("polls/s", _rate(bare.polls, a), _rate(ours.polls, b)),
        ("CPU, share of one core", _core(bare.cpu_s, a), _core(ours.cpu_s, b)),
        (
            "CPU per 1,000 values|samples/s",
            _per_1000(bare.cpu_s, a, bare.values),
            _per_1000(ours.cpu_s, b, ours.samples),
        ),
        (
            "poll lateness p50",
            _ms(report.bare_lateness_p50_s),
            _ms(ours.lateness_p50_s),
        ),
        (
            "poll lateness p99",
            _ms(report.bare_lateness_p99_s),
            _ms(ours.lateness_p99_s),
        ),
        ("skipped slots", str(bare.skipped_slots), str(ours.skipped_slots)),
        (
            "failed requests | failed polls",
            str(bare.failed_requests),
            str(ours.failed_polls),
        ),
        ("end-to-end latency p50", "-", _ms(report.latency.p50_s)),
        ("end-to-end latency p99", "-", _ms(report.latency.p99_s)),
        ("door changes seen / made", "-", seen),
        (
            "simulator process CPU, one core",
            _core(sim_bare.cpu_s, a),
            _core(sim_ours.cpu_s, b),
        ),
    ]
    ratio = report.request_ratio
    lines = [
        f"Modbus benchmark: {setup.doors:,} doors on {setup.controllers} "
        f"controllers ({setup.doors_per_controller} doors, "
        f"{setup.requests_per_poll} requests, {setup.points_per_poll} points each), "
        f"every {setup.interval_s:g} s;",
        f"windows of {bare.window_s:.1f} s (bare) and {ours.window_s:.1f} s "
        f"(ours, with {setup.change_rate_per_s:g} door changes/s); "
        f"sinks: {setup.sinks}; start-up heap "
        f"{'frozen' if setup.heap_frozen else 'not frozen'}",
        "",
        f"{'':<36}{'bare pymodbus':>16}{'ours':>16}",
        *(f"{name:<36}{left:>16}{right:>16}" for name, left, right in rows),
        f"{'request rate, ours / bare':<36}{'':>16}"
        f"{'-' if ratio is None else f'{ratio:.1%}':>16}",
        _store_line(report.store),
        "",
        "targets",
        *(
            f"  {target.name:<40}{target.measured:<50}{target.verdict}"
            for target in report.targets()
        ),
    ]
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    """The figures as plain JSON data (rates per second, times in seconds)."""
    bare, ours, latency = report.bare, report.ours, report.latency
    return {
        "setup": {
            "doors": report.setup.doors,
            "controllers": report.setup.controllers,
            "doors_per_controller": report.setup.doors_per_controller,
            "requests_per_poll": report.setup.requests_per_poll,
            "points_per_poll": report.setup.points_per_poll,
            "interval_s": report.setup.interval_s,
            "duration_s": report.setup.duration_s,
            "change_rate_per_s": report.setup.change_rate_per_s,
            "sinks": report.setup.sinks,
            "heap_frozen": report.setup.heap_frozen,
        },
        "bare": {
            "window_s": bare.window_s,
            "requests_per_s": bare.requests / bare.window_s,
            "values_per_s": bare.values / bare.window_s,
            "polls_per_s": bare.polls / bare.window_s,
            "cpu_share": bare.cpu_s / bare.window_s,
            "lateness_p50_s": report.bare_lateness_p50_s,
            "lateness_p99_s": report.bare_lateness_p99_s,
            "skipped_slots": bare.skipped_slots,
            "failed_requests": bare.failed_requests,
            "simulator_cpu_share": report.simulators_bare.cpu_s / bare.window_s,
        },
        "ours": {
            "window_s": ours.window_s,
            "requests_per_s": ours.requests / ours.window_s,
            "samples_per_s": ours.samples / ours.window_s,
            "polls_per_s": ours.polls / ours.window_s,
            "cpu_share": ours.cpu_s / ours.window_s,
            "cpu_share_per_1000_samples_per_s": (
                ours.cpu_s / ours.window_s / (ours.samples / ours.window_s / 1000)
                if ours.samples
                else None
            ),
            "lateness_p50_s": ours.lateness_p50_s,
            "lateness_p99_s": ours.lateness_p99_s,
            "lateness_max_s": ours.lateness_max_s,
            "skipped_slots": ours.skipped_slots,
            "failed_polls": ours.failed_polls,
            "failed_connects": ours.failed_connects,
            "end_to_end_p50_s": latency.p50_s,
            "end_to_end_p99_s": latency.p99_s,
            "door_changes": latency.changes,
            "door_changes_unseen": latency.unmatched,
            "events_dropped": ours.events_dropped,
            "simulator_cpu_share": report.simulators_ours.cpu_s / ours.window_s,
        },
        "store": None
        if report.store is None
        else {
            "backend": report.store.backend,
            "written": report.store.written,
            "dropped_overflow": report.store.dropped_overflow,
            "rejected": report.store.rejected,
            "lost_at_close": report.store.lost_at_close,
            "write_errors": report.store.write_errors,
        },
        "request_ratio": report.request_ratio,
        "targets": [
            {"name": t.name, "measured": t.measured, "verdict": t.verdict}
            for t in report.targets()
        ],
    }
