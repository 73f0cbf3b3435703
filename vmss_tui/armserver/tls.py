"""A local certificate authority and a loopback server certificate for the ARM endpoint.

The SDK's bearer-token policy refuses plain http, so the endpoint speaks TLS with a
certificate a client can trust by pointing `connection_verify` at `ca.pem`: the same code
path as production, without turning verification off.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"


@dataclass(frozen=True)
class CertificatePaths:
    """Where the CA bundle and the server's certificate and key live."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def ensure_certificates(state_dir: Path | str, *, hostnames: tuple[str, ...] = ("localhost",),
                        addresses: tuple[str, ...] = ("127.0.0.1", "::1")) -> CertificatePaths:
    """Create the CA and server certificate in `state_dir` unless valid ones are already there.

    Reusing them across runs means a client configured once (`REQUESTS_CA_BUNDLE`) keeps working.
    """
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    paths = CertificatePaths(directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)
    if all(p.exists() for p in (paths.ca_path, paths.cert_path, paths.key_path)) and _still_valid(paths.cert_path):
        return paths

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vmss-tui emulator local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in hostnames]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    no_password = serialization.NoEncryption()
    key_format = serialization.PrivateFormat.PKCS8
    _write(directory / CA_KEY_FILE, ca_key.private_bytes(pem, key_format, no_password), private=True)
    _write(paths.key_path, server_key.private_bytes(pem, key_format, no_password), private=True)
    _write(paths.ca_path, ca_cert.public_bytes(pem))
    _write(paths.cert_path, server_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    return paths


def _still_valid(cert_path: Path) -> bool:
    """True when the server certificate parses and has more than a day left."""
    try:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc > datetime.now(timezone.utc) + timedelta(days=1)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write atomically; private keys are readable by the owner only."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
