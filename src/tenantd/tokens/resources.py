"""Resolving what a client names as a resource (App ID URI, appId, Graph's URL) to its service principal."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..domain import builtins
from ..domain.ids import is_guid
from ..domain.model import ServicePrincipal
from ..store import Tx


@dataclass(frozen=True)
class Resource:
    service_principal: ServicePrincipal
    token_version: int   # the resource application's requestedAccessTokenVersion (null -> 1)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def public_names(public_url: str) -> set[str]:
    """The resource names that mean tenantd's own Graph: its origin, with and without the port (kiota
    derives ``https://<hostname>/.default`` from the request URL and drops the port)."""
    parts = urlsplit(public_url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    return {origin(public_url), f"{parts.scheme}://{host}".lower()}


def resolve(tx: Tx, tenant_id: str, name: str, public_url: str) -> Resource | None:
    """The resource a client asked for, or None when the tenant holds no such service principal.

    tenantd's own public URL names Microsoft Graph, because msgraph-sdk asks for ``https://<base host>``
    when its caller gives no scope.
    """
    sp: ServicePrincipal | None
    if is_guid(name):
        sp = tx.service_principal_by_app_id(tenant_id, name.lower())
    elif name.rstrip("/").lower() in public_names(public_url):
        sp = tx.service_principal_by_app_id(tenant_id, builtins.GRAPH_APP_ID)
    else:
        owner = tx.identifier_uri_owner(tenant_id, name)
        if owner is None:
            return None
        application_id, builtin_sp_id = owner
        if builtin_sp_id is not None:
            sp = tx.service_principal(tenant_id, builtin_sp_id)
        else:
            assert application_id is not None
            app = tx.application_version(tenant_id, object_id=application_id)
            sp = tx.service_principal_by_app_id(tenant_id, app[0]) if app else None
            return Resource(sp, app[1] or 1) if sp and app else None
    if sp is None:
        return None
    app = tx.application_version(tenant_id, app_id=sp.app_id)
    return Resource(sp, (app[1] if app else None) or 1)
