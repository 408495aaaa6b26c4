"""The live event stream over a real WebSocket, and a clean end to it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from websockets.asyncio.client import connect

from tests.warden.facility import running_facility

CELL = "D-A1-01"


async def test_stream_delivers_door_events_and_ends_promptly_at_shutdown(
    tmp_path: Path,
) -> None:
    async with running_facility(tmp_path) as facility:
        await facility.wait_door(CELL, "secure", timeout_s=10)
        url = facility.platform.url.replace("http", "ws") + "/api/v1/events/stream"
        client = await connect(url)
        await client.send(json.dumps({"hello": 1}))  # clients may talk; ignored

        facility.sims.world.open_door(CELL)

        async with asyncio.timeout(5):
            while True:
                event = json.loads(await client.recv())
                if event["node"] == CELL and event["type"] == "state_changed":
                    break
        assert event["new"] == "forced_open"
        stopping = time.monotonic()

    async with asyncio.timeout(3):
        await client.wait_closed()
    assert time.monotonic() - stopping < 3
    assert client.close_code == 1001
