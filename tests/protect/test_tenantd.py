"""The validator against a real tenantd, configured as it would be for Entra ID (tenant, audiences, authority)
plus tenantd's CA: its v1 and v2 tokens pass with typed claims, other tenants' and other resources' tokens
do not, and PyJWT (a second, independent validator) agrees on every verdict."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from tenantd.domain import rules
from tenantd.protect import AsyncTokenValidator, Forbidden, InvalidToken, TokenValidator, require_roles

from ..support import Server

READ = "5b0c2a52-7b0e-4c59-9f3e-2f0d6c1b8a11"
ROLES = [{"id": READ, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["Application"]}]


@dataclass
class Tenant:
    id: str
    api_app_id: str
    v2_app_id: str
    client_id: str
    secret: str
    roleless_id: str
    roleless_secret: str


def _arrange(server: Server, tenant_id: str) -> Tenant:
    """An API (v1 tokens), a copy that asks for v2 tokens, a client holding the role on both, one without."""
    rt = server.runtime()
    d = rt.directory
    api = d.create_application(tenant_id, "Things API", identifier_uris=["api://things"],
                               app_roles=rules.app_roles(ROLES), with_service_principal=True)
    v2 = d.create_application(tenant_id, "Things API v2", identifier_uris=["api://things-v2"],
                              app_roles=rules.app_roles(ROLES), requested_access_token_version=2,
                              with_service_principal=True)
    client = d.create_application(tenant_id, "Things web", with_service_principal=True)
    _, secret = d.add_password(tenant_id, client.id)
    roleless = d.create_application(tenant_id, "Other web", with_service_principal=True)
    _, roleless_secret = d.add_password(tenant_id, roleless.id)
    client_sp = d.service_principal_by_app_id(tenant_id, client.app_id).id
    for resource in (api, v2):
        d.assign(tenant_id, client_sp, d.service_principal_by_app_id(tenant_id, resource.app_id).id, READ)
    rt.store.dispose()
    return Tenant(tenant_id, api.app_id, v2.app_id, client.app_id, secret, roleless.app_id, roleless_secret)


@pytest.fixture(scope="module")
def tenants(server: Server) -> Iterator[tuple[Tenant, Tenant]]:
    rt = server.runtime()
    second = rt.directory.create_tenant("second").id
    rt.store.dispose()
    yield _arrange(server, server.tenant_id), _arrange(server, second)


def token(server: Server, tenant: Tenant, scope: str, client: str = "client") -> str:
    client_id, secret = (tenant.client_id, tenant.secret) if client == "client" else \
        (tenant.roleless_id, tenant.roleless_secret)
    response = server.token(client_id, secret, scope, tenant=tenant.id)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def validator_for(server: Server, tenant: Tenant, *audiences: str) -> TokenValidator:
    return TokenValidator(tenant_id=tenant.id, audiences=audiences or ["api://things", tenant.api_app_id,
                                                                     tenant.v2_app_id],
                          authority=server.url, verify=server.ca_cert)


def test_v1_and_v2_tokens_pass_with_typed_claims(server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, _ = tenants
    validator = validator_for(server, first)
    v1 = validator.validate(token(server, first, "api://things/.default"))
    assert (v1.ver, v1.aud, v1.tid, v1.appid, v1.azp, v1.idtyp) == ("1.0", "api://things", first.id,
                                                                    first.client_id, None, "app")
    assert v1.iss == f"{server.url}/{first.id}/" and v1.roles == ("Things.Read.All",) and v1.scp is None
    assert v1.oid == v1.sub and v1.is_app_only and v1.app_id == first.client_id
    assert v1.raw["appidacr"] == "1"
    v2 = validator.validate(token(server, first, "api://things-v2/.default"))
    assert (v2.ver, v2.aud, v2.azp, v2.appid) == ("2.0", first.v2_app_id, first.client_id, None)
    assert v2.iss == f"{server.url}/{first.id}/v2.0"
    by_app_id = validator.validate(token(server, first, f"{first.api_app_id}/.default"))
    assert by_app_id.aud == first.api_app_id                        # v1 carries the resource as requested
    assert require_roles(v1, "Things.Read.All") is v1


def test_the_async_validator_agrees(server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, _ = tenants
    validator = AsyncTokenValidator(tenant_id=first.id, audiences=["api://things"], authority=server.url,
                                    verify=server.ca_cert)
    good, other = token(server, first, "api://things/.default"), token(server, first, "api://things-v2/.default")

    async def run() -> None:
        assert (await validator.validate(good)).roles == ("Things.Read.All",)
        with pytest.raises(InvalidToken):
            await validator.validate(other)

    asyncio.run(run())


def test_a_token_without_the_role_is_authentic_but_forbidden(server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, _ = tenants
    claims = validator_for(server, first).validate(token(server, first, "api://things/.default", client="roleless"))
    assert claims.roles == ()
    with pytest.raises(Forbidden):
        require_roles(claims, "Things.Read.All")


def test_tokens_for_other_resources_are_refused(server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, _ = tenants
    validator = validator_for(server, first, "api://things")
    for other in (token(server, first, "api://things-v2/.default"), server.admin_token(),
                  server.admin_token("api://tenantd")):
        with pytest.raises(InvalidToken) as caught:
            validator.validate(other)
        assert caught.value.description == "The access token is not for this resource."


def test_the_same_api_in_a_second_tenant_refuses_the_first_tenants_tokens(
        server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, second = tenants
    for_second = validator_for(server, second)
    assert for_second.validate(token(server, second, "api://things/.default")).tid == second.id
    for scope in ("api://things/.default", "api://things-v2/.default"):
        with pytest.raises(InvalidToken) as caught:
            for_second.validate(token(server, first, scope))
        assert caught.value.reason == "issuer not accepted"
    with pytest.raises(InvalidToken):
        validator_for(server, first).validate(token(server, second, "api://things/.default"))


def _pyjwt_verdict(server: Server, tenant: Tenant, raw: str, audience: str) -> dict[str, Any] | None:
    """PyJWT with PyJWKClient, as its documentation shows, fed by the same discovery documents."""
    context = ssl.create_default_context(cafile=server.ca_cert)
    with server.http() as client:
        documents = [client.get(f"/{tenant.id}{path}/.well-known/openid-configuration").json()
                     for path in ("", "/v2.0")]
    issuer = jwt.decode(raw, options={"verify_signature": False}).get("iss")
    document = next((d for d in documents if d["issuer"] == issuer), None)
    if document is None:
        return None
    try:
        key = jwt.PyJWKClient(document["jwks_uri"], ssl_context=context).get_signing_key_from_jwt(raw)
        return jwt.decode(raw, key.key, algorithms=["RS256"], audience=audience, issuer=document["issuer"],
                          options={"require": ["exp", "iss", "aud"]})
    except jwt.PyJWTError:
        return None


def test_pyjwt_agrees_on_every_verdict(server: Server, tenants: tuple[Tenant, Tenant]) -> None:
    first, second = tenants
    tokens = {
        "v1": token(server, first, "api://things/.default"),
        "v2 for another api": token(server, first, "api://things-v2/.default"),
        "other tenant": token(server, second, "api://things/.default"),
        "graph": server.admin_token(),
    }
    tokens["tampered"] = tokens["v1"][:-8] + ("A" if tokens["v1"][-8] != "A" else "B") + tokens["v1"][-7:]
    validator = validator_for(server, first, "api://things")
    verdicts = {}
    for name, raw in tokens.items():
        try:
            ours: dict[str, Any] | None = dict(validator.validate(raw).raw)
        except InvalidToken:
            ours = None
        assert ours == _pyjwt_verdict(server, first, raw, "api://things"), name
        verdicts[name] = ours is not None
    assert verdicts == {"v1": True, "v2 for another api": False, "other tenant": False, "graph": False,
                        "tampered": False}
