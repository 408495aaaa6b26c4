"""The benchmark's simulated controllers, run in a child process of their own.

Keeping the servers out of the measuring process keeps their CPU time out of
the figures of the code under test; they still share the machine's cores with
it, which real controllers would not.

The child (``python -m bench.simproc SITE --lifetime S``) loads the site, starts
every simulated device on 127.0.0.1 and talks JSON lines: on standard output it
first writes ``{"ready": {device id: port}}``, then one answer per command read
on standard input:

* ``{"drive": {"duration_s", "rate_per_s", "quiet_s", "seed"}}`` opens or
  closes a random door ``rate_per_s`` times a second (0 for none) for
  ``duration_s`` seconds, never touching a door changed in the last ``quiet_s``
  seconds (so every change stays visible for a few polls), and answers
  ``{"changes": [[door id, open, epoch time], ...], "cpu_s", "requests"}``:
  the changes, the child's CPU seconds and the Modbus requests its devices
  decoded during the drive.

It exits when its standard input closes (the parent went away), after
``--lifetime`` seconds in any case, or on SIGTERM. :class:`SimulatorProcess` is
the parent's side.

Errors: the parent's side raises :class:`SimulatorProcessError` when the child
does not start, answers garbage, exits early or answers too late.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from simulators.modbus import ModbusDeviceSimulator
from simulators.runner import SimulatorSet, start_simulators
from simulators.world import World
from topology.loader import load_site
from topology.site import Endpoint

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_LINE_LIMIT = 64 * 1024 * 1024  # one answer holds every change of a run
_STOP_WAIT_S = 5.0
"""How long the child gets to exit after its input closes, then after SIGTERM."""


class SimulatorProcessError(Exception):
    """The simulator child did not start, broke its protocol or died."""


@dataclass(frozen=True, slots=True)
class DoorChange:
    """One door opened (``open`` True) or closed at ``time`` (epoch seconds)."""

    door: str
    open: bool
    time: float


@dataclass(frozen=True, slots=True)
class ChildCounters:
    """The child's CPU seconds and Modbus requests served during one drive."""

    cpu_s: float
    requests: int


# -- the child ------------------------------------------------------------------


def _requests(sims: SimulatorSet) -> int:
    return sum(
        sim.requests
        for sim in sims.simulators.values()
        if isinstance(sim, ModbusDeviceSimulator)
    )


async def drive_doors(
    world: World,
    *,
    duration_s: float,
    rate_per_s: float,
    quiet_s: float,
    draw: random.Random,
) -> list[DoorChange]:
    """Toggle random doors of ``world`` on a fixed schedule for ``duration_s``.

    A slot with no door left outside its quiet time is skipped; a rate of 0
    only waits. Returns every change made, oldest first.
    """
    loop = asyncio.get_running_loop()
    if rate_per_s <= 0:
        await asyncio.sleep(duration_s)
        return []
    doors = list(world.doors)
    last_change: dict[str, float] = {}
    changes: list[DoorChange] = []
    period = 1.0 / rate_per_s
    start = loop.time()
    slot = start

    while slot < start + duration_s:
        await asyncio.sleep(max(0.0, slot - loop.time()))
        slot += period
        now = loop.time()
        for _ in range(8):  # a few draws find a quiet door on any sane site
            door = draw.choice(doors)
            if now - last_change.get(door, -quiet_s) >= quiet_s:
                break
        else:
            continue
        last_change[door] = now
        if world.door(door).open:
            change = world.close_door(door)
        else:
            change = world.open_door(door)
        if change is not None:
            changes.append(DoorChange(door, bool(change.value), change.time))
    return changes


async def _answer(sims: SimulatorSet, line: bytes) -> dict[str, Any]:
    command = json.loads(line)
    if "drive" not in command:
        raise ValueError(f"unknown command {line[:80]!r}")
    options = command["drive"]
    cpu, requests = time.process_time(), _requests(sims)
    changes = await drive_doors(
        sims.world,
        duration_s=float(options["duration_s"]),
        rate_per_s=float(options["rate_per_s"]),
        quiet_s=float(options["quiet_s"]),
        draw=random.Random(options.get("seed")),
    )
    return {
        "changes": [[c.door, c.open, c.time] for c in changes],
        "cpu_s": time.process_time() - cpu,
        "requests": _requests(sims) - requests,
    }


async def serve(site_path: Path, lifetime_s: float) -> None:
    """Run the child: simulate ``site_path`` and answer commands until standard
    input closes or ``lifetime_s`` seconds have passed."""
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(commands, loop=loop), sys.stdin
    )
    main = asyncio.current_task()
    assert main is not None
    # SIGTERM stops the child wherever it waits, simulators closed on the way.
    loop.add_signal_handler(signal.SIGTERM, main.cancel)

    async with asyncio.timeout(lifetime_s):
        site = load_site(site_path)
        async with start_simulators(site) as sims:
            ready = {device: ep.port for device, ep in sims.endpoints.items()}
            _send({"ready": ready})
            while line := await commands.readline():
                _send(await _answer(sims, line))
            # End of input: the parent is done or gone.


def _send(message: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def child_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark simulator process")
    parser.add_argument("site", type=Path)
    parser.add_argument("--lifetime", type=float, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="simulators: %(levelname)s %(message)s"
    )
    # Each phase ends by hanging up on requests in flight; pymodbus logs every
    # answer it then cannot send, with a packet dump.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    try:
        asyncio.run(serve(args.site, args.lifetime))
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130  # interrupted or terminated; the simulators are stopped
    except BrokenPipeError:
        # The parent went away mid-answer; keep the exit quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except TimeoutError:
        logger.warning("lifetime of %.0f s over; stopping", args.lifetime)
        return 1
    return 0


# -- the parent's side --------------------------------------------------------------


class SimulatorProcess:
    """The simulator child, as an async context manager.

    Entering starts it and waits up to ``start_timeout_s`` seconds for every
    device to listen; :attr:`endpoints` then holds each device's real endpoint.
    Leaving closes its input, then terminates and at last kills it if it has not
    exited within a few seconds, whatever happened inside the block.
    """

    def __init__(
        self, site_path: Path, *, lifetime_s: float, start_timeout_s: float
    ) -> None:
        self._site_path = site_path
        self._lifetime_s = lifetime_s
        self._start_timeout_s = start_timeout_s
        self._child: asyncio.subprocess.Process | None = None
        self.endpoints: dict[str, Endpoint] = {}

    async def __aenter__(self) -> SimulatorProcess:
        self._child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.simproc",
            str(self._site_path),
            "--lifetime",
            str(self._lifetime_s),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=_LINE_LIMIT,
        )
        try:
            ready = await self._receive(self._start_timeout_s)
            ports: dict[str, int] = ready["ready"]
        except BaseException:
            await self._stop()
            raise
        self.endpoints = {
            device: Endpoint(host=LOOPBACK, port=int(port), unit_id=1)
            for device, port in ports.items()
        }
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stop()

    async def drive(
        self, *, duration_s: float, rate_per_s: float, quiet_s: float, seed: int
    ) -> tuple[list[DoorChange], ChildCounters]:
        """Have the child toggle doors for ``duration_s`` (see the module
        docstring); returns the changes it made and its counters over the
        drive. Raises :class:`SimulatorProcessError`."""
        answer = await self._ask(
            {
                "drive": {
                    "duration_s": duration_s,
                    "rate_per_s": rate_per_s,
                    "quiet_s": quiet_s,
                    "seed": seed,
                }
            },
            timeout_s=duration_s + 30.0,
        )
        changes = [
            DoorChange(str(door), bool(opened), float(when))
            for door, opened, when in answer["changes"]
        ]
        return changes, ChildCounters(float(answer["cpu_s"]), int(answer["requests"]))

    async def _ask(self, message: Mapping[str, Any], timeout_s: float) -> Any:
        child = self._require()
        assert child.stdin is not None
        child.stdin.write(json.dumps(message).encode() + b"\n")
        await child.stdin.drain()
        return await self._receive(timeout_s)

    async def _receive(self, timeout_s: float) -> Any:
        child = self._require()
        assert child.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                line = await child.stdout.readline()
        except TimeoutError as exc:
            raise SimulatorProcessError(
                f"the simulator process did not answer within {timeout_s:.0f} s"
            ) from exc
        if not line:
            code = await child.wait()
            raise SimulatorProcessError(f"the simulator process exited ({code})")
        try:
            return json.loads(line)
        except ValueError as exc:
            raise SimulatorProcessError(
                f"the simulator process wrote {line[:80]!r}"
            ) from exc

    def _require(self) -> asyncio.subprocess.Process:
        if self._child is None:
            raise SimulatorProcessError("the simulator process is not running")
        return self._child

    async def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            if child.stdin is not None and not child.stdin.is_closing():
                child.stdin.close()
            for signal_child in (None, child.terminate, child.kill):
                if signal_child is not None and child.returncode is None:
                    signal_child()
                try:
                    async with asyncio.timeout(_STOP_WAIT_S):
                        await child.wait()
                    return
                except TimeoutError:
                    continue
        finally:
            if child.returncode is None:
                child.kill()


if __name__ == "__main__":
    sys.exit(child_main())
