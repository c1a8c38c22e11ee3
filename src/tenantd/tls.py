"""The server's TLS certificate: the operator's own, or one issued by a local CA.

The local CA's key lives in the database, encrypted with the master key, so replicas and restored copies
share it; its certificate is written to the data directory for clients to trust. Each start issues a
fresh short-lived server certificate for localhost, 127.0.0.1, ::1 and the public URL's host.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .domain.errors import ConfigError
from .store import Store
from .tokens.secrets import Vault


@dataclass(frozen=True)
class CertificateFiles:
    """A certificate chain and its private key as PEM files, served on the HTTPS listener. ``reloadable``: the
    operator's own, read again on SIGHUP, so a renewed certificate is served without a restart."""

    cert_file: Path
    key_file: Path
    reloadable: bool = False

    def check(self) -> None:
        """ConfigError, saying what is wrong, unless the files load as a server certificate and its key."""
        try:
            _load(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), self)
        except OSError as exc:   # ssl.SSLError too
            reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
            raise ConfigError(f"The TLS certificate {self.cert_file} and key {self.key_file} cannot be served "
                              f"({reason}): the certificate file must hold the PEM chain, leaf first, and the key "
                              "file its unencrypted PEM private key.") from None

    def load_into(self, context: ssl.SSLContext) -> None:
        """Serve the files' current contents on ``context`` from its next handshake on (connections already
        open keep theirs). Checked on a context of its own first: a pair that does not load (a key that does
        not match, a file half-written) raises ConfigError and leaves ``context`` serving what it served."""
        self.check()
        _load(context, self)


def _load(context: ssl.SSLContext, files: CertificateFiles) -> None:
    # An encrypted key is refused (an empty password) rather than prompted for on a terminal.
    context.load_cert_chain(files.cert_file, files.key_file, password=lambda: b"")


def _ca(vault: Vault, store: Store) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantd local CA"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tenantd")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    bundle = vault.shared_secret(store, "ca", pem + cert.public_bytes(serialization.Encoding.PEM))
    stored_key = serialization.load_pem_private_key(bundle, password=None)
    assert isinstance(stored_key, ec.EllipticCurvePrivateKey)
    return stored_key, x509.load_pem_x509_certificate(bundle)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class TlsFiles:
    """Paths uvicorn needs: the server certificate chain and key, and the CA certificate for clients."""

    def __init__(self, vault: Vault, store: Store, hosts: list[str], directory: Path | None) -> None:
        ca_key, ca_cert = _ca(vault, store)
        self.directory = directory or Path(tempfile.mkdtemp(prefix="tenantd-tls-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_cert = self.directory / "ca.pem"
        self.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        names: list[x509.GeneralName] = []
        for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host.strip("[]"))))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.cert_file = self.directory / "server.pem"
        self.key_file = self.directory / "server.key"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                                   + ca_cert.public_bytes(serialization.Encoding.PEM))
        _write_private(self.key_file, key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        self.certificate = CertificateFiles(self.cert_file, self.key_file)
