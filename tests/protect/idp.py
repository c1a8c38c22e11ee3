"""A small identity provider of the test's own: an https server on 127.0.0.1 (certificate from a CA made
here) serving v1 and v2 discovery documents and JWKS whose keys, issuers and failures the test controls,
and a minter of any JWS, well-formed or not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

TENANT = "0b1e7f3a-5c2d-4e6f-8a9b-1c2d3e4f5a6b"
API_APP_ID = "6e8f1a2b-3c4d-4e5f-9a0b-1c2d3e4f5a6b"
API_URI = "api://things"
CLIENT_APP_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_OID = "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": _uint(numbers.n),
                "e": _uint(numbers.e)}

    def pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    def der(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)


_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def new_key(kid: str) -> Key:
    """A distinct RSA key per kid, made once per test process (they are slow to make)."""
    if kid not in _KEYS:
        _KEYS[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Key(kid, _KEYS[kid])


def encode(header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes) -> str:
    """The signing input: JSON (or raw bytes, for malformed parts) base64url-encoded."""
    def part(value: dict[str, Any] | bytes) -> str:
        return b64url(value if isinstance(value, bytes) else json.dumps(value).encode())
    return part(header) + "." + part(payload)


def rs256(signing_input: str, key: Key) -> str:
    signature = key.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


def hs256(signing_input: str, secret: bytes) -> str:
    return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


@dataclass
class Ca:
    """A CA made for the test and a server certificate for 127.0.0.1 and localhost."""

    directory: Path

    def __post_init__(self) -> None:
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "protect test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
              .not_valid_after(now + timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_file = self.directory / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file = self.directory / "server.pem"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file = self.directory / "server.key"
        self.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))


@dataclass
class Idp:
    """The identity provider's state; change it between calls to rotate keys or make the endpoints fail."""

    ca: Ca
    tenant: str = TENANT
    keys: list[Key] = field(default_factory=lambda: [new_key("key-1")])
    mode: str = "ok"                   # ok | 500 | garbage | empty | slow | html
    slow_seconds: float = 2.0
    issuer_v1: str = ""
    issuer_v2: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None   # applied to every document served
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def discovery_url(self, version: int = 2) -> str:
        return f"{self.url}/{self.tenant}/v2.0/.well-known/openid-configuration" if version == 2 else \
            f"{self.url}/{self.tenant}/.well-known/openid-configuration"

    @property
    def jwks_hits(self) -> int:
        return sum(n for path, n in self.hits.items() if path.endswith("/keys"))

    def documents(self, path: str) -> dict[str, Any] | None:
        document = self._document(path)
        return self.rewrite(document) if document is not None and self.rewrite else document

    def _document(self, path: str) -> dict[str, Any] | None:
        v2 = f"/{self.tenant}/v2.0/.well-known/openid-configuration"
        v1 = f"/{self.tenant}/.well-known/openid-configuration"
        if path == v2:
            return {"issuer": self.issuer_v2, "jwks_uri": f"{self.url}/{self.tenant}/discovery/v2.0/keys"}
        if path == v1:
            return {"issuer": self.issuer_v1, "jwks_uri": f"{self.url}/{self.tenant}/discovery/keys"}
        if path in (f"/{self.tenant}/discovery/v2.0/keys", f"/{self.tenant}/discovery/keys"):
            return {"keys": [k.jwk() for k in self.keys]}
        return None

    def start(self) -> Idp:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                idp.hits[self.path] += 1
                body = idp.documents(self.path)
                if body is None:
                    return self._send(404, b"{}")
                if self.path.endswith("/keys") and idp.mode != "ok":
                    return self._fail()
                self._send(200, json.dumps(body).encode())

            def _fail(self) -> None:
                if idp.mode == "slow":
                    time.sleep(idp.slow_seconds)
                    return self._send(200, b'{"keys": []}')
                bodies = {"500": (500, b'{"error": "boom"}'), "garbage": (200, b"\x00\xff{not json"),
                          "empty": (200, b'{"keys": []}'), "html": (200, b"<html>maintenance</html>")}
                self._send(*bodies[idp.mode])

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca.cert_file, self.ca.key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.issuer_v1 = self.issuer_v1 or f"https://sts.example.test/{self.tenant}/"
        self.issuer_v2 = self.issuer_v2 or f"{self.url}/{self.tenant}/v2.0"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- tokens ----------------------------------------------------------------------------------------
    def claims(self, version: int = 2, **changes: Any) -> dict[str, Any]:
        """An app-only access token's claims as Entra writes them; ``changes`` set (or, with None, drop) claims."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": API_APP_ID if version == 2 else API_URI,
            "iss": self.issuer_v2 if version == 2 else self.issuer_v1,
            "iat": now, "nbf": now, "exp": now + 3600,
            ("azp" if version == 2 else "appid"): CLIENT_APP_ID,
            "idtyp": "app", "oid": CLIENT_OID, "roles": ["Things.Read.All"], "sub": CLIENT_OID,
            "tid": self.tenant, "ver": "2.0" if version == 2 else "1.0",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, version: int = 2, key: Key | None = None, header: dict[str, Any] | None = None,
              **changes: Any) -> str:
        key = key or self.keys[0]
        head = {"typ": "JWT", "alg": "RS256", "kid": key.kid, **(header or {})}
        return rs256(encode({k: v for k, v in head.items() if v is not None}, self.claims(version, **changes)), key)


def self_signed_der(key: Key) -> bytes:
    """A certificate for ``key``, signed by itself, as an attacker would put in ``x5c``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.private.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1)).sign(key.private, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)
