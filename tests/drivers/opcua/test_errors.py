"""asyncua's exceptions sorted into the driver tree."""

from __future__ import annotations

import pytest
from asyncua.common.utils import ServiceError
from asyncua.ua.status_codes import StatusCodes
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
from drivers.opcua.errors import status_name, translate


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (UaStatusCodeError(StatusCodes.BadUserAccessDenied), AuthenticationError, ""),
        (
            UaStatusCodeError(StatusCodes.BadIdentityTokenRejected),
            AuthenticationError,
            "BadIdentityTokenRejected",
        ),
        (
            UaStatusCodeError(StatusCodes.BadCertificateUntrusted),
            SecurityRejectedError,
            "BadCertificateUntrusted",
        ),
        (
            UaStatusCodeError(StatusCodes.BadSecurityChecksFailed),
            SecurityRejectedError,
            "",
        ),
        (
            UaError("No matching endpoints: 3, http://opcfoundation.org/UA/x"),
            SecurityRejectedError,
            "no endpoint",
        ),
        (ServiceError(StatusCodes.BadTimeout), RequestTimeout, "BadTimeout"),
        (TimeoutError(), RequestTimeout, "connect timed out"),
        (ConnectionRefusedError(111, "refused"), ConnectError, "refused"),
        (ConnectionError("Connection is closed"), ConnectError, "closed"),
        (UaStatusCodeError(StatusCodes.BadSessionIdInvalid), ConnectError, ""),
        (UaStructParsingError("short"), DecodeError, "unreadable answer"),
        (
            UaStatusCodeError(StatusCodes.BadServiceUnsupported),
            ProtocolError,
            "BadServiceUnsupported",
        ),
        (ValueError("garbage"), ProtocolError, "ValueError: garbage"),
    ],
)
def test_translate(exc: Exception, kind: type[DriverError], text: str) -> None:
    translated = translate(exc, device="PP-1", action="connect")

    assert type(translated) is kind
    assert str(translated).startswith("PP-1: connect")
    assert text in str(translated)


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (UaStatusCodeError(StatusCodes.BadUserAccessDenied), "BadUserAccessDenied"),
        (ServiceError(StatusCodes.BadTooManySubscriptions), "BadTooManySubscriptions"),
        (TimeoutError(), "timeout"),
        (OSError("unreachable"), "connection failed"),
    ],
)
def test_the_short_reason_is_the_status_name_where_there_is_one(
    exc: Exception, reason: str
) -> None:
    assert translate(exc, device="PP-1", action="read").reason == reason


def test_refused_credentials_and_security_are_connection_failures() -> None:
    assert issubclass(AuthenticationError, ConnectError)
    assert issubclass(SecurityRejectedError, ConnectError)


def test_status_names_ignore_info_bits_and_name_unknown_codes() -> None:
    assert status_name(StatusCodes.Good) == "Good"
    assert status_name(StatusCodes.UncertainInitialValue | 0x0480) == (
        "UncertainInitialValue"
    )
    assert status_name(0x80FF0000) == "0x80FF0000"
