"""Access token claims, built apart from any grant (v1 and v2 app-only shapes of Entra)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from .group_claims import group_claims, with_claims


@dataclass(frozen=True)
class Issuers:
    """Both issuers of one tenant, derived from the server's single public URL."""

    v1: str
    v2: str

    @classmethod
    def for_tenant(cls, public_url: str, tenant_id: str) -> Issuers:
        base = public_url.rstrip("/")
        return cls(v1=f"{base}/{tenant_id}/", v2=f"{base}/{tenant_id}/v2.0")


@dataclass(frozen=True)
class AppTokenRequest:
    """Who the token is for and what it grants, as resolved by a grant."""

    tenant_id: str
    client_app_id: str
    client_object_id: str
    client_auth_class: str          # "0" public, "1" secret, "2" certificate / managed identity
    resource_app_id: str
    audience_as_requested: str       # v1 tokens carry the resource exactly as the client named it
    version: int                     # 1 or 2, chosen by the resource
    roles: tuple[str, ...]
    extra: tuple[tuple[str, str], ...] = ()   # e.g. xms_mirid for managed identities
    groups: tuple[str, ...] | None = None    # the client's groups the resource asks for (None: it asks for none)


def _opaque(n: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).rstrip(b"=").decode("ascii")


def app_only_claims(req: AppTokenRequest, issuers: Issuers, now: int, lifetime: int) -> dict[str, Any]:
    """Claims of an app-only access token, in the order Entra writes them."""
    v2 = req.version == 2
    claims: dict[str, Any] = {
        "aud": req.resource_app_id if v2 else req.audience_as_requested,
        "iss": issuers.v2 if v2 else issuers.v1,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "aio": _opaque(48),
    }
    if v2:
        claims["azp"] = req.client_app_id
        claims["azpacr"] = req.client_auth_class
    else:
        claims["appid"] = req.client_app_id
        claims["appidacr"] = req.client_auth_class
        claims["idp"] = issuers.v1
    claims["idtyp"] = "app"
    claims["oid"] = req.client_object_id
    claims["rh"] = "0." + _opaque(48) + "."
    if req.roles:
        claims["roles"] = list(req.roles)
    claims["sub"] = req.client_object_id
    claims["tid"] = req.tenant_id
    claims["uti"] = _opaque(16)
    claims["ver"] = "2.0" if v2 else "1.0"
    claims.update(dict(req.extra))
    return with_claims(claims, group_claims(req.groups, req.tenant_id, req.client_object_id,
                                            collection="servicePrincipals"))


@dataclass(frozen=True)
class UserTokenRequest:
    """A user's (delegated) token: who signed in, through which client app, for which resource."""

    tenant_id: str
    user_object_id: str
    user_principal_name: str
    display_name: str
    client_app_id: str
    resource_app_id: str
    audience_as_requested: str
    version: int
    roles: tuple[str, ...]
    scopes: tuple[str, ...]          # ``scp``; none: no ``scp`` claim (only roles, or nothing, were granted)
    client_auth_class: str = "0"    # "0" public client, "1" secret, "2" certificate
    wids: tuple[str, ...] = ()       # template ids of the user's directory roles (domain/directory_roles.py)
    groups: tuple[str, ...] | None = None   # the user's groups the resource asks for (None: it asks for none)


@dataclass(frozen=True)
class IdTokenFacts:
    """What an ID token says beyond the user and the client: its format (the endpoint's version), the
    ``nonce`` the client sent to the authorize endpoint, the address the user signed in from (v1), the
    ``c_hash`` of the code it comes with (the authorization endpoint's ``code id_token`` only), and ``wids``
    when the client's ``groupMembershipClaims`` asks for directory roles."""

    version: int = 2
    nonce: str | None = None
    client_ip: str | None = None
    code_hash: str | None = None
    directory_roles: bool = False    # the client asks for them (groupMembershipClaims): ``wids`` from the request
    groups: tuple[str, ...] | None = None   # the user's groups the client asks for (None: it asks for none)
    implicit: bool = False                   # sent through the browser: more than five groups become hasgroups


def code_hash(code: str) -> str:
    """OpenID Connect's ``c_hash`` for an RS256 token: base64url of the left half of the SHA-256 of the code's
    ASCII octets (Core 1.0, section 3.3.2.11)."""
    digest = hashlib.sha256(code.encode("ascii")).digest()
    return _b64(digest[:len(digest) // 2])


def pairwise_subject(object_id: str, client_app_id: str) -> str:
    """Entra's ``sub`` for users: stable per user and client app, and different across apps."""
    return _b64(hashlib.sha256(f"{object_id}|{client_app_id}".encode()).digest())[:43]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def user_claims(req: UserTokenRequest, issuers: Issuers, now: int, lifetime: int) -> dict[str, Any]:
    """Claims of a user's access token (v1 or v2), in the order Entra writes them."""
    v2 = req.version == 2
    claims: dict[str, Any] = {
        "aud": req.resource_app_id if v2 else req.audience_as_requested,
        "iss": issuers.v2 if v2 else issuers.v1,
        "iat": now, "nbf": now, "exp": now + lifetime,
    }
    if not v2:
        claims.update(acr="1")
    claims["aio"] = _opaque(48)
    if v2:
        claims.update(azp=req.client_app_id, azpacr=req.client_auth_class)
    else:
        claims.update(amr=["pwd"], appid=req.client_app_id, appidacr=req.client_auth_class)
    claims["idtyp"] = "user"
    claims["name"] = req.display_name
    claims["oid"] = req.user_object_id
    if v2:
        claims["preferred_username"] = req.user_principal_name
    claims["rh"] = "0." + _opaque(48) + "."
    if req.roles:
        claims["roles"] = list(req.roles)
    if req.scopes:
        claims["scp"] = " ".join(req.scopes)
    claims["sub"] = pairwise_subject(req.user_object_id, req.client_app_id)
    claims["tid"] = req.tenant_id
    if not v2:
        claims.update(unique_name=req.user_principal_name, upn=req.user_principal_name)
    claims["uti"] = _opaque(16)
    claims["ver"] = "2.0" if v2 else "1.0"
    if req.wids:
        claims["wids"] = list(req.wids)
    return with_claims(claims, group_claims(req.groups, req.tenant_id, req.user_object_id))


def id_token_claims(req: UserTokenRequest, issuers: Issuers, now: int, lifetime: int,
                    facts: IdTokenFacts = IdTokenFacts()) -> dict[str, Any]:
    """Claims of an ID token for the client that signed the user in (``aud`` is the client): v2's, or v1's,
    which add ``amr``, ``ipaddr``, ``unique_name`` and ``upn`` (``family_name``/``given_name`` only when the
    directory knows them, which tenantd's users do not yet)."""
    v2 = facts.version == 2
    claims: dict[str, Any] = {
        "aud": req.client_app_id, "iss": issuers.v2 if v2 else issuers.v1, "iat": now, "nbf": now,
        "exp": now + lifetime,
    }
    if v2:
        claims["aio"] = _opaque(48)
    else:
        claims["amr"] = ["pwd"]
    if facts.code_hash is not None:
        claims["c_hash"] = facts.code_hash
    if not v2 and facts.client_ip:
        claims["ipaddr"] = facts.client_ip
    claims["name"] = req.display_name
    if facts.nonce is not None:
        claims["nonce"] = facts.nonce
    claims["oid"] = req.user_object_id
    if v2:
        claims["preferred_username"] = req.user_principal_name
    claims["rh"] = "0." + _opaque(48) + "."
    claims["sub"] = pairwise_subject(req.user_object_id, req.client_app_id)
    claims["tid"] = req.tenant_id
    if not v2:
        claims.update(unique_name=req.user_principal_name, upn=req.user_principal_name)
    claims["uti"] = _opaque(16)
    claims["ver"] = "2.0" if v2 else "1.0"
    if facts.directory_roles and req.wids:
        claims["wids"] = list(req.wids)
    return with_claims(claims, group_claims(facts.groups, req.tenant_id, req.user_object_id,
                                            implicit=facts.implicit))
