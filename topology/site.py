"""The site file's schema: spaces, doors, devices and the bindings between them.

These models validate one site file's shape and per-item rules. Rules that need the
whole file (unknown references, duplicates, overlapping addresses) and line numbers
are checked by :mod:`topology.loader`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from topology.network import Link, MacAddress, NetworkSettings, SnmpSettings
from topology.site_opcua import OpcUaSecurity, parse_opcua_url

Identifier = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", min_length=1, max_length=64)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpaceKind(StrEnum):
    SITE = "site"
    BUILDING = "building"
    HOUSING_UNIT = "housing_unit"
    FLOOR = "floor"
    CELL = "cell"
    CORRIDOR = "corridor"
    YARD = "yard"
    SALLY_PORT = "sally_port"
    CONTROL_ROOM = "control_room"
    ZONE = "zone"
    ROOM = "room"
    OUTSIDE = "outside"


class DeviceKind(StrEnum):
    DOOR_CONTROLLER = "door_controller"
    PERIMETER_PROCESSOR = "perimeter_processor"
    SWITCH = "switch"
    CAMERA = "camera"
    SERVER = "server"
    UPS = "ups"


class Protocol(StrEnum):
    MODBUS = "modbus"
    OPCUA = "opcua"
    SNMP = "snmp"
    NONE = "none"


class Space(_Strict):
    """Anywhere a person can be. ``parent`` is the containing space."""

    id: Identifier
    kind: SpaceKind
    name: str | None = None
    parent: Identifier | None = None


class Endpoint(_Strict):
    """Where a device listens. ``unit_id`` is the Modbus unit (device) id.

    An OPC UA endpoint may be given as ``url`` (``opc.tcp://HOST:PORT/PATH``),
    which fills ``host`` and ``port``; ``security`` applies to OPC UA only.
    """

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)]
    unit_id: Annotated[int, Field(ge=0, le=255)] = 1
    url: str | None = None
    security: OpcUaSecurity | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_from_url(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("url") is None:
            return data
        parsed = parse_opcua_url(str(data["url"]))
        for key, value in (("host", parsed.host), ("port", parsed.port)):
            if key in data and data[key] != value:
                raise ValueError(f"{key} {data[key]!r} contradicts url {data['url']!r}")
        return {**data, "host": parsed.host, "port": parsed.port}

    @property
    def opcua_url(self) -> str:
        """The URL to open: ``url``'s path on the current ``host`` and ``port``
        (a simulator started on port 0 rewrites the port)."""
        path = parse_opcua_url(self.url).path if self.url is not None else ""
        return f"opc.tcp://{self.host}:{self.port}{path}"


class Device(_Strict):
    """Something with a network address that a driver talks to."""

    id: Identifier
    kind: DeviceKind
    name: str | None = None
    protocol: Protocol
    endpoint: Endpoint | None = None
    profile: Identifier | None = None
    poll_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    location: Identifier | None = None
    snmp: SnmpSettings | None = None
    mac: MacAddress | None = None

    @model_validator(mode="after")
    def _check_opcua_fields(self) -> Device:
        endpoint = self.endpoint
        if endpoint is None or self.protocol is Protocol.OPCUA:
            return self
        if endpoint.url is not None or endpoint.security is not None:
            raise ValueError("endpoint url and security apply to opcua devices only")
        return self


class PointRef(_Strict):
    """A reference to one point of one device, written ``DEVICE/POINT``."""

    device: Identifier
    point: str
    invert: bool = False

    def __str__(self) -> str:
        return f"{'!' if self.invert else ''}{self.device}/{self.point}"


def _parse_point_ref(value: object) -> object:
    """Accept ``"DEV/point"``, ``"!DEV/point"`` (inverted) or a mapping."""
    if isinstance(value, str):
        text = value.strip()
        invert = text.startswith("!")
        if invert:
            text = text[1:]
        device, sep, point = text.partition("/")
        if not sep or not device or not point:
            raise ValueError(f"expected DEVICE/POINT, got {value!r}")
        return {"device": device, "point": point, "invert": invert}
    return value


class DoorBindings(_Strict):
    """Which points feed a door's inputs. ``locked`` and ``closed`` are required."""

    locked: PointRef
    closed: PointRef
    tamper: PointRef | None = None
    request_to_exit: PointRef | None = None

    _parse = field_validator(
        "locked", "closed", "tamper", "request_to_exit", mode="before"
    )(_parse_point_ref)

    def refs(self) -> dict[str, PointRef]:
        """The bound attributes and their points, optional ones only when set."""
        found = {"locked": self.locked, "closed": self.closed}
        if self.tamper is not None:
            found["tamper"] = self.tamper
        if self.request_to_exit is not None:
            found["request_to_exit"] = self.request_to_exit
        return found


class Door(_Strict):
    """A door between two spaces and the points that report on it.

    ``held_open_s`` is how long it may stay open after a valid unlock before it
    counts as held open; it falls back to the site default.
    """

    id: Identifier
    name: str | None = None
    between: Annotated[list[Identifier], Field(min_length=2, max_length=2)]
    bindings: DoorBindings
    held_open_s: Annotated[float, Field(gt=0, le=86400)] | None = None
    lock: PointRef | None = None

    _parse = field_validator("lock", mode="before")(_parse_point_ref)


class FenceLine(StrEnum):
    """Which of the perimeter's two fences a segment belongs to."""

    INNER = "inner"
    OUTER = "outer"


class FenceBindings(_Strict):
    """Which points report on a fence segment. ``alarm`` is required."""

    alarm: PointRef
    tamper: PointRef | None = None
    fault: PointRef | None = None
    signal: PointRef | None = None

    _parse = field_validator("alarm", "tamper", "fault", "signal", mode="before")(
        _parse_point_ref
    )

    def refs(self) -> dict[str, PointRef]:
        """The bound attributes and their points, optional ones only when set."""
        found = {"alarm": self.alarm}
        for name in ("tamper", "fault", "signal"):
            ref = getattr(self, name)
            if ref is not None:
                found[name] = ref
        return found


class FenceSegment(_Strict):
    """A stretch of one fence, watched by perimeter sensors, covered by cameras.

    ``zone`` is the space the segment guards. Neighbours are the segments before
    and after it on the same fence in file order, the fence closing into a ring;
    ``adjacent`` lists them explicitly instead (the relation is symmetric).
    """

    id: Identifier
    name: str | None = None
    fence: FenceLine
    zone: Identifier
    adjacent: list[Identifier] | None = None
    bindings: FenceBindings
    cameras: list[Identifier] = Field(default_factory=list)


class Interlock(_Strict):
    """Doors of which at most one may be unlocked or open at a time."""

    id: Identifier
    name: str | None = None
    doors: Annotated[list[Identifier], Field(min_length=2)]


class SiteInfo(_Strict):
    id: Identifier
    name: str
    timezone: str = "UTC"
    held_open_s: Annotated[float, Field(gt=0, le=86400)] = 30.0


class SiteFile(_Strict):
    """One facility, as written in its site file.

    ``profiles`` maps a profile id to a file path, relative to the site file.
    """

    version: Literal[1] = 1
    site: SiteInfo
    profiles: dict[Identifier, str] = Field(default_factory=dict)
    spaces: list[Space] = Field(default_factory=list)
    doors: list[Door] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    interlocks: list[Interlock] = Field(default_factory=list)
    network: NetworkSettings | None = None
    links: list[Link] = Field(default_factory=list)
    fence_segments: list[FenceSegment] = Field(default_factory=list)
