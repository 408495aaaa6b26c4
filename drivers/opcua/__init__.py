"""OPC UA: perimeter processors and other servers with subscriptions.

The package is shaped like every protocol package:

* :mod:`.client` - the session (:class:`OpcUaClient`), the only module that
  touches asyncua's client;
* :mod:`.codec` - node addresses to node ids, data values to samples and values
  to variants;
* :mod:`.errors` - asyncua's exceptions sorted into the driver error tree;
* :mod:`.session` - :class:`SessionReader`, the work on one open session:
  resolving nodes, subscribing, polling what cannot be subscribed;
* :mod:`.driver` - :class:`OpcUaDriver`, the ``StreamingDriver`` that keeps one
  session per server, publishes samples and health and reconnects.
"""

from drivers.opcua.client import MonitoredItem, OpcUaClient
from drivers.opcua.codec import decode_value, encode_value, node_id, to_sample
from drivers.opcua.driver import OpcUaDriver, create_driver
from drivers.opcua.errors import status_name, translate
from drivers.opcua.session import SessionReader

__all__ = [
    "MonitoredItem",
    "OpcUaClient",
    "OpcUaDriver",
    "SessionReader",
    "create_driver",
    "decode_value",
    "encode_value",
    "node_id",
    "status_name",
    "to_sample",
    "translate",
]
