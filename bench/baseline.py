"""The HTTP ceilings: bare Starlette endpoints served exactly as tenantd serves its listeners.

    python -m bench.baseline PORT_FILE [--tls DIR] [--workers N]

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE once it answers, and serves until SIGINT or
SIGTERM, through :func:`tenantd.server.serve` (uvicorn with tenantd's settings), in as many worker processes
as tenantd runs (tenantd's own supervisor, one listening socket per worker). Two routes:

- ``/ok``: a fixed JSON body of an IMDS answer's size;
- ``POST /token``: the least a client credentials endpoint does: parse the form, sign a new RS256 token
  (PyJWT, an RSA-2048 key loaded once) and answer it as JSON. It checks no secret and reads nothing.

With ``--tls DIR`` it serves HTTPS with a throwaway certificate (P-256, as tenantd's) written to DIR.
"""

from __future__ import annotations

import argparse
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from urllib.parse import parse_qsl

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantd import server, supervisor
from tenantd.tls import TlsFiles

BODY = {"access_token": "x" * 1200, "expires_in": "86399", "token_type": "Bearer"}  # an IMDS answer's size
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def ok(request: Request) -> JSONResponse:
    return JSONResponse(BODY)


async def token(request: Request) -> JSONResponse:
    form = dict(parse_qsl((await request.body()).decode()))
    now = int(time.time())
    claims = {"aud": form.get("scope", ""), "iss": "https://bench.invalid/", "iat": now, "nbf": now,
              "exp": now + 3600, "sub": form.get("client_id", ""), "uti": uuid.uuid4().hex, "roles": ["Bench.Read"]}
    signed = jwt.encode(claims, SIGNING_KEY, algorithm="RS256", headers={"kid": "bench"})
    return JSONResponse({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": signed})


@dataclass(frozen=True)
class _Tls:
    cert_file: Path
    key_file: Path
    reloadable: bool = False


def throwaway_tls(directory: Path) -> _Tls:
    """A self-signed certificate for 127.0.0.1 (the load generator does not verify it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    files = _Tls(directory / "baseline.pem", directory / "baseline.key")
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.touch(mode=0o600)
    files.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port_file", type=Path)
    parser.add_argument("--tls", type=Path, help="Serve HTTPS with a throwaway certificate written here.")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app = Starlette(routes=[Route("/ok", ok, methods=["GET", "POST"]), Route("/token", token, methods=["POST"])])
    sock = server.bind("127.0.0.1", 0)
    tls = cast(TlsFiles, throwaway_tls(args.tls)) if args.tls else None   # the two paths serve() reads

    def ready() -> None:
        args.port_file.write_text(str(sock.getsockname()[1]))

    if args.workers <= 1:
        server.serve([(app, sock, tls)], ready)
        return
    sockets = server.for_workers(sock, args.workers)   # one per worker, as tenantd's workers have them
    supervisor.supervise(args.workers, lambda index, answering: server.serve(
        [(app, sockets[index], tls)], answering, signals=(signal.SIGTERM,)), ready)


if __name__ == "__main__":
    main()
