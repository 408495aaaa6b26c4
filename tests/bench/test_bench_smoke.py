"""The Modbus benchmark end to end with a handful of doors: every figure is
there and sane. Targets are not checked: a shared machine decides those."""

from __future__ import annotations

import asyncio
import json

from bench.modbus import Options, build_parser, run_benchmark
from bench.modbus_report import format_report, report_json

ROWS = (
    "requests/s",
    "values/s (bare) | samples/s (ours)",
    "polls/s",
    "CPU, share of one core",
    "CPU per 1,000 values|samples/s",
    "poll lateness p50",
    "poll lateness p99",
    "skipped slots",
    "failed requests | failed polls",
    "end-to-end latency p50",
    "end-to-end latency p99",
    "door changes seen / made",
    "simulator process CPU, one core",
    "request rate, ours / bare",
)


async def test_small_run_prints_every_figure() -> None:
    options = Options(
        doors=8,
        doors_per_controller=4,
        interval_s=0.5,
        duration_s=2.0,
        change_rate_per_s=4.0,
    )

    async with asyncio.timeout(60):
        report = await run_benchmark(options)
    text = format_report(report)
    figures = report_json(report)

    for row in ROWS:
        assert row in text
    verdicts = [line.split()[-1] for line in text.split("targets\n")[1].splitlines()]
    assert len(verdicts) == 4
    assert set(verdicts) <= {"pass", "MISS", "n/a"}
    assert verdicts[0] == "n/a"  # eight doors say nothing about 3,000

    assert report.setup.controllers == 2
    assert report.setup.requests_per_poll == 9
    assert figures["bare"]["requests_per_s"] > 0
    assert figures["ours"]["requests_per_s"] > 0
    assert figures["ours"]["samples_per_s"] > 0
    assert figures["ours"]["lateness_p99_s"] is not None
    assert figures["request_ratio"] > 0
    assert report.latency.changes > 0
    assert 0 < len(report.latency.seconds) <= report.latency.changes
    assert figures["ours"]["end_to_end_p99_s"] is not None
    assert "store (sqlite)" in text
    assert figures["store"]["written"] > 0
    assert json.loads(json.dumps(figures)) == figures


def test_options_are_checked() -> None:
    parser = build_parser()

    args = parser.parse_args(["--doors", "600", "--duration", "10"])

    assert (args.doors, args.duration, args.interval) == (600, 10.0, 1.0)
    for bad in (
        ["--doors", "0"],
        ["--interval", "-1"],
        ["--doors-per-controller", "17"],
    ):
        try:
            parser.parse_args(bad)
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{bad} was accepted")
