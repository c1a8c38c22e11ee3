"""Delegated scopes and scope-or-app-permission rules: what passes and what is 403, on claims and through the
FastAPI adapter."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
from fastapi import Depends, FastAPI

from tenantd.protect import (
    AsyncTokenValidator,
    Claims,
    Forbidden,
    ScopeOrRoleRequirement,
    ScopeRequirement,
    require_scope_or_role,
    require_scopes,
)
from tenantd.protect.starlette import BearerAuth

from .conftest import Clock
from .idp import API_APP_ID, API_URI, Idp
from .test_starlette import call

NO_SCOPE = ('Bearer realm="", error="insufficient_scope", '
            'error_description="The access token does not grant the required scope."')


def claims(scp: str | None = None, roles: tuple[str, ...] = (), idtyp: str | None = None) -> Claims:
    raw: Mapping[str, Any] = MappingProxyType({})
    return Claims(iss="https://login.test/t/v2.0", aud=API_APP_ID, tid="t", ver="2.0", exp=0.0, sub="s",
                  oid="o", appid=None, azp="c", idtyp=idtyp or ("app" if scp is None else "user"), roles=roles,
                  scp=scp, raw=raw)


def test_a_user_token_needs_one_of_the_scopes_exactly() -> None:
    user = claims(scp="Orders.Read User.Read")
    assert require_scopes(user, "Orders.Read") is user
    assert require_scopes(user, "Orders.Write", "Orders.Read") is user
    for scopes in (("orders.read",), ("Orders.Write",), ("Orders",)):
        with pytest.raises(Forbidden, match="required scope"):
            require_scopes(user, *scopes)
    with pytest.raises(Forbidden):
        require_scopes(user, "Orders.Read", "Orders.Write", mode="all")
    assert require_scopes(claims(scp="Orders.Read Orders.Write"), "Orders.Read", "Orders.Write", mode="all")


def test_an_app_only_token_never_holds_a_scope_even_with_a_role_of_that_name() -> None:
    with pytest.raises(Forbidden, match="delegated"):
        require_scopes(claims(roles=("Orders.Read",)), "Orders.Read")
    with pytest.raises(Forbidden, match="delegated"):   # an scp on an app-only token is not a user's scope
        require_scopes(claims(scp="Orders.Read", idtyp="app"), "Orders.Read")


def test_scope_or_app_permission_admits_either_and_nothing_else() -> None:
    rule = ScopeOrRoleRequirement.named(scopes="Orders.Read", roles=("Orders.Read.All",))
    assert rule.check(claims(scp="Orders.Read"))
    assert rule.check(claims(roles=("Orders.Read.All",)))
    assert rule.check(claims(scp="User.Read", roles=("Orders.Read.All",)))   # a user assigned the role
    for refused in (claims(scp="User.Read"), claims(roles=("Orders.Write.All",)),
                    claims(scp="Orders.Read", idtyp="app"), claims(scp="Orders.Read.All")):
        with pytest.raises(Forbidden, match="neither"):
            rule.check(refused)
    assert require_scope_or_role(claims(roles=("Orders.Read.All",)), roles="Orders.Read.All")


@pytest.mark.parametrize("build", [
    lambda: ScopeRequirement(()),
    lambda: ScopeRequirement(("",)),
    lambda: ScopeRequirement(("Orders.Read Orders.Write",)),
    lambda: ScopeRequirement(("Orders.Read",), mode="some"),   # type: ignore[arg-type]
    lambda: ScopeOrRoleRequirement.named(),
    lambda: ScopeOrRoleRequirement.named(scopes=("ok", "")),
])
def test_bad_requirements_fail_when_declared(build: Any) -> None:
    with pytest.raises(ValueError):
        build()


def test_one_scope_as_a_string_is_one_scope() -> None:
    assert ScopeRequirement("Orders.Read").scopes == ("Orders.Read",)   # type: ignore[arg-type]


def orders_app(validator: AsyncTokenValidator) -> FastAPI:
    bearer = BearerAuth(validator)
    app = FastAPI()

    @app.get("/orders")
    async def orders(claims: Claims = Depends(bearer.require_scope_or_role(
            scopes="Orders.Read", roles="Orders.Read.All"))) -> dict[str, Any]:
        return {"oid": claims.oid}

    @app.get("/mine")
    async def mine(claims: Claims = Depends(bearer.require_scopes("Orders.Read"))) -> dict[str, Any]:
        return {"oid": claims.oid}

    return app


def test_the_adapter_answers_403_insufficient_scope(idp: Idp, ca: Any, clock: Clock) -> None:
    validator = AsyncTokenValidator(tenant_id=idp.tenant, audiences=[API_URI, API_APP_ID], authority=idp.url,
                                    verify=str(ca.ca_file), clock=clock, timeout=1.0)
    app = orders_app(validator)
    user = idp.token(roles=None, idtyp="user", scp="Orders.Read")
    app_only = idp.token(roles=["Orders.Read.All"])
    assert call(app, "/orders", user).status_code == 200
    assert call(app, "/orders", app_only).status_code == 200
    assert call(app, "/mine", user).status_code == 200
    response = call(app, "/mine", idp.token(roles=None, idtyp="user", scp="User.Read"))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == NO_SCOPE
    assert call(app, "/mine", app_only).status_code == 403
    assert call(app, "/orders", idp.token(roles=["Things.Read.All"])).status_code == 403
    assert call(app, "/orders", "garbage").status_code == 401
