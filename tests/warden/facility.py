"""A running test facility: the demo prison's simulators, the platform, an HTTP
client, all on loopback with ports picked by the system."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from api.auth import Role, Tokens, User
from simulators.runner import SimulatorSet, start_simulators
from store.sqlite import SqliteStore
from topology.loader import LoadedSite, load_site, with_endpoints
from topology.site import Endpoint, Protocol
from warden.demo import site_path
from warden.runtime import Platform, running_platform

POLL_S = 0.2
SWITCH_POLL_S = 2.0
OPERATOR_TOKEN = "operator-token-for-tests-0123456789"
VIEWER_TOKEN = "viewer-token-for-tests-0123456789"
TOKENS = Tokens(
    (
        (OPERATOR_TOKEN, User("night-operator", Role.OPERATOR)),
        (VIEWER_TOKEN, User("visitor", Role.VIEWER)),
    )
)


def fast_demo_site(poll_s: float = POLL_S) -> LoadedSite:
    """The demo site with every device polled every ``poll_s`` seconds and every
    simulator on a free port."""
    site = load_site(site_path())
    # Switches are polled every SWITCH_POLL_S: their polls cost more and the
    # tests time door changes seen through the controllers.
    devices = [
        d.model_copy(
            update={
                "poll_interval_s": SWITCH_POLL_S
                if d.protocol is Protocol.SNMP
                else poll_s,
                "timeout_s": 0.5,
            }
        )
        for d in site.site.devices
    ]
    # Traps to a free port too (the switches then send none, which the
    # pollers make up for).
    network = site.site.network
    if network is not None:
        network = network.model_copy(update={"trap_port": 0})
    site = dataclasses.replace(
        site,
        site=site.site.model_copy(update={"devices": devices, "network": network}),
    )
    free = {
        d.id: Endpoint(host="127.0.0.1", port=0, unit_id=d.endpoint.unit_id)
        for d in site.site.devices
        if d.endpoint is not None
    }
    return with_endpoints(site, free)


@dataclasses.dataclass
class Facility:
    site: LoadedSite
    sims: SimulatorSet
    platform: Platform
    http: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    async def command(
        self, door_id: str, action: str, token: str = OPERATOR_TOKEN
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/doors/{door_id}/commands",
            json={"action": action},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def door(self, door_id: str) -> dict[str, Any]:
        node: dict[str, Any] = await self.get(f"/api/v1/twin/nodes/{door_id}")
        return node

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], timeout_s: float, what: str
    ) -> float:
        """Poll ``check`` until it holds; return the seconds it took. Fails with
        ``what`` after ``timeout_s``."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(timeout_s):
                # Polled on purpose: the API is observed the way a client sees it.
                while not await check():  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(
                f"{what} did not happen within {timeout_s} s"
            ) from None
        return loop.time() - started

    async def wait_door(self, door_id: str, status: str, timeout_s: float) -> float:
        async def reached() -> bool:
            return (await self.door(door_id))["state"]["status"] == status

        return await self.wait_for(reached, timeout_s, f"door {door_id} {status}")


@contextlib.asynccontextmanager
async def running_facility(tmp_path: Path) -> AsyncIterator[Facility]:
    site = fast_demo_site()
    async with start_simulators(site) as sims:
        live = with_endpoints(site, sims.endpoints)
        store = SqliteStore(tmp_path / "history.db", flush_interval_s=0.1)
        async with (
            running_platform(live, store, port=0, tokens=TOKENS) as platform,
            httpx.AsyncClient(base_url=platform.url, timeout=5.0) as http,
        ):
            yield Facility(live, sims, platform, http)
