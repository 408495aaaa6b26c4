"""Device profiles: the points a device model exposes, as data.

A profile is written once per device model (for example one door-controller I/O
module) and referenced by every site file that uses that model. Per-point checks
live here; checks across points (overlapping addresses) live in the loader, which
knows line numbers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    model_validator,
)

from topology.profile_opcua import OpcUaProfile


class ModbusTable(StrEnum):
    """The four Modbus data tables, by their protocol names."""

    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"
    HOLDING_REGISTER = "holding_register"
    INPUT_REGISTER = "input_register"

    @property
    def is_bit(self) -> bool:
        return self in (ModbusTable.COIL, ModbusTable.DISCRETE_INPUT)

    @property
    def is_writable(self) -> bool:
        return self in (ModbusTable.COIL, ModbusTable.HOLDING_REGISTER)


class DataType(StrEnum):
    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"

    @property
    def register_count(self) -> int:
        """16-bit registers one value occupies (bits count as one)."""
        return 2 if self in (DataType.INT32, DataType.UINT32, DataType.FLOAT32) else 1


class ByteOrder(StrEnum):
    """Order of the two bytes inside each 16-bit register."""

    BIG = "big"
    LITTLE = "little"


class WordOrder(StrEnum):
    """Order of the 16-bit registers of a 32-bit value: ``big`` = high word first."""

    BIG = "big"
    LITTLE = "little"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModbusPoint(_Strict):
    """One named value in a Modbus device.

    ``address`` is the 0-based protocol address inside ``table`` (coil 00001 in the
    vendor's 1-based notation is address 0). The engineering value is
    ``raw * scale + offset`` for numeric types.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
    table: ModbusTable
    address: Annotated[int, Field(ge=0, le=65535)]
    data_type: DataType = DataType.BOOL
    byte_order: ByteOrder = ByteOrder.BIG
    word_order: WordOrder = WordOrder.BIG
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None
    writable: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ModbusPoint:
        if self.table.is_bit and self.data_type is not DataType.BOOL:
            raise ValueError(
                f"the {self.table} table holds single bits, so data_type must be bool, "
                f"not {self.data_type}"
            )
        if not self.table.is_bit and self.data_type is DataType.BOOL:
            raise ValueError(
                f"the {self.table} table holds 16-bit words; "
                "data_type must be numeric, not bool"
            )
        if self.writable and not self.table.is_writable:
            raise ValueError(
                f"the {self.table} table is read-only in Modbus; "
                "a point there cannot be writable"
            )
        if self.address + self.data_type.register_count > 65536:
            raise ValueError(
                f"{self.data_type} at address {self.address} runs past address 65535"
            )
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        return self

    @property
    def count(self) -> int:
        """Bits or registers this point occupies."""
        return self.data_type.register_count

    @property
    def end(self) -> int:
        """One past the last address this point occupies."""
        return self.address + self.count


class ModbusProfile(_Strict):
    """A Modbus device model and its points."""

    id: Annotated[str, Field(min_length=1, max_length=64)]
    protocol: Literal["modbus"] = "modbus"
    vendor: str | None = None
    model: str | None = None
    description: str | None = None
    points: list[ModbusPoint]

    def point(self, name: str) -> ModbusPoint:
        for point in self.points:
            if point.name == name:
                return point
        raise KeyError(f"profile {self.id!r} has no point {name!r}")

    @property
    def point_names(self) -> frozenset[str]:
        return frozenset(point.name for point in self.points)


def _protocol_of(data: object) -> str:
    """Profiles written before OPC UA existed have no ``protocol``: they are Modbus."""
    if isinstance(data, dict):
        return str(data.get("protocol", "modbus"))
    return str(getattr(data, "protocol", "modbus"))


Profile = Annotated[
    Annotated[ModbusProfile, Tag("modbus")] | Annotated[OpcUaProfile, Tag("opcua")],
    Discriminator(_protocol_of),
]
"""Any device profile, told apart by its ``protocol`` field (default ``modbus``)."""

_PROFILE_ADAPTER: TypeAdapter[ModbusProfile | OpcUaProfile] = TypeAdapter(Profile)


def parse_profile(data: object) -> ModbusProfile | OpcUaProfile:
    """Validate one profile document (already parsed from YAML) of any protocol.

    Raises ``pydantic.ValidationError`` naming the field at fault.
    """
    return _PROFILE_ADAPTER.validate_python(data)
