"""Basic256Sha256 with a user name: what works, and the clear errors for what the
server refuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from drivers.backoff import Backoff
from drivers.errors import (
    AuthenticationError,
    ConfigurationError,
    SecurityRejectedError,
)
from drivers.opcua.client import OpcUaClient
from drivers.opcua.driver import OpcUaDriver
from simulators.certificates import CertificateFiles, make_self_signed
from simulators.opcua import PerimeterSimulator
from simulators.opcua_server import SimulatorSecurity
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    RecordingSink,
    check_no_leaked_tasks,
    perimeter_profile,
    perimeter_site,
)
from topology.sample import DeviceStatus, Quality
from topology.site import Endpoint

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROFILE = perimeter_profile(2)
SITE = perimeter_site(2)
CLIENT_URI = "urn:warden:test-client"
ENV = {"PIDS_PASSWORD": "s3cret-fence"}


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    async for _ in check_no_leaked_tasks():
        yield


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("pki")
    return {
        "trusted": make_self_signed(folder, "client", CLIENT_URI, server=False),
        "stranger": make_self_signed(folder, "stranger", CLIENT_URI, server=False),
        "folder": folder,
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def simulator(certificates: dict[str, Any]) -> AsyncIterator[PerimeterSimulator]:
    trusted: CertificateFiles = certificates["trusted"]
    security = SimulatorSecurity(
        "warden",
        ENV["PIDS_PASSWORD"],
        trusted_clients=[trusted.certificate],
        allow_sign=True,
    )
    sim = perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1", security=security)
    async with sim:
        yield sim


def _endpoint(port: int, files: CertificateFiles | None, **security: Any) -> Endpoint:
    settings: dict[str, Any] = {
        "policy": "Basic256Sha256",
        "username": "warden",
        "password_env": "PIDS_PASSWORD",
        "application_uri": CLIENT_URI,
    }
    if files is not None:
        settings |= {
            "certificate": files.certificate.name,
            "private_key": files.private_key.name,
        }
    settings |= security
    return Endpoint.model_validate(
        {"url": f"opc.tcp://127.0.0.1:{port}/perimeter", "security": settings}
    )


async def _connect(
    endpoint: Endpoint, folder: Path, environ: dict[str, str] = ENV
) -> None:
    client = OpcUaClient(
        "PP-1", endpoint, timeout_s=2.0, base_dir=folder, environ=environ
    )
    try:
        await client.connect()
        assert await client.namespace_array()
    finally:
        await client.close()


@pytest.mark.parametrize("mode", ["SignAndEncrypt", "Sign"])
async def test_a_trusted_certificate_and_the_right_password_connect(
    simulator: PerimeterSimulator, certificates: dict[str, Any], mode: str
) -> None:
    endpoint = _endpoint(simulator.port, certificates["trusted"], mode=mode)

    await _connect(endpoint, certificates["folder"])

    assert simulator.session_count() == 0


async def test_the_driver_reads_over_an_encrypted_session(
    simulator: PerimeterSimulator, certificates: dict[str, Any]
) -> None:
    device = next(d for d in SITE.devices if d.id == "PP-1").model_copy(
        update={"endpoint": _endpoint(simulator.port, certificates["trusted"])}
    )
    sink = RecordingSink()
    driver = OpcUaDriver(
        device, PROFILE, sink, base_dir=certificates["folder"], environ=ENV
    )
    task = asyncio.create_task(driver.run())
    try:
        await sink.wait_for(lambda s: s.point == "z1_alarm")
        await simulator.cut("OF-01")
        alarm = await sink.wait_for(lambda s: s.point == "z1_alarm" and s.value)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await simulator.clear("OF-01")

    assert alarm.quality is Quality.GOOD


async def test_a_wrong_password_is_an_authentication_error_not_a_timeout(
    simulator: PerimeterSimulator, certificates: dict[str, Any]
) -> None:
    endpoint = _endpoint(simulator.port, certificates["trusted"])
    started = time.monotonic()

    with pytest.raises(AuthenticationError, match="BadUserAccessDenied"):
        await _connect(endpoint, certificates["folder"], {"PIDS_PASSWORD": "guess"})

    assert time.monotonic() - started < 2.0
    assert simulator.session_count() == 0


async def test_the_driver_reports_a_refused_password_as_the_offline_reason(
    simulator: PerimeterSimulator, certificates: dict[str, Any]
) -> None:
    device = next(d for d in SITE.devices if d.id == "PP-1").model_copy(
        update={"endpoint": _endpoint(simulator.port, certificates["trusted"])}
    )
    sink = RecordingSink()
    driver = OpcUaDriver(
        device,
        PROFILE,
        sink,
        base_dir=certificates["folder"],
        environ={"PIDS_PASSWORD": "guess"},
        backoff=Backoff(base_s=0.05, cap_s=0.1),
    )
    task = asyncio.create_task(driver.run())
    try:
        health = await sink.wait_health(lambda h: h.status is DeviceStatus.OFFLINE)
        gap = await sink.wait_for(lambda s: s.point == "z1_alarm")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert health.reason is not None and "BadUserAccessDenied" in health.reason
    assert gap.quality is Quality.BAD
    assert driver.sessions_opened == 0


async def test_an_untrusted_certificate_is_a_security_rejection(
    simulator: PerimeterSimulator, certificates: dict[str, Any]
) -> None:
    endpoint = _endpoint(simulator.port, certificates["stranger"])

    with pytest.raises(SecurityRejectedError, match="BadCertificateUntrusted"):
        await _connect(endpoint, certificates["folder"])


async def test_no_security_against_a_secured_server_is_a_security_rejection(
    simulator: PerimeterSimulator, certificates: dict[str, Any]
) -> None:
    endpoint = _endpoint(simulator.port, None, policy="None")

    with pytest.raises(SecurityRejectedError, match="no endpoint"):
        await _connect(endpoint, certificates["folder"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"certificate": "missing.der"}, "no such file"),
        ({}, "PIDS_PASSWORD"),
    ],
)
async def test_local_mistakes_are_configuration_errors(
    simulator: PerimeterSimulator,
    certificates: dict[str, Any],
    change: dict[str, str],
    message: str,
) -> None:
    endpoint = _endpoint(simulator.port, certificates["trusted"], **change)
    environ = ENV if change else {}

    with pytest.raises(ConfigurationError, match=message):
        await _connect(endpoint, certificates["folder"], environ)
