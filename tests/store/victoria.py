"""A real victoria-metrics server for tests: it accepts InfluxDB v2 line protocol
on ``/api/v2/write`` and shows what it stored on ``/api/v1/export``.

Each server listens on a free loopback port with its data in a directory of the
test's own; ``stop`` and ``start`` again keep both, as an outage would.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

BINARY = "victoria-metrics"


def require_binary() -> str:
    path = shutil.which(BINARY)
    if path is None:
        pytest.skip(
            "victoria-metrics is not installed; "
            "`apt-get install -y victoria-metrics` provides it"
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class VictoriaMetrics:
    """One victoria-metrics process on ``127.0.0.1:port``."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.binary = require_binary()
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start it and wait (at most 20 s) until it answers ``/health``."""
        self._proc = await asyncio.create_subprocess_exec(
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.data_dir}",
            "-retentionPeriod=100y",
            "-loggerLevel=ERROR",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(20), httpx.AsyncClient() as client:
            while True:
                if self._proc.returncode is not None:
                    raise RuntimeError(
                        f"victoria-metrics exited ({self._proc.returncode})"
                    )
                try:
                    answer = await client.get(f"{self.url}/health")
                    if answer.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s) and wait for the exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            async with asyncio.timeout(10):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()

    async def export(self, metric_regex: str = ".+") -> list[dict[str, Any]]:
        """Every stored series whose name matches, with values and timestamps
        (ms), after making recent writes searchable."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            await client.get("/internal/force_flush")
            answer = await client.get(
                "/api/v1/export",
                params={"match[]": f'{{__name__=~"{metric_regex}"}}', "start": "0"},
            )
        answer.raise_for_status()
        return [json.loads(line) for line in answer.text.splitlines() if line]
