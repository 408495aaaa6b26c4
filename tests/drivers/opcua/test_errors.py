"""asyncua's exceptions sorted into the driver tree."""

from __future__ import annotations

import pytest
from asyncua.common.utils import ServiceError
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from drivers.errors import (
    AuthenticationError,
    ConnectionFailed,
    DeviceTimeout,
    DriverError,
    ProtocolError,
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
        (ServiceError(StatusCodes.BadTimeout), DeviceTimeout, "BadTimeout"),
        (TimeoutError(), DeviceTimeout, "connect timed out"),
        (ConnectionRefusedError(111, "refused"), ConnectionFailed, "refused"),
        (ConnectionError("Connection is closed"), ConnectionFailed, "closed"),
        (UaStatusCodeError(StatusCodes.BadSessionIdInvalid), ConnectionFailed, ""),
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
    assert translated.device == "PP-1"
    assert str(translated).startswith("PP-1: connect")
    assert text in str(translated)


def test_timeouts_are_connection_failures_too() -> None:
    assert issubclass(DeviceTimeout, ConnectionFailed)


def test_status_names_ignore_info_bits_and_name_unknown_codes() -> None:
    assert status_name(StatusCodes.Good) == "Good"
    assert status_name(StatusCodes.UncertainInitialValue | 0x0480) == (
        "UncertainInitialValue"
    )
    assert status_name(0x80FF0000) == "0x80FF0000"
