"""A writer killed with SIGKILL mid-run leaves a sound file with every commit."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

from store.base import Query, SeriesKey
from store.sqlite import SqliteStore
from tests.store.helpers import T0
from tests.store.sqlite_writer_proc import SERIES

ROOT = Path(__file__).resolve().parents[2]


async def committed_then_killed(path: Path, commits: int, delay: float) -> int:
    """Run the writer until it reported ``commits`` flushes, SIGKILL it
    ``delay`` seconds later (while it keeps writing), and return the last count
    it reported as committed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.store.sqlite_writer_proc",
        str(path),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    committed = 0
    try:
        async with asyncio.timeout(20):
            for _ in range(commits):
                line = await proc.stdout.readline()
                assert line.startswith(b"committed "), line
                committed = int(line.split()[1])
        # Not a wait for readiness: it moves the kill into the next batches.
        await asyncio.sleep(delay)
    finally:
        proc.kill()
        await proc.wait()
    assert proc.returncode == -9
    return committed


@pytest.mark.parametrize("delay", [0.0, 0.004, 0.011, 0.03])
async def test_sigkill_mid_write_loses_no_commit_and_corrupts_nothing(
    tmp_path: Path, delay: float
) -> None:
    path = tmp_path / "history.db"

    committed = await committed_then_killed(path, commits=8, delay=delay)

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = SqliteStore(path)
    await store.start()
    try:
        values: set[object] = set()
        for d in range(SERIES):
            points = await store.query(
                Query(SeriesKey(f"D{d}", "p"), T0, T0 + 1e6, limit=10**6)
            )
            values.update(p.value for p in points)
    finally:
        await store.close()
    # Batches commit whole and in order: what is there is a prefix of the run,
    # and it holds at least every sample reported committed.
    assert values == set(range(len(values)))
    assert len(values) >= committed > 0
