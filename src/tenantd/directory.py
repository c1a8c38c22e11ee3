"""Directory use cases: each method is one transaction that applies the rules and writes the store.

Callers (the Graph API, the admin API, the tenant file) pass already-parsed values; the rules that make
a change legal live in :mod:`tenantd.domain.rules`, the rows in :mod:`tenantd.store`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from .domain import builtins, credentials, rules
from .domain.errors import BadRequest, NotFound
from .domain.ids import new_assignment_id, new_guid
from .domain.model import (
    Application,
    AppRole,
    AppRoleAssignment,
    FederatedCredential,
    Group,
    Host,
    KeyCredential,
    PasswordCredential,
    Principal,
    ServicePrincipal,
    Tenant,
    User,
)
from .store import Store, Tx
from .store.sql import DuplicateKey

SecretHasher = Callable[[str], bytes]
T = TypeVar("T")
DEFAULT_SECRET_LIFETIME = timedelta(days=730)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def new_client_secret() -> str:
    """A client secret with 256 bits of entropy (a fast keyed hash is then the right store)."""
    return secrets.token_urlsafe(32)


class Directory:
    def __init__(self, store: Store, hash_secret: SecretHasher) -> None:
        self.store = store
        self.hash_secret = hash_secret

    # -- tenants ---------------------------------------------------------------------------------------
    def create_tenant(self, name: str, tenant_id: str | None = None) -> Tenant:
        """A tenant with its built-in service principals (Microsoft Graph, tenantd's admin API ...)."""
        rules.display_name(name, "name")
        tenant = Tenant(id=tenant_id or new_guid(), name=name, created=now_iso())
        with self.store.write() as tx:
            if tx.tenant(tenant.id) or tx.tenant(name):
                raise BadRequest(f"A tenant named '{name}' or with id '{tenant.id}' already exists.")
            try:
                tx.insert_tenant(tenant)
            except DuplicateKey:
                raise BadRequest(f"A tenant named '{name}' or with id '{tenant.id}' already exists.") from None
            for resource in builtins.BUILTINS:
                self._add_builtin(tx, tenant.id, resource)
        return tenant

    def ensure_builtins(self, tenant_id: str) -> list[str]:
        """Add the built-in service principals a tenant made by an earlier version lacks; their names."""
        with self.store.write() as tx:
            missing = [b for b in builtins.BUILTINS if tx.service_principal_by_app_id(tenant_id, b.app_id) is None]
            for resource in missing:
                self._add_builtin(tx, tenant_id, resource)
        return [b.name for b in missing]

    def _add_builtin(self, tx: Tx, tenant_id: str, resource: builtins.BuiltinResource) -> None:
        sp = ServicePrincipal(
            tenant_id=tenant_id, id=new_guid(), app_id=resource.app_id, display_name=resource.name,
            service_principal_type="Application", app_roles=resource.roles, app_role_assignment_required=False,
            account_enabled=True, created=now_iso(),
            service_principal_names=(resource.app_id, *resource.identifier_uris),
            app_owner_organization_id=resource.owner,
        )
        tx.insert_service_principal(sp)
        tx.set_builtin_identifier_uris(tenant_id, sp.id, resource.identifier_uris)

    def tenant(self, key: str) -> Tenant:
        with self.store.read() as tx:
            found = tx.tenant(key)
        if found is None:
            raise NotFound(f"Tenant '{key}' not found.")
        return found

    def tenants(self) -> list[Tenant]:
        with self.store.read() as tx:
            return tx.tenants()

    # -- applications ----------------------------------------------------------------------------------
    def create_application(
        self, tenant_id: str, display_name: str, *, identifier_uris: Sequence[str] = (),
        app_roles: Sequence[AppRole] = (), requested_access_token_version: int | None = None,
        app_id: str | None = None, object_id: str | None = None, service_principal_id: str | None = None,
        with_service_principal: bool = False, key_credentials: Sequence[dict[str, Any]] = (),
    ) -> Application:
        app = Application(
            tenant_id=tenant_id, id=object_id or new_guid(), app_id=app_id or new_guid(),
            display_name=rules.display_name(display_name), identifier_uris=rules.identifier_uris(list(identifier_uris)),
            app_roles=tuple(app_roles), requested_access_token_version=_token_version(requested_access_token_version),
            created=now_iso(),
        )
        if key_credentials:
            app = replace(app, key_credentials=credentials.key_collection((), list(key_credentials)))
        with self.store.write() as tx:
            self._claim_ids(tx, tenant_id, app)
            try:
                tx.insert_application(app)
            except DuplicateKey:
                raise _uri_conflict(app.identifier_uris) from None
            _write_keys(tx, app.id, (), app.key_credentials)
            if with_service_principal:
                self._insert_app_sp(tx, app, service_principal_id)
        return app

    def _claim_ids(self, tx: Tx, tenant_id: str, app: Application) -> None:
        if tx.application(tenant_id, app.id) or tx.application_by_app_id(tenant_id, app.app_id):
            raise BadRequest(f"Another object with the same value for property id or appId already exists "
                             f"({app.id}, {app.app_id}).", code="Request_MultipleObjectsWithSameKeyValue")
        for uri in app.identifier_uris:
            if tx.identifier_uri_owner(tenant_id, uri):
                raise _uri_conflict((uri,))

    def application(self, tenant_id: str, object_id: str) -> Application:
        with self.store.read() as tx:
            return _found(tx.application(tenant_id, object_id), object_id)

    def application_by_app_id(self, tenant_id: str, app_id: str) -> Application:
        with self.store.read() as tx:
            return _found(tx.application_by_app_id(tenant_id, app_id), app_id)

    def applications(self, tenant_id: str) -> list[Application]:
        with self.store.read() as tx:
            return tx.applications(tenant_id)

    def update_application(self, tenant_id: str, object_id: str, changes: dict[str, Any]) -> Application:
        """Apply a PATCH: displayName, identifierUris, appRoles, api.requestedAccessTokenVersion, keyCredentials."""
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            updated = app
            if "displayName" in changes:
                updated = replace(updated, display_name=rules.display_name(changes["displayName"]))
            if "identifierUris" in changes:
                uris = rules.identifier_uris(changes["identifierUris"])
                for uri in uris:
                    owner = tx.identifier_uri_owner(tenant_id, uri)
                    if owner and owner[0] != app.id:
                        raise _uri_conflict((uri,))
                updated = replace(updated, identifier_uris=uris)
            if "appRoles" in changes:
                roles = rules.app_roles(changes["appRoles"])
                sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
                assigned = {a.app_role_id for a in tx.assignments(tenant_id, resource_id=sp.id)} if sp else set()
                rules.role_change(app.app_roles, roles, assigned)
                updated = replace(updated, app_roles=roles)
            if "requestedAccessTokenVersion" in changes:
                version = _token_version(changes["requestedAccessTokenVersion"])
                updated = replace(updated, requested_access_token_version=version)
            if "keyCredentials" in changes:
                keys = credentials.key_collection(app.key_credentials, changes["keyCredentials"])
                _write_keys(tx, app.id, app.key_credentials, keys)
                updated = replace(updated, key_credentials=keys)
            if updated == app:
                return app
            try:
                tx.update_application(updated)
            except DuplicateKey:
                raise _uri_conflict(updated.identifier_uris) from None
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            if sp is not None:  # the service principal mirrors the application's roles and name
                tx.update_service_principal(replace(
                    sp, app_roles=updated.app_roles, display_name=updated.display_name,
                    service_principal_names=(updated.app_id, *updated.identifier_uris)))
        return updated

    def delete_application(self, tenant_id: str, object_id: str) -> None:
        """Deleting an application deletes its service principal and every assignment to or from it."""
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            if sp is not None:
                tx.delete_service_principal(sp.id)
            tx.delete_federated_credentials(app.id)
            tx.delete_application(app.id)

    def add_password(self, tenant_id: str, object_id: str, display_name: str | None = None,
                     end: datetime | None = None, start: datetime | None = None) -> tuple[PasswordCredential, str]:
        """A new client secret; the plain text is returned once and only its hash is stored."""
        begin = start or datetime.now(UTC)
        finish = end or begin + DEFAULT_SECRET_LIFETIME
        if finish <= begin:
            raise BadRequest("Invalid value specified for property 'endDateTime': it must be after startDateTime.")
        secret = new_client_secret()
        cred = PasswordCredential(key_id=new_guid(), display_name=display_name, hint=secret[:3], start=iso(begin),
                                  end=iso(finish), secret_hash=self.hash_secret(secret))
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            if len(app.password_credentials) >= rules.MAX_PASSWORD_CREDENTIALS:
                raise BadRequest("Too many passwordCredentials on this application.")
            tx.insert_password_credential(app.id, cred)
        return cred, secret

    def remove_password(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_password_credential(app.id, key_id.lower()):
                raise BadRequest(f"No password credential found with keyId '{key_id}'.")

    # -- service principals ----------------------------------------------------------------------------
    def create_service_principal(self, tenant_id: str, app_id: str, object_id: str | None = None,
                                 **fields: Any) -> ServicePrincipal:
        with self.store.write() as tx:
            app = tx.application_by_app_id(tenant_id, app_id)
            if app is None:
                raise BadRequest(f"The appId '{app_id}' of the service principal does not reference a valid "
                                 "application object.", code="Request_BadRequest")
            if tx.service_principal_by_app_id(tenant_id, app_id):
                raise BadRequest("The service principal for this application already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue")
            return self._insert_app_sp(tx, app, object_id, **fields)

    def _insert_app_sp(self, tx: Tx, app: Application, object_id: str | None, **fields: Any) -> ServicePrincipal:
        if object_id and (tx.service_principal(app.tenant_id, object_id) or tx.user(app.tenant_id, object_id)):
            raise BadRequest(f"Another object with id '{object_id}' already exists.",
                             code="Request_MultipleObjectsWithSameKeyValue")
        sp = ServicePrincipal(
            tenant_id=app.tenant_id, id=object_id or new_guid(), app_id=app.app_id, display_name=app.display_name,
            service_principal_type="Application", app_roles=app.app_roles,
            app_role_assignment_required=bool(fields.get("appRoleAssignmentRequired", False)),
            account_enabled=bool(fields.get("accountEnabled", True)), created=now_iso(),
            service_principal_names=(app.app_id, *app.identifier_uris), app_owner_organization_id=app.tenant_id,
        )
        try:
            tx.insert_service_principal(sp)
        except DuplicateKey:
            raise BadRequest("The service principal for this application already exists.",
                             code="Request_MultipleObjectsWithSameKeyValue") from None
        return sp

    def create_managed_identity(self, tenant_id: str, name: str, kind: str, resource_id: str,
                                object_id: str | None = None, client_id: str | None = None) -> ServicePrincipal:
        """A managed identity: a client id and a service principal, and no application object (as in Azure)."""
        rules.display_name(name, "name")
        rules.host_resource_id(resource_id)
        if kind not in {"SystemAssigned", "UserAssigned"}:
            raise BadRequest(f"Unknown managed identity type '{kind}'.")
        alternative = ("isExplicit=True" if kind == "UserAssigned" else "isExplicit=False", resource_id)
        sp = ServicePrincipal(
            tenant_id=tenant_id, id=object_id or new_guid(), app_id=client_id or new_guid(), display_name=name,
            service_principal_type="ManagedIdentity", app_roles=(), app_role_assignment_required=False,
            account_enabled=True, created=now_iso(), alternative_names=alternative,
            service_principal_names=(client_id or "", f"https://identity.azure.net/{secrets.token_urlsafe(32)}"),
            managed_identity_kind=kind, managed_identity_name=name, managed_identity_resource_id=resource_id,
        )
        sp = replace(sp, service_principal_names=(sp.app_id, sp.service_principal_names[1]))
        with self.store.write() as tx:
            if tx.service_principal(tenant_id, sp.id) or tx.service_principal_by_app_id(tenant_id, sp.app_id):
                raise BadRequest(f"Another object with id '{sp.id}' or appId '{sp.app_id}' already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue")
            try:
                tx.insert_service_principal(sp)
            except DuplicateKey:
                raise BadRequest(f"A managed identity for '{resource_id}' already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue") from None
        return sp

    def service_principal(self, tenant_id: str, object_id: str) -> ServicePrincipal:
        with self.store.read() as tx:
            return _found(tx.service_principal(tenant_id, object_id), object_id)

    def service_principal_by_app_id(self, tenant_id: str, app_id: str) -> ServicePrincipal:
        with self.store.read() as tx:
            return _found(tx.service_principal_by_app_id(tenant_id, app_id), app_id)

    def service_principals(self, tenant_id: str, **equals: Any) -> list[ServicePrincipal]:
        with self.store.read() as tx:
            return tx.service_principals(tenant_id, **equals)

    def update_service_principal(self, tenant_id: str, object_id: str, changes: dict[str, Any]) -> ServicePrincipal:
        with self.store.write() as tx:
            sp = _found(tx.service_principal(tenant_id, object_id), object_id)
            updated = sp
            for prop, attr in (("appRoleAssignmentRequired", "app_role_assignment_required"),
                               ("accountEnabled", "account_enabled")):
                if prop in changes:
                    if not isinstance(changes[prop], bool):
                        raise BadRequest(f"Invalid value specified for property '{prop}': a boolean is required.")
                    updated = replace(updated, **{attr: changes[prop]})
            if updated != sp:
                tx.update_service_principal(updated)
        return updated

    def delete_service_principal(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            _found(tx.service_principal(tenant_id, object_id), object_id)
            tx.delete_federated_credentials(object_id)
            tx.delete_service_principal(object_id)

    # -- users and groups ------------------------------------------------------------------------------
    def create_user(self, tenant_id: str, user_principal_name: str, display_name: str,
                    object_id: str | None = None, account_enabled: bool = True, mail: str | None = None) -> User:
        upn = user_principal_name
        if not isinstance(upn, str) or upn.count("@") != 1 or " " in upn or len(upn) > 256:
            raise BadRequest(f"Invalid value specified for property 'userPrincipalName': {user_principal_name!r}.")
        user = User(tenant_id=tenant_id, id=object_id or new_guid(), user_principal_name=user_principal_name,
                    display_name=rules.display_name(display_name), account_enabled=account_enabled,
                    created=now_iso(), mail=mail)
        with self.store.write() as tx:
            if tx.user(tenant_id, user.id) or tx.user(tenant_id, user_principal_name):
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue")
            try:
                tx.insert_user(user)
            except DuplicateKey:
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue") from None
        return user

    def user(self, tenant_id: str, key: str) -> User:
        with self.store.read() as tx:
            return _found(tx.user(tenant_id, key), key)

    def users(self, tenant_id: str) -> list[User]:
        with self.store.read() as tx:
            return tx.users(tenant_id)

    def update_user(self, tenant_id: str, key: str, changes: dict[str, Any]) -> User:
        with self.store.write() as tx:
            user = _found(tx.user(tenant_id, key), key)
            updated = user
            if "displayName" in changes:
                updated = replace(updated, display_name=rules.display_name(changes["displayName"]))
            if "accountEnabled" in changes:
                if not isinstance(changes["accountEnabled"], bool):
                    raise BadRequest("Invalid value specified for property 'accountEnabled'.")
                updated = replace(updated, account_enabled=changes["accountEnabled"])
            if updated != user:
                tx.update_user(updated)
        return updated

    def delete_user(self, tenant_id: str, key: str) -> None:
        with self.store.write() as tx:
            user = _found(tx.user(tenant_id, key), key)
            tx.delete_user(user.id)

    def create_group(self, tenant_id: str, display_name: str, description: str | None = None,
                     mail_nickname: str | None = None, object_id: str | None = None) -> Group:
        group = Group(tenant_id=tenant_id, id=object_id or new_guid(), display_name=rules.display_name(display_name),
                      description=description, mail_nickname=mail_nickname or _nickname(display_name),
                      security_enabled=True, created=now_iso())
        with self.store.write() as tx:
            if tx.group(tenant_id, group.id):
                raise BadRequest(f"Another object with id '{group.id}' already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue")
            tx.insert_group(group)
        return group

    def group(self, tenant_id: str, object_id: str) -> Group:
        with self.store.read() as tx:
            return _found(tx.group(tenant_id, object_id), object_id)

    def groups(self, tenant_id: str) -> list[Group]:
        with self.store.read() as tx:
            return tx.groups(tenant_id)

    def delete_group(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            _found(tx.group(tenant_id, object_id), object_id)
            tx.delete_group(object_id)

    def add_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            _found(tx.group(tenant_id, group_id), group_id)
            member = _principal(tx, tenant_id, member_id)
            if member is None:
                raise BadRequest(f"Resource '{member_id}' does not exist or one of its queried reference-property "
                                 "objects are not present.")
            if member.id in dict(tx.group_members(group_id)):
                raise BadRequest("One or more added object references already exist for the following modified "
                                 "properties: 'members'.")
            tx.add_group_member(group_id, member.id, _member_type(member))

    def remove_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            _found(tx.group(tenant_id, group_id), group_id)
            if not tx.remove_group_member(group_id, member_id.lower()):
                raise NotFound(f"Resource '{member_id}' is not a member of group '{group_id}'.")

    def members(self, tenant_id: str, group_id: str) -> list[User | Group | ServicePrincipal]:
        with self.store.read() as tx:
            _found(tx.group(tenant_id, group_id), group_id)
            found: list[User | Group | ServicePrincipal] = []
            for member_id, member_type in tx.group_members(group_id):
                obj: User | Group | ServicePrincipal | None
                if member_type == "user":
                    obj = tx.user(tenant_id, member_id)
                elif member_type == "group":
                    obj = tx.group(tenant_id, member_id)
                else:
                    obj = tx.service_principal(tenant_id, member_id)
                if obj is not None:
                    found.append(obj)
            return found

    # -- app role assignments --------------------------------------------------------------------------
    def assign(self, tenant_id: str, principal_id: str, resource_id: str, app_role_id: str) -> AppRoleAssignment:
        """Assign an app role, as Entra checks it. A duplicate loses on the store's unique constraint."""
        with self.store.write() as tx:
            principal = _principal(tx, tenant_id, principal_id)
            if principal is None:
                raise BadRequest("Not a valid reference update.")
            resource = tx.service_principal(tenant_id, resource_id)
            if resource is None:
                raise BadRequest("Not a valid reference update.")
            rules.assignable_role(resource, app_role_id, principal)
            assignment_id = new_assignment_id(principal.id)
            try:
                tx.insert_assignment(tenant_id, assignment_id, app_role_id, principal.id, principal.type,
                                     resource.id, now_iso())
            except DuplicateKey:
                raise _duplicate_assignment() from None
            created = tx.assignment(tenant_id, assignment_id)
        assert created is not None
        return created

    def assignment(self, tenant_id: str, assignment_id: str) -> AppRoleAssignment:
        with self.store.read() as tx:
            return _found(tx.assignment(tenant_id, assignment_id), assignment_id)

    def assignments_of(self, tenant_id: str, principal_id: str) -> list[AppRoleAssignment]:
        """appRoleAssignments: what a principal has been granted."""
        with self.store.read() as tx:
            if _principal(tx, tenant_id, principal_id) is None:
                raise NotFound(f"Resource '{principal_id}' does not exist or one of its queried reference-property "
                               "objects are not present.")
            return tx.assignments(tenant_id, principal_ids=[principal_id])

    def assignments_to(self, tenant_id: str, resource_id: str) -> list[AppRoleAssignment]:
        """appRoleAssignedTo: who has been granted roles of a resource."""
        with self.store.read() as tx:
            _found(tx.service_principal(tenant_id, resource_id), resource_id)
            return tx.assignments(tenant_id, resource_id=resource_id)

    def unassign(self, tenant_id: str, assignment_id: str, *, principal_id: str | None = None,
                 resource_id: str | None = None) -> AppRoleAssignment:
        """Remove an assignment addressed through its principal or its resource."""
        with self.store.write() as tx:
            found = tx.assignment(tenant_id, assignment_id)
            if (found is None or (principal_id and found.principal_id != principal_id)
                    or (resource_id and found.resource_id != resource_id)):
                raise NotFound(f"Resource '{assignment_id}' does not exist or one of its queried reference-property "
                               "objects are not present.")
            tx.delete_assignment(assignment_id)
        return found

    # -- hosts -----------------------------------------------------------------------------------------
    def host(self, tenant_id: str, resource_id: str) -> Host:
        """A host with its system-assigned identity and the user-assigned ones attached to it."""
        with self.store.read() as tx:
            return tx.host(tenant_id, resource_id)

    def hosts_of(self, identity: ServicePrincipal) -> list[str]:
        """Hosts that may use a managed identity: its own (system-assigned) or those it is attached to."""
        if identity.managed_identity_kind == "SystemAssigned":
            return [identity.managed_identity_resource_id or ""]
        with self.store.read() as tx:
            return tx.hosts_of(identity.id)

    def attach(self, tenant_id: str, identity_id: str, host_resource_id: str) -> None:
        """Attach a user-assigned identity to a host (as assigning it to an App Service site does)."""
        rules.host_resource_id(host_resource_id)
        with self.store.write() as tx:
            sp = _found(tx.service_principal(tenant_id, identity_id), identity_id)
            if sp.managed_identity_kind != "UserAssigned":
                raise BadRequest(f"'{sp.display_name}' is not a user-assigned managed identity.")
            if sp.id in {i.id for i in tx.attached_identities(tenant_id, host_resource_id)}:
                return
            tx.attach(tenant_id, host_resource_id, sp.id)

    def detach(self, tenant_id: str, identity_id: str, host_resource_id: str) -> None:
        with self.store.write() as tx:
            if not tx.detach(tenant_id, host_resource_id, identity_id):
                raise NotFound(f"Identity '{identity_id}' is not attached to '{host_resource_id}'.")

    def open_host_session(self, tenant_id: str, host_resource_id: str, lifetime: timedelta) -> str:
        """A new secret for a running host: its identity header, MSI secret and IMDS path prefix."""
        host = self.host(tenant_id, host_resource_id)
        if not host.identities:
            raise BadRequest(f"No managed identity is bound to or attached to host '{host_resource_id}'.")
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.store.write() as tx:
            tx.delete_expired_host_credentials(iso(now))
            tx.insert_host_credential(self.hash_secret(secret), tenant_id, host_resource_id, iso(now),
                                      iso(now + lifetime))
        return secret

    def close_host_session(self, secret: str) -> None:
        with self.store.write() as tx:
            tx.delete_host_credential(self.hash_secret(secret))

    # -- certificates ----------------------------------------------------------------------------------
    def add_key_credential(self, tenant_id: str, object_id: str, entry: dict[str, Any]) -> KeyCredential:
        """Add one certificate (Graph's keyCredential JSON: ``key`` and optional name, keyId, dates)."""
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            added = credentials.key_credential(entry)
            credentials.check_keys((*app.key_credentials, added))
            tx.insert_key_credential(app.id, added)
        return added

    def remove_key_credential(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_key_credential(app.id, key_id.lower()):
                raise BadRequest(f"No key credential found with keyId '{key_id}'.")

    # -- federated identity credentials ------------------------------------------------------------------
    def add_federated_credential(self, tenant_id: str, owner_id: str, owner_type: str, name: str, issuer: str,
                                 subject: str, audiences: list[str] | None = None, description: str | None = None,
                                 credential_id: str | None = None) -> FederatedCredential:
        """Trust tokens of ``issuer`` about ``subject`` for an application or a user-assigned identity: at most
        20 per owner, each issuer and subject pair once, names unique per owner."""
        cred = FederatedCredential(
            tenant_id=tenant_id, id=credential_id or new_guid(), owner_id=owner_id, owner_type=owner_type,
            name=credentials.fic_name(name), issuer=credentials.fic_issuer(issuer),
            subject=credentials.fic_subject(subject), audiences=credentials.fic_audiences(audiences),
            description=credentials.fic_description(description), created=now_iso(),
        )
        with self.store.write() as tx:
            _fic_owner(tx, tenant_id, owner_id, owner_type)
            existing = tx.federated_credentials(owner_id)
            _fic_unique(cred, existing)
            if len(existing) >= credentials.MAX_FEDERATED_CREDENTIALS:
                raise credentials.too_many()
            try:
                tx.insert_federated_credential(cred)
            except DuplicateKey:  # a concurrent twin won the unique constraint
                raise credentials.duplicate_issuer_subject(cred.issuer, cred.subject, owner_type) from None
        return cred

    def federated_credentials(self, tenant_id: str, owner_id: str, owner_type: str) -> list[FederatedCredential]:
        with self.store.read() as tx:
            _fic_owner(tx, tenant_id, owner_id, owner_type)
            return tx.federated_credentials(owner_id)

    def federated_credential(self, tenant_id: str, owner_id: str, owner_type: str, key: str) -> FederatedCredential:
        """One federated credential by id or name."""
        with self.store.read() as tx:
            _fic_owner(tx, tenant_id, owner_id, owner_type)
            return _fic(tx, owner_id, key)

    def update_federated_credential(self, tenant_id: str, owner_id: str, owner_type: str, key: str,
                                    changes: dict[str, Any]) -> FederatedCredential:
        """Change issuer, subject, audiences or description; a name never changes."""
        with self.store.write() as tx:
            _fic_owner(tx, tenant_id, owner_id, owner_type)
            cred = _fic(tx, owner_id, key)
            if "name" in changes and changes["name"] != cred.name:
                raise BadRequest("Property 'name' of a federated identity credential cannot be changed.",
                                 code="InvalidFederatedIdentityCredentialValue")
            updated = replace(
                cred,
                issuer=credentials.fic_issuer(changes["issuer"]) if "issuer" in changes else cred.issuer,
                subject=credentials.fic_subject(changes["subject"]) if "subject" in changes else cred.subject,
                audiences=(credentials.fic_audiences(changes["audiences"]) if "audiences" in changes
                           else cred.audiences),
                description=(credentials.fic_description(changes["description"]) if "description" in changes
                             else cred.description),
            )
            _fic_unique(updated, [c for c in tx.federated_credentials(owner_id) if c.id != cred.id])
            try:
                tx.update_federated_credential(updated)
            except DuplicateKey:
                raise credentials.duplicate_issuer_subject(updated.issuer, updated.subject, owner_type) from None
        return updated

    def remove_federated_credential(self, tenant_id: str, owner_id: str, owner_type: str, key: str) -> None:
        with self.store.write() as tx:
            _fic_owner(tx, tenant_id, owner_id, owner_type)
            tx.delete_federated_credential(owner_id, _fic(tx, owner_id, key).id)


def _write_keys(tx: Tx, application_id: str, before: Sequence[KeyCredential],
                after: Sequence[KeyCredential]) -> None:
    kept = {k.key_id for k in after}
    for gone in before:
        if gone.key_id not in kept:
            tx.delete_key_credential(application_id, gone.key_id)
    old = {k.key_id for k in before}
    for new in after:
        if new.key_id not in old:
            tx.insert_key_credential(application_id, new)


def _fic_owner(tx: Tx, tenant_id: str, owner_id: str, owner_type: str) -> None:
    """The owner of federated credentials: an application, or a user-assigned managed identity (as in Azure,
    system-assigned identities have none)."""
    if owner_type == "application":
        _found(tx.application(tenant_id, owner_id), owner_id)
        return
    sp = _found(tx.service_principal(tenant_id, owner_id), owner_id)
    if owner_type != "managedIdentity" or sp.managed_identity_kind != "UserAssigned":
        raise BadRequest("Federated identity credentials belong to applications and user-assigned managed "
                         f"identities; '{sp.display_name}' is neither.")


def _fic(tx: Tx, owner_id: str, key: str) -> FederatedCredential:
    found = next((c for c in tx.federated_credentials(owner_id) if key in (c.id, c.name) or key.lower() == c.id),
                 None)
    return _found(found, key)


def _fic_unique(cred: FederatedCredential, others: Sequence[FederatedCredential]) -> None:
    for other in others:
        if other.name == cred.name:
            raise credentials.duplicate_name(cred.name)
        if (other.issuer, other.subject) == (cred.issuer, cred.subject):
            raise credentials.duplicate_issuer_subject(cred.issuer, cred.subject, cred.owner_type)


def _token_version(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value in (1, 2)):
        return value
    raise BadRequest("Invalid value specified for property 'requestedAccessTokenVersion': null, 1 or 2.")


def _nickname(name: str) -> str:
    return "".join(c for c in name if c.isalnum())[:64] or "group"


def _found(obj: T | None, key: str) -> T:
    if obj is None:
        raise NotFound(f"Resource '{key}' does not exist or one of its queried reference-property objects are not "
                       "present.")
    return obj


def _principal(tx: Tx, tenant_id: str, object_id: str) -> Principal | None:
    sp = tx.service_principal(tenant_id, object_id)
    if sp is not None:
        return Principal(sp.id, "ServicePrincipal", sp.display_name)
    user = tx.user(tenant_id, object_id)
    if user is not None and user.id == object_id.lower():
        return Principal(user.id, "User", user.display_name)
    group = tx.group(tenant_id, object_id)
    if group is not None:
        return Principal(group.id, "Group", group.display_name)
    return None


def _member_type(principal: Principal) -> str:
    return {"User": "user", "Group": "group", "ServicePrincipal": "servicePrincipal"}[principal.type]


def _duplicate_assignment() -> BadRequest:
    return BadRequest("Permission being assigned already exists on the object.")


def _uri_conflict(uris: Sequence[str]) -> BadRequest:
    return BadRequest(
        f"Another object with the same value for property identifierUris already exists: {', '.join(uris)}.",
        code="Request_MultipleObjectsWithSameKeyValue",
    )
