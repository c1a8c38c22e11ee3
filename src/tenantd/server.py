"""Running the HTTPS listener: bind first (so port 0 works), then serve with uvicorn until signalled."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .http.app import create_app
from .runtime import Runtime
from .tls import TlsFiles


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(rt: Runtime, sock: socket.socket, tls: TlsFiles, on_ready: Callable[[], None],
          log_level: str = "warning") -> None:
    """Serve until SIGINT/SIGTERM; ``on_ready`` runs once the listener answers."""
    config = uvicorn.Config(
        create_app(rt), ssl_certfile=str(tls.cert_file), ssl_keyfile=str(tls.key_file), log_level=log_level,
        lifespan="off", access_log=False, server_header=False, timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=32 * 1024,
    )
    server = uvicorn.Server(config)

    def watch() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            on_ready()

    threading.Thread(target=watch, name="tenantd-ready", daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        rt.store.dispose()


def quiet_third_party_logs() -> None:
    for name in ("httpx", "httpcore", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def tls_dir(data_dir: Path | None) -> Path | None:
    return data_dir / "tls" if data_dir else None
