"""Line protocol encoding: exact lines for ordinary and hostile input."""

from __future__ import annotations

import math

import pytest

from store.line_protocol import (
    LineEncoder,
    UnencodableSample,
    escape_key,
    escape_measurement,
    escape_tag_value,
    quote_string,
)
from tests.store.helpers import sample
from topology.sample import Quality, Value

# sample() puts source time at 1_700_000_000 + t and received 0.25 s later.
TS = " 1700000000000000"
SERIES = "warden_sample,device=DC-1,point=lock_1,quality=good"


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        (True, "value_bool=true,lag_us=250000i"),
        (False, "value_bool=false,lag_us=250000i"),
        (3, "value=3.0,lag_us=250000i"),
        (-2.5, "value=-2.5,lag_us=250000i"),
        (1e300, "value=1e+300,lag_us=250000i"),
        (2**60, "value=1.152921504606847e+18,lag_us=250000i"),
        ("open", 'value_str="open",lag_us=250000i'),
        (None, "lag_us=250000i"),
    ],
)
def test_each_value_type_has_its_own_field(value: Value, fields: str) -> None:
    line = LineEncoder().encode(sample(value, 0))

    assert line == f"{SERIES} {fields}{TS}"


def test_a_bad_sample_has_no_value_and_keeps_its_reason() -> None:
    bad = sample(7, 0, quality=Quality.BAD, reason="timeout")

    line = LineEncoder().encode(bad)

    assert line == (
        'warden_sample,device=DC-1,point=lock_1,quality=bad reason="timeout",'
        f"lag_us=250000i{TS}"
    )


def test_time_is_microseconds_and_lag_may_be_negative() -> None:
    early = sample(1, 0.000001, received=1_699_999_999.5)

    line = LineEncoder().encode(early)

    assert line.endswith(",lag_us=-500001i 1700000000000001")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("with space", "with\\ space"),
        ("a,b", "a\\,b"),
        ("k=v", "k\\=v"),
        ("back\\slash", "back\\\\slash"),
        ("ends\\", "ends\\\\"),
        ('say "hi"', 'say\\ "hi"'),
        ("Zelle Süd ✓", "Zelle\\ Süd\\ ✓"),
        ("tab\there", "tab\there"),
    ],
)
def test_tag_values_and_keys_are_escaped(raw: str, escaped: str) -> None:
    assert escape_tag_value(raw) == escaped
    assert escape_key(raw) == escaped


def test_the_measurement_escapes_no_equals_sign() -> None:
    assert escape_measurement("a b,c=d\\") == "a\\ b\\,c=d\\\\"


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("C:\\temp\\", '"C:\\\\temp\\\\"'),
        ("a,b=c d", '"a,b=c d"'),
        ("Tür ✓", '"Tür ✓"'),
        ("two\r\nlines", '"two\\\\r\\\\nlines"'),
    ],
)
def test_string_fields_are_quoted(raw: str, quoted: str) -> None:
    assert quote_string(raw) == quoted


def test_a_hostile_series_makes_one_well_formed_line() -> None:
    encoder = LineEncoder(measurement="door events", extra_tags={"site=": "HMP ✓"})
    hostile = sample(
        'is "open"\\', 0, device='DC 1,"x"=y\\', point="lock\\,3", reason="a\\b"
    )

    line = encoder.encode(hostile)

    assert line == (
        'door\\ events,device=DC\\ 1\\,"x"\\=y\\\\,point=lock\\\\\\,3,'
        "quality=good,site\\==HMP\\ ✓ "
        'value_str="is \\"open\\"\\\\",reason="a\\\\b",lag_us=250000i' + TS
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (sample(math.nan, 0), "cannot be written"),
        (sample(math.inf, 0), "cannot be written"),
        (sample(10**400, 0), "does not fit"),
        (sample(1, 0, device=""), "non-empty"),
        (sample(1, 0, point="p\r"), "line break"),
        (sample(1, math.nan), "time"),
        (sample(b"raw", 0), "not storable"),  # type: ignore[arg-type]
        (sample(1, 0, quality="fine"), "not a quality"),  # type: ignore[arg-type]
    ],
)
def test_what_line_protocol_cannot_carry_is_refused(bad: object, message: str) -> None:
    with pytest.raises(UnencodableSample, match=message):
        LineEncoder().encode(bad)  # type: ignore[arg-type]


def test_a_batch_keeps_the_good_and_counts_the_rest() -> None:
    batch = [sample(1, 0), sample(math.nan, 1), sample(2, 2)]

    lines, rejected = LineEncoder().encode_batch(batch)

    assert rejected == 1
    assert [line.split(" ")[1] for line in lines] == [
        "value=1.0,lag_us=250000i",
        "value=2.0,lag_us=250000i",
    ]


@pytest.mark.parametrize("name", ["_internal", "", "x\ny"])
def test_reserved_or_broken_names_are_refused(name: str) -> None:
    with pytest.raises(UnencodableSample):
        escape_measurement(name)
    with pytest.raises(UnencodableSample):
        LineEncoder(extra_tags={name: "v"})


def test_extra_tags_may_not_shadow_the_series_tags() -> None:
    with pytest.raises(UnencodableSample, match="device"):
        LineEncoder(extra_tags={"device": "x"})
