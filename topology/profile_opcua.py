"""OPC UA device profiles: the nodes a device model exposes, as data.

A point names one variable node. Its address is written the way OPC UA tools write
an expanded node id, with the namespace given by URI because namespace indexes are
assigned by each server at start-up and may differ between two boots of the same
device::

    nsu=urn:acme:perimeter;s=Zone01.Alarm      string identifier
    nsu=urn:acme:perimeter;i=1042              numeric identifier
    nsu=urn:acme:perimeter;g=72962b91-fa75-4ae6-8d28-b404dc7daf63
    nsu=urn:acme:perimeter;b=AAEC              opaque (base64) identifier
    i=2259                                     namespace 0 (the OPC UA standard)

``ns=<index>;`` is accepted for namespace 0 only: any other index is not stable.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NodeIdentifier = int | str | uuid.UUID | bytes


class IdentifierKind(StrEnum):
    """The four OPC UA node identifier types, by their address prefix."""

    NUMERIC = "i"
    STRING = "s"
    GUID = "g"
    OPAQUE = "b"


@dataclass(frozen=True, slots=True)
class NodeAddress:
    """A parsed node address: namespace URI (``None`` for namespace 0) and id."""

    namespace_uri: str | None
    kind: IdentifierKind
    identifier: NodeIdentifier

    def __str__(self) -> str:
        prefix = f"nsu={self.namespace_uri};" if self.namespace_uri is not None else ""
        if isinstance(self.identifier, bytes):
            text = base64.b64encode(self.identifier).decode("ascii")
        else:
            text = str(self.identifier)
        return f"{prefix}{self.kind}={text}"


_ADDRESS = re.compile(
    r"^(?:(?:nsu=(?P<uri>[^;]+)|ns=(?P<index>\d+));)?(?P<kind>[isgb])=(?P<id>.+)$",
    re.DOTALL,
)


def parse_node_address(text: str) -> NodeAddress:
    """Parse ``[nsu=URI;|ns=0;](i|s|g|b)=ID`` into a :class:`NodeAddress`.

    Raises ``ValueError`` with a plain sentence for anything else, including a
    non-zero ``ns=`` index, a numeric id outside 0..2**32-1, a malformed GUID or
    invalid base64.
    """
    match = _ADDRESS.match(text.strip())
    if match is None:
        raise ValueError(
            f"expected a node address like 'nsu=URI;s=Name' or 'i=2259', got {text!r}"
        )
    index = match["index"]
    if index is not None and int(index) != 0:
        raise ValueError(
            f"{text!r} names namespace index {index}; indexes change between server "
            "starts, write the namespace URI as 'nsu=URI;' instead"
        )
    kind = IdentifierKind(match["kind"])
    raw = match["id"]
    identifier: NodeIdentifier
    if kind is IdentifierKind.NUMERIC:
        if not raw.isdigit() or int(raw) > 0xFFFFFFFF:
            raise ValueError(f"numeric identifier must be 0..4294967295, got {raw!r}")
        identifier = int(raw)
    elif kind is IdentifierKind.GUID:
        try:
            identifier = uuid.UUID(raw)
        except ValueError:
            raise ValueError(f"not a GUID: {raw!r}") from None
    elif kind is IdentifierKind.OPAQUE:
        try:
            identifier = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise ValueError(f"opaque identifier is not base64: {raw!r}") from None
    else:
        identifier = raw
    return NodeAddress(match["uri"], kind, identifier)


class OpcUaDataType(StrEnum):
    """The value types a point may carry, named like the Modbus ones where they
    overlap; each maps to one OPC UA built-in type (``float32`` is Float,
    ``float64`` is Double)."""

    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    STRING = "string"

    @property
    def is_integer(self) -> bool:
        return self.value.startswith(("int", "uint"))

    @property
    def is_float(self) -> bool:
        return self in (OpcUaDataType.FLOAT32, OpcUaDataType.FLOAT64)


class Acquisition(StrEnum):
    """How the driver gets a point: a monitored item, or periodic reads."""

    SUBSCRIBE = "subscribe"
    POLL = "poll"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpcUaPoint(_Strict):
    """One named variable node of an OPC UA device.

    ``sampling_interval_s`` is the rate the server samples the value for a
    monitored item (or the read period for ``poll``), in seconds; unset, the
    profile's default applies. ``queue_size`` is how many changes the server keeps
    per item between two publishes, so quick flickers are not folded into one.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
    node: str
    data_type: OpcUaDataType = OpcUaDataType.BOOL
    unit: str | None = None
    writable: bool = False
    acquisition: Acquisition = Acquisition.SUBSCRIBE
    sampling_interval_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    queue_size: Annotated[int, Field(ge=1, le=1000)] | None = None
    description: str | None = None

    @field_validator("node")
    @classmethod
    def _check_node(cls, value: str) -> str:
        parse_node_address(value)
        return value.strip()

    @property
    def address(self) -> NodeAddress:
        return parse_node_address(self.node)


class OpcUaProfile(_Strict):
    """An OPC UA device model and its points.

    ``sampling_interval_s`` and ``queue_size`` are the defaults for points that
    do not set their own.
    """

    id: Annotated[str, Field(min_length=1, max_length=64)]
    protocol: Literal["opcua"] = "opcua"
    vendor: str | None = None
    model: str | None = None
    description: str | None = None
    sampling_interval_s: Annotated[float, Field(gt=0, le=3600)] = 0.25
    queue_size: Annotated[int, Field(ge=1, le=1000)] = 10
    points: list[OpcUaPoint]

    def point(self, name: str) -> OpcUaPoint:
        for point in self.points:
            if point.name == name:
                return point
        raise KeyError(f"profile {self.id!r} has no point {name!r}")

    @property
    def point_names(self) -> frozenset[str]:
        return frozenset(point.name for point in self.points)

    def sampling_interval_of(self, point: OpcUaPoint) -> float:
        """The point's sampling interval in seconds, falling back to the profile's."""
        if point.sampling_interval_s is not None:
            return point.sampling_interval_s
        return self.sampling_interval_s

    def queue_size_of(self, point: OpcUaPoint) -> int:
        """The point's server-side queue size, falling back to the profile's."""
        return point.queue_size if point.queue_size is not None else self.queue_size

    @property
    def namespace_uris(self) -> list[str]:
        """The namespace URIs the points use, in order of first use."""
        seen: dict[str, None] = {}
        for point in self.points:
            uri = point.address.namespace_uri
            if uri is not None:
                seen.setdefault(uri)
        return list(seen)
