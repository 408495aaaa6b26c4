"""Modbus TCP: door controllers and other register-mapped devices.

The package is shaped like every protocol package:

* :mod:`.client` - the connection (:class:`ModbusConnection`), the only module that
  touches pymodbus;
* :mod:`.codec` - registers and bits to values and back;
* :mod:`.errors` - the Modbus part of the driver error tree;
* :mod:`.plan` - which read requests cover a profile;
* :mod:`.driver` - :class:`ModbusDriver`, the ``DeviceDriver`` the poller runs.
"""

from drivers.modbus.client import ModbusConnection
from drivers.modbus.codec import (
    decode_registers,
    encode_bit,
    encode_point,
    encode_registers,
    point_decoder,
    register_decoder,
)
from drivers.modbus.driver import ModbusDriver, create_driver
from drivers.modbus.errors import ModbusExceptionError, exception_name
from drivers.modbus.plan import PlanLimits, ReadBlock, plan_reads

__all__ = [
    "ModbusConnection",
    "ModbusDriver",
    "ModbusExceptionError",
    "PlanLimits",
    "ReadBlock",
    "create_driver",
    "decode_registers",
    "encode_bit",
    "encode_point",
    "encode_registers",
    "exception_name",
    "plan_reads",
    "point_decoder",
    "register_decoder",
]
