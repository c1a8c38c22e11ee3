"""The on-behalf-of grant answered on the event loop (``on_behalf_of.from_memory``): a middle tier's exchange is
answered from memory, with what the full path answers, once the directory and the tenant's keys it needs are
there; what changed since (her sessions revoked, a consent grant deleted, the assertion's key revoked, a wrong
secret) is never answered from memory, from the very next request on, and the full path refuses it with Entra's
code. On PostgreSQL the full path answers every request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins
from tenantd.domain.errors import OAuthError
from tenantd.domain.model import AppRole
from tenantd.runtime import Runtime, open_runtime
from tenantd.tokens import jwt
from tenantd.tokens.request import TokenRequest

CLI = builtins.AZURE_CLI_APP_ID
PASSWORD = "On-Behalf-Of-From-Memory-7"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
THINGS, MIDDLE = "api://things", "api://middle"


@dataclass
class Exchange:
    rt: Runtime
    tenant_id: str
    user_id: str
    middle_app_id: str
    secret: str
    assertion: str
    grant_id: str   # the middle tier's delegated permission grant (for every user) on Things

    def request(self, scope: str, **form: str) -> TokenRequest:
        return TokenRequest(tenant=self.tenant_id, endpoint_version=2, client_ip="127.0.0.1", basic_auth=None,
                            form={"grant_type": JWT_BEARER, "requested_token_use": "on_behalf_of",
                                  "client_id": self.middle_app_id, "client_secret": self.secret,
                                  "assertion": self.assertion, "scope": scope, **form})

    def sign_in(self) -> str:
        """Alice's token for the middle tier, as the Azure CLI signs her in for it."""
        return str(self.rt.tokens.token(TokenRequest(
            tenant=self.tenant_id, endpoint_version=2, client_ip="127.0.0.1", basic_auth=None,
            form={"grant_type": "password", "client_id": CLI, "username": "alice@contoso.test",
                  "password": PASSWORD, "scope": f"{MIDDLE}/Middle.Use"}))["access_token"])

    def refused(self, request: TokenRequest) -> int | None:
        """The AADSTS code of the full path's refusal."""
        with pytest.raises(OAuthError) as refusal:
            self.rt.tokens.token(request)
        return refusal.value.aadsts

    def refresh_tokens(self) -> int:
        with self.rt.store.read() as tx:
            return len(tx.conn.exec_driver_sql("SELECT token_hash FROM refresh_tokens").fetchall())


@pytest.fixture
def exchange(database_url: str, tmp_path: Path) -> Iterator[Exchange]:
    """Things (a role Alice holds, a scope the middle tier holds by an admin's consent grant); the middle tier (a
    secret, its own API the Azure CLI may ask for); Alice's token for the middle tier, exchanged once through the
    full path (the directory in memory)."""
    rt = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
    try:
        d = rt.directory
        tenant_id = d.create_tenant("contoso").id
        role = AppRole(id=str(uuid.uuid4()), value="Things.Reader", display_name="Reader", description="Reads",
                       allowed_member_types=("User",))
        things = d.create_application(tenant_id, "Things", identifier_uris=[THINGS], app_roles=[role],
                                      with_service_principal=True, settings={"api.oauth2PermissionScopes": [
                                          _scope(str(uuid.uuid4()), "Things.Read")]})
        middle_scope = str(uuid.uuid4())
        middle = d.create_application(tenant_id, "Middle", identifier_uris=[MIDDLE], with_service_principal=True,
                                      settings={"api.oauth2PermissionScopes": [_scope(middle_scope, "Middle.Use")],
                                                "api.preAuthorizedApplications": [
                                                    {"appId": CLI, "delegatedPermissionIds": [middle_scope]}]})
        _, secret = d.add_password(tenant_id, middle.id)
        things_sp = d.service_principal_by_app_id(tenant_id, things.app_id).id
        middle_sp = d.service_principal_by_app_id(tenant_id, middle.app_id).id
        grant = d.create_grant(tenant_id, middle_sp, "AllPrincipals", None, things_sp, "Things.Read")
        user = d.create_user(tenant_id, "alice@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
        d.assign(tenant_id, user.id, things_sp, role.id)
        found = Exchange(rt, tenant_id, user.id, middle.app_id, secret, "", grant.id)
        found.assertion = found.sign_in()
        rt.tokens.token(found.request(f"{THINGS}/Things.Read"))
        yield found
    finally:
        rt.store.dispose()


def _scope(scope_id: str, value: str) -> dict[str, Any]:
    return {"id": scope_id, "value": value, "type": "User", "isEnabled": True, "adminConsentDisplayName": value,
            "adminConsentDescription": value}


def _claims(token: str) -> dict[str, Any]:
    return jwt.unverified_parts(token)[1]


def _steady(claims: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if name not in ("iat", "nbf", "exp", "uti", "aio", "rh")}


def test_an_exchange_is_answered_from_memory_as_the_full_path_answers_it(exchange: Exchange) -> None:
    tokens = exchange.rt.tokens
    alone = exchange.request(f"{THINGS}/Things.Read")
    as_msal = exchange.request(f"{THINGS}/Things.Read openid profile offline_access", client_info="1")
    full, full_msal = tokens.token(alone), tokens.token(as_msal)
    before = exchange.refresh_tokens()
    answer = tokens.token_from_memory(alone)
    if not exchange.rt.store.is_sqlite:
        assert answer is None and tokens.token_from_memory(as_msal) is None
        return
    assert answer is not None and set(answer) == set(full)
    assert exchange.refresh_tokens() == before   # nothing written for an access token alone
    claims = _claims(answer["access_token"])
    assert claims["scp"] == "Things.Read" and claims["roles"] == ["Things.Reader"]
    assert claims["oid"] == exchange.user_id and claims["appid"] == exchange.middle_app_id
    assert _steady(claims) == _steady(_claims(full["access_token"]))
    msal = tokens.token_from_memory(as_msal)
    assert msal is not None and set(msal) == set(full_msal) >= {"id_token", "refresh_token", "client_info"}
    assert exchange.refresh_tokens() == before + 1
    assert _steady(_claims(msal["id_token"])) == _steady(_claims(full_msal["id_token"]))


def test_revoked_sessions_refuse_the_next_exchange_and_the_event_loop_never_answers_it(exchange: Exchange) -> None:
    request = exchange.request(f"{THINGS}/Things.Read")
    tokens = exchange.rt.tokens
    assert (tokens.token_from_memory(request) is not None) == exchange.rt.store.is_sqlite
    time.sleep(1.1)   # revocation is to the second (signInSessionsValidFromDateTime): after the assertion's iat
    exchange.rt.directory.revoke_sign_in_sessions(exchange.tenant_id, exchange.user_id)
    assert tokens.token_from_memory(request) is None
    assert exchange.refused(request) == 50173
    # she signs in again and her new token is exchanged: memory holds all the old one needs, her revocation too
    fresh = exchange.request(f"{THINGS}/Things.Read", assertion=exchange.sign_in())
    assert "access_token" in tokens.token(fresh)
    assert (tokens.token_from_memory(fresh) is not None) == exchange.rt.store.is_sqlite
    assert tokens.token_from_memory(request) is None
    assert exchange.refused(request) == 50173


def test_a_deleted_consent_grant_refuses_the_next_exchange_and_the_event_loop_never_answers_it(
        exchange: Exchange) -> None:
    request = exchange.request(f"{THINGS}/Things.Read")
    tokens = exchange.rt.tokens
    assert (tokens.token_from_memory(request) is not None) == exchange.rt.store.is_sqlite
    exchange.rt.directory.delete_grant(exchange.tenant_id, exchange.grant_id)
    assert tokens.token_from_memory(request) is None
    assert exchange.refused(request) == 65001
    # .default too: with the grant gone the middle tier holds nothing on the API, whatever her role there
    default = exchange.request(f"{THINGS}/.default")
    assert tokens.token_from_memory(default) is None
    assert exchange.refused(default) == 65001
    assert tokens.token_from_memory(request) is None


def test_a_revoked_signing_key_refuses_an_assertion_verified_before(exchange: Exchange) -> None:
    """The assertion's verified signature is kept; the key that verified it must still be published."""
    request = exchange.request(f"{THINGS}/Things.Read")
    tokens, keyring = exchange.rt.tokens, exchange.rt.tokens.keyring
    assert (tokens.token_from_memory(request) is not None) == exchange.rt.store.is_sqlite
    kid = jwt.unverified_parts(exchange.assertion)[0]["kid"]
    keyring.rotate(exchange.tenant_id, immediately=True)
    assert keyring.revoke(exchange.tenant_id, kid) is not None
    assert tokens.token_from_memory(request) is None
    assert exchange.refused(request) == 50013
    assert tokens.token_from_memory(request) is None
    assert exchange.refused(request) == 50013


def test_a_wrong_secret_is_refused_by_the_full_path_alone(exchange: Exchange) -> None:
    wrong = exchange.request(f"{THINGS}/Things.Read", client_secret="not-the-secret")
    assert exchange.rt.tokens.token_from_memory(wrong) is None
    assert exchange.refused(wrong) == 7000215
    foreign = exchange.request(f"{THINGS}/Things.Read", assertion=exchange.assertion[:-4] + "AAAA")
    assert exchange.rt.tokens.token_from_memory(foreign) is None
    assert exchange.refused(foreign) == 50013
