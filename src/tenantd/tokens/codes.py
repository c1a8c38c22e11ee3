"""Authorization codes: what the authorize endpoint hands a client after a person signs in, redeemed once at
the token endpoint (``grants/authorization_code.py``). The code is 256 random bits; only its hash is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..domain.sign_in_state import AuthorizationCode, secret_hash
from ..store import Store

CODE_LIFETIME = 600   # seconds: Entra's codes live about 10 minutes (SECURITY item 38)


@dataclass(frozen=True)
class CodeRequest:
    """What a code is bound to, as the authorize endpoint validated it."""

    tenant_id: str
    client_app_id: str
    user_id: str
    redirect_uri: str
    scope: str                       # as requested (v2), OpenID Connect scopes included
    resource: str | None             # v1's ``resource``
    endpoint_version: int
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: int
    session_hash: str | None


def issue_code(store: Store, request: CodeRequest, now: int) -> str:
    """Store a new code for ``request``; the code itself, which is never stored."""
    code = secrets.token_urlsafe(32)
    record = AuthorizationCode(
        code_hash=secret_hash(code), tenant_id=request.tenant_id, client_app_id=request.client_app_id,
        user_id=request.user_id, redirect_uri=request.redirect_uri, scope=request.scope, resource=request.resource,
        endpoint_version=request.endpoint_version, code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method, nonce=request.nonce, auth_time=request.auth_time,
        session_hash=request.session_hash, created=now, expires=now + CODE_LIFETIME,
    )
    with store.write() as tx:
        tx.insert_authorization_code(record)
    return code
