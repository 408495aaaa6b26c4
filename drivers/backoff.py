"""How long to wait before trying a device again."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter.

    Retry ``n`` (0-based) waits ``min(cap_s, base_s * 2**n)`` seconds, shortened by
    up to ``jitter`` of itself so that many devices lost at once (a switch going
    down) do not all come back in the same instant. Raises ``ValueError`` for a
    non-positive base, a cap below the base or a jitter outside 0..1.
    """

    base_s: float = 0.5
    cap_s: float = 30.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError("need 0 < base_s <= cap_s")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def delay(self, retry: int, draw: float) -> float:
        """Seconds to wait before retry number ``retry``; ``draw`` is a random
        number in [0, 1) that picks the jitter."""
        # Past 2**64 the cap has long been reached; keep the float finite.
        steady = min(self.cap_s, self.base_s * 2.0 ** min(retry, 64))
        return steady * (1.0 - self.jitter * draw)
