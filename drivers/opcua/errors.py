"""Turning asyncua's exceptions into the driver tree of :mod:`drivers.errors`.

asyncua raises one exception class per OPC UA status code (all
``UaStatusCodeError``), plain ``UaError`` for client-side refusals (no endpoint
matching the requested security), and ``ConnectionError``/``OSError``/
``TimeoutError`` from its transport. :func:`translate` sorts them::

    status code in _AUTHENTICATION            -> AuthenticationError
    BadCertificate*, _SECURITY, no endpoint    -> SecurityRejectedError
    BadTimeout, BadRequestTimeout, timeouts    -> RequestTimeout
    _CONNECTION codes, OSError                 -> ConnectError
    a message asyncua cannot parse             -> DecodeError
    any other status code or error             -> ProtocolError

The error's ``reason`` is the status code's spec name where there is one
(``"BadUserAccessDenied"``). Callers wrap every asyncua call; none of its
exceptions leave this package.
"""

from __future__ import annotations

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.ua.uaerrors import UaError, UaStatusCodeError, UaStructParsingError

from drivers.errors import (
    AuthenticationError,
    ConnectError,
    DecodeError,
    DriverError,
    ProtocolError,
    RequestTimeout,
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
    message = f"{device}: {action} failed: {name}"
    kind: type[DriverError] = ProtocolError
    if name in _AUTHENTICATION:
        kind = AuthenticationError
    elif name in _SECURITY or name.startswith("BadCertificate"):
        kind = SecurityRejectedError
    elif name in _TIMEOUT:
        kind = RequestTimeout
    elif name in _CONNECTION:
        kind = ConnectError
    return kind(message, reason=name)


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
        return RequestTimeout(f"{device}: {action} timed out")
    if isinstance(exc, ConnectionError | OSError):
        detail = str(exc) or type(exc).__name__
        return ConnectError(f"{device}: {action} failed: {detail}")
    if isinstance(exc, UaError) and "No matching endpoints" in str(exc):
        return SecurityRejectedError(
            f"{device}: {action} failed: the server offers no endpoint with the "
            f"requested security policy and mode ({exc})",
            reason="no matching endpoint",
        )
    if isinstance(exc, UaStructParsingError):
        return DecodeError(f"{device}: {action} failed: unreadable answer ({exc})")
    return ProtocolError(f"{device}: {action} failed: {type(exc).__name__}: {exc}")
