"""The FastAPI / Starlette adapter through httpx's ASGITransport: 200, 401 and 403 with RFC 6750 challenges,
the same answer whatever made a token invalid, and never a 500 for garbage."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tenantd.protect import AsyncTokenValidator, Claims, TokenValidator
from tenantd.protect.starlette import BearerAuth

from .conftest import Clock
from .idp import API_APP_ID, API_URI, CLIENT_APP_ID, Idp, new_key

INVALID = 'Bearer realm="", error="invalid_token", error_description="The access token is invalid."'
FORBIDDEN = ('Bearer realm="", error="insufficient_scope", '
             'error_description="The access token does not grant the required role."')


@pytest.fixture
def async_validator(idp: Idp, ca: Any, clock: Clock) -> AsyncTokenValidator:
    return AsyncTokenValidator(tenant_id=idp.tenant, audiences=[API_URI, API_APP_ID], authority=idp.url,
                               verify=str(ca.ca_file), clock=clock, timeout=1.0)


def fastapi_app(validator: TokenValidator | AsyncTokenValidator) -> FastAPI:
    bearer = BearerAuth(validator)
    app = FastAPI()

    @app.get("/things")
    async def things(claims: Claims = Depends(bearer.require_roles("Things.Read.All"))) -> dict[str, Any]:
        return {"caller": claims.app_id, "roles": list(claims.roles)}

    @app.get("/admin")
    async def admin(claims: Claims = Depends(bearer.require_roles("Things.Read.All", "Things.Write",
                                                                  mode="all"))) -> dict[str, Any]:
        return {"caller": claims.app_id}

    @app.get("/jobs")
    def jobs(claims: Claims = Depends(bearer.require_roles("Things.Read.All", principal="app"))) -> dict[str, Any]:
        return {"caller": claims.app_id}

    @app.get("/me")
    async def me(claims: Claims = Depends(bearer.authenticate)) -> dict[str, Any]:
        return {"oid": claims.oid}

    return app


def call(app: Any, path: str, token: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test") as client:
            return await client.get(path, headers=sent)
    return asyncio.run(run())


@pytest.fixture(params=["async", "sync"])
def app(request: pytest.FixtureRequest, async_validator: AsyncTokenValidator, validator: TokenValidator) -> FastAPI:
    return fastapi_app(async_validator if request.param == "async" else validator)


def test_a_token_with_the_role_gets_200(app: FastAPI, idp: Idp) -> None:
    response = call(app, "/things", idp.token())
    assert response.status_code == 200, response.text
    assert response.json() == {"caller": CLIENT_APP_ID, "roles": ["Things.Read.All"]}
    assert call(app, "/things", idp.token(version=1)).status_code == 200
    assert call(app, "/jobs", idp.token()).status_code == 200
    assert call(app, "/me", idp.token(roles=None)).status_code == 200


def test_no_token_gets_a_challenge_without_an_error_code(app: FastAPI, idp: Idp) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Token abc"}):
        response = call(app, "/things", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm=""'


def test_every_invalid_token_gets_the_same_401(app: FastAPI, idp: Idp) -> None:
    forged = idp.token(key=new_key("forged"), header={"kid": "key-1"})
    unknown_kid = idp.token(key=new_key("forged"), header={"kid": "forged"})
    for token in ["garbage", forged, unknown_kid, idp.token(iss="https://evil.test/"),
                  idp.token(header={"alg": "HS256"}), "a" * 20_000, idp.token() + "x", "..", "e30.e30.e30"]:
        response = call(app, "/things", token)
        assert response.status_code == 401, token[:40]
        assert response.headers["WWW-Authenticate"] == INVALID
        assert response.json() == {"detail": "The access token is invalid."}
    assert call(app, "/things", headers={"Authorization": "Bearer a b"}).headers["WWW-Authenticate"] == INVALID
    assert call(app, "/things", headers={"Authorization": "Bearer "}).headers["WWW-Authenticate"] == INVALID


def test_expired_and_wrong_audience_say_so_and_no_more(app: FastAPI, idp: Idp, clock: Clock) -> None:
    response = call(app, "/things", idp.token(exp=int(clock.now) - 301))
    assert response.status_code == 401
    assert 'error="invalid_token", error_description="The access token has expired."' in \
        response.headers["WWW-Authenticate"]
    response = call(app, "/things", idp.token(aud="https://graph.microsoft.com"))
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not for this resource."}


def test_missing_roles_get_403_insufficient_scope(app: FastAPI, idp: Idp) -> None:
    for token in [idp.token(roles=None), idp.token(roles="Things.Read.All"), idp.token(roles=["things.read.all"]),
                  idp.token(roles=None, idtyp="user", scp="Things.Read.All")]:
        response = call(app, "/things", token)
        assert response.status_code == 403, response.text
        assert response.headers["WWW-Authenticate"] == FORBIDDEN
    assert call(app, "/admin", idp.token()).status_code == 403
    assert call(app, "/admin", idp.token(roles=["Things.Write", "Things.Read.All"])).status_code == 200
    delegated = idp.token(idtyp="user", scp="Things.Read")
    assert call(app, "/things", delegated).status_code == 200
    response = call(app, "/jobs", delegated)
    assert response.status_code == 403
    assert response.json() == {"detail": "The endpoint accepts only application tokens."}


def test_unavailable_keys_get_503_with_retry_after(app: FastAPI, idp: Idp) -> None:
    idp.mode = "500"
    response = call(app, "/things", idp.token())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "WWW-Authenticate" not in response.headers


def test_plain_starlette_routes_use_the_same_helpers(async_validator: AsyncTokenValidator, idp: Idp) -> None:
    bearer = BearerAuth(async_validator, realm="things")
    require_read = bearer.require_roles("Things.Read.All")

    async def things(request: Request) -> JSONResponse:
        claims = await require_read(request)
        return JSONResponse({"caller": claims.app_id})

    app = Starlette(routes=[Route("/things", things)])
    assert call(app, "/things", idp.token()).json() == {"caller": CLIENT_APP_ID}
    response = call(app, "/things", "garbage")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID.replace('realm=""', 'realm="things"')
    assert response.text == "The access token is invalid."
    response = call(app, "/things", idp.token(roles=None))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == FORBIDDEN.replace('realm=""', 'realm="things"')


def test_the_realm_cannot_break_the_header(validator: TokenValidator) -> None:
    for realm in ['a"b', "a\\b"]:
        with pytest.raises(ValueError):
            BearerAuth(validator, realm=realm)


def test_require_roles_rejects_a_meaningless_requirement(validator: TokenValidator) -> None:
    bearer = BearerAuth(validator)
    bad: list[Callable[[], Any]] = [lambda: bearer.require_roles(), lambda: bearer.require_roles(""),
                                    lambda: bearer.require_roles("A", mode="some"),  # type: ignore[arg-type]
                                    lambda: bearer.require_roles("A", principal="robot")]  # type: ignore[arg-type]
    for make in bad:
        with pytest.raises(ValueError):
            make()
