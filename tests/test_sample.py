from __future__ import annotations

import dataclasses

import pytest

from topology.sample import Quality, Sample


def test_sample_is_immutable() -> None:
    sample = Sample("DC-1", "lock_1", True, Quality.GOOD, 1.0, 1.1)

    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.value = False  # type: ignore[misc]


async def test_async_runs() -> None:
    assert Quality("bad") is Quality.BAD
