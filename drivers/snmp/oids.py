"""Numeric object identifiers the SNMP driver reads, by their MIB names.

The driver never loads MIB modules: IF-MIB and LLDP-MIB are not bundled with
pysnmp and resolving names costs time on every response. Columns are given
without the instance suffix (the table index), scalars with their ``.0``.
"""

from __future__ import annotations

Oid = tuple[int, ...]


def parse_oid(text: str) -> Oid:
    """Turn ``"1.3.6.1.2.1.1.3.0"`` (a leading dot is allowed) into a tuple.

    Raises ``ValueError`` on anything that is not dotted non-negative integers.
    """
    parts = text.strip().lstrip(".").split(".")
    try:
        oid = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"not a numeric OID: {text!r}") from None
    if not oid or any(arc < 0 for arc in oid):
        raise ValueError(f"not a numeric OID: {text!r}")
    return oid


def format_oid(oid: Oid) -> str:
    """The dotted form of ``oid``, without a leading dot."""
    return ".".join(str(arc) for arc in oid)


# SNMPv2-MIB system group (scalars).
SYS_DESCR: Oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_CONTACT: Oid = (1, 3, 6, 1, 2, 1, 1, 4, 0)
SYS_NAME: Oid = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYS_LOCATION: Oid = (1, 3, 6, 1, 2, 1, 1, 6, 0)

# IF-MIB ifTable columns (index: ifIndex).
IF_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_INDEX: Oid = (*IF_ENTRY, 1)
IF_DESCR: Oid = (*IF_ENTRY, 2)
IF_TYPE: Oid = (*IF_ENTRY, 3)
IF_MTU: Oid = (*IF_ENTRY, 4)
IF_SPEED: Oid = (*IF_ENTRY, 5)
IF_PHYS_ADDRESS: Oid = (*IF_ENTRY, 6)
IF_ADMIN_STATUS: Oid = (*IF_ENTRY, 7)
IF_OPER_STATUS: Oid = (*IF_ENTRY, 8)
IF_LAST_CHANGE: Oid = (*IF_ENTRY, 9)
IF_IN_OCTETS: Oid = (*IF_ENTRY, 10)
IF_IN_UCAST_PKTS: Oid = (*IF_ENTRY, 11)
IF_IN_DISCARDS: Oid = (*IF_ENTRY, 13)
IF_IN_ERRORS: Oid = (*IF_ENTRY, 14)
IF_OUT_OCTETS: Oid = (*IF_ENTRY, 16)
IF_OUT_UCAST_PKTS: Oid = (*IF_ENTRY, 17)
IF_OUT_DISCARDS: Oid = (*IF_ENTRY, 19)
IF_OUT_ERRORS: Oid = (*IF_ENTRY, 20)

# IF-MIB ifXTable columns (index: ifIndex).
IFX_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IF_NAME: Oid = (*IFX_ENTRY, 1)
IF_HC_IN_OCTETS: Oid = (*IFX_ENTRY, 6)
IF_HC_IN_UCAST_PKTS: Oid = (*IFX_ENTRY, 7)
IF_HC_OUT_OCTETS: Oid = (*IFX_ENTRY, 10)
IF_HC_OUT_UCAST_PKTS: Oid = (*IFX_ENTRY, 11)
IF_HIGH_SPEED: Oid = (*IFX_ENTRY, 15)
IF_ALIAS: Oid = (*IFX_ENTRY, 18)

# SNMPv2-MIB notifications (RFC 3418) and the varbinds every v2 trap carries.
SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
COLD_START: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
WARM_START: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 2)
LINK_DOWN: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)

# LLDP-MIB (IEEE 802.1AB-2005).
LLDP_LOC_CHASSIS_ID: Oid = (1, 0, 8802, 1, 1, 2, 1, 3, 2, 0)
LLDP_LOC_SYS_NAME: Oid = (1, 0, 8802, 1, 1, 2, 1, 3, 3, 0)
LLDP_LOC_PORT_ENTRY: Oid = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LLDP_LOC_PORT_ID_SUBTYPE: Oid = (*LLDP_LOC_PORT_ENTRY, 2)
LLDP_LOC_PORT_ID: Oid = (*LLDP_LOC_PORT_ENTRY, 3)
LLDP_LOC_PORT_DESC: Oid = (*LLDP_LOC_PORT_ENTRY, 4)
# lldpRemTable, index: lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex.
LLDP_REM_ENTRY: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
LLDP_REM_CHASSIS_ID_SUBTYPE: Oid = (*LLDP_REM_ENTRY, 4)
LLDP_REM_CHASSIS_ID: Oid = (*LLDP_REM_ENTRY, 5)
LLDP_REM_PORT_ID_SUBTYPE: Oid = (*LLDP_REM_ENTRY, 6)
LLDP_REM_PORT_ID: Oid = (*LLDP_REM_ENTRY, 7)
LLDP_REM_PORT_DESC: Oid = (*LLDP_REM_ENTRY, 8)
LLDP_REM_SYS_NAME: Oid = (*LLDP_REM_ENTRY, 9)

# CISCO-CDP-MIB cdpCacheTable, index: cdpCacheIfIndex, cdpCacheDeviceIndex.
CDP_CACHE_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1)
CDP_CACHE_DEVICE_ID: Oid = (*CDP_CACHE_ENTRY, 6)
CDP_CACHE_DEVICE_PORT: Oid = (*CDP_CACHE_ENTRY, 7)

# BRIDGE-MIB: bridge port to ifIndex, and the learned forwarding table
# (dot1dTpFdbTable, index: the six bytes of the MAC address).
DOT1D_BASE_PORT_IF_INDEX: Oid = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)
DOT1D_TP_FDB_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
DOT1D_TP_FDB_STATUS: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 3)
# Q-BRIDGE-MIB dot1qTpFdbTable, index: dot1qFdbId then the six MAC bytes.
DOT1Q_TP_FDB_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 2)

# ifOperStatus / ifAdminStatus values (RFC 2863), as the words samples carry.
OPER_STATUS: dict[int, str] = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "not_present",
    7: "lower_layer_down",
}
ADMIN_STATUS: dict[int, str] = {1: "up", 2: "down", 3: "testing"}
