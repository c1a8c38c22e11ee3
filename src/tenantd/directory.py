"""Directory use cases: each method is one transaction that applies the rules and writes the store.

Callers (the Graph API, the admin API, the tenant file) pass already-parsed values; the rules that make
a change legal live in :mod:`tenantd.domain.rules`, the rows in :mod:`tenantd.store`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from .domain import audit, builtins, credentials, rules
from .domain.errors import BadRequest, Forbidden, NotFound
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
from .store import Store, Tx, listing
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
    """The use cases, acting for ``actor``: every change is written to the audit log in its own transaction."""

    def __init__(self, store: Store, hash_secret: SecretHasher, actor: audit.Actor = audit.SYSTEM,
                 public_url: str | None = None) -> None:
        self.store = store
        self.hash_secret = hash_secret
        self.actor = actor
        self.public_url = public_url   # tenantd's own address: no App ID URI may take it

    def as_actor(self, actor: audit.Actor) -> Directory:
        """The same directory, with changes recorded as made by ``actor``."""
        return Directory(self.store, self.hash_secret, actor, self.public_url)

    def using(self, store: Store) -> Directory:
        """The same directory and actor over another store (one open transaction, for instance)."""
        return Directory(store, self.hash_secret, self.actor, self.public_url)

    # -- the audit log -----------------------------------------------------------------------------------
    def _record(self, tx: Tx, tenant_id: str, *entries: audit.Entry) -> None:
        """Write ``entries`` in the change's transaction ``tx``: they commit or roll back with it."""
        actor = self.actor
        name = actor.display_name
        if name is None:
            found = tx.service_principal(actor.tenant_id or tenant_id, actor.service_principal_id or "")
            name = found.display_name if found else actor.app_id or "unknown"
        now, correlation = datetime.now(UTC), str(uuid.uuid4())
        tx.insert_directory_audits([   # one microsecond apart, so they list in the order they happened
            e.row(tenant_id, str(uuid.uuid4()), correlation, now + timedelta(microseconds=i), actor, name)
            for i, e in enumerate(entries)])

    def record(self, tenant_id: str, entry: audit.Entry) -> None:
        """Record an action that changes no directory object (a token minted as another principal)."""
        with self.store.write() as tx:
            self._record(tx, tenant_id, entry)

    def audits(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
               before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Audit rows, newest first (see :meth:`tenantd.store.Tx.directory_audits`)."""
        with self.store.read() as tx:
            return tx.directory_audits(tenant_id, conditions, before=before, limit=limit)

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
            self._record(tx, tenant.id, audit.Entry("Add tenant", "DirectoryManagement", "Add", (
                audit.Target(tenant.id, tenant.name, "Tenant"),)))
        return tenant

    def ensure_builtins(self, tenant_id: str) -> list[str]:
        """Add the built-in service principals a tenant made by an earlier version lacks; their names."""
        with self.store.write() as tx:
            missing = [b for b in builtins.BUILTINS if tx.service_principal_by_app_id(tenant_id, b.app_id) is None]
            for resource in missing:
                added = self._add_builtin(tx, tenant_id, resource)
                self._record(tx, tenant_id, _added_sp(added))
        return [b.name for b in missing]

    def _add_builtin(self, tx: Tx, tenant_id: str, resource: builtins.BuiltinResource) -> ServicePrincipal:
        sp = ServicePrincipal(
            tenant_id=tenant_id, id=new_guid(), app_id=resource.app_id, display_name=resource.name,
            service_principal_type="Application", app_roles=resource.roles, app_role_assignment_required=False,
            account_enabled=True, created=now_iso(),
            service_principal_names=(resource.app_id, *resource.identifier_uris),
            app_owner_organization_id=resource.owner,
        )
        tx.insert_service_principal(sp)
        tx.set_builtin_identifier_uris(tenant_id, sp.id, resource.identifier_uris)
        return sp

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
            display_name=rules.display_name(display_name), identifier_uris=self._identifier_uris(list(identifier_uris)),
            app_roles=tuple(app_roles), requested_access_token_version=_token_version(requested_access_token_version),
            created=now_iso(),
        )
        if key_credentials:
            app = replace(app, key_credentials=credentials.key_collection((), list(key_credentials)))
        with self.store.write() as tx:
            self._claim_ids(tx, tenant_id, app)
            if with_service_principal and service_principal_id:
                _unique_ids(tx, object_ids=[service_principal_id])
            try:
                tx.insert_application(app)
            except DuplicateKey:
                raise _uri_conflict(app.identifier_uris) from None
            _write_keys(tx, app.id, (), app.key_credentials)
            entries = [audit.Entry("Add application", "ApplicationManagement", "Add", (audit.application(app),))]
            if with_service_principal:
                entries.append(_added_sp(self._insert_app_sp(tx, app, service_principal_id)))
            self._record(tx, tenant_id, *entries)
        return app

    def _identifier_uris(self, values: object) -> tuple[str, ...]:
        uris = rules.identifier_uris(values)
        rules.own_address_free(uris, self.public_url)
        return uris

    def _claim_ids(self, tx: Tx, tenant_id: str, app: Application) -> None:
        _unique_ids(tx, object_ids=[app.id], app_ids=[app.app_id])
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
                uris = self._identifier_uris(changes["identifierUris"])
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
            entries = [audit.Entry("Update application", "ApplicationManagement", "Update",
                                   (audit.application(updated, app),))]
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            if sp is not None:  # the service principal mirrors the application's roles and name
                mirrored = replace(sp, app_roles=updated.app_roles, display_name=updated.display_name,
                                   service_principal_names=(updated.app_id, *updated.identifier_uris))
                tx.update_service_principal(mirrored)
                if mirrored != sp:
                    entries.append(audit.Entry("Update service principal", "ApplicationManagement", "Update",
                                               (audit.service_principal(mirrored, sp),)))
            self._record(tx, tenant_id, *entries)
        return updated

    def delete_application(self, tenant_id: str, object_id: str) -> None:
        """Deleting an application deletes its service principal and every assignment to or from it."""
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            entries = [audit.Entry("Delete application", "ApplicationManagement", "Delete",
                                   (audit.application(app, deleted=True),))]
            if sp is not None:
                tx.delete_service_principal(sp.id)
                entries.append(_deleted_sp(sp))
            tx.delete_federated_credentials(app.id)
            tx.delete_application(app.id)
            self._record(tx, tenant_id, *entries)

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
            self._record(tx, tenant_id, _credentials_changed(
                app, replace(app, password_credentials=(*app.password_credentials, cred))))
        return cred, secret

    def remove_password(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_password_credential(app.id, key_id.lower()):
                raise BadRequest(f"No password credential found with keyId '{key_id}'.")
            self._record(tx, tenant_id, _credentials_changed(app, replace(app, password_credentials=tuple(
                c for c in app.password_credentials if c.key_id != key_id.lower()))))

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
            sp = self._insert_app_sp(tx, app, object_id, **fields)
            self._record(tx, tenant_id, _added_sp(sp))
            return sp

    def _insert_app_sp(self, tx: Tx, app: Application, object_id: str | None, **fields: Any) -> ServicePrincipal:
        if object_id:
            _unique_ids(tx, object_ids=[object_id])
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
            _unique_ids(tx, object_ids=[sp.id], app_ids=[sp.app_id])
            try:
                tx.insert_service_principal(sp)
            except DuplicateKey:
                raise BadRequest(f"A managed identity for '{resource_id}' already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue") from None
            self._record(tx, tenant_id, _added_sp(sp))
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
                self._record(tx, tenant_id, audit.Entry("Update service principal", "ApplicationManagement",
                                                        "Update", (audit.service_principal(updated, sp),)))
        return updated

    def delete_service_principal(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            sp = _found(tx.service_principal(tenant_id, object_id), object_id)
            tx.delete_federated_credentials(object_id)
            tx.delete_service_principal(object_id)
            self._record(tx, tenant_id, _deleted_sp(sp))

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
            _unique_ids(tx, object_ids=[user.id])
            if tx.user(tenant_id, user_principal_name):
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue")
            try:
                tx.insert_user(user)
            except DuplicateKey:
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue") from None
            self._record(tx, tenant_id, audit.Entry("Add user", "UserManagement", "Add", (audit.user(user),)))
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
                self._record(tx, tenant_id, audit.Entry("Update user", "UserManagement", "Update",
                                                        (audit.user(updated, user),)))
        return updated

    def delete_user(self, tenant_id: str, key: str) -> None:
        with self.store.write() as tx:
            user = _found(tx.user(tenant_id, key), key)
            tx.delete_user(user.id)
            self._record(tx, tenant_id, audit.Entry("Delete user", "UserManagement", "Delete",
                                                    (audit.user(user, deleted=True),)))

    def create_group(self, tenant_id: str, display_name: str, description: str | None = None,
                     mail_nickname: str | None = None, object_id: str | None = None) -> Group:
        group = Group(tenant_id=tenant_id, id=object_id or new_guid(), display_name=rules.display_name(display_name),
                      description=description, mail_nickname=mail_nickname or _nickname(display_name),
                      security_enabled=True, created=now_iso())
        with self.store.write() as tx:
            _unique_ids(tx, object_ids=[group.id])
            tx.insert_group(group)
            self._record(tx, tenant_id, audit.Entry("Add group", "GroupManagement", "Add", (audit.group(group),)))
        return group

    def update_group(self, tenant_id: str, updated: Group) -> Group:
        """Replace a group's display name, description and mail nickname."""
        rules.display_name(updated.display_name)
        with self.store.write() as tx:
            group = _found(tx.group(tenant_id, updated.id), updated.id)
            if updated != group:
                tx.update_group(updated)
                self._record(tx, tenant_id, audit.Entry("Update group", "GroupManagement", "Update",
                                                        (audit.group(updated, group),)))
        return updated

    def group(self, tenant_id: str, object_id: str) -> Group:
        with self.store.read() as tx:
            return _found(tx.group(tenant_id, object_id), object_id)

    def groups(self, tenant_id: str) -> list[Group]:
        with self.store.read() as tx:
            return tx.groups(tenant_id)

    def delete_group(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            group = _found(tx.group(tenant_id, object_id), object_id)
            tx.delete_group(object_id)
            self._record(tx, tenant_id, audit.Entry("Delete group", "GroupManagement", "Delete",
                                                    (audit.group(group, deleted=True),)))

    def add_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            group = _found(tx.group(tenant_id, group_id), group_id)
            member = _principal(tx, tenant_id, member_id)
            if member is None:
                raise BadRequest(f"Resource '{member_id}' does not exist or one of its queried reference-property "
                                 "objects are not present.")
            if member.id in dict(tx.group_members(group_id)):
                raise BadRequest("One or more added object references already exist for the following modified "
                                 "properties: 'members'.")
            tx.add_group_member(group_id, member.id, _member_type(member))
            self._record(tx, tenant_id, _membership("Add member to group", "Add", group, member))

    def remove_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            group = _found(tx.group(tenant_id, group_id), group_id)
            member = _principal(tx, tenant_id, member_id)
            if not tx.remove_group_member(group_id, member_id.lower()):
                raise NotFound(f"Resource '{member_id}' is not a member of group '{group_id}'.")
            removed = member or Principal(member_id.lower(), "ServicePrincipal", member_id.lower())
            self._record(tx, tenant_id, _membership("Remove member from group", "Delete", group, removed))

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

    # -- Graph's collections ---------------------------------------------------------------------------
    def page(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition],
             after: tuple[str, str] | None, limit: int) -> list[Any]:
        """Up to ``limit`` objects of a collection that meet ``conditions``, past the keyset ``after``."""
        with self.store.read() as tx:
            return tx.page(kind, tenant_id, conditions, after, limit)

    def count(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition]) -> int:
        with self.store.read() as tx:
            return tx.count(kind, tenant_id, conditions)

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
            self._record(tx, tenant_id, audit.assignment(True, assignment_id, resource.role(app_role_id),
                                                         app_role_id, principal, resource))
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
            resource = tx.service_principal(tenant_id, found.resource_id)
            if resource is not None:
                principal = Principal(found.principal_id, found.principal_type, found.principal_display_name)
                self._record(tx, tenant_id, audit.assignment(False, found.id, resource.role(found.app_role_id),
                                                             found.app_role_id, principal, resource))
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
            self._record(tx, tenant_id, _host_change("Attach managed identity to host", "Assign", sp,
                                                     host_resource_id))

    def detach(self, tenant_id: str, identity_id: str, host_resource_id: str) -> None:
        with self.store.write() as tx:
            if not tx.detach(tenant_id, host_resource_id, identity_id):
                raise NotFound(f"Identity '{identity_id}' is not attached to '{host_resource_id}'.")
            sp = tx.service_principal(tenant_id, identity_id)
            if sp is not None:
                self._record(tx, tenant_id, _host_change("Detach managed identity from host", "Unassign", sp,
                                                         host_resource_id))

    def open_host_session(self, tenant_id: str, host_resource_id: str, lifetime: timedelta, *,
                          caller_is_admin: bool = False) -> str:
        """A new secret for a running host: its identity header, MSI secret and IMDS path prefix.

        256 bits in lowercase hex: as a path prefix it must come back unchanged from clients that lowercase
        the URL they build (msal-node), percent-encode it or split it at slashes.

        It lets a process act as the host's identities, so a host one of whose identities holds a role on an
        API that manages the directory needs a caller that may administer the tenant (``caller_is_admin``);
        a refusal is audited too."""
        host = self.host(tenant_id, host_resource_id)
        if not host.identities:
            raise BadRequest(f"No managed identity is bound to or attached to host '{host_resource_id}'.")
        if not caller_is_admin:
            with self.store.read() as tx:
                held = [sp.display_name for sp in host.identities if holds_directory_roles(tx, tenant_id, [sp.id])]
            if held:
                refusal = privileged_principal(held)
                self.record(tenant_id, _host_session("Open host session", "Add", host, None, refusal.message))
                raise refusal
        secret = secrets.token_hex(32)
        now = datetime.now(UTC)
        with self.store.write() as tx:
            tx.delete_expired_host_credentials(iso(now))
            tx.insert_host_credential(self.hash_secret(secret), tenant_id, host_resource_id, iso(now),
                                      iso(now + lifetime))
            self._record(tx, tenant_id, _host_session("Open host session", "Add", host, iso(now + lifetime)))
        return secret

    def close_host_session(self, tenant_id: str, secret: str) -> None:
        """End a host session of ``tenant_id``. A secret of no session of this tenant changes nothing, the same
        whether it is unknown or another tenant's."""
        with self.store.write() as tx:
            found = tx.host_credential(self.hash_secret(secret))
            if found is None or found[0] != tenant_id:
                return
            _, host_resource_id, expires = found
            if tx.delete_host_credential(self.hash_secret(secret)):
                self._record(tx, tenant_id, _host_session("Close host session", "Delete",
                                                          tx.host(tenant_id, host_resource_id), expires))

    # -- certificates ----------------------------------------------------------------------------------
    def add_key_credential(self, tenant_id: str, object_id: str, entry: dict[str, Any]) -> KeyCredential:
        """Add one certificate (Graph's keyCredential JSON: ``key`` and optional name, keyId, dates)."""
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            added = credentials.key_credential(entry)
            credentials.check_keys((*app.key_credentials, added))
            _insert_key(tx, app.id, added)
            self._record(tx, tenant_id, _credentials_changed(
                app, replace(app, key_credentials=(*app.key_credentials, added))))
        return added

    def remove_key_credential(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = _found(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_key_credential(app.id, key_id.lower()):
                raise BadRequest(f"No key credential found with keyId '{key_id}'.")
            self._record(tx, tenant_id, _credentials_changed(app, replace(app, key_credentials=tuple(
                k for k in app.key_credentials if k.key_id != key_id.lower()))))

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
            owner = _fic_owner(tx, tenant_id, owner_id, owner_type)
            existing = tx.federated_credentials(owner_id)
            _fic_unique(cred, existing)
            if len(existing) >= credentials.MAX_FEDERATED_CREDENTIALS:
                raise credentials.too_many()
            try:
                tx.insert_federated_credential(cred)
            except DuplicateKey:  # a concurrent twin won the unique constraint
                raise credentials.duplicate_issuer_subject(cred.issuer, cred.subject, owner_type) from None
            self._record(tx, tenant_id, audit.federated_credential("Add federated identity credential", "Add",
                                                                   owner, None, cred))
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
            owner = _fic_owner(tx, tenant_id, owner_id, owner_type)
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
            if updated != cred:
                self._record(tx, tenant_id, audit.federated_credential(
                    "Update federated identity credential", "Update", owner, cred, updated))
        return updated

    def remove_federated_credential(self, tenant_id: str, owner_id: str, owner_type: str, key: str) -> None:
        with self.store.write() as tx:
            owner = _fic_owner(tx, tenant_id, owner_id, owner_type)
            cred = _fic(tx, owner_id, key)
            tx.delete_federated_credential(owner_id, cred.id)
            self._record(tx, tenant_id, audit.federated_credential("Delete federated identity credential", "Delete",
                                                                   owner, cred, None))


def _write_keys(tx: Tx, application_id: str, before: Sequence[KeyCredential],
                after: Sequence[KeyCredential]) -> None:
    kept = {k.key_id for k in after}
    for gone in before:
        if gone.key_id not in kept:
            tx.delete_key_credential(application_id, gone.key_id)
    old = {k.key_id for k in before}
    for new in after:
        if new.key_id not in old:
            _insert_key(tx, application_id, new)


def _insert_key(tx: Tx, application_id: str, key: KeyCredential) -> None:
    """keyIds are the store's keys across applications and tenants: a keyId held elsewhere is refused as one
    held by the same application is, so the answer tells nothing about another tenant."""
    try:
        tx.insert_key_credential(application_id, key)
    except DuplicateKey:
        raise BadRequest("Invalid value specified for property 'keyCredentials': duplicate keyId.") from None


def _unique_ids(tx: Tx, *, object_ids: Sequence[str] = (), app_ids: Sequence[str] = ()) -> None:
    """Object ids and appIds are unique across all tenants, as in Entra (an API that accepts several tenants
    knows its callers by appId). The refusal is the same wherever the other holder is, so that it tells a
    tenant nothing about another."""
    for prop, values, taken in (("id", object_ids, tx.object_id_taken), ("appId", app_ids, tx.app_id_taken)):
        for value in values:
            if taken(value.lower()):
                raise BadRequest(f"Another object with the same value for property {prop} already exists: "
                                 f"{value.lower()}.", code="Request_MultipleObjectsWithSameKeyValue")


def _fic_owner(tx: Tx, tenant_id: str, owner_id: str, owner_type: str) -> audit.Target:
    """The owner of federated credentials: an application, or a user-assigned managed identity (as in Azure,
    system-assigned identities have none)."""
    if owner_type == "application":
        app = _found(tx.application(tenant_id, owner_id), owner_id)
        return audit.Target(app.id, app.display_name, "Application")
    sp = _found(tx.service_principal(tenant_id, owner_id), owner_id)
    if owner_type != "managedIdentity" or sp.managed_identity_kind != "UserAssigned":
        raise BadRequest("Federated identity credentials belong to applications and user-assigned managed "
                         f"identities; '{sp.display_name}' is neither.")
    return audit.Target(sp.id, sp.display_name, "ServicePrincipal")


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


def _added_sp(sp: ServicePrincipal) -> audit.Entry:
    return audit.Entry("Add service principal", "ApplicationManagement", "Add", (audit.service_principal(sp),))


def _deleted_sp(sp: ServicePrincipal) -> audit.Entry:
    return audit.Entry("Delete service principal", "ApplicationManagement", "Delete",
                       (audit.service_principal(sp, deleted=True),))


def _credentials_changed(before: Application, after: Application) -> audit.Entry:
    return audit.Entry(audit.CREDENTIALS_ACTIVITY, "ApplicationManagement", "Update",
                       (audit.application(after, before),))


def _membership(activity: str, operation: str, group: Group, member: Principal) -> audit.Entry:
    values = {"Group.ObjectID": group.id, "Group.DisplayName": group.display_name}
    changes = audit.diff(values, None) if operation == "Delete" else audit.diff(None, values)
    return audit.Entry(activity, "GroupManagement", operation,
                       (audit.principal(member, changes), audit.Target(group.id, group.display_name, "Group")))


def _host_change(activity: str, operation: str, sp: ServicePrincipal, host_resource_id: str) -> audit.Entry:
    attached = audit.Change("AttachedTo", None, host_resource_id)
    if operation == "Unassign":
        attached = audit.Change("AttachedTo", host_resource_id, None)
    return audit.Entry(activity, "ApplicationManagement", operation, (
        audit.Target(sp.id, sp.display_name, "ServicePrincipal", (attached,)),
        audit.Target(host_resource_id, host_resource_id, "Host")))


def _host_session(activity: str, operation: str, host: Host, expires: str | None,
                  refused: str | None = None) -> audit.Entry:
    """A host session lets a process get tokens as the host's identities: it is impersonation."""
    until = audit.Change("SessionExpiresDateTime", None, expires)
    if operation == "Delete":
        until = audit.Change("SessionExpiresDateTime", expires, None)
    return audit.Entry(activity, "Impersonation", operation, (
        audit.Target(host.resource_id, host.resource_id, "Host", (until,)),
        *(audit.Target(sp.id, sp.display_name, "ServicePrincipal") for sp in host.identities)),
        "failure" if refused else "success", refused)


def holds_directory_roles(tx: Tx, tenant_id: str, holder_ids: Sequence[str]) -> bool:
    """Whether ``holder_ids`` (a principal and, for a user, its groups) hold an enabled role on an API that
    manages the directory: what acting as them would hand over."""
    for app_id in builtins.DIRECTORY_API_APP_IDS:
        api = tx.service_principal_by_app_id(tenant_id, app_id)
        assigned = set(tx.assigned_role_ids(list(holder_ids), api.id)) if api else set()
        if api and any(r.id in assigned and r.is_enabled for r in api.app_roles):
            return True
    return False


def privileged_principal(names: Sequence[str]) -> Forbidden:
    """The refusal to act as principals holding directory roles, for a caller that may not administer them."""
    listed = ", ".join(f"'{name}'" for name in names)
    return Forbidden(f"Insufficient privileges to complete the operation: {listed} holds roles on an API that "
                     "manages the directory (Microsoft Graph, Azure AD Graph or tenantd's admin API); acting as "
                     "it needs Tenantd.Admin.", code="Authorization_RequestDenied")


def _duplicate_assignment() -> BadRequest:
    return BadRequest("Permission being assigned already exists on the object.")


def _uri_conflict(uris: Sequence[str]) -> BadRequest:
    return BadRequest(
        f"Another object with the same value for property identifierUris already exists: {', '.join(uris)}.",
        code="Request_MultipleObjectsWithSameKeyValue",
    )
