from __future__ import annotations

import pytest

from drivers.backoff import Backoff


def test_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base_s=0.5, cap_s=30.0, jitter=0.1)

    delays = [backoff.delay(n, draw=0.0) for n in range(9)]

    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_jitter_only_shortens_within_its_fraction() -> None:
    backoff = Backoff(base_s=1.0, cap_s=8.0, jitter=0.25)

    assert backoff.delay(3, draw=0.999999) == pytest.approx(6.0, abs=1e-5)
    assert backoff.delay(3, draw=0.5) == 7.0
    assert backoff.delay(10_000, draw=0.0) == 8.0


@pytest.mark.parametrize(
    "kwargs",
    [{"base_s": 0}, {"base_s": 2, "cap_s": 1}, {"jitter": -0.1}, {"jitter": 1.5}],
)
def test_nonsense_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
