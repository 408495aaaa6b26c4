"""The perimeter processor simulator: its address space as a plain asyncua client
sees it, its options, and its place among a site's simulated devices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import ua
from asyncua.client.client import Client

from drivers.opcua.driver import OpcUaDriver
from simulators.errors import FaultError
from simulators.opcua import PerimeterSimulator, SegmentPoints
from simulators.opcua_device import OpcUaDeviceSimulator
from simulators.opcua_site import perimeter_simulator_for, segments_on
from simulators.runner import SimulatorSet, start_simulators
from simulators.scenario import check_scenario, load_scenario
from simulators.world import Fault
from tests.perimeter_support import (
    URI,
    RecordingSink,
    check_no_leaked_tasks,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.loader import LoadedSite, load_site
from topology.sample import DeviceStatus
from warden.demo import site_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCENARIOS = Path(__file__).parents[2] / "simulators" / "scenarios"

MANY = [
    {"name": f"spare_{n:03d}", "node": f"nsu={URI};s=Spares.Input{n:03d}"}
    for n in range(250)
]
PROFILE = perimeter_profile(2, extra=MANY)
SITE = perimeter_site(2)


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    async for _ in check_no_leaked_tasks():
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def simulator() -> AsyncIterator[PerimeterSimulator]:
    sim = perimeter_simulator_for(
        SITE,
        {"pids": PROFILE},
        "PP-1",
        namespaces=["urn:acme:diagnostics", URI],
    )
    async with sim:
        yield sim


@pytest_asyncio.fixture(loop_scope="module")
async def client(simulator: PerimeterSimulator) -> AsyncIterator[Client]:
    plain = Client(simulator.url, timeout=2)
    await plain.connect()
    try:
        yield plain
    finally:
        await plain.disconnect()


async def test_segments_are_taken_from_the_site_bindings() -> None:
    assert segments_on(SITE, "PP-1") == {
        "OF-01": SegmentPoints("z1_alarm", "z1_tamper", "z1_fault", "z1_signal"),
        "OF-02": SegmentPoints("z2_alarm", "z2_tamper", "z2_fault", "z2_signal"),
    }
    assert segments_on(SITE, "CAM-1") == {}


async def test_namespaces_are_registered_in_the_order_asked(
    simulator: PerimeterSimulator, client: Client
) -> None:
    namespaces = await client.get_namespace_array()

    assert namespaces[2:] == ["urn:acme:diagnostics", URI]
    assert simulator.node_id("z1_alarm") == ua.NodeId("Zone01.Alarm", 3)


async def test_variables_sit_in_folders_of_at_most_a_hundred(
    client: Client,
) -> None:
    root = client.get_node(ua.NodeId("PP-1", 3))

    folders = {
        (await child.read_browse_name()).Name: child
        for child in await root.get_children()
    }
    sizes = {name: len(await f.get_children()) for name, f in folders.items()}

    assert sizes == {
        "Zone01": 4,
        "Zone02": 4,
        "Processor": 2,
        "Outputs": 1,
        "Spares": 100,
        "Spares_1": 100,
        "Spares_2": 50,
    }


async def test_world_actions_show_on_the_nodes(
    simulator: PerimeterSimulator, client: Client
) -> None:
    alarm = client.get_node(simulator.node_id("z2_alarm"))
    signal = client.get_node(simulator.node_id("z2_signal"))

    await simulator.climb("OF-02")
    climbed = (await alarm.read_value(), await signal.read_value())
    await simulator.fault("OF-02")
    faulted = await signal.read_data_value(raise_on_bad_status=False)
    await simulator.clear("OF-02")
    cleared = (await alarm.read_value(), await signal.read_value())

    assert climbed == (True, pytest.approx(72.0))
    assert faulted.StatusCode is not None
    assert faulted.StatusCode.name == "BadSensorFailure"
    assert cleared == (False, pytest.approx(8.0))


async def test_the_simulator_refuses_what_it_cannot_be() -> None:
    with pytest.raises(ValueError, match="loopback"):
        PerimeterSimulator("PP-1", PROFILE, host="192.0.2.10")
    with pytest.raises(ValueError, match="namespaces lacks"):
        PerimeterSimulator("PP-1", PROFILE, namespaces=["urn:other"])
    with pytest.raises(ValueError, match="no point 'nope'"):
        PerimeterSimulator("PP-1", PROFILE, {"OF-09": SegmentPoints("nope")})


async def test_a_site_simulation_runs_processors_that_follow_the_world() -> None:
    site = LoadedSite(Path("site.yaml"), SITE, {}, None, {"pids": PROFILE})
    async with start_simulators(site) as sims:
        device = sims.simulator("PP-1")
        assert isinstance(device, OpcUaDeviceSimulator)
        port = device.endpoint.port
        sink = RecordingSink()
        driver = OpcUaDriver(device_at(SITE, "PP-1", port), PROFILE, sink)
        task = asyncio.create_task(driver.run())
        try:
            await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
            sims.world.set_point_value("PP-1", "z1_alarm", True)
            cut = await sink.wait_for(lambda s: s.point == "z1_alarm" and s.value)

            await sims.stop_device("PP-1")
            running_while_stopped = sims.world.device("PP-1").running
            await sims.start_device("PP-1")
            again = await sink.wait_for(
                lambda s: s.point == "z1_alarm" and s.value is True,
                after=sink.samples.index(cut) + 1,
                within=10,
            )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        with pytest.raises(FaultError, match="OPC UA"):
            sims.set_fault("PP-1", Fault(delay_ms=100))
        restarted_port = device.endpoint.port

    assert running_while_stopped is False
    assert restarted_port == port
    assert device.endpoint.opcua_url == f"opc.tcp://127.0.0.1:{port}/p"
    # The world kept the cut fence across the reboot.
    assert again.value is True


async def test_the_perimeter_scenario_fits_the_demo_prison() -> None:
    scenario = load_scenario(SCENARIOS / "perimeter.yaml")
    sims = SimulatorSet(load_site(site_path()))

    check_scenario(scenario, sims)

    devices = {getattr(step, "device", None) for step in scenario.steps}
    assert devices >= {"PP-OUTER", "PP-INNER"}
