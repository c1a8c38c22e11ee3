"""Delegated permission grants (Graph's oAuth2PermissionGrant): what a client may do for users on a resource,
as Entra checks it. One grant per client, resource and user (or all users): a second is refused as Graph
refuses it (409), the store's primary key deciding between two at once. Every change advances the
directory's version, so the very next token reads the grants as they now are."""

from __future__ import annotations

from ..domain import audit, grant_rules
from ..domain.errors import GraphError
from ..domain.ids import grant_id
from ..domain.model import OAuth2PermissionGrant, ServicePrincipal
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, must_exist, now_iso


class Grants(UnitOfWork):
    """Granting, changing and revoking delegated permissions."""

    def create_grant(self, tenant_id: str, client_id: str, consent_type: str, principal_id: str | None,
                     resource_id: str, scope: str) -> OAuth2PermissionGrant:
        kind = grant_rules.consent(consent_type, principal_id)
        with self.store.write() as tx:
            client = tx.service_principal(tenant_id, client_id)
            if client is None:
                raise grant_rules.invalid("clientId", f"No service principal has the id '{client_id}'.")
            resource = tx.service_principal(tenant_id, resource_id)
            if resource is None:
                raise grant_rules.invalid("resourceId", f"No service principal has the id '{resource_id}'.")
            if principal_id is not None:
                user = tx.user(tenant_id, principal_id)
                if user is None or user.id != principal_id:
                    raise grant_rules.invalid("principalId", f"No user has the id '{principal_id}'.")
            grant = OAuth2PermissionGrant(
                tenant_id=tenant_id, id=grant_id(client.id, resource.id, principal_id), client_id=client.id,
                consent_type=kind, principal_id=principal_id, resource_id=resource.id,
                scopes=grant_rules.scopes(resource, scope), created=now_iso())
            try:
                tx.insert_grant(grant)
            except DuplicateKey:
                raise GraphError("Permission entry already exists.", code="Request_MultipleObjectsWithSameKeyValue",
                                 status=409) from None
            self._record(tx, tenant_id, _entry("Add delegated permission grant", "Assign", grant, client, resource,
                                               (), grant.scopes))
        return grant

    def grant(self, tenant_id: str, key: str) -> OAuth2PermissionGrant:
        with self.store.read() as tx:
            return must_exist(tx.grant(tenant_id, key), key)

    def grants(self, tenant_id: str, *, client_id: str | None = None, resource_id: str | None = None,
               principal_id: str | None = None) -> list[OAuth2PermissionGrant]:
        with self.store.read() as tx:
            return tx.grants(tenant_id, client_id=client_id, resource_id=resource_id, principal_id=principal_id)

    def update_grant_scope(self, tenant_id: str, key: str, scope: str) -> OAuth2PermissionGrant:
        """A grant's scope set to ``scope`` (Graph lets nothing else of a grant change)."""
        with self.store.write() as tx:
            found = must_exist(tx.grant(tenant_id, key), key)
            client, resource = _ends(tx, found)
            scopes = grant_rules.scopes(resource, scope)
            if scopes == found.scopes:
                return found
            tx.update_grant_scope(found.id, scopes)
            self._record(tx, tenant_id, _entry("Update delegated permission grant", "Update", found, client,
                                               resource, found.scopes, scopes))
        return OAuth2PermissionGrant(found.tenant_id, found.id, found.client_id, found.consent_type,
                                     found.principal_id, found.resource_id, scopes, found.created)

    def delete_grant(self, tenant_id: str, key: str) -> OAuth2PermissionGrant:
        with self.store.write() as tx:
            found = must_exist(tx.grant(tenant_id, key), key)
            client, resource = _ends(tx, found)
            tx.delete_grant(found.id)
            self._record(tx, tenant_id, _entry("Remove delegated permission grant", "Unassign", found, client,
                                               resource, found.scopes, ()))
        return found


def _ends(tx: Tx, grant: OAuth2PermissionGrant) -> tuple[ServicePrincipal, ServicePrincipal]:
    """The grant's client and resource (they exist while it does: it goes with either)."""
    client = tx.service_principal(grant.tenant_id, grant.client_id)
    resource = tx.service_principal(grant.tenant_id, grant.resource_id)
    assert client is not None and resource is not None
    return client, resource


def _entry(activity: str, operation: str, grant: OAuth2PermissionGrant, client: ServicePrincipal,
           resource: ServicePrincipal, before: tuple[str, ...], after: tuple[str, ...]) -> audit.Entry:
    """Entra's shape: the resource as the target, the scope's old and new values and the client beside them."""
    changes = [audit.Change("DelegatedPermissionGrant.Scope", " ".join(before) or None, " ".join(after) or None),
               audit.Change("DelegatedPermissionGrant.Id", None, grant.id),
               audit.Change("DelegatedPermissionGrant.ConsentType", None, grant.consent_type),
               audit.Change("ServicePrincipal.ObjectID", None, client.id),
               audit.Change("ServicePrincipal.DisplayName", None, client.display_name)]
    if grant.principal_id is not None:
        changes.append(audit.Change("DelegatedPermissionGrant.PrincipalId", None, grant.principal_id))
    return audit.Entry(activity, "ApplicationManagement", operation,
                       (audit.Target(resource.id, resource.display_name, "ServicePrincipal", tuple(changes)),
                        audit.Target(client.id, client.display_name, "ServicePrincipal")))
