"""Turning asyncua's exceptions into the driver tree of :mod:`drivers.errors`.

asyncua raises one exception class per OPC UA status code (all
``UaStatusCodeError``), plain ``UaError`` for client-side refusals (no endpoint
matching the requested security), and ``ConnectionError``/``OSError``/
``TimeoutError`` from its transport. :func:`translate` sorts them::

    status code in _AUTHENTICATION            -> AuthenticationError
    BadCertificate*, _SECURITY, no endpoint    -> SecurityRejectedError
    BadTimeout, BadRequestTimeout, timeouts    -> DeviceTimeout
    _CONNECTION codes, OSError                 -> ConnectionFailed
    anything else                              -> ProtocolError

Callers wrap every asyncua call; none of its exceptions leave this package.
"""

from __future__ import annotations

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from drivers.errors import (
    AuthenticationError,
    ConnectionFailed,
    DeviceTimeout,
    DriverError,
    ProtocolError,
    SecurityRejectedError,
)

_AUTHENTICATION = frozenset(
    {
        "BadUserAccessDenied",
        "BadIdentityTokenRejected",
        "BadIdentityTokenInvalid",
        "BadUserSignatureInvalid",
    }
)
_SECURITY = frozenset(
    {
        "BadSecurityChecksFailed",
        "BadSecurityPolicyRejected",
        "BadSecurityModeRejected",
        "BadApplicationSignatureInvalid",
        "BadNonceInvalid",
        "BadNoValidCertificates",
    }
)
_TIMEOUT = frozenset({"BadTimeout", "BadRequestTimeout"})
_CONNECTION = frozenset(
    {
        "BadSessionIdInvalid",
        "BadSessionClosed",
        "BadSessionNotActivated",
        "BadSecureChannelClosed",
        "BadSecureChannelIdInvalid",
        "BadConnectionClosed",
        "BadConnectionRejected",
        "BadServerNotConnected",
        "BadServerHalted",
        "BadShutdown",
        "BadCommunicationError",
        "BadNotConnected",
        "BadTooManySessions",
        "BadDisconnect",
        "BadTcpServerTooBusy",
    }
)


def status_name(code: int) -> str:
    """The spec name of a status code (``"BadSensorFailure"``), ignoring the info
    bits a server may set in the low 16 bits; ``"0x…"`` (the full code in hex) if
    the code is not in the spec."""
    known = ua.status_codes.code_to_name_doc.get(code & 0xFFFF0000)
    return known[0] if known is not None else f"0x{code:08X}"


def translate_status(code: int, *, device: str, action: str) -> DriverError:
    """The driver error for a Bad status code returned while doing ``action``."""
    name = status_name(code)
    message = f"{action} failed: {name}"
    if name in _AUTHENTICATION:
        return AuthenticationError(message, device=device)
    if name in _SECURITY or name.startswith("BadCertificate"):
        return SecurityRejectedError(message, device=device)
    if name in _TIMEOUT:
        return DeviceTimeout(message, device=device)
    if name in _CONNECTION:
        return ConnectionFailed(message, device=device)
    return ProtocolError(message, device=device)


def translate(exc: Exception, *, device: str, action: str) -> DriverError:
    """The driver error for ``exc``, raised by asyncua or the transport while
    doing ``action`` (a few words, e.g. ``"connect"``) on ``device``.

    Never pass ``asyncio.CancelledError`` here: cancellation must propagate.
    """
    if isinstance(exc, DriverError):
        return exc
    if isinstance(exc, UaStatusCodeError | ServiceError) and exc.code is not None:
        return translate_status(int(exc.code), device=device, action=action)
    if isinstance(exc, TimeoutError):
        return DeviceTimeout(f"{action} timed out", device=device)
    if isinstance(exc, ConnectionError | OSError):
        return ConnectionFailed(
            f"{action} failed: {exc or type(exc).__name__}", device=device
        )
    if isinstance(exc, UaError) and "No matching endpoints" in str(exc):
        return SecurityRejectedError(
            f"{action} failed: the server offers no endpoint with the requested "
            f"security policy and mode ({exc})",
            device=device,
        )
    return ProtocolError(f"{action} failed: {type(exc).__name__}: {exc}", device=device)
