"""What still ends in a 500 (a fault no handler expected) answers in the protocol's shape and closes its
connection cleanly: the server ends a connection once it has logged the error, so a 500 that let the client
keep it alive left the next request on it unanswered ("Server disconnected without sending a response").
Served as `tenantd up` serves them: uvicorn with tenantd's protocol class, on loopback, one keep-alive client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tenantd import server
from tenantd.http.app import create_app
from tenantd.http.host_limits import HostLimiter
from tenantd.http.identity import create_identity_app


async def fault(request: Request) -> Response:
    raise RuntimeError("a fault no handler expected")


def _main_app() -> Starlette:
    app = create_app(None)  # type: ignore[arg-type]  # neither route below needs a runtime
    app.router.routes[:0] = [Route("/v1.0/fault", fault), Route("/common/fault", fault)]
    return app


def _identity_app() -> Starlette:
    app = create_identity_app(None, HostLimiter(20, 5))  # type: ignore[arg-type]
    app.router.routes[:0] = [Route("/msi/token", fault), Route("/fault", fault)]
    return app


@pytest.fixture(params=["main", "identity"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    app = _main_app() if request.param == "main" else _identity_app()
    sock = server.bind("127.0.0.1", 0)
    listener = uvicorn.Server(server._config(app, "critical", None, server.Timeouts(), "text"))
    thread = threading.Thread(target=lambda: asyncio.run(listener.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not listener.started:
        assert thread.is_alive()
        threading.Event().wait(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    listener.should_exit = True
    thread.join(10)
    sock.close()


def test_a_500_closes_its_connection_and_the_next_request_is_answered(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        answered = 0
        for path in ("/v1.0/fault", "/common/fault", "/msi/token", "/fault"):
            response = client.get(path)
            if response.status_code == 404:
                continue   # a route of the other listener
            answered += 1
            assert client.get("/_tenantd/health/live").status_code == 200   # on the same client, as keep-alive would
            assert response.status_code == 500, response.text
            assert response.headers["connection"] == "close"
            assert "no handler expected" not in response.text   # the exception stays in the server's log
            body = response.json()
            if path.startswith("/v1.0"):
                assert body["error"]["code"] == "InternalServerError", body
            elif path.startswith("/common"):
                assert body["error"] == "server_error" and body["error_codes"] == [50000], body
            elif path.startswith("/msi"):
                assert body["statusCode"] == 500, body
            else:
                assert body["error"] == "server_error", body
        assert answered == 2
