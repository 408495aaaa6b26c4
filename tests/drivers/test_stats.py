from __future__ import annotations

from drivers.stats import PollerStats, summarize


def test_summary_adds_counters_and_ranks_lateness() -> None:
    first = PollerStats(polls=10, failed_polls=1, samples=40, skipped_slots=2)
    first.lateness.extend(i / 1000 for i in range(1, 51))
    second = PollerStats(polls=5, failed_connects=3, samples=20)
    second.lateness.extend(i / 1000 for i in range(51, 101))

    summary = summarize([(first, 12), (second, 5)])

    assert (summary.devices, summary.polls, summary.requests) == (2, 15, 17)
    assert (summary.failed_polls, summary.failed_connects) == (1, 3)
    assert (summary.samples, summary.skipped_slots) == (60, 2)
    assert summary.lateness_p50_s == 0.050
    assert summary.lateness_p95_s == 0.095
    assert summary.lateness_p99_s == 0.099
    assert summary.lateness_max_s == 0.100


def test_no_polls_no_percentiles() -> None:
    summary = summarize([(PollerStats(), 0)])

    assert summary.lateness_p50_s is None
    assert summary.lateness_max_s is None


def test_lateness_window_keeps_only_recent_polls() -> None:
    stats = PollerStats()
    stats.lateness.extend(float(i) for i in range(1000))

    assert len(stats.lateness) == 128
    assert stats.lateness[0] == 872.0
