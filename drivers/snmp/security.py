"""SNMP credentials: a v2c community or an SNMPv3 user with its keys.

Secrets never appear in ``repr`` (they would end up in logs). Site files name
environment variables holding the secrets; :func:`credentials_from_settings`
reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData, auth

from drivers.snmp.errors import SnmpConfigError
from topology.site import Device

AUTH_PROTOCOLS: dict[str, Any] = {
    "md5": auth.USM_AUTH_HMAC96_MD5,
    "sha": auth.USM_AUTH_HMAC96_SHA,
    "sha224": auth.USM_AUTH_HMAC128_SHA224,
    "sha256": auth.USM_AUTH_HMAC192_SHA256,
    "sha384": auth.USM_AUTH_HMAC256_SHA384,
    "sha512": auth.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS: dict[str, Any] = {
    "des": auth.USM_PRIV_CBC56_DES,
    "3des": auth.USM_PRIV_CBC168_3DES,
    "aes": auth.USM_PRIV_CFB128_AES,
    "aes192": auth.USM_PRIV_CFB192_AES,
    "aes256": auth.USM_PRIV_CFB256_AES,
}
MIN_KEY_LENGTH = 8
"""RFC 3414 (section 11.2) requires pass phrases of at least eight characters."""


@dataclass(frozen=True)
class SnmpCredentials:
    """How to talk to an agent. Build with :meth:`v2c` or :meth:`v3`.

    ``auth_protocol`` is one of ``md5 sha sha224 sha256 sha384 sha512`` and
    ``priv_protocol`` one of ``des 3des aes aes192 aes256``; ``None`` means
    none (noAuthNoPriv, authNoPriv). Raises :class:`SnmpConfigError` for an
    unknown protocol, a key shorter than 8 characters or privacy without
    authentication.
    """

    version: Literal["v2c", "v3"] = "v2c"
    community: str = field(default="public", repr=False)
    user: str = ""
    auth_protocol: str | None = None
    auth_key: str | None = field(default=None, repr=False)
    priv_protocol: str | None = None
    priv_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.version == "v2c":
            if not self.community:
                raise SnmpConfigError("an SNMP v2c community must not be empty")
            return
        if not self.user:
            raise SnmpConfigError("an SNMPv3 user name is required")
        if self.auth_protocol is not None:
            if self.auth_protocol not in AUTH_PROTOCOLS:
                raise SnmpConfigError(
                    f"unknown SNMPv3 auth protocol {self.auth_protocol!r}; "
                    f"use one of {', '.join(AUTH_PROTOCOLS)}"
                )
            _check_key("auth", self.auth_key)
        if self.priv_protocol is not None:
            if self.auth_protocol is None:
                raise SnmpConfigError("SNMPv3 privacy needs authentication too")
            if self.priv_protocol not in PRIV_PROTOCOLS:
                raise SnmpConfigError(
                    f"unknown SNMPv3 priv protocol {self.priv_protocol!r}; "
                    f"use one of {', '.join(PRIV_PROTOCOLS)}"
                )
            _check_key("priv", self.priv_key)

    @classmethod
    def v2c(cls, community: str) -> SnmpCredentials:
        return cls(version="v2c", community=community)

    @classmethod
    def v3(
        cls,
        user: str,
        *,
        auth_protocol: str | None = None,
        auth_key: str | None = None,
        priv_protocol: str | None = None,
        priv_key: str | None = None,
    ) -> SnmpCredentials:
        return cls(
            version="v3",
            user=user,
            auth_protocol=auth_protocol,
            auth_key=auth_key,
            priv_protocol=priv_protocol,
            priv_key=priv_key,
        )

    @property
    def security_level(self) -> str:
        """``noAuthNoPriv``, ``authNoPriv`` or ``authPriv`` (v3 only)."""
        if self.auth_protocol is None:
            return "noAuthNoPriv"
        return "authPriv" if self.priv_protocol is not None else "authNoPriv"

    def pysnmp_auth(self) -> CommunityData | UsmUserData:
        """The pysnmp object for these credentials (used by the client only)."""
        if self.version == "v2c":
            return CommunityData(self.community, mpModel=1)
        return UsmUserData(
            self.user,
            authKey=self.auth_key if self.auth_protocol else None,
            privKey=self.priv_key if self.priv_protocol else None,
            authProtocol=AUTH_PROTOCOLS[self.auth_protocol]
            if self.auth_protocol
            else auth.USM_AUTH_NONE,
            privProtocol=PRIV_PROTOCOLS[self.priv_protocol]
            if self.priv_protocol
            else auth.USM_PRIV_NONE,
        )


def _check_key(kind: str, key: str | None) -> None:
    if key is None or len(key) < MIN_KEY_LENGTH:
        raise SnmpConfigError(
            f"the SNMPv3 {kind} key must have at least {MIN_KEY_LENGTH} characters"
        )


def read_secret(variable: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of environment variable ``variable``.

    Raises :class:`SnmpConfigError` naming the variable (never its value) when
    it is unset or empty.
    """
    env = os.environ if environ is None else environ
    value = env.get(variable, "")
    if not value:
        raise SnmpConfigError(f"environment variable {variable} is not set")
    return value


def credentials_for(
    device: Device, environ: Mapping[str, str] | None = None
) -> SnmpCredentials:
    """The credentials a device's ``snmp`` settings describe, secrets read from
    the environment variables they name (``environ`` defaults to the process's).

    Raises :class:`SnmpConfigError` when the device has no ``snmp`` settings or
    a named variable is unset.
    """
    settings = device.snmp
    if settings is None:
        raise SnmpConfigError(f"device {device.id} has no snmp settings")
    if settings.version == "v2c":
        community = settings.community
        if community is None:
            assert settings.community_env is not None  # checked by SnmpSettings
            community = read_secret(settings.community_env, environ)
        return SnmpCredentials.v2c(community)

    assert settings.user is not None  # checked by SnmpSettings
    auth_key = priv_key = None
    if settings.auth_key_env is not None:
        auth_key = read_secret(settings.auth_key_env, environ)
    if settings.priv_key_env is not None:
        priv_key = read_secret(settings.priv_key_env, environ)
    return SnmpCredentials.v3(
        settings.user,
        auth_protocol=settings.auth_protocol,
        auth_key=auth_key,
        priv_protocol=settings.priv_protocol,
        priv_key=priv_key,
    )
