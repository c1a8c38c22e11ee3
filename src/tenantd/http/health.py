"""GET /_tenantd/health, /_tenantd/health/live and /_tenantd/health/ready on both listeners, without a token.

- live: the process answers (200, always): restart it only when this fails.
- ready: the database answers and the default tenant's signing key is loaded (200), else 503 with
  Retry-After: take the replica out of the pool until it answers 200 again.
- /_tenantd/health answers as ready does: a load balancer pointed at it before the split stops sending
  requests to a replica that has lost its database, which is what it was pointed there for.

Each answer names the worker process that gave it by a random label of its own (what tells the workers of
``--workers N`` apart) rather than its process id, which is no one's business outside the machine.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..domain.errors import Unavailable
from ..tokens.readiness import is_ready, readiness
from ..tokens.service import TokenService

FRESH = 1.0     # seconds an answer of the checks is reused
TIMEOUT = 2.0   # seconds a run of the checks may take before probes are answered "not ready"
_NO_STORE = {"Cache-Control": "no-store"}


@functools.cache
def _label(pid: int) -> str:
    """A label for the process ``pid``, made the first time that process asks (a forked worker is a new pid,
    so it does not inherit its parent's label)."""
    return secrets.token_hex(4)


class Probe:
    """The readiness checks of one application, one run at a time, each run's answer reused for ``FRESH``
    seconds: a flood of unauthenticated probes costs the database one query a second, and a database that
    hangs holds one thread, not one per probe, while every probe is answered within TIMEOUT."""

    def __init__(self, tokens: Callable[[], TokenService]) -> None:
        self._tokens = tokens   # the application's token service, looked up when a probe comes
        self._run: asyncio.Future[dict[str, str]] | None = None
        self._started = 0.0

    async def checks(self) -> dict[str, str]:
        now = time.monotonic()
        if self._run is None or (self._run.done() and now - self._started >= FRESH):
            self._started = now
            tokens = self._tokens()
            self._run = asyncio.ensure_future(run_in_threadpool(readiness, tokens.store, tokens.keyring))
        try:   # a run still going past TIMEOUT (a database that hangs) is answered for at once
            return await asyncio.wait_for(asyncio.shield(self._run), max(self._started + TIMEOUT - now, 0))
        except TimeoutError:
            return {"database": "not answering", "signing_keys": "not checked"}


async def live(request: Request) -> Response:
    return JSONResponse({"status": "ok", "worker": _label(os.getpid())}, headers=_NO_STORE)


async def ready(request: Request) -> Response:
    probe: Probe = request.app.state.readiness
    checks = await probe.checks()
    if is_ready(checks):
        return JSONResponse({"status": "ok", "checks": checks, "worker": _label(os.getpid())}, headers=_NO_STORE)
    return JSONResponse({"status": "unavailable", "checks": checks, "worker": _label(os.getpid())},
                        status_code=503, headers={**_NO_STORE, "Retry-After": str(Unavailable.retry_after)})


routes = [
    Route("/_tenantd/health", ready, methods=["GET"]),
    Route("/_tenantd/health/live", live, methods=["GET"]),
    Route("/_tenantd/health/ready", ready, methods=["GET"]),
]
