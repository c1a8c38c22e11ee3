"""`tenantd serve --tls-cert FILE --tls-key FILE`: the operator's certificate, read again on SIGHUP (new
connections get the new one, open ones keep theirs), in one process and across forked workers; a pair that
does not load is refused at start and, on SIGHUP, leaves the certificate being served in place."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenantd.runtime import sqlite_url

from .serving import Replica, initialize, start_replica, tenantd

PUBLIC_URL = "https://localhost"


class Authority:
    """A CA of the test's own, issuing server certificates for localhost."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test operator CA")])
        now = datetime.now(UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, common_name: str) -> tuple[bytes, bytes]:
        """(PEM chain, PEM key) of a new certificate named ``common_name`` for localhost and 127.0.0.1."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
                .not_valid_after(now + timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        return (cert.public_bytes(serialization.Encoding.PEM) + self.cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.cert.public_bytes(serialization.Encoding.PEM).decode())


def _install(path: Path, data: bytes) -> None:
    """Replace ``path`` at once, as certificate renewal tools do (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _served_name(replica: Replica, authority: Authority) -> str:
    """The common name of the certificate a new connection to ``replica`` is shown (verified against the CA)."""
    port = int(replica.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            authority.context().wrap_socket(raw, server_hostname="localhost") as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    names = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value)


def _names_after(replica: Replica, authority: Authority, want: str, connections: int) -> list[str]:
    """Names shown to ``connections`` new connections once one of them shows ``want`` (or 10 s passed)."""
    deadline = time.monotonic() + 10
    while _served_name(replica, authority) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return [_served_name(replica, authority) for _ in range(connections)]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[str, str]:
    """An initialized SQLite database (TLS does not depend on the database) and its master key."""
    key = Fernet.generate_key().decode()
    database = sqlite_url(tmp_path)
    initialize(database, key, PUBLIC_URL)
    return database, key


@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_serves_the_renewed_certificate_to_new_connections(setup: tuple[str, str], tmp_path: Path,
                                                                  workers: int) -> None:
    database, key = setup
    authority = Authority()
    cert, private = tmp_path / "server.pem", tmp_path / "server.key"
    first_cert, first_key = authority.issue("first")
    _install(cert, first_cert)
    _install(private, first_key)
    replica = start_replica(tmp_path / "replica", database, key, "--tls-cert", str(cert), "--tls-key", str(private),
                            "--workers", str(workers))
    try:
        assert replica.trust == f"certificate: {cert}"
        assert [_served_name(replica, authority) for _ in range(4)] == ["first"] * 4
        with httpx.Client(base_url=replica.url.replace("127.0.0.1", "localhost"), verify=authority.context(),
                          timeout=30) as kept:
            assert kept.get("/_tenantd/health/live").status_code == 200   # a connection opened before

            second_cert, second_key = authority.issue("second")
            _install(cert, second_cert)
            _install(private, second_key)
            replica.proc.send_signal(signal.SIGHUP)
            assert _names_after(replica, authority, "second", 8) == ["second"] * 8   # every worker's
            assert kept.get("/_tenantd/health/live").status_code == 200   # the open connection is served on

            third_cert, _ = authority.issue("third")
            _install(cert, third_cert)   # a certificate whose key is not (yet) there: a pair that does not load
            replica.proc.send_signal(signal.SIGHUP)
            time.sleep(1)
            assert [_served_name(replica, authority) for _ in range(8)] == ["second"] * 8
            assert replica.proc.poll() is None and "TLS certificate not reloaded" in replica.output()
            with httpx.Client(base_url=replica.url.replace("127.0.0.1", "localhost"), verify=authority.context(),
                              timeout=30) as fresh:
                assert fresh.get("/_tenantd/health/ready").status_code == 200
    finally:
        replica.stop()
    assert "BEGIN" not in replica.output() and "PRIVATE" not in replica.output()


def test_a_certificate_that_cannot_be_served_is_refused_at_start(setup: tuple[str, str], tmp_path: Path) -> None:
    database, key = setup
    authority = Authority()
    cert_pem, key_pem = authority.issue("first")
    _, other_key = authority.issue("other")
    encrypted = serialization.load_pem_private_key(key_pem, None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret-passphrase"))
    files = {"cert.pem": cert_pem, "key.pem": key_pem, "other.key": other_key, "encrypted.key": encrypted}
    for name, data in files.items():
        _install(tmp_path / name, data)
    cert, good = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    cases = {
        "mismatched key": (["--tls-cert", cert, "--tls-key", str(tmp_path / "other.key")], "cannot be served"),
        "encrypted key": (["--tls-cert", cert, "--tls-key", str(tmp_path / "encrypted.key")], "unencrypted"),
        "missing file": (["--tls-cert", str(tmp_path / "none.pem"), "--tls-key", good], "cannot be served"),
        "key swapped in": (["--tls-cert", good, "--tls-key", cert], "cannot be served"),
        "certificate alone": (["--tls-cert", cert], "go together"),
        "and plain HTTP": (["--tls-cert", cert, "--tls-key", good, "--plain-http"], "--plain-http"),
    }
    for case, (args, said) in cases.items():
        refused = tenantd("serve", "--database", database, "--port", "0", *args, master_key=key, timeout=30)
        assert refused.returncode == 1 and said in refused.stderr, (case, refused.stderr)
        assert "Traceback" not in refused.stderr and "PRIVATE" not in refused.stderr, case
