"""Samples as InfluxDB line protocol, built and escaped by our own code.

Schema of one sample (one line, timestamp precision microseconds)::

    <measurement>,device=<device>,point=<point>,quality=<quality>[,<extra tags>]
        [value=<float> | value_bool=<bool> | value_str="<text>"]
        [,reason="<text>"],lag_us=<int>i  <source time in µs>

- measurement: ``warden_sample`` unless configured.
- tags: ``device`` and ``point`` name the series; ``quality`` is ``good``,
  ``uncertain`` or ``bad`` (at most three series per point, and a filter on it is
  an index lookup); extra tags from the configuration (say ``site``) follow,
  all sorted by key as InfluxDB prefers.
- fields, one fixed type each, so a point whose values change type never
  conflicts: every number (int or float) is the float field ``value`` (ints
  beyond 2**53 lose precision, and read back as floats); a bool is the boolean
  field ``value_bool``; text is the string field ``value_str``; ``reason`` is a
  string; ``lag_us`` is the integer ``received_time - source_time`` in µs.
- a bad sample carries no value field at all: its value is not to be trusted,
  and aggregates over ``value`` then skip bad samples by construction.

A point is identified by measurement, tags and time, so writing the same sample
twice (a replay after a crash) stores it once.

Escaping follows the InfluxDB 2 rules: in the measurement a backslash, comma
and space are escaped; in tag keys, tag values and field keys also the equals
sign; in string field values the backslash and the double quote. Line protocol
cannot carry a line break, so in text values (``value_str``, ``reason``; an
SNMP ``sysDescr`` often has some) each line break is stored as the two
characters backslash and ``n`` (``\r`` likewise): readable, but not told apart
from text that had those two characters. A line break in a name, an empty tag
value, a NaN or an infinity cannot be written at all: such a sample raises
:class:`UnencodableSample` and is counted as rejected by the caller.
"""

from __future__ import annotations

import logging
import math
from typing import Final

from topology.sample import Quality, Sample

logger = logging.getLogger(__name__)

DEFAULT_MEASUREMENT: Final = "warden_sample"

_US = 1_000_000

_MEASUREMENT_ESCAPES = str.maketrans({"\\": "\\\\", ",": "\\,", " ": "\\ "})
_KEY_ESCAPES = str.maketrans({"\\": "\\\\", ",": "\\,", " ": "\\ ", "=": "\\="})
_STRING_ESCAPES = str.maketrans(
    # A line break becomes an escaped backslash and a letter: stored as "\n".
    {"\\": "\\\\", '"': '\\"', "\n": "\\\\n", "\r": "\\\\r"}
)
_LINE_BREAKS = ("\n", "\r")


class UnencodableSample(ValueError):
    """A sample or name that line protocol cannot represent; the message says
    why."""


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not name:
        raise UnencodableSample(f"{kind} must be a non-empty string, not {name!r}")
    if any(brk in name for brk in _LINE_BREAKS):
        raise UnencodableSample(f"{kind} {name!r} contains a line break")


def escape_measurement(name: str) -> str:
    """A measurement name for line protocol; names starting with ``_`` are
    reserved by InfluxDB and refused."""
    _check_name("measurement", name)
    if name.startswith("_"):
        raise UnencodableSample(f"measurement {name!r} starts with '_' (reserved)")
    return name.translate(_MEASUREMENT_ESCAPES)


def escape_key(name: str) -> str:
    """A tag key or field key for line protocol."""
    _check_name("key", name)
    if name.startswith("_"):
        raise UnencodableSample(f"key {name!r} starts with '_' (reserved)")
    return name.translate(_KEY_ESCAPES)


def escape_tag_value(value: str) -> str:
    """A tag value for line protocol (never empty, no line breaks)."""
    _check_name("tag value", value)
    return value.translate(_KEY_ESCAPES)


def quote_string(text: str) -> str:
    """A string field value, quoted; line breaks stored as backslash-n."""
    return '"' + text.translate(_STRING_ESCAPES) + '"'


class LineEncoder:
    """Turns samples into lines for one measurement and set of extra tags.

    The series part of a line (measurement and tags) is cached per device,
    point and quality, since a site has a fixed set of points.
    """

    def __init__(
        self,
        measurement: str = DEFAULT_MEASUREMENT,
        extra_tags: dict[str, str] | None = None,
    ) -> None:
        self._measurement = escape_measurement(measurement)
        reserved = {"device", "point", "quality"} & set(extra_tags or {})
        if reserved:
            raise UnencodableSample(f"extra tags may not be named {sorted(reserved)}")
        self._extra = {
            escape_key(k): escape_tag_value(v) for k, v in (extra_tags or {}).items()
        }
        self._series: dict[tuple[str, str, Quality], str] = {}
        self._warned: set[tuple[object, object]] = set()

    def _series_key(self, device: str, point: str, quality: Quality) -> str:
        key = (device, point, quality)
        cached = self._series.get(key)
        if cached is None:
            try:
                quality_tag = Quality(quality).value
            except ValueError as exc:
                raise UnencodableSample(f"{quality!r} is not a quality") from exc
            tags = {
                "device": escape_tag_value(device),
                "point": escape_tag_value(point),
                "quality": quality_tag,
                **self._extra,
            }
            cached = self._measurement + "".join(
                f",{k}={v}" for k, v in sorted(tags.items())
            )
            self._series[key] = cached
        return cached

    def encode(self, sample: Sample) -> str:
        """One line (no trailing newline); raises :class:`UnencodableSample`."""
        try:
            t = round(sample.source_time * _US)
            lag = round(sample.received_time * _US) - t
        except (OverflowError, ValueError, TypeError) as exc:
            raise UnencodableSample(f"time not encodable: {exc}") from exc

        fields = []
        value = sample.value
        if sample.quality is not Quality.BAD and value is not None:
            fields.append(_value_field(value))
        if sample.reason is not None:
            fields.append(f"reason={quote_string(str(sample.reason))}")
        fields.append(f"lag_us={lag}i")

        series = self._series_key(sample.device, sample.point, sample.quality)
        return f"{series} {','.join(fields)} {t}"

    def encode_batch(self, samples: list[Sample]) -> tuple[list[str], int]:
        """Lines for the encodable samples, and how many were not encodable
        (logged once per series, not once per sample)."""
        lines = []
        for sample in samples:
            try:
                lines.append(self.encode(sample))
            except UnencodableSample as exc:
                series = (sample.device, sample.point)
                if series not in self._warned:
                    self._warned.add(series)
                    logger.warning(
                        "rejected sample of %r/%r (further ones of this series "
                        "are counted, not logged): %s",
                        sample.device,
                        sample.point,
                        exc,
                    )
        return lines, len(samples) - len(lines)


def _value_field(value: object) -> str:
    if isinstance(value, bool):
        return "value_bool=true" if value else "value_bool=false"
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError as exc:
            raise UnencodableSample(f"{value} does not fit a float") from exc
        if not math.isfinite(number):
            raise UnencodableSample(f"{number} cannot be written to InfluxDB")
        return f"value={number!r}"
    if isinstance(value, str):
        return f"value_str={quote_string(value)}"
    raise UnencodableSample(f"value of type {type(value).__name__} is not storable")
