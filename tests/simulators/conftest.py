"""The tests here share one event loop per module, so the simulator (slow to
build) starts once per module; the leaked-task check runs in that loop too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.perimeter_support import check_no_leaked_tasks


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    async for _ in check_no_leaked_tasks():
        yield
