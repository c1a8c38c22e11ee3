"""Running the listeners (HTTPS, and plain HTTP for managed identities): bind first (so port 0 works),
then serve them with uvicorn (its C HTTP parser, on uvloop) in one event loop until signalled, in this
process or in N forked workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import socket
import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import metrics, supervisor
from .domain.errors import ConfigError
from .http.app import create_app
from .http.forwarded import Network, forwarded_clients
from .http.host_limits import HostLimiter
from .http.identity import create_identity_app
from .http.limits import MAX_HEAD, bounded_heads
from .http.metrics import create_metrics_app
from .logformat import JsonFormatter
from .runtime import Runtime
from .tls import CertificateFiles
from .tokens.managed_identity import MI_TOKEN_LIFETIME, ManagedIdentityTokens

ASGIApplication = Any  # an ASGI application (server.py stays free of the web framework's types)
WorkerFailed = supervisor.WorkerFailed  # a worker died before all of them answered


LISTEN_QUEUE = 2048     # connections the kernel holds for a worker to accept


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port) that others may join (``for_workers``)."""
    return _listening(socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), port))


def for_workers(sock: socket.socket, workers: int) -> list[socket.socket]:
    """``sock`` and ``workers - 1`` more listening sockets on its address, one per worker: the kernel spreads
    new connections over them (SO_REUSEPORT). Sharing one socket, the first worker to wake would accept a
    whole burst of new connections and serve them on one core while the others idle."""
    return [sock, *(_listening(sock.family, sock.getsockname()[:2]) for _ in range(workers - 1))]


def _listening(family: socket.AddressFamily, address: tuple[str, int]) -> socket.socket:
    # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say so, and a
    # response written in two parts would otherwise wait for the client's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(address)
    sock.listen(LISTEN_QUEUE)
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class Timeouts:
    """How long a connection may wait, in seconds. ``head``: from a head's first byte to its end; a head is
    at most 32 KiB and arrives in milliseconds from any real client, so 10 s spares a very slow link while a
    trickling client holds a connection for seconds, not minutes. ``idle``: from a connection's opening, or a
    response's end, to the next byte (uvicorn's keep-alive default, 5 s; clients open a connection to use it
    at once)."""

    head: float = 10.0
    idle: float = 5.0


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's C parser (httptools), with bounds on what a client may hold open without a request:

    - a head's size: past ``MAX_HEAD`` bytes without the end of the headers, 431 and the connection closes.
      The parser itself would keep a request line and headers sent forever; a head that arrives whole is
      checked after parsing (``bounded_heads``). Reads in which a head began are not counted (part of such a
      read may be the previous request's body), so a head may run one read (at most 256 KiB) past the bound.
    - a head's time: once its first byte is in, the head must be whole within ``Timeouts.head``, else 408 and
      the connection closes (a client trickling a header line every few seconds holds no connection for long).
    - idleness: a new connection gets uvicorn's keep-alive timer (``Timeouts.idle``) at once, as a kept-alive
      one does after each response; without it a connection that never sends a byte stays open forever.
      On the HTTPS listener this counts from the end of the TLS handshake, which the event loop bounds itself
      (60 s).
    """

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.transport = cast(asyncio.Transport, _CoalescingTransport(transport, self.loop))   # duck-typed
        self.in_head = False      # a request's head has begun and its headers have not ended
        self.head_received = 0    # bytes of that head counted so far
        self.head_began = False   # a head began in the read being parsed
        self.in_body = False      # a request's headers have ended and its body has not
        self.head_timeout: float = getattr(self.config, "head_timeout", Timeouts.head)
        self.head_timer: asyncio.TimerHandle | None = None
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._stop_head_timer()

    def data_received(self, data: bytes) -> None:
        if not self.in_body:      # bytes before or of a head (leading blank lines begin no message)
            self._start_head_timer()
        self.head_began = False
        super().data_received(data)
        if self.in_head and not self.head_began and not self.transport.is_closing():
            self.head_received += len(data)
            if self.head_received > MAX_HEAD:
                self._refuse(b"431 Request Header Fields Too Large", b"Request header fields too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head, self.head_began, self.head_received = True, True, 0
        self._start_head_timer()  # a pipelined request's head, begun in the read that ended the one before

    def on_headers_complete(self) -> None:
        self.in_head, self.in_body = False, True
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        super().on_message_complete()

    def _start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False   # the late head follows a request still being answered: close after it
            return
        self._refuse(b"408 Request Timeout", b"The request head did not arrive in time.")

    def _refuse(self, status: bytes, description: bytes) -> None:
        body = b'{"error":"invalid_request","error_description":"%s"}' % description
        self.transport.write(b"HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, len(body), body))
        self.transport.close()


class _Config(uvicorn.Config):
    """uvicorn's configuration plus the head timeout ``BoundedHttpToolsProtocol`` reads."""

    def __init__(self, app: ASGIApplication, *, head_timeout: float, **options: Any) -> None:
        super().__init__(app, **options)
        self.head_timeout = head_timeout


class _CoalescingTransport:
    """A transport whose writes in one turn of the event loop leave as one: a response's head and body in
    one send (and one TLS record) instead of two. Past ``COALESCED`` bytes they leave at once, so a large
    body still meets the transport's flow control (uvicorn pauses the response when its buffer is full)."""

    COALESCED = 64 * 1024

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size > self.COALESCED:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._size = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Listener(uvicorn.Server):
    """A uvicorn server whose shutdown tenantd drives: signals are handled once, for all listeners, and
    not re-raised afterwards (so ``up`` can remove server.json and exit 0 on Ctrl-C / SIGTERM)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: ASGIApplication, log_level: str, tls: CertificateFiles | None, timeouts: Timeouts,
            log_format: str) -> uvicorn.Config:
    return _Config(
        bounded_heads(app),   # 431 beyond MAX_HEAD, however the head arrived
        # JSON: uvicorn's loggers get no handlers of their own, so their lines reach the JSON one on the root
        log_config=None if log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        ssl_certfile=str(tls.cert_file) if tls else None, ssl_keyfile=str(tls.key_file) if tls else None,
        log_level=log_level, lifespan="off", access_log=False, server_header=False, timeout_graceful_shutdown=5,
        http=BoundedHttpToolsProtocol, backlog=LISTEN_QUEUE, head_timeout=timeouts.head,
        timeout_keep_alive=timeouts.idle,
        proxy_headers=False,  # uvicorn would believe X-Forwarded-For from 127.0.0.1: see http/forwarded.py
    )


def serve(listeners: list[tuple[ASGIApplication, socket.socket, CertificateFiles | None]], on_ready: Callable[[], None],
          log_level: str = "warning", *, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM),
          timeouts: Timeouts = Timeouts(), log_format: str = "text") -> None:
    """Serve every listener until one of ``signals``; ``on_ready`` runs once all of them answer."""
    servers = [(_Listener(_config(app, log_level, tls, timeouts, log_format)), sock) for app, sock, tls in listeners]

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

    def reload(_signum: int, _frame: object) -> None:
        for (server, _), (_, _, tls) in zip(servers, listeners, strict=True):
            context = getattr(server.config, "ssl", None)   # made when the listener starts
            if tls is not None and tls.reloadable and context is not None:
                _reload(tls, context)

    previous = {sig: signal.signal(sig, stop) for sig in signals}
    if any(tls is not None and tls.reloadable for _, _, tls in listeners):
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, reload)
    try:
        uvloop.run(run())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for _, sock in servers:
            sock.close()


def _reload(tls: CertificateFiles, context: ssl.SSLContext) -> None:
    """SIGHUP: new connections get the certificate the files hold now; one that does not load is logged and
    the one being served stays."""
    log = logging.getLogger("tenantd.tls")
    try:
        tls.load_into(context)
    except ConfigError as exc:
        log.error("TLS certificate not reloaded: %s", exc)
    else:
        log.info("TLS certificate reloaded from %s", tls.cert_file)


def run_server(rt: Runtime, https: socket.socket, tls: CertificateFiles | None, identity: socket.socket | None,
               on_ready: Callable[[], None], *, log_level: str = "warning", imds_limits: tuple[int, int] = (20, 5),
               mi_token_lifetime: int | None = None, mi_stale_cache: bool = False, workers: int = 1,
               trusted_proxies: tuple[Network, ...] = (), timeouts: Timeouts = Timeouts(),
               metrics_listener: socket.socket | None = None, log_format: str = "text") -> None:
    """The HTTPS application (plain HTTP when ``tls`` is None, behind a TLS-terminating proxy) and, when given
    a socket, the managed identity listener (plain HTTP), served by ``workers`` processes (see
    ``supervisor``; one: this process) that share the per-host rate limits. ``trusted_proxies`` may name the
    client in ``X-Forwarded-For`` on the HTTPS listener; the managed identity listener refuses the header.
    ``metrics_listener``: a socket for Prometheus's ``/metrics`` (plain HTTP), the counts of every worker."""
    log_everything(log_level, log_format)
    listeners: list[tuple[ASGIApplication, socket.socket, CertificateFiles | None]] = [
        (forwarded_clients(create_app(rt), trusted_proxies), https, tls)]
    if metrics_listener is not None:
        listeners.append((create_metrics_app(rt.tokens.keyring), metrics_listener, None))
    limiter = None
    if identity is not None:
        tokens = ManagedIdentityTokens(rt.tokens, lifetime=mi_token_lifetime or MI_TOKEN_LIFETIME,
                                       stale_cache=mi_stale_cache)
        limiter = HostLimiter(*imds_limits, workers=workers)
        listeners.append((create_identity_app(tokens, limiter), identity, None))
    if workers <= 1:
        _work(rt, listeners, on_ready, log_level, timeouts=timeouts, log_format=log_format)
        return

    sockets = [for_workers(sock, workers) for _, sock, _ in listeners]   # [listener][worker]

    def work(index: int, answering: Callable[[], None]) -> None:
        rt.store.engine.dispose(close=False)  # the parent's pool, if any, is not this process's to use
        metrics.forget_process(os.getpid())   # the live gauges of an earlier worker that had this pid
        if limiter is not None:
            limiter.adopt(index)
        own = [(app, sockets[n][index], tls) for n, (app, _, tls) in enumerate(listeners)]
        _work(rt, own, answering, log_level, signals=(signal.SIGTERM,), timeouts=timeouts, log_format=log_format)

    _before_fork(rt)
    try:
        with _shared_metrics() if metrics_listener is not None else contextlib.nullcontext():
            supervisor.supervise(workers, work, on_ready, on_exit=metrics.forget_process,
                                 forwarded=(signal.SIGHUP,) if tls is not None and tls.reloadable else ())
    finally:
        for sock in (sock for group in sockets for sock in group):
            sock.close()


@contextlib.contextmanager
def _shared_metrics() -> Iterator[None]:
    """The workers' metrics in files of a private directory (mode 0700) that lives as long as they do."""
    directory = tempfile.mkdtemp(prefix="tenantd-metrics-")
    metrics.share_between_processes(Path(directory))
    try:
        yield
    finally:
        metrics.stop_sharing()
        shutil.rmtree(directory, ignore_errors=True)


def _work(rt: Runtime, listeners: list[tuple[ASGIApplication, socket.socket, CertificateFiles | None]],
          on_ready: Callable[[], None], log_level: str, **options: Any) -> None:
    # What start-up made (modules, tables, keys) lives as long as the process: kept out of the collector's
    # full passes, which otherwise walk all of it and stall every request for 80-90 ms every few seconds.
    gc.freeze()
    rt.sign_ins.start()
    try:
        serve(listeners, on_ready, log_level, **options)
    finally:
        rt.sign_ins.stop()
        rt.store.dispose()


def _before_fork(rt: Runtime) -> None:
    """Settled once for all workers: the default tenant's signing keys are read (and decrypted) here, so
    the workers inherit them; nothing queued or connected crosses the fork."""
    with rt.store.read() as tx:
        default = tx.setting("default_tenant")
    if default:
        rt.tokens.keyring.active(default)
    rt.sign_ins.flush()
    rt.store.dispose()


def log_everything(log_level: str, log_format: str = "text") -> None:
    """``--log-level`` for every logger, not only uvicorn's: tenantd's own and its libraries', on stderr, as
    text or one JSON object a line (``--log-format json``). SQLAlchemy's statements come only at debug and below,
    and never their parameters (hidden by the engine) or result rows: both hold password and secret hashes."""
    found = logging.getLevelName(log_level.upper())
    level = found if isinstance(found, int) else 5   # uvicorn's "trace"
    if log_format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("sqlalchemy").setLevel(level if level <= logging.DEBUG else logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO if level <= logging.DEBUG else logging.WARNING)


def tls_dir(data_dir: Path | None) -> Path | None:
    return data_dir / "tls" if data_dir else None
