"""How fast the twin applies samples, next to a bare dictionary update.

Builds a synthetic site (``doors`` cell doors, each with four bound inputs on
door controllers of 16 doors) and feeds it whole polls: one sample per point,
published one controller at a time as the poller does. Three loads:

- ``steady``: no value changes (the normal case: most polls change nothing);
- ``1%``: one door input in a hundred changes per poll;
- ``all``: every sample changes its value (every door re-derived per sample).

The baseline stores the same samples in a dict of dicts, the least any sink
could do. Run: ``python -m twin.bench --doors 3000``.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from topology.loader import LoadedSite
from topology.sample import Quality, Sample
from topology.site import SiteFile
from twin.events import EventBus
from twin.model import Twin

DOORS_PER_CONTROLLER = 16
INPUTS = ("lock", "closed", "tamper", "rex")


def synthetic_site(doors: int) -> LoadedSite:
    """Cells in housing units of 20, each cell door on a controller input set."""
    spaces: list[dict[str, Any]] = [{"id": "site", "kind": "site"}]
    door_list: list[dict[str, Any]] = []
    controllers = -(-doors // DOORS_PER_CONTROLLER)
    for number in range(doors):
        unit = f"U{number // 20}"
        if number % 20 == 0:
            spaces.append({"id": unit, "kind": "housing_unit", "parent": "site"})
            spaces.append({"id": f"{unit}-corr", "kind": "corridor", "parent": unit})
        spaces.append({"id": f"C{number}", "kind": "cell", "parent": unit})
        device = f"DC-{number // DOORS_PER_CONTROLLER}"
        slot = number % DOORS_PER_CONTROLLER
        door_list.append(
            {
                "id": f"D{number}",
                "between": [f"C{number}", f"{unit}-corr"],
                "bindings": {
                    "locked": f"{device}/lock_{slot}",
                    "closed": f"{device}/closed_{slot}",
                    "tamper": f"{device}/tamper_{slot}",
                    "request_to_exit": f"{device}/rex_{slot}",
                },
            }
        )
    site = SiteFile.model_validate(
        {
            "site": {"id": "bench", "name": "Benchmark site"},
            "spaces": spaces,
            "doors": door_list,
            "devices": [
                {"id": f"DC-{c}", "kind": "door_controller", "protocol": "modbus"}
                for c in range(controllers)
            ],
        }
    )
    return LoadedSite(Path("bench.yaml"), site, {}, None)


Poll = list[list[Sample]]


def make_poll(doors: int, flipped: set[tuple[int, str]], now: float) -> Poll:
    """One poll of every point, one batch per controller. Each door is locked,
    closed, untampered with the exit button up, except the inputs in
    ``flipped``."""
    rest = {"lock": True, "closed": True, "tamper": False, "rex": False}
    batches: Poll = []
    for first in range(0, doors, DOORS_PER_CONTROLLER):
        device = f"DC-{first // DOORS_PER_CONTROLLER}"
        batch = []
        for number in range(first, min(first + DOORS_PER_CONTROLLER, doors)):
            slot = number % DOORS_PER_CONTROLLER
            for name in INPUTS:
                value = rest[name] != ((number, name) in flipped)
                batch.append(
                    Sample(device, f"{name}_{slot}", value, Quality.GOOD, now, now)
                )
        batches.append(batch)
    return batches


def measure(polls: Sequence[Poll], publish: Callable[[list[Sample]], None]) -> float:
    """Samples per second publishing ``polls`` in order."""
    count = sum(len(batch) for poll in polls for batch in poll)
    start = time.perf_counter()
    for poll in polls:
        for batch in poll:
            publish(batch)
    return count / (time.perf_counter() - start)


def run(doors: int, rounds: int, seed: int = 1) -> list[tuple[str, float, float]]:
    """(load, twin samples/s, baseline samples/s) for each load."""
    rng = random.Random(seed)
    now = time.time()
    quiet = make_poll(doors, set(), now)
    inputs = [(number, name) for number in range(doors) for name in INPUTS]
    every = set(inputs)
    loads: dict[str, list[Poll]] = {
        "steady": [quiet] * rounds,
        "1%": [
            make_poll(doors, set(rng.sample(inputs, len(inputs) // 100)), now)
            for _ in range(rounds)
        ],
        "all": [
            make_poll(doors, every if r % 2 == 0 else set(), now) for r in range(rounds)
        ],
    }

    results = []
    for load, polls in loads.items():
        twin = Twin(synthetic_site(doors), bus=EventBus())
        subscription = twin.bus.subscribe()  # an idle reader: fan-out counts too
        twin.publish_samples([s for batch in quiet for s in batch])
        rate = measure(polls, twin.publish_samples)
        subscription.close()

        table: dict[str, dict[str, Sample]] = {}

        def store(
            batch: list[Sample], table: dict[str, dict[str, Sample]] = table
        ) -> None:
            for sample in batch:
                points = table.get(sample.device)
                if points is None:
                    points = table[sample.device] = {}
                points[sample.point] = sample

        baseline = measure(polls, store)
        results.append((load, rate, baseline))
    return results


def main() -> None:
    # The random loads raise thousands of alarms, each logged at WARNING; the
    # records are still made, but go nowhere rather than to the terminal.
    logging.getLogger().addHandler(logging.NullHandler())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doors", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=12_000, help="samples/s to cost")
    args = parser.parse_args()

    print(f"{args.doors} doors, {args.doors * len(INPUTS)} points, {args.rounds} polls")
    header = ("load", "twin samples/s", "dict samples/s", "core at rate")
    print(f"{header[0]:>8} {header[1]:>16} {header[2]:>16} {header[3]:>14}")
    for load, rate, baseline in run(args.doors, args.rounds):
        share = args.rate / rate
        print(f"{load:>8} {rate:>16,.0f} {baseline:>16,.0f} {share:>13.1%}")


if __name__ == "__main__":
    main()
