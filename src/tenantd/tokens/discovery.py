"""OpenID Connect discovery documents (v1 and v2) and key sets, of a tenant and of the multi-tenant
authorities ``common`` and ``organizations``.

A document advertises exactly the endpoints tenantd serves, because clients trust it (the Azure CLI opens the
device code endpoint it finds here, msal reads ``authorization_endpoint`` unconditionally). The multi-tenant
documents hold the literal ``{tenantid}`` in their issuer, as Entra's do: a token carries its real tenant's
issuer, and a validator of a multi-tenant app substitutes the token's ``tid``. Their key set is every
tenant's published keys (each tenant signs with its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.claims import Issuers

if TYPE_CHECKING:
    from .service import TokenService

MULTI_TENANT = ("common", "organizations")   # tenantd holds work accounts only: both mean any of its tenants
ANY_TENANT = "{tenantid}"


def is_multi_tenant(key: str) -> bool:
    return key.lower() in MULTI_TENANT


def document(service: TokenService, tenant_key: str, version: int) -> dict[str, Any]:
    """The discovery document of a tenant (by id or name) or of ``common`` / ``organizations``."""
    base = service.public_url
    if is_multi_tenant(tenant_key):
        segment, issuers = tenant_key.lower(), Issuers.for_tenant(base, ANY_TENANT)
    else:
        tid = service.tenant(tenant_key).id
        segment, issuers = tid, service.issuers(tid)
    v2 = version == 2
    oauth = f"{base}/{segment}/oauth2/v2.0" if v2 else f"{base}/{segment}/oauth2"
    host = base.split("://", 1)[1]
    return {
        "token_endpoint": f"{oauth}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys" if v2 else f"{base}/{segment}/discovery/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuers.v2 if v2 else issuers.v1,
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{oauth}/authorize",
        "device_authorization_endpoint": f"{oauth}/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{oauth}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles", "appid", "azp",
                             "nonce", "name", "preferred_username", "upn", "unique_name", "amr", "ipaddr"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": host,
        "rbac_url": "https://pas.windows.net",
    }


def key_set(service: TokenService, tenant_key: str) -> dict[str, Any]:
    """A tenant's published keys; for ``common`` / ``organizations``, every tenant's."""
    if is_multi_tenant(tenant_key):
        with service.store.read() as tx:
            tenant_ids = [t.id for t in tx.tenants()]
    else:
        tenant_ids = [service.tenant(tenant_key).id]
    return {"keys": [k.public_jwk(service.issuers(tid).v2) for tid in tenant_ids
                     for k in service.keyring.published(tid)]}
