"""The OPC UA driver against a simulated perimeter processor on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from drivers.backoff import Backoff
from drivers.errors import (
    InvalidValueError,
    NotFoundError,
    NotWritableError,
    ProtocolError,
)
from drivers.opcua.driver import OpcUaDriver
from simulators.opcua import PerimeterSimulator
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    RecordingSink,
    check_no_leaked_tasks,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceHealth, DeviceStatus, Quality

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXTRA = [
    {
        "name": "cabinet_temp",
        "node": "nsu=urn:acme:pids:v2;s=Processor.CabinetTemp",
        "data_type": "float64",
        "acquisition": "poll",
        "sampling_interval_s": 0.1,
    },
    {"name": "server_state", "node": "i=2259", "data_type": "int32"},
]
PROFILE = perimeter_profile(4, extra=EXTRA)
SITE = perimeter_site(4)


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    """The leaked-task check, run in this module's shared loop."""
    async for _ in check_no_leaked_tasks():
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def simulator() -> AsyncIterator[PerimeterSimulator]:
    sim = perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1", heartbeat_s=0.2)
    async with sim:
        yield sim


@pytest_asyncio.fixture(loop_scope="module")
async def running(
    simulator: PerimeterSimulator,
) -> AsyncIterator[tuple[OpcUaDriver, RecordingSink]]:
    sink = RecordingSink()
    driver = OpcUaDriver(
        device_at(SITE, "PP-1", simulator.port),
        PROFILE,
        sink,
        backoff=Backoff(base_s=0.1, cap_s=0.5),
        keepalive_s=0.5,
    )
    task = asyncio.create_task(driver.run())
    try:
        await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
        yield driver, sink
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_initial_values_arrive_good_with_source_times(
    running: tuple[OpcUaDriver, RecordingSink],
) -> None:
    _driver, sink = running

    alarm = await sink.wait_for(lambda s: s.point == "z1_alarm")
    signal = await sink.wait_for(lambda s: s.point == "z1_signal")
    state = await sink.wait_for(lambda s: s.point == "server_state")

    assert (alarm.value, alarm.quality, alarm.reason) == (False, Quality.GOOD, None)
    assert signal.value == 8.0
    assert state.value == 0  # ServerState.Running
    assert abs(alarm.source_time - alarm.received_time) < 60
    assert alarm.source_time > datetime(2020, 1, 1, tzinfo=UTC).timestamp()


async def test_every_subscription_delivers_its_first_values_before_online(
    simulator: PerimeterSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RecordingSink()
    health_at: list[int] = []
    publish_health = sink.publish_health

    def note_health(health: DeviceHealth) -> None:
        health_at.append(len(sink.samples))
        publish_health(health)

    sink.publish_health = note_health  # type: ignore[method-assign]
    driver = OpcUaDriver(device_at(SITE, "PP-1", simulator.port), PROFILE, sink)
    task = asyncio.create_task(driver.run())
    try:
        await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    before_online = {s.point for s in sink.samples[: health_at[0]]}
    subscribed = {p.name for p in PROFILE.points if p.acquisition == "subscribe"}
    assert subscribed <= before_online
    assert "unknown subscription" not in caplog.text


async def test_cutting_a_segment_raises_its_alarm_sample(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    _driver, sink = running
    await sink.wait_for(lambda s: s.point == "z3_alarm")
    mark = len(sink.samples)

    await simulator.cut("OF-03")
    try:
        alarm = await sink.wait_for(
            lambda s: s.point == "z3_alarm" and s.value is True, after=mark
        )
        signal = await sink.wait_for(
            lambda s: s.point == "z3_signal" and s.value == 100.0, after=mark
        )
    finally:
        await simulator.clear("OF-03")

    assert alarm.quality is Quality.GOOD
    assert signal.quality is Quality.GOOD
    assert not any(s.point == "z1_alarm" and s.value for s in sink.samples[mark:])


async def test_every_change_in_one_publish_is_its_own_sample(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    _driver, sink = running
    await sink.wait_for(lambda s: s.point == "z2_tamper")
    mark = len(sink.samples)

    # Five flips well inside one 50 ms publishing interval.
    for active in (True, False, True, False, True):
        await simulator.tamper("OF-02", active)
    await sink.wait_for(lambda s: s.point == "z2_tamper" and s.value, after=mark)
    await simulator.tamper("OF-02", False)
    await sink.wait_for(
        lambda s: s.point == "z2_tamper" and s.value is False,
        after=len(sink.samples) - 1,
    )

    values = [s.value for s in sink.samples[mark:] if s.point == "z2_tamper"]
    assert values == [True, False, True, False, True, False]


async def test_uncertain_is_kept_with_its_status_and_bad_carries_no_value(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    _driver, sink = running
    await sink.wait_for(lambda s: s.point == "z4_signal")
    mark = len(sink.samples)

    await simulator.set_value("z4_signal", 41.5, status="UncertainLastUsableValue")
    uncertain = await sink.wait_for(
        lambda s: s.point == "z4_signal" and s.quality is Quality.UNCERTAIN, after=mark
    )
    await simulator.fault("OF-04")
    bad = await sink.wait_for(
        lambda s: s.point == "z4_signal" and s.quality is Quality.BAD, after=mark
    )
    fault = await sink.wait_for(
        lambda s: s.point == "z4_fault" and s.value is True, after=mark
    )
    await simulator.fault("OF-04", active=False)

    assert (uncertain.value, uncertain.reason) == (41.5, "UncertainLastUsableValue")
    assert (bad.value, bad.reason) == (None, "BadSensorFailure")
    assert fault.quality is Quality.GOOD


async def test_epoch_and_missing_source_times_fall_back(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    _driver, sink = running
    await sink.wait_for(lambda s: s.point == "health")
    mark = len(sink.samples)

    await simulator.set_value(
        "health", False, source_time=datetime(1601, 1, 1, tzinfo=UTC)
    )
    first = await sink.wait_for(
        lambda s: s.point == "health" and not s.value, after=mark
    )
    await simulator.set_value("health", True, source_time=None)
    second = await sink.wait_for(lambda s: s.point == "health" and s.value, after=mark)
    await simulator.set_value(
        "health", False, source_time=datetime(1970, 1, 1, tzinfo=UTC)
    )
    third = await sink.wait_for(
        lambda s: s.point == "health" and not s.value, after=sink.samples.index(second)
    )
    await simulator.set_value("health", True)

    recent = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    for sample in (first, second, third):
        # Server timestamp, else received time; never an epoch.
        assert sample.source_time > recent
        assert abs(sample.source_time - sample.received_time) < 60


async def test_heartbeat_and_polled_points_keep_coming(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    _driver, sink = running
    await simulator.set_value("cabinet_temp", 31.25)

    first = await sink.wait_for(lambda s: s.point == "heartbeat")
    later = await sink.wait_for(
        lambda s: s.point == "heartbeat" and s.value > first.value
    )
    temp = await sink.wait_for(lambda s: s.point == "cabinet_temp" and s.value == 31.25)
    polls = await sink.wait_for(
        lambda s: s.point == "cabinet_temp", after=sink.samples.index(temp) + 1
    )

    assert later.quality is Quality.GOOD
    assert polls.value == 31.25


async def test_write_reaches_the_server_and_refusals_are_clear(
    simulator: PerimeterSimulator, running: tuple[OpcUaDriver, RecordingSink]
) -> None:
    driver, sink = running

    await driver.write("relay", True)
    sample = await sink.wait_for(lambda s: s.point == "relay" and s.value is True)

    assert simulator.value("relay") is True
    assert sample.quality is Quality.GOOD
    with pytest.raises(NotWritableError, match="read-only"):
        await driver.write("z1_alarm", True)
    with pytest.raises(InvalidValueError, match="cannot write"):
        await driver.write("relay", "on")
    with pytest.raises(NotFoundError, match="no point"):
        await driver.write("nope", True)
    await driver.write("relay", False)


async def test_a_write_the_server_refuses_is_write_rejected(
    simulator: PerimeterSimulator,
) -> None:
    # The profile claims alarm points are writable; the server knows better.
    claims: list[dict[str, object]] = [
        {"name": "z1_alarm", "node": "nsu=urn:acme:pids:v2;s=Zone01.Alarm"}
        | {"writable": True}
    ]
    profile = OpcUaProfile.model_validate({"id": "pids", "points": claims})
    sink = RecordingSink()
    driver = OpcUaDriver(device_at(SITE, "PP-1", simulator.port), profile, sink)
    task = asyncio.create_task(driver.run())
    try:
        await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
        # asyncua answers a write to a read-only variable this way.
        with pytest.raises(ProtocolError, match="refused: BadUserAccessDenied") as got:
            await driver.write("z1_alarm", True)
        assert got.value.reason == "BadUserAccessDenied"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_node_the_server_lacks_is_bad_once_not_polled(
    simulator: PerimeterSimulator,
) -> None:
    points: list[dict[str, object]] = [
        {"name": "z1_alarm", "node": "nsu=urn:acme:pids:v2;s=Zone01.Alarm"},
        {"name": "ghost", "node": "nsu=urn:acme:pids:v2;s=Zone99.Alarm"},
    ]
    profile = OpcUaProfile.model_validate(
        {"id": "pids", "sampling_interval_s": 0.05, "points": points}
    )
    sink = RecordingSink()
    driver = OpcUaDriver(device_at(SITE, "PP-1", simulator.port), profile, sink)
    task = asyncio.create_task(driver.run())
    try:
        health = await sink.wait_health(lambda h: h.status is not DeviceStatus.UNKNOWN)
        ghost = await sink.wait_for(lambda s: s.point == "ghost")
        await simulator.climb("OF-01")
        await sink.wait_for(lambda s: s.point == "z1_alarm" and s.value is True)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await simulator.clear("OF-01")

    assert health.status is DeviceStatus.DEGRADED
    assert (ghost.quality, ghost.reason) == (Quality.BAD, "BadNodeIdUnknown")
    assert len(sink.of("ghost")) == 1
