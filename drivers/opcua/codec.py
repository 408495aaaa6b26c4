"""Between OPC UA data values and samples: node ids, quality, timestamps, types.

- Status code to quality: Good is ``good``; Uncertain is ``uncertain`` with the
  value kept and the status name in ``reason``; Bad is ``bad`` with no value and
  the status name in ``reason``.
- Time: the source timestamp, else the server timestamp, else the time the
  platform received the value. A timestamp before 2000 is a device whose clock
  was never set (the 1601 and 1970 epochs show up this way) and counts as missing.
- Values are checked against the point's declared type: a value of another type
  is a bad sample (``"type mismatch: …"``), never a silent conversion, except
  that 0/1 integers stand for booleans and integers for floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from asyncua import ua

from drivers.errors import InvalidValueError, NotFoundError
from drivers.opcua.errors import status_name
from topology.profile_opcua import IdentifierKind, NodeAddress, OpcUaDataType
from topology.sample import Quality, Sample, Value

_EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC).timestamp()

VARIANT_TYPES: dict[OpcUaDataType, ua.VariantType] = {
    OpcUaDataType.BOOL: ua.VariantType.Boolean,
    OpcUaDataType.INT16: ua.VariantType.Int16,
    OpcUaDataType.UINT16: ua.VariantType.UInt16,
    OpcUaDataType.INT32: ua.VariantType.Int32,
    OpcUaDataType.UINT32: ua.VariantType.UInt32,
    OpcUaDataType.INT64: ua.VariantType.Int64,
    OpcUaDataType.UINT64: ua.VariantType.UInt64,
    OpcUaDataType.FLOAT32: ua.VariantType.Float,
    OpcUaDataType.FLOAT64: ua.VariantType.Double,
    OpcUaDataType.STRING: ua.VariantType.String,
}

_INTEGER_RANGES: dict[OpcUaDataType, tuple[int, int]] = {
    OpcUaDataType.INT16: (-(2**15), 2**15 - 1),
    OpcUaDataType.UINT16: (0, 2**16 - 1),
    OpcUaDataType.INT32: (-(2**31), 2**31 - 1),
    OpcUaDataType.UINT32: (0, 2**32 - 1),
    OpcUaDataType.INT64: (-(2**63), 2**63 - 1),
    OpcUaDataType.UINT64: (0, 2**64 - 1),
}


def node_id(address: NodeAddress, namespaces: Sequence[str]) -> ua.NodeId:
    """The node id for ``address`` on a server whose namespace array is
    ``namespaces`` (index 0 first).

    Raises :class:`NotFoundError` if the server has no such namespace URI.
    """
    index = 0
    if address.namespace_uri is not None:
        try:
            index = list(namespaces).index(address.namespace_uri)
        except ValueError:
            raise NotFoundError(
                f"the server has no namespace {address.namespace_uri!r}",
                reason=f"no namespace {address.namespace_uri}",
            ) from None
    identifier: Any = address.identifier
    kind = {
        IdentifierKind.NUMERIC: ua.NodeIdType.Numeric,
        IdentifierKind.STRING: ua.NodeIdType.String,
        IdentifierKind.GUID: ua.NodeIdType.Guid,
        IdentifierKind.OPAQUE: ua.NodeIdType.ByteString,
    }[address.kind]
    return ua.NodeId(identifier, ua.Int16(index), kind)


def epoch_seconds(moment: datetime | None) -> float | None:
    """``moment`` as epoch seconds, or ``None`` if missing or implausibly early.

    A naive datetime is taken as UTC, as asyncua decodes wire times.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = moment.timestamp()
    return seconds if seconds >= _EARLIEST_PLAUSIBLE else None


def decode_value(data_type: OpcUaDataType, raw: object) -> Value:
    """Check ``raw`` (as asyncua decoded it) against ``data_type``.

    Raises ``ValueError`` naming the mismatch.
    """
    if data_type is OpcUaDataType.BOOL:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
    elif data_type.is_integer:
        if isinstance(raw, int) and not isinstance(raw, bool):
            low, high = _INTEGER_RANGES[data_type]
            if low <= raw <= high:
                return int(raw)
            raise ValueError(f"{raw} is out of range for {data_type}")
    elif data_type.is_float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number = float(raw)
            if data_type is OpcUaDataType.FLOAT32 and math.isfinite(number):
                # A Float carries about 7 significant digits; the rest is noise
                # from widening it to a Python float.
                number = float(f"{number:.7g}")
            return number
    elif isinstance(raw, str):
        return raw
    elif isinstance(raw, ua.LocalizedText):
        return raw.Text or ""
    raise ValueError(f"type mismatch: expected {data_type}, got {type(raw).__name__}")


def to_sample(
    device: str,
    point: str,
    data_type: OpcUaDataType,
    data_value: ua.DataValue,
    received_time: float,
) -> Sample:
    """One sample from one OPC UA data value of ``point``."""
    status = data_value.StatusCode.value if data_value.StatusCode is not None else 0
    when = (
        epoch_seconds(data_value.SourceTimestamp)
        or epoch_seconds(data_value.ServerTimestamp)
        or received_time
    )
    severity = status & 0xC0000000
    if severity not in (0, 0x40000000):
        return Sample(
            device, point, None, Quality.BAD, when, received_time, status_name(status)
        )

    raw = data_value.Value.Value if data_value.Value is not None else None
    if raw is None:
        return Sample(
            device, point, None, Quality.BAD, when, received_time, "empty value"
        )
    try:
        value = decode_value(data_type, raw)
    except ValueError as exc:
        return Sample(device, point, None, Quality.BAD, when, received_time, str(exc))
    if severity == 0x40000000:
        return Sample(
            device,
            point,
            value,
            Quality.UNCERTAIN,
            when,
            received_time,
            status_name(status),
        )
    return Sample(device, point, value, Quality.GOOD, when, received_time)


def bad_sample(device: str, point: str, at: float, reason: str) -> Sample:
    """A bad sample at ``at`` marking that ``point`` could not be read."""
    return Sample(device, point, None, Quality.BAD, at, at, reason)


def encode_value(data_type: OpcUaDataType, value: Value) -> ua.Variant:
    """The variant to write ``value`` to a point of ``data_type``.

    Raises :class:`InvalidValueError` for a value of the wrong type or range.
    """
    variant_type = VARIANT_TYPES[data_type]
    if value is None:
        raise InvalidValueError("cannot write an empty value")
    if data_type is OpcUaDataType.BOOL:
        if isinstance(value, bool):
            return ua.Variant(value, variant_type)
    elif data_type.is_integer:
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = _INTEGER_RANGES[data_type]
            if not low <= value <= high:
                raise InvalidValueError(f"{value} is out of range for {data_type}")
            return ua.Variant(value, variant_type)
    elif data_type.is_float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ua.Variant(float(value), variant_type)
    elif isinstance(value, str):
        return ua.Variant(value, variant_type)
    raise InvalidValueError(
        f"cannot write {type(value).__name__} {value!r} to a {data_type} point"
    )
