"""A process that writes to an InfluxDB store whose server is down, for the
kill test.

    python -m tests.store.influx_writer_proc URL SPOOL_DIR

Sample ``n`` has value ``n``, series ``D{n % 10}/p`` and source time
``T0 + n / 1000``. After each flush it prints ``spooled N``: samples 0..N-1 are
on the spool. It stops by itself after 30 seconds.
"""

from __future__ import annotations

import asyncio
import sys
import time

from store.influx import InfluxStore
from tests.store.helpers import sample

SERIES = 10


async def write_forever(url: str, spool_dir: str) -> None:
    store = InfluxStore(
        url,
        org="warden",
        bucket="history",
        token="not-a-secret",
        spool_dir=spool_dir,
        batch_size=200,
        flush_interval_s=0.01,
        timeout_s=2.0,
        retry_max_s=0.5,
    )
    await store.start()
    deadline = time.monotonic() + 30
    n = 0
    while time.monotonic() < deadline:
        store.write(
            [
                sample(i, i / 1000, device=f"D{i % SERIES}", point="p")
                for i in range(n, n + 200)
            ]
        )
        n += 200
        await store.flush()
        print(f"spooled {n}", flush=True)
    await store.close()


if __name__ == "__main__":
    asyncio.run(write_forever(sys.argv[1], sys.argv[2]))
