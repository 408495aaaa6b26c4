"""Self-signed OPC UA application instance certificates, for simulators and tests.

OPC UA applications identify themselves with an X.509 certificate whose subject
alternative name carries the application URI (and the host name). This module
makes such a certificate and its RSA key with ``cryptography`` and writes them as
DER and PEM (PKCS#8, unencrypted) files. Not for production use: a real
deployment uses certificates issued under the site's own policy.
"""

from __future__ import annotations

import datetime
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """Where a certificate (DER) and its private key (PEM) were written."""

    certificate: Path
    private_key: Path


def make_self_signed(
    directory: Path,
    name: str,
    application_uri: str,
    *,
    server: bool,
    valid_days: int = 30,
) -> CertificateFiles:
    """Write ``NAME.der`` and ``NAME.pem`` into ``directory`` (created if needed).

    The certificate names ``application_uri``, ``localhost`` and this host in its
    subject alternative names and allows server or client authentication as
    ``server`` says. Takes a fraction of a second (a 2048-bit RSA key).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    usage = (
        ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A little slack for clocks that disagree by a few minutes.
        .not_valid_before(now - datetime.timedelta(minutes=10))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.UniformResourceIdentifier(application_uri),
                    x509.DNSName("localhost"),
                    x509.DNSName(socket.gethostname()),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(key, hashes.SHA256())
    )

    directory.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(directory / f"{name}.der", directory / f"{name}.pem")
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    files.private_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files
