"""Site-file settings particular to OPC UA endpoints: URL and security.

A device endpoint may be written as ``url: opc.tcp://127.0.0.1:4840/perimeter``
instead of ``host`` and ``port``; ``security`` says how to open the secure channel
and who to log in as. Passwords are never written in the site file: it names the
environment variable holding one (``password_env``). Certificate and key paths are
relative to the site file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SecurityPolicy(StrEnum):
    """OPC UA security policies the platform speaks, by their short spec names."""

    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"


class SecurityMode(StrEnum):
    """Message security mode of a secure channel (only with a policy other than
    ``None``)."""

    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"


class OpcUaSecurity(BaseModel):
    """How to secure and authenticate an OPC UA session.

    ``certificate`` and ``private_key`` are this platform's application instance
    certificate (DER or PEM) and key, required with any policy but ``None``.
    ``application_uri`` must equal the URI in that certificate's subject
    alternative name. ``mode`` defaults to ``SignAndEncrypt``.
    ``server_certificate`` pins the server's certificate; when unset, the
    certificate the server presents in its endpoints is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: SecurityPolicy = SecurityPolicy.NONE
    mode: SecurityMode | None = None
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    password_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = (
        None
    )
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None
    application_uri: str = "urn:warden:client"

    @model_validator(mode="after")
    def _check(self) -> OpcUaSecurity:
        if self.policy is SecurityPolicy.NONE:
            if self.mode is not None:
                raise ValueError("mode needs a security policy other than None")
        elif self.certificate is None or self.private_key is None:
            raise ValueError(
                f"policy {self.policy} needs a client certificate and private_key"
            )
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        return self

    @property
    def channel_mode(self) -> SecurityMode | None:
        """The mode in force: ``SignAndEncrypt`` unless told otherwise, ``None``
        without a policy."""
        if self.policy is SecurityPolicy.NONE:
            return None
        return self.mode or SecurityMode.SIGN_AND_ENCRYPT


@dataclass(frozen=True, slots=True)
class OpcUaUrl:
    host: str
    port: int
    path: str


def parse_opcua_url(url: str) -> OpcUaUrl:
    """Split ``opc.tcp://HOST:PORT/PATH``; the port defaults to 4840.

    Raises ``ValueError`` for another scheme, a missing host or a bad port, and for
    user information in the URL (credentials belong in ``security``).
    """
    parts = urlsplit(url.strip())
    if parts.scheme != "opc.tcp":
        raise ValueError(f"an OPC UA URL starts with opc.tcp://, got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "put credentials in security.username/password_env, not the URL"
        )
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    try:
        port = parts.port if parts.port is not None else 4840
    except ValueError:
        raise ValueError(f"bad port in {url!r}") from None
    return OpcUaUrl(parts.hostname, port, parts.path)
