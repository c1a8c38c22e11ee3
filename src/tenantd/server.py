"""Running the listeners (HTTPS, and plain HTTP for managed identities): bind first (so port 0 works),
then serve them with uvicorn in one event loop until signalled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from .http.app import create_app
from .http.identity import HostLimiter, create_identity_app
from .runtime import Runtime
from .tls import TlsFiles
from .tokens.managed_identity import ManagedIdentityTokens

ASGIApplication = Any  # an ASGI application (server.py stays free of the web framework's types)


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


class _Listener(uvicorn.Server):
    """A uvicorn server whose shutdown tenantd drives: signals are handled once, for all listeners, and
    not re-raised afterwards (so ``up`` can remove server.json and exit 0 on Ctrl-C / SIGTERM)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: ASGIApplication, log_level: str, tls: TlsFiles | None) -> uvicorn.Config:
    return uvicorn.Config(
        app, ssl_certfile=str(tls.cert_file) if tls else None, ssl_keyfile=str(tls.key_file) if tls else None,
        log_level=log_level, lifespan="off", access_log=False, server_header=False, timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=32 * 1024,
    )


def serve(listeners: list[tuple[ASGIApplication, socket.socket, TlsFiles | None]], on_ready: Callable[[], None],
          log_level: str = "warning") -> None:
    """Serve every listener until SIGINT/SIGTERM; ``on_ready`` runs once all of them answer."""
    servers = [(_Listener(_config(app, log_level, tls)), sock) for app, sock, tls in listeners]

    def stop(_signum: int, _frame: object) -> None:
        for server, _ in servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    async def run() -> None:
        tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
        while not all(server.started for server, _ in servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.02)
        else:
            on_ready()
        await asyncio.gather(*tasks)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(run())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for _, sock in servers:
            sock.close()


def run_server(rt: Runtime, https: socket.socket, tls: TlsFiles, identity: socket.socket | None,
               on_ready: Callable[[], None], *, log_level: str = "warning", imds_limits: tuple[int, int] = (20, 5),
               identity_tokens: ManagedIdentityTokens | None = None) -> None:
    """The HTTPS application and, when given a socket, the managed identity listener (plain HTTP)."""
    listeners: list[tuple[ASGIApplication, socket.socket, TlsFiles | None]] = [(create_app(rt), https, tls)]
    if identity is not None:
        tokens = identity_tokens or ManagedIdentityTokens(rt.tokens)
        listeners.append((create_identity_app(tokens, HostLimiter(*imds_limits)), identity, None))
    rt.sign_ins.start()
    try:
        serve(listeners, on_ready, log_level)
    finally:
        rt.sign_ins.stop()
        rt.store.dispose()


def tls_dir(data_dir: Path | None) -> Path | None:
    return data_dir / "tls" if data_dir else None
