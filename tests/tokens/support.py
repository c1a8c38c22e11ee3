"""Certificates, client assertions and a local OpenID Connect issuer (HTTPS on loopback, with a CA made here),
for the tests of certificate and federated client authentication."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import ssl
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(key: rsa.RSAPrivateKey, name: str = "client", *, issuer: tuple[rsa.RSAPrivateKey, x509.Certificate]
                | None = None, days: int = 30, ca: bool = False, hosts: tuple[str, ...] = ()) -> x509.Certificate:
    """A certificate for ``key``: self-signed, or signed by ``issuer`` (a CA's key and certificate); valid for
    ``days`` from now, or, when ``days`` is negative, expired that many days ago."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer[1].subject if issuer else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5) if days > 0 else now + timedelta(days=days - 1))
               .not_valid_after(now + timedelta(days=days)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def der_b64(cert: x509.Certificate) -> str:
    """A keyCredential's ``key``: the base64 of the certificate's DER."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def pem(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    """Private key and certificate in one PEM, as CertificateCredential reads a certificate file."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)


def x5t(cert: x509.Certificate, *, sha256: bool = False, padded: bool = False) -> str:
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).digest() if sha256 else hashlib.sha1(der).digest()
    text = base64.urlsafe_b64encode(digest).decode("ascii")
    return text if padded else text.rstrip("=")


def assertion(key: Any, cert: x509.Certificate | None, client_id: str, audience: str, *, alg: str = "RS256",
              lifetime: float = 600, start: float | None = None, headers: dict[str, Any] | None = None,
              **claims: Any) -> str:
    """A client assertion as msal writes one (float iat/exp, padded x5t), with any claim overridden."""
    now = time.time() if start is None else start
    body = {"aud": audience, "iss": client_id, "sub": client_id, "iat": now, "exp": now + lifetime,
            "jti": str(uuid.uuid4()), **claims}
    header = {"x5t": x5t(cert, padded=True)} if cert is not None else {}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg,
                      headers={**header, **(headers or {})})


def form(client_id: str, token: str, scope: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": token, "scope": scope}


class Issuer:
    """An OpenID Connect issuer on https://127.0.0.1:<port>/<path>, whose CA the caller trusts by file."""

    def __init__(self, directory: Path, path: str = "/issuer") -> None:
        ca_key = new_key()
        ca_cert = certificate(ca_key, "test issuer CA", ca=True)
        tls_key = new_key()
        tls_cert = certificate(tls_key, "127.0.0.1", issuer=(ca_key, ca_cert), hosts=("127.0.0.1", "localhost"))
        self.ca_file = directory / "issuer-ca.pem"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        chain = directory / "issuer-tls.pem"
        chain.write_bytes(pem(tls_key, tls_cert))
        self.key = new_key()
        self.kid = "issuer-key-1"
        self.requests: list[str] = []
        issuer = self
        self._path = path

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                body = issuer.document(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body or {}).encode())

            def log_message(self, *_args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._http.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def document(self, path: str) -> dict[str, Any] | None:
        if path == f"{self._path}/.well-known/openid-configuration":
            return {"issuer": self.url, "jwks_uri": f"{self.url}/keys", "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]}
        if path == f"{self._path}/keys":
            numbers = self.key.public_key().public_numbers()
            return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                              "n": b64url(numbers.n.to_bytes(256, "big")), "e": b64url(numbers.e.to_bytes(3, "big"))}]}
        return None

    def token(self, subject: str, audience: str = "api://AzureADTokenExchange", *, lifetime: int = 3600,
              key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        """A token as a Kubernetes or GitHub issuer writes one (integer times, kid)."""
        now = int(time.time())
        body = {"iss": self.url, "sub": subject, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime,
                **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

