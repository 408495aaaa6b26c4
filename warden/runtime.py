"""Starting and stopping the platform's parts in order.

Start order: store, twin, pollers, API. Stop order is the reverse, so the API stops
taking requests first and the store flushes last, after the pollers' final samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import uvicorn

from api.app import create_app
from api.auth import Tokens
from api.context import ApiContext
from drivers.errors import NotFoundError
from drivers.group import PollerGroup
from drivers.snmp.listen import start_trap_receiver
from drivers.snmp.traps import TrapReceiver
from store.base import TimeSeriesStore
from topology.loader import LoadedSite
from topology.sample import DeviceHealth, Sample
from twin.model import Twin

log = logging.getLogger(__name__)


class Fanout:
    """Sends every sample to the store (history) and the twin (live state)."""

    def __init__(self, twin: Twin, store: TimeSeriesStore) -> None:
        self._twin = twin
        self._store = store

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self._store.write(samples)
        self._twin.publish_samples(samples)

    def publish_health(self, health: DeviceHealth) -> None:
        self._twin.publish_health(health)


def freeze_startup_heap() -> None:
    """Keep everything built so far (site, graph, twin, drivers) out of later
    full garbage collections, until ``gc.unfreeze()``.

    Samples arrive by the tens of thousands a second and live about one poll
    interval, long enough to reach the collector's oldest generation; every few
    seconds it then walks the whole heap. At 3,000 doors that is some 400,000
    objects, most built at start-up and never freed, and each walk stalls the
    event loop for 100-300 ms, which shows as late polls. Frozen, a walk covers
    the live samples only (tens of ms). Objects are still freed when their last
    reference goes; only reference cycles among frozen objects wait for
    ``gc.unfreeze()``.
    """
    gc.collect()
    gc.freeze()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the command line owns signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Platform:
    """A running platform: its parts and the address the API listens on."""

    site: LoadedSite
    twin: Twin
    store: TimeSeriesStore
    pollers: PollerGroup
    host: str
    port: int
    parts: list[asyncio.Task[None]]

    async def wait(self) -> None:
        """Return when a part stops by itself, raising the error that stopped it."""
        done, _ = await asyncio.wait(self.parts, return_when=asyncio.FIRST_COMPLETED)
        for part in done:
            part.result()
        raise RuntimeError(f"{', '.join(p.get_name() for p in done)} stopped")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


async def _serve(server: _Server, sock: socket.socket) -> None:
    """Run uvicorn; on cancellation, let it close its connections before returning."""
    task = asyncio.create_task(server.serve(sockets=[sock]), name="api-server")
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        await task
        raise


async def _stop(parts: list[asyncio.Task[None]]) -> None:
    """Stop the parts in reverse order of starting and re-raise a part's crash."""
    for part in reversed(parts):
        part.cancel()
        await asyncio.wait([part])
        # A part that failed by itself (not by our cancel) still reports it.
        if not part.cancelled() and part.exception() is not None:
            log.error("%s failed", part.get_name(), exc_info=part.exception())


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise OSError(
            exc.errno, f"the API cannot listen on {host}:{port}: {exc.strerror}"
        ) from exc


@contextlib.asynccontextmanager
async def running_platform(
    site: LoadedSite,
    store: TimeSeriesStore,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    access_log: bool = False,
    tokens: Tokens | None = None,
) -> AsyncIterator[Platform]:
    """Run store, twin, pollers and API until the block exits.

    ``port=0`` picks a free port; read it back from ``Platform.port``. Raises
    ``OSError`` when the address is taken, before anything else starts.
    """
    sock = _listen(host, port)
    with sock:
        await store.start()
        traps: TrapReceiver | None = None
        try:
            twin = Twin(site)
            fanout = Fanout(twin, store)
            pollers = PollerGroup(site, fanout)
            drivers = {}
            for device_id in pollers.devices:
                # Streaming devices (OPC UA) have no poller and send no traps.
                with contextlib.suppress(NotFoundError):
                    drivers[device_id] = pollers.poller(device_id).driver
            traps = await start_trap_receiver(site, fanout, drivers)
            context = ApiContext(site, twin, store, commands=pollers, pollers=pollers)
            config = uvicorn.Config(
                create_app(context, tokens),
                ws="websockets-sansio",
                lifespan="off",
                log_config=None,
                access_log=access_log,
                timeout_graceful_shutdown=5,
            )
            server = _Server(config)
            bound = sock.getsockname()[1]
            freeze_startup_heap()
            parts = [
                asyncio.create_task(twin.run(), name="twin"),
                asyncio.create_task(pollers.run(), name="pollers"),
                asyncio.create_task(_serve(server, sock), name="api"),
            ]
            log.info("API listening on http://%s:%d/api/docs", host, bound)
            try:
                yield Platform(site, twin, store, pollers, host, bound, parts)
            finally:
                # Ending every event stream first lets the API close its
                # WebSockets at once instead of waiting out its grace period.
                twin.bus.close()
                await _stop(parts)
        finally:
            if traps is not None:
                await traps.stop()
            gc.unfreeze()
            await store.close()
