"""Building the asyncua server of a simulated perimeter processor.

:func:`build_server` makes the server, registers the namespaces in the order
asked, applies the security settings and creates one variable per profile point.
Variables are placed in folders of at most 100, because asyncua adds a child in
time linear in its siblings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.common.node import Node
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.status_codes import StatusCodes
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from topology.profile_opcua import (
    IdentifierKind,
    OpcUaDataType,
    OpcUaPoint,
    OpcUaProfile,
)

_FOLDER_SIZE = 100
SIGNAL_BASELINE = 8.0
"""Signal level (percent) of a quiet fence."""
VARIANT_OF: dict[OpcUaDataType, ua.VariantType] = {
    OpcUaDataType.BOOL: ua.VariantType.Boolean,
    OpcUaDataType.INT16: ua.VariantType.Int16,
    OpcUaDataType.UINT16: ua.VariantType.UInt16,
    OpcUaDataType.INT32: ua.VariantType.Int32,
    OpcUaDataType.UINT32: ua.VariantType.UInt32,
    OpcUaDataType.INT64: ua.VariantType.Int64,
    OpcUaDataType.UINT64: ua.VariantType.UInt64,
    OpcUaDataType.FLOAT32: ua.VariantType.Float,
    OpcUaDataType.FLOAT64: ua.VariantType.Double,
    OpcUaDataType.STRING: ua.VariantType.String,
}


@dataclass(frozen=True)
class SimulatorSecurity:
    """Require Basic256Sha256 with SignAndEncrypt (and Sign when ``allow_sign``)
    and this user name and password; anonymous login is refused.

    Without ``certificate``/``private_key`` a self-signed server certificate is
    made at start. With ``trusted_clients`` only those client certificates (DER
    or PEM files) are accepted; without, any.
    """

    username: str
    password: str
    certificate: Path | None = None
    private_key: Path | None = None
    trusted_clients: Sequence[Path] | None = None
    allow_sign: bool = False


class _Users(UserManager):
    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username == self._username and password == self._password:
            return User(role=UserRole.User, name=username)
        return None


async def build_server(
    device_id: str,
    profile: OpcUaProfile,
    roles: Mapping[str, str],
    *,
    url: str,
    application_uri: str,
    namespaces: Sequence[str],
    security: SimulatorSecurity | None,
    subscriptions: bool,
) -> tuple[Server, dict[str, ua.NodeId], dict[str, Any]]:
    """A server (initialised, not started) for ``profile`` at ``url``.

    ``roles`` names the segment role (``alarm``, ``signal``, ``health``...) of
    points whose initial value depends on it; ``security`` must carry certificate
    paths. Returns the server, each point's node id and each created variable's
    initial value. Takes about two seconds (the standard address space).
    """
    users = _Users(security.username, security.password) if security else None
    server = Server(user_manager=users)
    await server.init()
    server.set_endpoint(url)
    server.set_server_name(f"Perimeter processor {device_id}")
    await server.set_application_uri(application_uri)
    if not subscriptions:
        server.iserver.max_subscriptions = 0
    await _secure(server, security)
    indexes = {uri: await server.register_namespace(uri) for uri in namespaces}
    own = indexes[(profile.namespace_uris or list(namespaces))[0]]
    root = await server.nodes.objects.add_folder(
        _node_id(IdentifierKind.STRING, device_id, own),
        ua.QualifiedName(device_id, own),
    )
    nodes, initial = await _populate(root, device_id, profile, roles, indexes)
    return server, nodes, initial


async def _secure(server: Server, security: SimulatorSecurity | None) -> None:
    if security is None:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_identity_tokens([ua.AnonymousIdentityToken])
        return
    if security.certificate is None or security.private_key is None:
        raise ValueError("a secured simulator needs its certificate and key")
    policies = [ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt]
    if security.allow_sign:
        policies.append(ua.SecurityPolicyType.Basic256Sha256_Sign)
    server.set_security_policy(policies)
    server.set_identity_tokens([ua.UserNameIdentityToken])
    await server.load_certificate(str(security.certificate))
    await server.load_private_key(str(security.private_key))
    if security.trusted_clients is not None:
        trusted = {_der(path) for path in security.trusted_clients}

        async def validate(certificate: x509.Certificate, _app: Any) -> None:
            if certificate.public_bytes(serialization.Encoding.DER) not in trusted:
                raise ServiceError(StatusCodes.BadCertificateUntrusted)

        server.set_certificate_validator(validate)


async def _populate(
    root: Node,
    device_id: str,
    profile: OpcUaProfile,
    roles: Mapping[str, str],
    indexes: Mapping[str, int],
) -> tuple[dict[str, ua.NodeId], dict[str, Any]]:
    nodes: dict[str, ua.NodeId] = {}
    initial: dict[str, Any] = {}
    folders: dict[tuple[str, int], Node] = {}
    counts: dict[str, int] = {}
    for point in profile.points:
        address = point.address
        index = indexes[address.namespace_uri] if address.namespace_uri else 0
        node_id = _node_id(address.kind, address.identifier, index)
        nodes[point.name] = node_id
        if index == 0:
            continue  # namespace 0 is the standard's: the server has the node
        group = _group_of(address.identifier)
        position = counts.get(group, 0)
        counts[group] = position + 1
        key = (group, position // _FOLDER_SIZE)
        folder = folders.get(key)
        if folder is None:
            label = group if key[1] == 0 else f"{group}_{key[1]}"
            folder = await root.add_folder(
                _node_id(IdentifierKind.STRING, f"{device_id}/{label}", index),
                ua.QualifiedName(label, index),
            )
            folders[key] = folder
        value = _initial_value(point, roles.get(point.name))
        variable = await folder.add_variable(
            node_id,
            ua.QualifiedName(point.name, index),
            ua.Variant(value, VARIANT_OF[point.data_type]),
        )
        if point.writable:
            await variable.set_writable()
        initial[point.name] = value
    return nodes, initial


def _der(path: Path) -> bytes:
    data = path.read_bytes()
    if data.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data).public_bytes(
            serialization.Encoding.DER
        )
    return data


def _node_id(kind: IdentifierKind, identifier: object, index: int) -> ua.NodeId:
    types = {
        IdentifierKind.NUMERIC: ua.NodeIdType.Numeric,
        IdentifierKind.STRING: ua.NodeIdType.String,
        IdentifierKind.GUID: ua.NodeIdType.Guid,
        IdentifierKind.OPAQUE: ua.NodeIdType.ByteString,
    }
    value: Any = identifier
    return ua.NodeId(value, ua.Int16(index), types[kind])


def _group_of(identifier: object) -> str:
    """Folder for a node: the part of a dotted string id before its last dot."""
    if isinstance(identifier, str) and "." in identifier:
        return identifier.rsplit(".", 1)[0]
    return "Points"


def _initial_value(point: OpcUaPoint, role: str | None) -> Any:
    data_type = point.data_type
    if role == "signal" and (data_type.is_float or data_type.is_integer):
        return float(SIGNAL_BASELINE) if data_type.is_float else int(SIGNAL_BASELINE)
    if role == "health":
        if data_type is OpcUaDataType.STRING:
            return "ok"
        if data_type is OpcUaDataType.BOOL:
            return True
    if data_type is OpcUaDataType.BOOL:
        return False
    if data_type is OpcUaDataType.STRING:
        return ""
    return 0.0 if data_type.is_float else 0
