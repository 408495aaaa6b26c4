"""How the SQLite store codes values, kinds and qualities in its cells."""

from __future__ import annotations

import math
from typing import Any, Final

from topology.sample import Quality, Value

US: Final = 1_000_000

# The Python type of a stored value: SQLite has no boolean, and a float NaN is
# stored as NULL.
KIND_NONE, KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_STR = range(5)
NUMERIC_KINDS: Final = (KIND_BOOL, KIND_INT, KIND_FLOAT)

QUALITY_CODE: Final = {Quality.GOOD: 0, Quality.UNCERTAIN: 1, Quality.BAD: 2}
QUALITY_BY_CODE: Final = {code: quality for quality, code in QUALITY_CODE.items()}
BAD_CODE: Final = QUALITY_CODE[Quality.BAD]


def to_us(seconds: float) -> int:
    """Epoch seconds to integer microseconds (rounded to nearest)."""
    return round(seconds * US)


def decode_value(raw: Any, kind: int) -> Value:
    """A stored ``value`` cell back to the Python value it was written as."""
    if kind == KIND_FLOAT:
        return math.nan if raw is None else float(raw)
    if kind == KIND_BOOL:
        return bool(raw)
    if kind == KIND_INT:
        return int(raw)
    return raw  # type: ignore[no-any-return]
