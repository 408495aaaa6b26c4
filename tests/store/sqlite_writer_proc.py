"""A process that writes to a SQLite store without pause, for the kill test.

    python -m tests.store.sqlite_writer_proc PATH

Sample ``n`` has value ``n``, series ``D{n % 10}/p`` and source time
``T0 + n / 1000``. After each flush it prints ``committed N``: samples 0..N-1 are
on disk. It stops by itself after 30 seconds.
"""

from __future__ import annotations

import asyncio
import sys
import time

from store.sqlite import SqliteStore
from tests.store.helpers import sample

SERIES = 10


async def write_forever(path: str) -> None:
    store = SqliteStore(path, batch_size=500, flush_interval_s=0.01)
    await store.start()
    deadline = time.monotonic() + 30
    n = 0
    while time.monotonic() < deadline:
        for _ in range(4):
            store.write(
                [
                    sample(i, i / 1000, device=f"D{i % SERIES}", point="p")
                    for i in range(n, n + 250)
                ]
            )
            n += 250
            await asyncio.sleep(0)
        await store.flush()
        print(f"committed {n}", flush=True)
    await store.close()


if __name__ == "__main__":
    asyncio.run(write_forever(sys.argv[1]))
