"""GET /metrics on the operator's metrics listener (``--metrics-port``): Prometheus's text format, every
worker's counts (any worker answers) and each tenant's signing key age, read at the scrape.

Its own listener, not the HTTPS one: what it tells (request rates, refusals by code, which tenants exist and
how old their keys are) is for the operator's monitoring, which reaches a loopback or private address, not
for every client of the tenant; and a scrape needs no token that a monitoring system would have to renew."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain.errors import Unavailable
from ..metrics import CONTENT_TYPE, scrape
from ..tokens.keys import Keyring
from . import health

KEY_AGE_TENANTS = 100   # tenants whose key ages a scrape reports (those with the oldest keys): a bounded series


def _answer(keyring: Keyring) -> bytes:
    try:
        ages = keyring.signing_ages(KEY_AGE_TENANTS)
    except Unavailable:   # counted as a database error; the rest of the scrape still answers
        ages = []
    return scrape(ages)


async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(_answer, request.app.state.keyring)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def create_metrics_app(keyring: Keyring) -> Starlette:
    app = Starlette(routes=[Route("/_tenantd/health/live", health.live, methods=["GET"]),
                           Route("/metrics", metrics, methods=["GET"])])
    app.state.keyring = keyring
    return app
