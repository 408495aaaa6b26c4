"""The Modbus benchmark: our polling path next to a bare pymodbus loop, at scale.

Run ``python -m bench.modbus`` (or ``warden bench``)::

    python -m bench.modbus [--doors 3000] [--doors-per-controller 16]
                           [--interval 1.0] [--duration 30] [--json FILE]

It writes a synthetic site (:mod:`bench.sitegen`) to a temporary directory,
starts its door controllers in a child process on 127.0.0.1
(:mod:`bench.simproc`), then measures two phases over the same controllers:

A. a bare pymodbus loop doing the driver's reads (:mod:`bench.modbus_bare`);
B. the platform: PollerGroup, Modbus driver, a counting fan-out, a real
   SqliteStore in the temporary directory (unless ``--no-store``) and a real
   Twin (:mod:`bench.modbus_ours`), while the child opens and closes random
   doors so that the delay from a physical change to the twin's event shows.

It prints one table with both phases and the targets (:mod:`bench.modbus_report`),
and with ``--json`` also writes the figures to a file. Everything is bounded:
the child stops by itself after the run, and is terminated on any error or
Ctrl-C. The figures are for reading, not asserting: a shared machine moves them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.modbus_bare import run_bare_loop
from bench.modbus_ours import run_pollers
from bench.modbus_report import Report, Setup, format_report, match_changes, report_json
from bench.simproc import SimulatorProcess, SimulatorProcessError
from bench.sitegen import PROFILE_ID, write_site
from drivers.modbus.plan import plan_reads
from store.base import StoreError
from store.sqlite import SqliteStore
from topology.loader import LoadedSite, SiteError, load_site, with_endpoints

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Options:
    """What to benchmark. Times in seconds, the change rate in changes/s."""

    doors: int = 3000
    doors_per_controller: int = 16
    interval_s: float = 1.0
    duration_s: float = 30.0
    change_rate_per_s: float = 20.0
    seed: int = 1
    store: bool = True
    freeze_heap: bool = True

    @property
    def quiet_s(self) -> float:
        """How long a changed door is left alone: two polls and some margin."""
        return 2 * self.interval_s + 0.5

    @property
    def start_timeout_s(self) -> float:
        """How long the simulators may take to load the site and listen."""
        return 60.0 + 0.05 * self.doors

    @property
    def grace_s(self) -> float:
        """How long phase B keeps polling after its window for late changes."""
        return self.interval_s + 1.0


Progress = Callable[[str], None]

PHASE_MARGIN_S = 120.0
"""Time a phase may take beyond its own schedule before the run is abandoned."""


class BenchmarkError(Exception):
    """A phase did not finish in time; the run was abandoned."""


def _quiet(_message: str) -> None:
    pass


async def run_benchmark(options: Options, progress: Progress = _quiet) -> Report:
    """Run both phases as :mod:`bench.modbus` describes and return the figures.

    ``progress`` receives one line per step. Raises ``SiteError`` (a bug in the
    generated site), :class:`SimulatorProcessError`, ``ConnectionError`` or
    ``TimeoutError`` (controllers that do not answer); the child process is
    stopped in every case.
    """
    with tempfile.TemporaryDirectory(prefix="warden-bench-") as directory:
        site_path = write_site(
            Path(directory),
            doors=options.doors,
            doors_per_controller=options.doors_per_controller,
            interval_s=options.interval_s,
        )
        progress(f"site written to {site_path}; starting the simulators")
        lifetime_s = 600.0 + 4 * (options.duration_s + options.grace_s)
        # The child loads the same file meanwhile; both take a while at scale.
        loading = asyncio.create_task(asyncio.to_thread(load_site, site_path))
        try:
            simulators = SimulatorProcess(
                site_path,
                lifetime_s=lifetime_s,
                start_timeout_s=options.start_timeout_s,
            )
            async with simulators as sims:
                site = with_endpoints(await loading, sims.endpoints)
                return await _measure(options, site, sims, Path(directory), progress)
        finally:
            await asyncio.gather(loading, return_exceptions=True)


async def _measure(
    options: Options,
    site: LoadedSite,
    sims: SimulatorProcess,
    directory: Path,
    progress: Progress,
) -> Report:
    profile = site.profiles[PROFILE_ID]
    setup = Setup(
        doors=len(site.site.doors),
        controllers=len(site.site.devices),
        doors_per_controller=options.doors_per_controller,
        requests_per_poll=len(plan_reads(profile.points)),
        points_per_poll=len(profile.points),
        interval_s=options.interval_s,
        duration_s=options.duration_s,
        change_rate_per_s=options.change_rate_per_s,
        sinks="SqliteStore (temporary file) + Twin" if options.store else "Twin",
        heap_frozen=options.freeze_heap,
    )

    progress(f"phase A: bare pymodbus loop for {options.duration_s:g} s")
    async with _deadline("phase A", options.interval_s + options.duration_s):
        bare, (_, sim_bare) = await run_bare_loop(
            site,
            interval_s=options.interval_s,
            duration_s=options.duration_s,
            during=lambda: sims.drive(
                duration_s=options.duration_s,
                rate_per_s=0.0,
                quiet_s=options.quiet_s,
                seed=options.seed,
            ),
        )

    progress(f"phase B: PollerGroup into the twin for {options.duration_s:g} s")
    store = SqliteStore(directory / "history.db") if options.store else None
    if store is not None:
        await store.start()
    schedule_s = 3 * options.interval_s + options.duration_s + options.grace_s
    try:
        async with _deadline("phase B", schedule_s):
            ours, (changes, sim_ours) = await run_pollers(
                site,
                interval_s=options.interval_s,
                duration_s=options.duration_s,
                grace_s=options.grace_s,
                during=lambda: sims.drive(
                    duration_s=options.duration_s,
                    rate_per_s=options.change_rate_per_s,
                    quiet_s=options.quiet_s,
                    seed=options.seed,
                ),
                store=store,
            )
    finally:
        if store is not None:
            await store.close()
    return Report(
        setup=setup,
        bare=bare,
        ours=ours,
        latency=match_changes(changes, ours.door_events),
        simulators_bare=sim_bare,
        simulators_ours=sim_ours,
        store=None if store is None else store.stats(),
    )


@contextlib.asynccontextmanager
async def _deadline(phase: str, schedule_s: float) -> AsyncIterator[None]:
    """Abandon ``phase`` with :class:`BenchmarkError` if it runs
    ``PHASE_MARGIN_S`` seconds past its ``schedule_s``."""
    limit_s = schedule_s + PHASE_MARGIN_S
    try:
        async with asyncio.timeout(limit_s):
            yield
    except TimeoutError as exc:
        raise BenchmarkError(f"{phase} did not finish within {limit_s:.0f} s") from exc


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warden bench",
        description="Modbus polling benchmark: ours next to bare pymodbus.",
    )
    parser.add_argument("--doors", type=_positive(int), default=3000)
    parser.add_argument(
        "--doors-per-controller", type=int, choices=range(1, 17), default=16
    )
    parser.add_argument(
        "--interval", type=_positive(float), default=1.0, help="poll interval, s"
    )
    parser.add_argument(
        "--duration", type=_positive(float), default=30.0, help="window per phase, s"
    )
    parser.add_argument(
        "--change-rate",
        type=float,
        default=20.0,
        help="door changes per second in phase B (0 for none)",
    )
    parser.add_argument("--seed", type=int, default=1, help="door change sequence")
    parser.add_argument(
        "--no-store",
        dest="store",
        action="store_false",
        help="phase B without the SQLite store (twin only)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="freeze_heap",
        action="store_false",
        help="phase B without freezing the start-up heap (unlike warden run)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


async def _run_until_terminated(options: Options, progress: Progress) -> Report:
    """:func:`run_benchmark`, cancelled cleanly (child stopped) on SIGTERM."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run_benchmark(options, progress)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: run, print the table, optionally write JSON; returns
    the exit status (0, 1 on failure, 130 on Ctrl-C, 143 on SIGTERM)."""
    args = build_parser().parse_args(argv)
    options = Options(
        doors=int(args.doors),
        doors_per_controller=args.doors_per_controller,
        interval_s=float(args.interval),
        duration_s=float(args.duration),
        change_rate_per_s=max(0.0, args.change_rate),
        seed=args.seed,
        store=args.store,
        freeze_heap=args.freeze_heap,
    )
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    # Every door the benchmark opens is forced open and raises an alarm; one
    # warning line each would bury the figures.
    logging.getLogger("twin.alarms").setLevel(logging.ERROR)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        report = asyncio.run(_run_until_terminated(options, progress))
    except KeyboardInterrupt:
        print("interrupted; simulators stopped", file=sys.stderr)
        return 130
    except asyncio.CancelledError:
        print("terminated; simulators stopped", file=sys.stderr)
        return 143
    except (
        BenchmarkError,
        SiteError,
        SimulatorProcessError,
        StoreError,
        ConnectionError,
        TimeoutError,
    ) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1

    print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report_json(report), indent=2) + "\n")
        print(f"figures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
