"""The network part of the site file: SNMP settings, MAC addresses and links.

All of it is optional, so site files without a network section stay valid::

    network:
      platform: SRV-WARDEN            # the device the platform runs on
    devices:
      - id: SW-A
        kind: switch
        protocol: snmp
        endpoint: {host: 10.0.1.2, port: 161}
        snmp:
          version: v3
          user: warden
          auth_protocol: sha
          auth_key_env: WARDEN_SNMP_AUTH_KEY   # the secret stays out of the file
          priv_protocol: aes
          priv_key_env: WARDEN_SNMP_PRIV_KEY
      - id: DC-A1
        mac: 00:1a:2b:3c:4d:5e         # lets discovery find it in forwarding tables
        ...
    links:
      - {a: SW-CORE/Gi1/0/1, b: SW-A/Gi1/0/48}   # an uplink
      - {a: SW-A/Gi1/0/5, b: DC-A1}              # an end device's only port

A link joins two device ports, written ``DEVICE/PORT``; a device with a single
network port may leave the port out. Port names are the switch's interface
names (ifName), the same ones its samples use. Links have no direction: the
way to the platform is worked out from ``network.platform`` (see
:mod:`topology.paths`).

Whole-file rules (devices exist, a port is used once, the platform is a device)
are checked with line numbers by :mod:`topology._network_rules`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_MAC = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def normalise_mac(value: str) -> str:
    """A MAC address in any usual spelling as ``00:1a:2b:3c:4d:5e``.

    Accepts colons, dashes, Cisco dots (``001a.2b3c.4d5e``) or bare hex.

    Raises ``ValueError`` for anything that is not six bytes in hex.
    """
    text = value.strip().lower().replace(".", "")
    if not _MAC.match(text) and not re.fullmatch(r"[0-9a-f]{12}", text):
        raise ValueError(
            f"expected a MAC address like 00:1a:2b:3c:4d:5e, got {value!r}"
        )
    digits = re.sub(r"[^0-9a-f]", "", text)
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


MacAddress = Annotated[str, AfterValidator(normalise_mac)]
EnvName = Annotated[str, Field(pattern=_ENV_NAME, max_length=128)]
AuthProtocol = Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"]
PrivProtocol = Literal["des", "3des", "aes", "aes192", "aes256"]


class SnmpSettings(_Strict):
    """How to reach a device's SNMP agent.

    v2c needs ``community_env`` (the environment variable holding the community)
    or, for labs and simulators only, ``community`` itself. v3 needs ``user``;
    ``auth_protocol`` needs ``auth_key_env`` and ``priv_protocol`` needs
    ``priv_key_env`` and authentication. ``retries`` are extra attempts after a
    silent one (each waits the device's ``timeout_s``); ``max_repetitions`` the
    rows asked for per column in each GETBULK.
    """

    version: Literal["v2c", "v3"] = "v2c"
    community: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    community_env: EnvName | None = None
    user: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key_env: EnvName | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key_env: EnvName | None = None
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    max_repetitions: Annotated[int, Field(ge=1, le=200)] = 20

    @model_validator(mode="after")
    def _check(self) -> SnmpSettings:
        if self.version == "v2c":
            if (self.community is None) == (self.community_env is None):
                raise ValueError(
                    "SNMP v2c needs exactly one of community_env (the environment "
                    "variable holding the community) or community"
                )
            if self.user or self.auth_protocol or self.priv_protocol:
                raise ValueError("user, auth_* and priv_* are SNMPv3 settings")
            return self
        if self.community is not None or self.community_env is not None:
            raise ValueError("SNMPv3 uses a user, not a community")
        if self.user is None:
            raise ValueError("SNMPv3 needs a user")
        if (self.auth_protocol is None) != (self.auth_key_env is None):
            raise ValueError("auth_protocol and auth_key_env go together")
        if (self.priv_protocol is None) != (self.priv_key_env is None):
            raise ValueError("priv_protocol and priv_key_env go together")
        if self.priv_protocol is not None and self.auth_protocol is None:
            raise ValueError("SNMPv3 privacy needs authentication (auth_protocol)")
        return self


class PortRef(_Strict):
    """One end of a link: a device and, unless it has only one, its port."""

    device: Annotated[str, Field(pattern=_IDENTIFIER, max_length=64)]
    port: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    def __str__(self) -> str:
        return self.device if self.port is None else f"{self.device}/{self.port}"


def _parse_port_ref(value: object) -> object:
    """Accept ``"DEV/PORT"`` (the port may hold more slashes) or ``"DEV"``."""
    if isinstance(value, str):
        device, sep, port = value.strip().partition("/")
        if not device or (sep and not port):
            raise ValueError(f"expected DEVICE or DEVICE/PORT, got {value!r}")
        return {"device": device, "port": port or None}
    return value


class Link(_Strict):
    """A cable (or a fixed connection) between two device ports."""

    a: PortRef
    b: PortRef
    name: str | None = None

    _parse = field_validator("a", "b", mode="before")(_parse_port_ref)

    @model_validator(mode="after")
    def _check(self) -> Link:
        if self.a.device == self.b.device:
            raise ValueError(
                f"a link must join two devices, not {self.a.device} to itself"
            )
        return self

    def __str__(self) -> str:
        return f"{self.a} - {self.b}"


class NetworkSettings(_Strict):
    """Site-wide network facts. ``platform`` is the device the platform itself
    runs on (or the switch it hangs off); paths to devices start there.

    The platform receives SNMP traps on UDP ``trap_host:trap_port`` (the
    switches send theirs there); ``trap_port: null`` turns trap reception off.
    The default port is unprivileged so the platform need not run as root.
    """

    platform: Annotated[str, Field(pattern=_IDENTIFIER, max_length=64)]
    trap_host: Annotated[str, Field(min_length=1, max_length=255)] = "127.0.0.1"
    trap_port: Annotated[int, Field(ge=0, le=65535)] | None = 10162
