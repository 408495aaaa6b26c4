from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from simulators.errors import ScenarioError
from simulators.runner import SimulatorSet, start_simulators
from simulators.scenario import (
    ACTIONS,
    check_scenario,
    load_scenario,
    parse_scenario,
    run_scenario,
)
from simulators.steps import OpenDoor, Wait
from simulators.world import Fault
from tests.simulators.conftest import modbus_client
from topology.loader import LoadedSite
from topology.profile import ModbusProfile
from topology.site import SiteFile

SCENARIOS = Path(__file__).parents[2] / "simulators" / "scenarios"


def load_night_site() -> LoadedSite:
    """The demo scenario's site, read by hand until the site loader lands."""
    yaml = YAML(typ="safe")
    path = SCENARIOS / "night-site.yaml"
    site = SiteFile.model_validate(yaml.load(path.read_text()))
    profiles = {
        profile_id: ModbusProfile.model_validate(
            yaml.load((path.parent / relative).read_text())
        )
        for profile_id, relative in site.profiles.items()
    }
    return LoadedSite(path, site, profiles, None)


SHORT = """
name: short night
steps:
  - {at: 0.05, action: open_door, door: D-1}
  - {at: 0.10, action: fault, device: DC-1, exception_code: 0x0B}
  - {action: request_to_exit, door: D-1, hold_s: 0.05}
  - {at: 0.20, action: stop_device, device: DC-2}
  - {action: wait, seconds: 0.05}
  - {action: start_device, device: DC-2}
  - {action: set_point, device: DC-1, point: supply_voltage, value: 19.5}
  - {at: 0.30, action: clear_fault, device: DC-1}
  - {action: unlock_door, door: D-3}
  - {action: close_door, door: D-1}
"""


async def test_a_scenario_runs_its_steps_in_order_on_time(sims: SimulatorSet) -> None:
    scenario = parse_scenario(SHORT)
    first = sims.world.last_seq

    async with asyncio.timeout(5):
        records = await run_scenario(scenario, sims)

    changes = [
        (c.target, c.attribute, c.value) for c in sims.world.history(after_seq=first)
    ]
    assert changes == [
        ("D-1", "open", True),
        ("DC-1", "fault", Fault(exception_code=0x0B)),
        ("D-1", "request_to_exit", True),
        ("D-1", "request_to_exit", False),  # released after its short hold
        ("DC-2", "running", False),
        ("DC-2", "running", True),
        ("DC-1", "point:supply_voltage", 19.5),
        ("DC-1", "fault", Fault()),
        ("D-3", "locked", False),
        ("D-1", "open", False),
    ]
    assert [r.index for r in records] == list(range(10))
    offsets = [r.time - records[0].time for r in records]
    assert offsets == sorted(offsets)
    assert offsets[3] >= 0.14  # stop_device waited for at: 0.20
    assert offsets[5] - offsets[3] >= 0.045  # the wait step
    assert sims.endpoints["DC-2"].port > 0


async def test_a_scenario_drives_what_a_client_reads(sims: SimulatorSet) -> None:
    scenario = parse_scenario(
        "steps: [{action: open_door, door: D-3}, {action: unlock_door, door: D-3}]"
    )

    await run_scenario(scenario, sims)
    async with modbus_client(sims.endpoints["DC-2"]) as client:
        coil = await client.read_coils(0, count=1, device_id=3)
        contact = await client.read_discrete_inputs(0, count=1, device_id=3)

    assert (coil.bits[0], contact.bits[0]) == (False, False)


def test_the_demo_scenario_fits_its_site() -> None:
    scenario = load_scenario(SCENARIOS / "demo.yaml")
    sims = SimulatorSet(load_night_site())

    check_scenario(scenario, sims)

    assert scenario.name == "A night on unit A"
    assert isinstance(scenario.steps[0], OpenDoor)
    assert isinstance(scenario.steps[-1], Wait)


async def test_the_demo_night_plays_through_fast() -> None:
    scenario = load_scenario(SCENARIOS / "demo.yaml")

    async with start_simulators(load_night_site()) as sims, asyncio.timeout(10):
        records = await run_scenario(scenario, sims, speed=200)

        world = sims.world
        assert len(records) == len(scenario.steps)
        assert world.device("DC-A2").running is True
        assert world.device("DC-A1").fault.is_healthy
        assert world.door("D-A101").locked is True
        assert world.door("D-A103").open is False
        forced = [
            c
            for c in world.history()
            if c.target == "D-A103" and c.attribute == "open" and c.value
        ]
        assert forced and world.door("D-A103").locked


def test_every_problem_is_reported_with_file_line_and_step(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\n"
        "steps:\n"
        "  - at: 1\n"
        "    action: open_door\n"
        "  - at: 2\n"
        "    action: explode\n"
        "    door: D-1\n"
        "  - at: 0.5\n"
        "    action: wait\n"
        "    seconds: -1\n"
    )

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}:3: step 0: door: Field required")
    assert lines[1].startswith(f"{path}:6: step 1: action must be one of")
    assert "explode" not in ACTIONS and "open_door" in lines[1]
    assert lines[2].startswith(f"{path}:10: step 2: seconds: Input should be greater")


def test_steps_that_go_back_in_time_are_refused() -> None:
    with pytest.raises(ScenarioError, match=r"step 1: at: 1.0 s comes before .* 2.0 s"):
        parse_scenario(
            "steps:\n"
            "  - {at: 2, action: open_door, door: D-1}\n"
            "  - {at: 1, action: close_door, door: D-1}\n"
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: [", "not valid YAML"),
        ("- a list", "expected a mapping"),
        ("steps: []", "steps: List should have at least 1 item"),
        ("steps: [{door: D-1}]", "step 0: a step needs an action"),
        ("name: x\nsteps: [{action: wait, seconds: 1}]\nspeed: 3", "speed: Extra"),
    ],
)
def test_malformed_files_are_explained(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.yaml: cannot read"):
        load_scenario(tmp_path / "missing.yaml")


async def test_unknown_ids_are_found_before_anything_runs(sims: SimulatorSet) -> None:
    scenario = parse_scenario(
        "steps:\n"
        "  - {action: open_door, door: D-1}\n"
        "  - {action: open_door, door: D-9}\n"
        "  - {action: stop_device, device: SW-1}\n"
        "  - {action: set_point, device: DC-1, point: nope, value: 1}\n"
    )
    first = sims.world.last_seq

    with pytest.raises(ScenarioError) as caught:
        await run_scenario(scenario, sims)

    assert [p.step for p in caught.value.problems] == [1, 2, 3]
    assert "door 'D-9' is not in site 'test-site'" in str(caught.value)
    assert "device 'SW-1' is not simulated" in str(caught.value)
    assert "device 'DC-1' has no point 'nope'" in str(caught.value)
    assert sims.world.last_seq == first
