"""The OpenID Connect UserInfo endpoint's answer (``/oidc/userinfo``): claims about the user an access token for
Microsoft Graph was issued to, as Entra answers them. App-only tokens, tokens for another audience and ID
tokens are refused (the adapter answers 401 with ``WWW-Authenticate``)."""

from __future__ import annotations

from typing import Any

from .service import BearerRejected, TokenService, verify_bearer


def userinfo(service: TokenService, token: str, graph_audiences: set[str]) -> dict[str, Any]:
    """``sub`` (the same pairwise subject as the client's ID token), ``name`` and, when the directory holds
    one, ``email``; BearerRejected for any token that is not a user's for Graph."""
    claims = verify_bearer(service, token, graph_audiences)
    if claims.get("idtyp") != "user":
        raise BearerRejected("The access token was issued to an application, not to a user.")
    with service.store.read() as tx:
        user = tx.user(str(claims["tid"]), str(claims.get("oid", "")))
    if user is None or not user.account_enabled:
        raise BearerRejected("The user of the access token no longer signs in.")
    answer: dict[str, Any] = {"sub": claims["sub"], "name": user.display_name}
    if user.mail:
        answer["email"] = user.mail
    return answer
