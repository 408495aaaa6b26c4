"""The register map of one simulated Modbus device: which world state each
address shows and what a write to it does.

Built from the device's profile and the site's door bindings. A point bound to a
door input (``locked``, ``closed``, ``tamper``, ``request_to_exit``) reads the
world, honouring ``invert``; a point that is some door's ``lock`` reads the lock
relay and drives it when written; any other point reads the device's value in the
world, or a plausible default guessed from its name (:mod:`simulators.defaults`),
and stores what is written to it (when the profile says it is writable).

The map works on pymodbus's register memory in place: bit tables hold 16 bits per
register, bit 0 of a register being its lowest address. A table is recomputed on
the first read after the world changed for this device (it listens for changes of
its own doors and device); points that move with time (uptime) on every read. A
value a point cannot hold (a float beyond float32, NaN for an integer) makes
:meth:`RegisterMap.refresh` raise ``ValueError`` until the value is changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from simulators.defaults import changes_with_time, default_value
from simulators.encoding import decode_value, encode_value
from simulators.errors import SimulatorError
from simulators.world import DeviceState, DoorState, PointValue, World, WorldChange
from topology.profile import ModbusPoint, ModbusProfile, ModbusTable
from topology.site import Door, PointRef

ILLEGAL_DATA_ADDRESS = 0x02

Getter = Callable[[float, DeviceState], PointValue]


def _door_getter(
    doors: Mapping[str, DoorState], door_id: str, attribute: str, invert: bool
) -> Getter:
    """A reader of one door input from the world's live door states."""

    def read_attribute(_now: float, _device: DeviceState) -> bool:
        value: bool = getattr(doors[door_id], attribute)
        return value != invert

    def read_closed(_now: float, _device: DeviceState) -> bool:
        return (not doors[door_id].open) != invert

    return read_closed if attribute == "closed" else read_attribute


def _device_getter(point: ModbusPoint) -> Getter:
    name = point.name

    def read(now: float, device: DeviceState) -> PointValue:
        value = device.values.get(name)
        if value is not None:
            return value
        started = device.started_at
        return default_value(point, now - started if started is not None else 0.0)

    return read


@dataclass(slots=True)
class _Slot:
    """One point's place in its table and how to fill it."""

    point: ModbusPoint
    get: Getter
    door_bound: bool = False
    lock_door: str | None = None
    lock_invert: bool = False
    cached_value: PointValue | None = None
    cached_registers: list[int] = field(default_factory=list)
    count: int = 0  # registers (or bits) the point spans, kept off the hot path

    def __post_init__(self) -> None:
        self.count = self.point.count

    def registers_for(self, value: PointValue) -> list[int]:
        if value != self.cached_value or type(value) is not type(self.cached_value):
            self.cached_registers = encode_value(self.point, float(value))
            self.cached_value = value
        return self.cached_registers


@dataclass(frozen=True, slots=True)
class TableSpan:
    """The addresses a table answers for: ``first`` up to (not including) ``end``."""

    first: int
    end: int


class RegisterMap:
    """What each address of one device shows, computed from the world.

    Raises :class:`SimulatorError` when a door binds a point the profile lacks.
    """

    def __init__(
        self,
        device_id: str,
        profile: ModbusProfile,
        doors: Iterable[Door],
        world: World,
    ) -> None:
        self.device_id = device_id
        self.profile = profile
        self._world = world
        self._devices = world.devices  # a live view, kept to skip a look-up
        self._slots: dict[ModbusTable, list[_Slot]] = {
            table: [] for table in ModbusTable
        }
        self._by_address: dict[ModbusTable, dict[int, _Slot]] = {
            table: {} for table in ModbusTable
        }

        self._volatile: dict[ModbusTable, list[_Slot]] = {
            table: [] for table in ModbusTable
        }
        self._stale = dict.fromkeys(ModbusTable, True)

        doors = list(doors)
        reads, locks = self._bindings(doors)
        for point in profile.points:
            getter = reads.get(point.name)
            slot = _Slot(point, getter or _device_getter(point), getter is not None)
            if point.name in locks:
                slot.lock_door, slot.lock_invert = locks[point.name]
            self._slots[point.table].append(slot)
            if getter is None and changes_with_time(point):
                self._volatile[point.table].append(slot)
            for address in range(point.address, point.end):
                self._by_address[point.table][address] = slot
        for slots in self._slots.values():
            slots.sort(key=lambda slot: slot.point.address)

        # Memory is rewritten only after something this device shows changed.
        world.add_listener(self._on_change, {device_id, *(door.id for door in doors)})

    def _on_change(self, _change: WorldChange) -> None:
        self.invalidate()

    def invalidate(self) -> None:
        """Recompute every table on its next read (for example after the
        device's memory was rebuilt by a restart)."""
        for table in self._stale:
            self._stale[table] = True

    def _bindings(
        self, doors: Iterable[Door]
    ) -> tuple[dict[str, Getter], dict[str, tuple[str, bool]]]:
        live = self._world.doors
        reads: dict[str, Getter] = {}
        locks: dict[str, tuple[str, bool]] = {}
        names = self.profile.point_names

        def check(door: Door, role: str, ref: PointRef) -> bool:
            if ref.device != self.device_id:
                return False
            if ref.point not in names:
                raise SimulatorError(
                    f"door {door.id!r} binds {role} to {ref}, but profile "
                    f"{self.profile.id!r} has no point {ref.point!r}"
                )
            return True

        for door in doors:
            for attribute, ref in door.bindings.refs().items():
                if check(door, attribute, ref) and ref.point not in reads:
                    reads[ref.point] = _door_getter(
                        live, door.id, attribute, ref.invert
                    )
            if door.lock is not None and check(door, "lock", door.lock):
                locks[door.lock.point] = (door.id, door.lock.invert)
                reads.setdefault(
                    door.lock.point,
                    _door_getter(live, door.id, "locked", door.lock.invert),
                )
        return reads, locks

    def span(self, table: ModbusTable) -> TableSpan | None:
        """The address range that covers every point of ``table`` (gaps between
        points included, so a read across them works), or ``None`` if empty."""
        slots = self._slots[table]
        if not slots:
            return None
        return TableSpan(
            min(slot.point.address for slot in slots),
            max(slot.point.end for slot in slots),
        )

    def refresh(
        self,
        table: ModbusTable,
        first: int,
        end: int,
        block_start: int,
        registers: list[int],
    ) -> None:
        """Bring ``registers`` up to date before a read of addresses ``first`` to
        ``end`` (exclusive) of ``table``.

        ``registers`` is the table's memory starting at register ``block_start``;
        for bit tables that is a register index, 16 bits to a register. The whole
        table is recomputed after the world changed for this device; otherwise
        only points that change with time (uptime) in the range are. Raises
        ``ValueError`` when a point's value does not fit its data type.
        """
        if self._stale[table]:
            self._fill(table, self._slots[table], block_start, registers)
            self._stale[table] = False
        elif self._volatile[table]:
            slots = [
                slot
                for slot in self._volatile[table]
                if slot.point.end > first and slot.point.address < end
            ]
            self._fill(table, slots, block_start, registers)

    def _fill(
        self,
        table: ModbusTable,
        slots: list[_Slot],
        block_start: int,
        registers: list[int],
    ) -> None:
        device = self._devices[self.device_id]
        now = time.time()
        if table.is_bit:
            base = block_start * 16
            for slot in slots:
                index, bit = divmod(slot.point.address - base, 16)
                if slot.get(now, device):
                    registers[index] |= 1 << bit
                else:
                    registers[index] &= ~(1 << bit)
            return
        for slot in slots:
            offset = slot.point.address - block_start
            registers[offset : offset + slot.count] = slot.registers_for(
                slot.get(now, device)
            )

    def write(
        self,
        table: ModbusTable,
        address: int,
        values: list[bool] | list[int],
        block_start: int,
        registers: list[int],
    ) -> int | None:
        """Apply a protocol write of ``values`` from ``address`` to the world.

        Returns a Modbus exception code (0x02) and changes nothing when any
        address written belongs to a point the profile marks read-only. Addresses
        that no point covers accept the write and only keep it in memory.
        """
        index = self._by_address[table]
        touched: list[_Slot] = []
        for address_written in range(address, address + len(values)):
            slot = index.get(address_written)
            if slot is None or (touched and touched[-1] is slot):
                continue
            if not slot.point.writable:
                return ILLEGAL_DATA_ADDRESS
            touched.append(slot)

        for slot in touched:
            if table.is_bit:
                new_value: PointValue = bool(values[slot.point.address - address])
            else:
                new_value = self._merged_value(
                    slot, address, values, block_start, registers
                )
            self._apply(slot, new_value)
        # pymodbus stores the written values next; the next read puts back what
        # the world says (a written door input keeps showing the door).
        self._stale[table] = True
        return None

    def _merged_value(
        self,
        slot: _Slot,
        address: int,
        values: list[bool] | list[int],
        block_start: int,
        registers: list[int],
    ) -> PointValue:
        # A write may cover only part of a 32-bit point: merge it over the
        # point's current registers before decoding.
        point = slot.point
        self._fill(point.table, [slot], block_start, registers)
        offset = point.address - block_start
        merged = list(registers[offset : offset + point.count])
        for i in range(point.count):
            written = point.address + i - address
            if 0 <= written < len(values):
                merged[i] = int(values[written])
        return decode_value(point, merged)

    def _apply(self, slot: _Slot, value: PointValue) -> None:
        if slot.lock_door is not None:
            self._world.set_relay(slot.lock_door, bool(value) != slot.lock_invert)
        elif not slot.door_bound:
            self._world.set_point_value(self.device_id, slot.point.name, value)
        # A door input written over the protocol keeps showing the world.
