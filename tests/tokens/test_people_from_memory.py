"""People's grants answered on the event loop (``from_memory`` of the refresh token and authorization code
grants): a public client's request is answered from memory once the directory it needs is there, with what the
full path would answer; anything else, every refusal among them, is left to the full path and writes nothing
(the full path then spends a refused code or revokes a reused one's grant); on PostgreSQL, and while another
writer holds SQLite's lock, the full path answers."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
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
from tenantd.domain.sign_in_state import secret_hash
from tenantd.runtime import Runtime, open_runtime
from tenantd.tokens import jwt
from tenantd.tokens.codes import CodeRequest, issue_code
from tenantd.tokens.request import TokenRequest

CLI = builtins.AZURE_CLI_APP_ID
PASSWORD = "People-From-Memory-7"
VERIFIER = "a-verifier-of-the-people-from-memory-tests-" + "v" * 20
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@dataclass
class People:
    rt: Runtime
    tenant_id: str
    user_id: str
    api: str

    def request(self, **form: str) -> TokenRequest:
        return TokenRequest(tenant=self.tenant_id, endpoint_version=2, client_ip="127.0.0.1", basic_auth=None,
                            form={"client_id": CLI, **form})

    def scope(self, name: str = ".default") -> str:
        return f"{self.api}/{name} openid profile offline_access"

    def refresh(self, refresh_token: str, client_id: str = CLI) -> TokenRequest:
        return self.request(grant_type="refresh_token", refresh_token=refresh_token, scope=self.scope(),
                            client_id=client_id)

    def code(self, scope: str | None = None) -> tuple[str, TokenRequest]:
        now = int(time.time())
        code = issue_code(self.rt.store, CodeRequest(
            tenant_id=self.tenant_id, client_app_id=CLI, user_id=self.user_id, redirect_uri="http://localhost",
            scope=scope or self.scope(), resource=None, endpoint_version=2, code_challenge=CHALLENGE,
            code_challenge_method="S256", nonce=None, auth_time=now, session_hash=None), now)
        return code, self.request(grant_type="authorization_code", code=code, redirect_uri="http://localhost",
                                  code_verifier=VERIFIER, scope=scope or self.scope())

    def redeemed(self, code: str) -> bool:
        found = self.rt.store.grant_state.authorization_code(secret_hash(code))
        return found is not None and found.redeemed is not None

    def refresh_tokens(self) -> int:
        with self.rt.store.read() as tx:
            return len(tx.conn.exec_driver_sql("SELECT token_hash FROM refresh_tokens").fetchall())


@pytest.fixture
def people(database_url: str, tmp_path: Path) -> Iterator[People]:
    """An API with a role and a scope the Azure CLI is pre-authorized for, and Alice, who holds the role; the
    directory in memory after one refresh through the full path."""
    rt = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
    try:
        d = rt.directory
        tenant_id = d.create_tenant("contoso").id
        role = AppRole(id=str(uuid.uuid4()), value="Things.Reader", display_name="Reader", description="Reads",
                       allowed_member_types=("User",))
        scope_id = str(uuid.uuid4())
        api = d.create_application(tenant_id, "Things", identifier_uris=["api://things"], app_roles=[role],
                                   with_service_principal=True, settings={
                                       "api.oauth2PermissionScopes": [_scope(scope_id, "Things.Read"),
                                                                      _scope(str(uuid.uuid4()), "Things.Write")],
                                       "api.preAuthorizedApplications": [
                                           {"appId": CLI, "delegatedPermissionIds": [scope_id]}]})
        user = d.create_user(tenant_id, "alice@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
        d.assign(tenant_id, user.id, d.service_principal_by_app_id(tenant_id, api.app_id).id, role.id)
        found = People(rt, tenant_id, user.id, "api://things")
        signed_in = rt.tokens.token(found.request(grant_type="password", username="alice@contoso.test",
                                                  password=PASSWORD, scope=found.scope()))
        rt.tokens.token(found.refresh(signed_in["refresh_token"]))
        yield found
    finally:
        rt.store.dispose()


def _scope(scope_id: str, value: str) -> dict[str, Any]:
    return {"id": scope_id, "value": value, "type": "User", "isEnabled": True, "adminConsentDisplayName": value,
            "adminConsentDescription": value}


def _claims(body: dict[str, Any]) -> dict[str, Any]:
    return jwt.unverified_parts(body["access_token"])[1]


def test_a_public_clients_refresh_is_answered_from_memory(people: People) -> None:
    first = people.rt.tokens.token(people.refresh(_refresh_token(people)))
    answer = people.rt.tokens.token_from_memory(people.refresh(first["refresh_token"]))
    if not people.rt.store.is_sqlite:
        assert answer is None   # PostgreSQL: every people's grant takes a worker thread
        return
    assert answer is not None
    assert set(answer) >= {"access_token", "id_token", "refresh_token", "scope", "expires_in"}
    assert _claims(answer)["roles"] == ["Things.Reader"] and _claims(answer)["scp"] == "Things.Read"
    assert _steady(_claims(answer)) == _steady(_claims(first))   # what the full path gave, but for time and ids
    successor = people.rt.store.grant_state.refresh_token(secret_hash(answer["refresh_token"]))
    previous = people.rt.store.grant_state.refresh_token(secret_hash(first["refresh_token"]))
    assert successor is not None and previous is not None and successor.grant_id == previous.grant_id


def test_a_refusal_is_never_answered_from_memory_and_writes_nothing(people: People) -> None:
    refresh_token = _refresh_token(people)
    before = people.refresh_tokens()
    other_client = people.refresh(refresh_token, client_id=builtins.AZURE_POWERSHELL_APP_ID)
    assert people.rt.tokens.token_from_memory(other_client) is None
    assert people.refresh_tokens() == before
    with pytest.raises(OAuthError) as refused:
        people.rt.tokens.token(other_client)
    assert refused.value.aadsts == 70000
    people.rt.directory.revoke_sign_in_sessions(people.tenant_id, people.user_id)
    assert people.rt.tokens.token_from_memory(people.refresh(refresh_token)) is None
    assert people.refresh_tokens() == 0


def test_a_code_is_redeemed_from_memory_once_and_its_reuse_revokes_through_the_full_path(people: People) -> None:
    code, request = people.code()
    answer = people.rt.tokens.token_from_memory(request)
    if not people.rt.store.is_sqlite:
        assert answer is None and not people.redeemed(code)
        return
    assert answer is not None and people.redeemed(code)
    assert _claims(answer)["roles"] == ["Things.Reader"]
    assert people.rt.store.grant_state.refresh_token(secret_hash(answer["refresh_token"])) is not None
    assert people.rt.tokens.token_from_memory(request) is None   # redeemed: the full path answers
    with pytest.raises(OAuthError) as refused:
        people.rt.tokens.token(request)
    assert refused.value.aadsts == 54005
    assert people.rt.store.grant_state.refresh_token(secret_hash(answer["refresh_token"])) is None


def test_a_code_refused_on_the_event_loop_is_left_unspent_and_the_full_path_spends_it(people: People) -> None:
    code, request = people.code(f"{people.api}/Things.Write openid offline_access")   # not consented to
    assert people.rt.tokens.token_from_memory(request) is None
    assert not people.redeemed(code)
    with pytest.raises(OAuthError) as refused:
        people.rt.tokens.token(request)
    assert refused.value.aadsts == 65001 and people.redeemed(code)
    with pytest.raises(OAuthError) as again:
        people.rt.tokens.token(request)
    assert again.value.aadsts == 54005


def test_while_another_writer_holds_sqlites_lock_the_full_path_answers(people: People) -> None:
    code, request = people.code()
    if people.rt.store.is_sqlite:
        writer = sqlite3.connect(str(people.rt.store.engine.url.database), isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")   # another worker's write transaction
            assert people.rt.tokens.token_from_memory(request) is None
            writer.execute("ROLLBACK")
        finally:
            writer.close()
    else:
        assert people.rt.tokens.token_from_memory(request) is None
    assert not people.redeemed(code)
    assert "refresh_token" in people.rt.tokens.token(request)


def _steady(claims: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if name not in ("iat", "nbf", "exp", "uti", "aio", "rh")}


def _refresh_token(people: People) -> str:
    body = people.rt.tokens.token(people.request(grant_type="password", username="alice@contoso.test",
                                                 password=PASSWORD, scope=people.scope()))
    return str(body["refresh_token"])
