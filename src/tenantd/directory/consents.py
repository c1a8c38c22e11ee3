"""Consent: what a person's "Accept" on a consent page writes, in one transaction, as Entra writes it.

The client's service principal is made in the tenant when it has none yet (a consent is how an application
gets one); each resource's delegated permissions join the client's grant on it, for the consenting user
(Principal) or for every user (AllPrincipals), made when there is none; an application permission becomes
an app role assignment to the client's service principal (none twice). The audit log gets Entra's entries:
"Consent to application" on the client, then each grant and assignment added or widened. Who may consent to
what is decided before this is called (``domain/consent_rules.py``); the actor is the person.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..domain import audit, consent_rules, grant_rules, rules
from ..domain.errors import BadRequest
from ..domain.ids import grant_id, new_assignment_id
from ..domain.model import OAuth2PermissionGrant, Principal, ServicePrincipal
from ..store import Tx
from .grants import _entry as grant_entry
from .principals import added_sp, insert_app_sp
from .unit import UnitOfWork, now_iso


class Consents(UnitOfWork):
    """Recording a person's consent."""

    def consent(self, tenant_id: str, client_app_id: str, principal_id: str | None,
                scopes: Mapping[str, tuple[str, ...]], roles: Mapping[str, tuple[str, ...]] | None = None,
                *, admin: bool = False) -> ServicePrincipal:
        """Grant ``client_app_id`` the scope values ``scopes`` (by resource service principal id) for the user
        ``principal_id`` (None: every user) and the app roles ``roles`` (by resource); ``admin``: an
        administrator consented. The client's service principal is returned."""
        with self.store.write() as tx:
            client, made = _client(tx, tenant_id, client_app_id)
            entries: list[audit.Entry] = []
            granted: list[str] = []
            for resource_id, values in scopes.items():
                resource = _resource(tx, tenant_id, resource_id)
                entry = _grant(tx, client, resource, principal_id, values)
                entries += [entry] if entry else []
                granted.append(f"{resource.display_name}: {' '.join(values)}")
            for resource_id, role_ids in (roles or {}).items():
                resource = _resource(tx, tenant_id, resource_id)
                entries += _assignments(tx, client, resource, role_ids)
                granted.append(f"{resource.display_name}: {' '.join(_role_value(resource, r) for r in role_ids)}")
            consented = _consented(client, granted, admin=admin, everyone=principal_id is None)
            self._record(tx, tenant_id, *made, consented, *entries)
        return client


def _client(tx: Tx, tenant_id: str, app_id: str) -> tuple[ServicePrincipal, list[audit.Entry]]:
    found = tx.service_principal_by_app_id(tenant_id, app_id)
    if found is not None:
        return found, []
    app = tx.application_by_app_id(tenant_id, app_id)
    if app is None:
        raise BadRequest(f"The application '{app_id}' has no service principal in the tenant, and is not one of "
                         "its applications.")
    made = insert_app_sp(tx, app, None)
    return made, [added_sp(made)]


def _resource(tx: Tx, tenant_id: str, resource_id: str) -> ServicePrincipal:
    found = tx.service_principal(tenant_id, resource_id)
    if found is None:
        raise BadRequest(f"No service principal has the id '{resource_id}'.")
    return found


def _role_value(resource: ServicePrincipal, role_id: str) -> str:
    role = resource.role(role_id)
    return role.value if role is not None and role.value else role_id


def _grant(tx: Tx, client: ServicePrincipal, resource: ServicePrincipal, principal_id: str | None,
           values: tuple[str, ...]) -> audit.Entry | None:
    """The client's grant on ``resource`` for ``principal_id`` with ``values`` added: its audit entry, or None
    when it held them all."""
    key = grant_id(client.id, resource.id, principal_id)
    found = tx.grant(client.tenant_id, key)
    held = found.scopes if found else ()
    scopes = grant_rules.scopes(resource, " ".join(consent_rules.merged(held, values)))
    if found is not None:
        if scopes == found.scopes:
            return None
        tx.update_grant_scope(found.id, scopes)
        return grant_entry("Update delegated permission grant", "Update", found, client, resource, found.scopes,
                           scopes)
    grant = OAuth2PermissionGrant(
        tenant_id=client.tenant_id, id=key, client_id=client.id,
        consent_type="Principal" if principal_id else "AllPrincipals", principal_id=principal_id,
        resource_id=resource.id, scopes=scopes, created=now_iso())
    tx.insert_grant(grant)
    return grant_entry("Add delegated permission grant", "Assign", grant, client, resource, (), scopes)


def _assignments(tx: Tx, client: ServicePrincipal, resource: ServicePrincipal,
                 role_ids: tuple[str, ...]) -> list[audit.Entry]:
    """The app roles ``role_ids`` of ``resource`` assigned to the client, those it holds already left alone."""
    held = set(tx.assigned_role_ids([client.id], resource.id))
    principal = Principal(client.id, "ServicePrincipal", client.display_name)
    entries = []
    for role_id in dict.fromkeys(role_ids):
        if role_id in held:
            continue
        rules.assignable_role(resource, role_id, principal)
        assignment_id = new_assignment_id(client.id)
        tx.insert_assignment(client.tenant_id, assignment_id, role_id, client.id, "ServicePrincipal", resource.id,
                             now_iso())
        entries.append(audit.assignment(True, assignment_id, resource.role(role_id), role_id, principal, resource))
    return entries


def _consented(client: ServicePrincipal, granted: list[str], *, admin: bool, everyone: bool) -> audit.Entry:
    """Entra's "Consent to application": on the client, whether an administrator consented, for everyone,
    and the permissions."""
    changes = (audit.Change("ConsentContext.IsAdminConsent", None, str(admin)),
               audit.Change("ConsentContext.IsAppOnly", None, "False"),
               audit.Change("ConsentContext.OnBehalfOfAll", None, str(everyone)),
               audit.Change("ConsentAction.Permissions", None, "; ".join(granted)),
               audit.Change("TargetId.ServicePrincipalNames", None, client.app_id))
    return audit.Entry("Consent to application", "ApplicationManagement", "Assign",
                       (audit.Target(client.id, client.display_name, "ServicePrincipal", changes),))
