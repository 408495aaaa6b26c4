"""SNMP: switches and any agent with IF-MIB, polled and listened to.

The package is shaped like every protocol package:

* :mod:`.client` - requests to one agent (:class:`SnmpClient`), the only module
  that sends pysnmp requests; :class:`SnmpEngines` shares sockets between clients;
* :mod:`.codec` - SNMP values to Python values and readable text;
* :mod:`.errors` - the SNMP part of the driver error tree;
* :mod:`.counters` - rates across counter wraps, restarts told from uptime wraps;
* :mod:`.interfaces` - interfaces by name and their points (the naming is there);
* :mod:`.security` - v2c communities and SNMPv3 users, secrets from the environment;
* :mod:`.driver` - :class:`SnmpDriver`, the ``DeviceDriver`` the poller runs;
* :mod:`.traps` - :class:`TrapReceiver`, link and restart traps as samples;
* :mod:`.listen` - a site's trap receiver beside its pollers;
* :mod:`.discovery` - neighbours (LLDP, CDP, forwarding tables) against the site.
"""

from drivers.snmp.client import SnmpClient, SnmpEngines
from drivers.snmp.codec import Absent, decode_value, render_hex, render_octets
from drivers.snmp.counters import CounterRates, counter_delta, uptime_restarted
from drivers.snmp.driver import SnmpDriver, create_driver
from drivers.snmp.errors import (
    OidNotIncreasingError,
    SnmpConfigError,
    SnmpErrorStatus,
    SnmpSecurityError,
)
from drivers.snmp.security import SnmpCredentials, credentials_for
from drivers.snmp.traps import TrapEvent, TrapReceiver

__all__ = [
    "Absent",
    "CounterRates",
    "OidNotIncreasingError",
    "SnmpClient",
    "SnmpConfigError",
    "SnmpCredentials",
    "SnmpDriver",
    "SnmpEngines",
    "SnmpErrorStatus",
    "SnmpSecurityError",
    "TrapEvent",
    "TrapReceiver",
    "counter_delta",
    "create_driver",
    "credentials_for",
    "decode_value",
    "render_hex",
    "render_octets",
    "uptime_restarted",
]
