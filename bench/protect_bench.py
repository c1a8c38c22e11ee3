"""Validation rate of tenantd.protect against raw RS256 verification and PyJWT, measured in the same run.

    .venv/bin/python bench/protect_bench.py [--seconds 1.0] [--rounds 5]

A local https server (CA made here, 127.0.0.1) serves the discovery documents and JWKS, so the validator
runs exactly as in production: every check, the key looked up by kid. "protect" rows validate in full on
every call (cache_size=0), except the "cache hit" row: the default validator, answering a token it accepted
before. PyJWT gets its best case: the key
already resolved, the same audience, issuer and leeway. Each rate is the best of ``--rounds`` rounds of
``--seconds``, the candidates interleaved so drift hits all alike. Tokens: a typical app-only v1 token
(~1.1 KB, like tenantd's and Entra's) and one with 200 group ids (~11 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from tenantd.protect import AsyncTokenValidator, TokenValidator

TENANT = str(uuid.uuid4())
AUDIENCE = "api://things"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """CA certificate, server certificate and key for 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench server")])
    cert = (x509.CertificateBuilder().subject_name(leaf_name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(2).not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def serve(documents: Callable[[str], dict[str, Any] | None], cert: Path, key: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents(self.path)
            data = json.dumps(body).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rate(call: Callable[[], Any], seconds: float) -> float:
    """Calls per second over about ``seconds``."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            call()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def async_rate(validator: AsyncTokenValidator, token: str, seconds: float) -> float:
    async def run() -> float:
        count, start = 0, time.perf_counter()
        while True:
            for _ in range(200):
                await validator.validate(token)
            count += 200
            now = time.perf_counter()
            if now - start >= seconds:
                return count / (now - start)
    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    kid = b64url(uuid.uuid4().bytes)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public)), "kid": kid, "use": "sig"}
    directory = Path(tempfile.mkdtemp(prefix="protect-bench-"))
    ca, cert, key = tls_files(directory)
    urls: dict[str, str] = {}

    def documents(path: str) -> dict[str, Any] | None:
        if path == f"/{TENANT}/.well-known/openid-configuration":
            return {"issuer": urls["issuer"], "jwks_uri": f"{urls['base']}/{TENANT}/discovery/keys"}
        return {"keys": [jwk]} if path == f"/{TENANT}/discovery/keys" else None

    server = serve(documents, cert, key)
    urls["base"] = f"https://127.0.0.1:{server.server_address[1]}"
    urls["issuer"] = f"https://sts.windows.net/{TENANT}/"
    settings: dict[str, Any] = {"tenant_id": TENANT, "audiences": [AUDIENCE], "authority": urls["base"],
                                "versions": [1], "verify": str(ca)}
    # Full validation on every call (cache_size=0) is what the goal is measured on; the default validator
    # answers a token it accepted before from its cache, as an API does for a client that reuses its token.
    validator, avalidator = TokenValidator(**settings, cache_size=0), AsyncTokenValidator(**settings, cache_size=0)
    cached = TokenValidator(**settings)
    for v in (validator, cached):
        v.load()
    asyncio.run(avalidator.load())

    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": AUDIENCE, "iss": urls["issuer"], "iat": now, "nbf": now, "exp": now + 3600,
        "aio": b64url(b"a" * 48), "appid": str(uuid.uuid4()), "appidacr": "1", "idp": urls["issuer"],
        "idtyp": "app", "oid": str(uuid.uuid4()), "rh": "0." + b64url(b"r" * 48) + ".",
        "roles": ["Things.Read.All"], "sub": str(uuid.uuid4()), "tid": TENANT, "uti": b64url(b"u" * 16),
        "ver": "1.0",
    }
    tokens = {
        "typical": jwt.encode(claims, private, "RS256", headers={"kid": kid, "x5t": kid}),
        "200 groups": jwt.encode({**claims, "groups": [str(uuid.uuid4()) for _ in range(200)]}, private, "RS256",
                                 headers={"kid": kid, "x5t": kid}),
    }
    print(f"best of {args.rounds} rounds of {args.seconds:.1f} s; rates in validations per second")
    for name, token in tokens.items():
        head, body, sig = token.split(".")
        signing_input, signature = f"{head}.{body}".encode(), base64.urlsafe_b64decode(sig + "==")
        candidates: dict[str, Callable[[], Any]] = {
            "raw RS256 verify (cryptography)": partial(public.verify, signature, signing_input, padding.PKCS1v15(),
                                                       hashes.SHA256()),
            "PyJWT decode (key resolved)": partial(jwt.decode, token, public, algorithms=["RS256"],
                                                   audience=AUDIENCE, issuer=urls["issuer"], leeway=300),
            "protect TokenValidator": partial(validator.validate, token),
            "protect TokenValidator, cache hit": partial(cached.validate, token),
        }
        best = {label: 0.0 for label in [*candidates, "protect AsyncTokenValidator"]}
        for _ in range(args.rounds):
            for label, call in candidates.items():
                best[label] = max(best[label], rate(call, args.seconds))
            best["protect AsyncTokenValidator"] = max(best["protect AsyncTokenValidator"],
                                                      async_rate(avalidator, token, args.seconds))
        raw, pyjwt = best["raw RS256 verify (cryptography)"], best["PyJWT decode (key resolved)"]
        print(f"\n{name} token ({len(token)} characters)")
        print(f"  {'':36} {'per second':>10} {'of raw':>7} {'x PyJWT':>8}")
        for label, value in best.items():
            print(f"  {label:36} {value:10.0f} {value / raw:7.0%} {value / pyjwt:8.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
