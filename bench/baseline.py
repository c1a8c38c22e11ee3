"""The HTTP ceiling: a bare Starlette JSON endpoint served exactly as tenantd serves its listeners.

    python -m bench.baseline PORT_FILE [--cert CERT --key KEY] [--workers N]

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE once it answers, and serves until SIGINT or
SIGTERM, through :func:`tenantd.server.serve` (uvicorn with tenantd's settings), with or without TLS, in
as many worker processes as tenantd runs (tenantd's own supervisor).
"""

from __future__ import annotations

import argparse
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantd import server, supervisor
from tenantd.tls import TlsFiles

BODY = {"access_token": "x" * 1200, "expires_in": "86399", "token_type": "Bearer"}  # an IMDS answer's size


async def ok(request: Request) -> JSONResponse:
    return JSONResponse(BODY)


@dataclass(frozen=True)
class _Tls:
    cert_file: Path
    key_file: Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port_file", type=Path)
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    app = Starlette(routes=[Route("/ok", ok, methods=["GET", "POST"])])
    sock = server.bind("127.0.0.1", 0)
    tls = cast(TlsFiles, _Tls(args.cert, args.key)) if args.cert else None   # the two paths serve() reads

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
