"""The Store: SQLAlchemy engines, transactions, and row <-> model mapping. No directory rules here."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row

from ..domain.errors import Unavailable
from ..domain.model import (
    Application,
    AppRole,
    AppRoleAssignment,
    FederatedCredential,
    Group,
    Host,
    KeyCredential,
    PasswordCredential,
    ServicePrincipal,
    Tenant,
    User,
)
from . import listing
from . import schema as t
from . import statements as q

_T = TypeVar("_T")


class DuplicateKey(Exception):
    """A UNIQUE or PRIMARY KEY constraint refused a write."""


def _roles_to_json(roles: Sequence[AppRole]) -> list[dict[str, Any]]:
    return [r.to_graph() for r in roles]


def _roles_from_json(raw: list[dict[str, Any]]) -> tuple[AppRole, ...]:
    return tuple(
        AppRole(
            id=r["id"], value=r.get("value"), display_name=r["displayName"], description=r.get("description") or "",
            allowed_member_types=tuple(r["allowedMemberTypes"]), is_enabled=bool(r.get("isEnabled", True)),
            origin=r.get("origin") or "Application",
        )
        for r in raw
    )


def _sp(row: Row[Any]) -> ServicePrincipal:
    return ServicePrincipal(
        tenant_id=row.tenant_id, id=row.id, app_id=row.app_id, display_name=row.display_name,
        service_principal_type=row.service_principal_type, app_roles=_roles_from_json(row.app_roles),
        app_role_assignment_required=bool(row.app_role_assignment_required),
        account_enabled=bool(row.account_enabled), created=row.created,
        alternative_names=tuple(row.alternative_names), service_principal_names=tuple(row.service_principal_names),
        app_owner_organization_id=row.app_owner_organization_id,
        managed_identity_kind=row.managed_identity_kind, managed_identity_name=row.managed_identity_name,
        managed_identity_resource_id=row.managed_identity_resource_id,
    )


def _user(row: Row[Any]) -> User:
    return User(tenant_id=row.tenant_id, id=row.id, user_principal_name=row.user_principal_name,
                display_name=row.display_name, account_enabled=bool(row.account_enabled), created=row.created,
                mail=row.mail)


def _group(row: Row[Any]) -> Group:
    return Group(tenant_id=row.tenant_id, id=row.id, display_name=row.display_name, description=row.description,
                 mail_nickname=row.mail_nickname, security_enabled=bool(row.security_enabled), created=row.created)


def _credential(row: Row[Any]) -> PasswordCredential:
    return PasswordCredential(key_id=row.key_id, display_name=row.display_name, hint=row.hint, start=row.start,
                              end=row.end, secret_hash=bytes(row.secret_hash))


def _key_credential(row: Row[Any]) -> KeyCredential:
    return KeyCredential(key_id=row.key_id, display_name=row.display_name, type=row.type, usage=row.usage,
                         thumbprint_sha1=row.thumbprint_sha1, thumbprint_sha256=row.thumbprint_sha256,
                         start=row.start, end=row.end, certificate=bytes(row.certificate))


def _federated(row: Row[Any]) -> FederatedCredential:
    return FederatedCredential(tenant_id=row.tenant_id, id=row.id, owner_id=row.owner_id, owner_type=row.owner_type,
                               name=row.name, issuer=row.issuer, subject=row.subject,
                               audiences=tuple(row.audiences), description=row.description, created=row.created)


class Tx:
    """One transaction. Methods read and write rows; they never decide whether a change is allowed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def directory_version(self) -> int:
        """The directory's version: how many committed write transactions changed it (0 before the first)."""
        return int(self.conn.execute(q.DIRECTORY_VERSION).scalar() or 0)

    def _advance_directory_version(self) -> None:
        table = t.directory_version
        if not self.conn.execute(table.update().where(table.c.id == 1).values(version=table.c.version + 1)).rowcount:
            self.conn.execute(table.insert().values(id=1, version=1))

    def _exec(self, stmt: Any) -> Any:
        try:
            return self.conn.execute(stmt)
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc

    # -- settings and secrets ------------------------------------------------------------------------
    def setting(self, name: str) -> str | None:
        return self.conn.execute(sa.select(t.settings.c.value).where(t.settings.c.name == name)).scalar()

    def put_setting(self, name: str, value: str) -> None:
        updated = self.conn.execute(t.settings.update().where(t.settings.c.name == name).values(value=value))
        if updated.rowcount == 0:
            self._exec(t.settings.insert().values(name=name, value=value))

    def secret(self, name: str) -> bytes | None:
        value = self.conn.execute(sa.select(t.server_secrets.c.value).where(t.server_secrets.c.name == name)).scalar()
        return bytes(value) if value is not None else None

    def insert_secret(self, name: str, value: bytes) -> None:
        self._exec(t.server_secrets.insert().values(name=name, value=value))

    # -- tenants -------------------------------------------------------------------------------------
    def tenant(self, key: str) -> Tenant | None:
        row = self.conn.execute(q.TENANT, {"id": key.lower(), "name": key}).first()
        return Tenant(row.id, row.name, row.created) if row else None

    def tenants(self) -> list[Tenant]:
        rows = self.conn.execute(sa.select(t.tenants).order_by(t.tenants.c.created, t.tenants.c.name))
        return [Tenant(r.id, r.name, r.created) for r in rows]

    def insert_tenant(self, tenant: Tenant) -> None:
        self._exec(t.tenants.insert().values(id=tenant.id, name=tenant.name, created=tenant.created))

    # -- applications --------------------------------------------------------------------------------
    def _applications(self, where: Any) -> list[Application]:
        return self._with_credentials(self.conn.execute(
            sa.select(t.applications).where(where).order_by(t.applications.c.created, t.applications.c.id)
        ).all())

    def _with_credentials(self, rows: Sequence[Row[Any]]) -> list[Application]:
        """Application rows as Applications, with their identifier URIs and credentials."""
        if not rows:
            return []
        ids = [r.id for r in rows]
        uris: dict[str, list[str]] = {i: [] for i in ids}
        for u in self.conn.execute(q.URIS_OF, {"ids": ids}):
            uris[u.application_id].append(u.uri)
        creds: dict[str, list[PasswordCredential]] = {i: [] for i in ids}
        for c in self.conn.execute(q.PASSWORDS_OF, {"ids": ids}):
            creds[c.application_id].append(_credential(c))
        keys: dict[str, list[KeyCredential]] = {i: [] for i in ids}
        for k in self.conn.execute(q.KEYS_OF, {"ids": ids}):
            keys[k.application_id].append(_key_credential(k))
        return [
            Application(
                tenant_id=r.tenant_id, id=r.id, app_id=r.app_id, display_name=r.display_name,
                identifier_uris=tuple(uris[r.id]), app_roles=_roles_from_json(r.app_roles),
                requested_access_token_version=r.requested_access_token_version, created=r.created,
                password_credentials=tuple(creds[r.id]), key_credentials=tuple(keys[r.id]),
            )
            for r in rows
        ]

    def application(self, tenant_id: str, object_id: str) -> Application | None:
        found = self._with_credentials(self.conn.execute(q.APPLICATION, {"tenant_id": tenant_id,
                                                                          "id": object_id}).all())
        return found[0] if found else None

    def application_by_app_id(self, tenant_id: str, app_id: str) -> Application | None:
        found = self._with_credentials(self.conn.execute(q.APPLICATION_BY_APP_ID, {"tenant_id": tenant_id,
                                                                                    "app_id": app_id}).all())
        return found[0] if found else None

    def object_id_taken(self, object_id: str) -> bool:
        """Whether an application, service principal, user or group of any tenant has this object id: object
        ids are unique across tenants and kinds, as in Entra."""
        return any(self.conn.execute(sa.select(table.c.id).where(table.c.id == object_id).limit(1)).first()
                   for table in (t.applications, t.service_principals, t.users, t.groups))

    def app_id_taken(self, app_id: str) -> bool:
        """Whether an application or service principal (a managed identity's client id, a built-in's appId)
        of any tenant has this appId: appIds are unique across tenants, as in Entra."""
        return any(self.conn.execute(sa.select(table.c.app_id).where(table.c.app_id == app_id).limit(1)).first()
                   for table in (t.applications, t.service_principals))

    def application_version(self, tenant_id: str, *, object_id: str | None = None,
                            app_id: str | None = None) -> tuple[str, int | None] | None:
        """(appId, requestedAccessTokenVersion) of an application by object id or appId: what a token for it
        needs, without its credentials."""
        if object_id is not None:
            row = self.conn.execute(q.APP_VERSION, {"tenant_id": tenant_id, "id": object_id}).first()
        else:
            row = self.conn.execute(q.APP_VERSION_BY_APP_ID, {"tenant_id": tenant_id, "app_id": app_id}).first()
        return (row.app_id, row.requested_access_token_version) if row else None

    def applications(self, tenant_id: str, display_name: str | None = None) -> list[Application]:
        where = t.applications.c.tenant_id == tenant_id
        if display_name is not None:
            where = sa.and_(where, t.applications.c.display_name == display_name)
        return self._applications(where)

    def insert_application(self, app: Application) -> None:
        self._exec(t.applications.insert().values(
            id=app.id, tenant_id=app.tenant_id, app_id=app.app_id, display_name=app.display_name,
            name_key=app.display_name.casefold(), app_roles=_roles_to_json(app.app_roles),
            requested_access_token_version=app.requested_access_token_version, created=app.created,
        ))
        self.set_identifier_uris(app.tenant_id, app.id, app.identifier_uris)

    def update_application(self, app: Application) -> None:
        self.conn.execute(t.applications.update().where(t.applications.c.id == app.id).values(
            display_name=app.display_name, name_key=app.display_name.casefold(),
            app_roles=_roles_to_json(app.app_roles),
            requested_access_token_version=app.requested_access_token_version,
        ))
        self.set_identifier_uris(app.tenant_id, app.id, app.identifier_uris)

    def set_identifier_uris(self, tenant_id: str, application_id: str, uris: Sequence[str]) -> None:
        self.conn.execute(t.identifier_uris.delete().where(t.identifier_uris.c.application_id == application_id))
        for position, uri in enumerate(uris):
            self._exec(t.identifier_uris.insert().values(
                tenant_id=tenant_id, uri_key=uri.lower(), uri=uri, position=position, application_id=application_id,
            ))

    def set_builtin_identifier_uris(self, tenant_id: str, sp_id: str, uris: Sequence[str]) -> None:
        for position, uri in enumerate(uris):
            self._exec(t.identifier_uris.insert().values(
                tenant_id=tenant_id, uri_key=uri.lower(), uri=uri, position=position, service_principal_id=sp_id,
            ))

    def identifier_uri_owner(self, tenant_id: str, uri: str) -> tuple[str | None, str | None] | None:
        """(application id, built-in service principal id) that holds ``uri``, or None."""
        row = self.conn.execute(q.URI_OWNER, {"tenant_id": tenant_id, "uri_key": uri.lower()}).first()
        return (row.application_id, row.service_principal_id) if row else None

    def delete_application(self, object_id: str) -> None:
        self.conn.execute(t.applications.delete().where(t.applications.c.id == object_id))

    def insert_password_credential(self, application_id: str, cred: PasswordCredential) -> None:
        self._exec(t.password_credentials.insert().values(
            key_id=cred.key_id, application_id=application_id, display_name=cred.display_name, hint=cred.hint,
            secret_hash=cred.secret_hash, start=cred.start, end=cred.end,
        ))

    def delete_password_credential(self, application_id: str, key_id: str) -> int:
        return int(self.conn.execute(t.password_credentials.delete().where(
            t.password_credentials.c.application_id == application_id, t.password_credentials.c.key_id == key_id,
        )).rowcount)

    # -- service principals --------------------------------------------------------------------------
    def service_principal(self, tenant_id: str, object_id: str) -> ServicePrincipal | None:
        row = self.conn.execute(q.SERVICE_PRINCIPAL, {"tenant_id": tenant_id, "id": object_id}).first()
        return _sp(row) if row else None

    def service_principal_by_app_id(self, tenant_id: str, app_id: str) -> ServicePrincipal | None:
        row = self.conn.execute(q.SERVICE_PRINCIPAL_BY_APP_ID, {"tenant_id": tenant_id, "app_id": app_id}).first()
        return _sp(row) if row else None

    def service_principals(self, tenant_id: str, **equals: Any) -> list[ServicePrincipal]:
        stmt = sa.select(t.service_principals).where(t.service_principals.c.tenant_id == tenant_id)
        for column, value in equals.items():
            stmt = stmt.where(t.service_principals.c[column] == value)
        rows = self.conn.execute(stmt.order_by(t.service_principals.c.created, t.service_principals.c.id))
        return [_sp(r) for r in rows]

    def insert_service_principal(self, sp: ServicePrincipal) -> None:
        self._exec(t.service_principals.insert().values(
            id=sp.id, tenant_id=sp.tenant_id, app_id=sp.app_id, display_name=sp.display_name,
            name_key=sp.display_name.casefold(),
            service_principal_type=sp.service_principal_type, app_roles=_roles_to_json(sp.app_roles),
            app_role_assignment_required=sp.app_role_assignment_required, account_enabled=sp.account_enabled,
            alternative_names=list(sp.alternative_names), service_principal_names=list(sp.service_principal_names),
            app_owner_organization_id=sp.app_owner_organization_id, managed_identity_kind=sp.managed_identity_kind,
            managed_identity_name=sp.managed_identity_name,
            managed_identity_resource_id=sp.managed_identity_resource_id, created=sp.created,
        ))

    def update_service_principal(self, sp: ServicePrincipal) -> None:
        self.conn.execute(t.service_principals.update().where(t.service_principals.c.id == sp.id).values(
            display_name=sp.display_name, name_key=sp.display_name.casefold(), app_roles=_roles_to_json(sp.app_roles),
            app_role_assignment_required=sp.app_role_assignment_required, account_enabled=sp.account_enabled,
            alternative_names=list(sp.alternative_names), service_principal_names=list(sp.service_principal_names),
        ))

    def delete_service_principal(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.service_principals.delete().where(t.service_principals.c.id == object_id))

    # -- users and groups ----------------------------------------------------------------------------
    def user(self, tenant_id: str, key: str) -> User | None:
        """A user by object id or userPrincipalName."""
        row = self.conn.execute(q.USER, {"tenant_id": tenant_id, "key": key.lower()}).first()
        return _user(row) if row else None

    def users(self, tenant_id: str) -> list[User]:
        rows = self.conn.execute(sa.select(t.users).where(t.users.c.tenant_id == tenant_id)
                                 .order_by(t.users.c.created, t.users.c.id))
        return [_user(r) for r in rows]

    def insert_user(self, user: User) -> None:
        self._exec(t.users.insert().values(
            id=user.id, tenant_id=user.tenant_id, user_principal_name=user.user_principal_name,
            upn_key=user.user_principal_name.lower(), display_name=user.display_name,
            name_key=user.display_name.casefold(),
            account_enabled=user.account_enabled, mail=user.mail, created=user.created,
        ))

    def update_user(self, user: User) -> None:
        self._exec(t.users.update().where(t.users.c.id == user.id).values(
            user_principal_name=user.user_principal_name, upn_key=user.user_principal_name.lower(),
            display_name=user.display_name, name_key=user.display_name.casefold(),
            account_enabled=user.account_enabled, mail=user.mail,
        ))

    def delete_user(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.users.delete().where(t.users.c.id == object_id))

    def group(self, tenant_id: str, object_id: str) -> Group | None:
        row = self.conn.execute(q.GROUP, {"tenant_id": tenant_id, "id": object_id}).first()
        return _group(row) if row else None

    def groups(self, tenant_id: str, display_name: str | None = None) -> list[Group]:
        stmt = sa.select(t.groups).where(t.groups.c.tenant_id == tenant_id)
        if display_name is not None:
            stmt = stmt.where(t.groups.c.display_name == display_name)
        return [_group(r) for r in self.conn.execute(stmt.order_by(t.groups.c.created, t.groups.c.id))]

    def insert_group(self, group: Group) -> None:
        self._exec(t.groups.insert().values(
            id=group.id, tenant_id=group.tenant_id, display_name=group.display_name, description=group.description,
            name_key=group.display_name.casefold(),
            mail_nickname=group.mail_nickname, security_enabled=group.security_enabled, created=group.created,
        ))

    def update_group(self, group: Group) -> None:
        self.conn.execute(t.groups.update().where(t.groups.c.id == group.id).values(
            display_name=group.display_name, name_key=group.display_name.casefold(), description=group.description,
            mail_nickname=group.mail_nickname,
        ))

    def delete_group(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.groups.delete().where(t.groups.c.id == object_id))

    def group_members(self, group_id: str) -> list[tuple[str, str]]:
        """(member id, member type) pairs of one group."""
        rows = self.conn.execute(q.GROUP_MEMBERS, {"group_id": group_id})
        return [(r.member_id, r.member_type) for r in rows]

    def groups_of(self, member_id: str) -> list[str]:
        """Ids of the groups ``member_id`` belongs to directly."""
        rows = self.conn.execute(q.GROUPS_OF, {"member_id": member_id})
        return [r.group_id for r in rows]

    def add_group_member(self, group_id: str, member_id: str, member_type: str) -> None:
        self._exec(t.group_members.insert().values(group_id=group_id, member_id=member_id, member_type=member_type))

    def remove_group_member(self, group_id: str, member_id: str) -> int:
        return int(self.conn.execute(t.group_members.delete().where(
            t.group_members.c.group_id == group_id, t.group_members.c.member_id == member_id)).rowcount)

    def delete_principal_links(self, principal_id: str) -> None:
        """Remove a principal's assignments and memberships, before the principal itself goes."""
        self.conn.execute(t.app_role_assignments.delete().where(t.app_role_assignments.c.principal_id == principal_id))
        self.conn.execute(t.group_members.delete().where(t.group_members.c.member_id == principal_id))

    # -- app role assignments ------------------------------------------------------------------------
    def _assignments(self, where: Any, limit: int | None = None) -> list[AppRoleAssignment]:
        a, sp = t.app_role_assignments, t.service_principals
        principal_sp, u, g = sp.alias("principal_sp"), t.users, t.groups
        stmt = (
            sa.select(
                a, sp.c.display_name.label("resource_display_name"),
                sa.func.coalesce(principal_sp.c.display_name, u.c.display_name, g.c.display_name)
                .label("principal_display_name"),
            )
            .join(sp, sp.c.id == a.c.resource_id)
            .outerjoin(principal_sp, principal_sp.c.id == a.c.principal_id)
            .outerjoin(u, u.c.id == a.c.principal_id)
            .outerjoin(g, g.c.id == a.c.principal_id)
            .where(where)
            .order_by(a.c.created, a.c.id)
            .limit(limit)
        )
        return [
            AppRoleAssignment(
                tenant_id=r.tenant_id, id=r.id, app_role_id=r.app_role_id, principal_id=r.principal_id,
                principal_type=r.principal_type, principal_display_name=r.principal_display_name or "",
                resource_id=r.resource_id, resource_display_name=r.resource_display_name, created=r.created,
            )
            for r in self.conn.execute(stmt)
        ]

    def assignment(self, tenant_id: str, assignment_id: str) -> AppRoleAssignment | None:
        a = t.app_role_assignments
        found = self._assignments(sa.and_(a.c.tenant_id == tenant_id, a.c.id == assignment_id))
        return found[0] if found else None

    def assignments(self, tenant_id: str, *, principal_ids: Sequence[str] | None = None,
                    resource_id: str | None = None, app_role_id: str | None = None) -> list[AppRoleAssignment]:
        a = t.app_role_assignments
        where = a.c.tenant_id == tenant_id
        if principal_ids is not None:
            where = sa.and_(where, a.c.principal_id.in_(list(principal_ids)))
        if resource_id is not None:
            where = sa.and_(where, a.c.resource_id == resource_id)
        if app_role_id is not None:
            where = sa.and_(where, a.c.app_role_id == app_role_id)
        return self._assignments(where)

    def assigned_role_ids(self, principal_ids: Sequence[str], resource_id: str) -> list[str]:
        """Role ids assigned to any of ``principal_ids`` on one resource: the token path's only join-free read."""
        rows = self.conn.execute(q.ASSIGNED_ROLE_IDS, {"ids": list(principal_ids), "resource_id": resource_id})
        return [r.app_role_id for r in rows]

    def insert_assignment(self, tenant_id: str, assignment_id: str, app_role_id: str, principal_id: str,
                          principal_type: str, resource_id: str, created: str) -> None:
        self._exec(t.app_role_assignments.insert().values(
            id=assignment_id, tenant_id=tenant_id, app_role_id=app_role_id, principal_id=principal_id,
            principal_type=principal_type, resource_id=resource_id, created=created,
        ))

    def delete_assignment(self, assignment_id: str) -> int:
        return int(self.conn.execute(
            t.app_role_assignments.delete().where(t.app_role_assignments.c.id == assignment_id)).rowcount)

    # -- signing keys ----------------------------------------------------------------------------------
    def signing_keys(self, tenant_id: str) -> list[Row[Any]]:
        return list(self.conn.execute(sa.select(t.signing_keys).where(t.signing_keys.c.tenant_id == tenant_id)
                                      .order_by(t.signing_keys.c.created.desc())))

    def insert_signing_key(self, kid: str, tenant_id: str, private_key: bytes, certificate: bytes,
                           status: str, created: str, activates: str | None = None) -> None:
        self._exec(t.signing_keys.insert().values(kid=kid, tenant_id=tenant_id, private_key=private_key,
                                                  certificate=certificate, status=status, created=created,
                                                  activates=activates))

    def lock_signing_keys(self, tenant_id: str) -> bool:
        """Serialise key changes of one tenant until this transaction ends (the tenant row, locked without
        blocking inserts that reference it; SQLite's write transactions are serial already). False when
        the tenant does not exist."""
        row = self.conn.execute(sa.select(t.tenants.c.id).where(t.tenants.c.id == tenant_id)
                                .with_for_update(key_share=True)).first()
        return row is not None

    def set_signing_key_status(self, kid: str, expected: str, status: str, *, activates: str | None = None,
                               retires: str | None = None) -> int:
        """Move a key from ``expected`` to ``status``; 0 when it was not in ``expected`` (someone else moved it)."""
        values: dict[str, Any] = {"status": status}
        if activates is not None:
            values["activates"] = activates
        if retires is not None:
            values["retires"] = retires
        k = t.signing_keys
        return int(self._exec(k.update().where(k.c.kid == kid, k.c.status == expected).values(**values)).rowcount)

    # -- hosts -----------------------------------------------------------------------------------------
    def attached_identities(self, tenant_id: str, host_resource_id: str) -> list[ServicePrincipal]:
        """User-assigned identities attached to a host."""
        rows = self.conn.execute(q.ATTACHED_IDENTITIES, {"tenant_id": tenant_id, "resource_id": host_resource_id})
        return [_sp(r) for r in rows]

    def host(self, tenant_id: str, resource_id: str) -> Host:
        system = self.conn.execute(q.SYSTEM_IDENTITY, {"tenant_id": tenant_id, "resource_id": resource_id}).first()
        return Host(tenant_id, resource_id, _sp(system) if system else None,
                    tuple(self.attached_identities(tenant_id, resource_id)))

    def hosts_of(self, service_principal_id: str) -> list[str]:
        rows = self.conn.execute(sa.select(t.host_attachments.c.host_resource_id).where(
            t.host_attachments.c.service_principal_id == service_principal_id)
            .order_by(t.host_attachments.c.host_resource_id))
        return [r.host_resource_id for r in rows]

    def attach(self, tenant_id: str, host_resource_id: str, service_principal_id: str) -> None:
        self._exec(t.host_attachments.insert().values(tenant_id=tenant_id, host_resource_id=host_resource_id,
                                                      service_principal_id=service_principal_id))

    def detach(self, tenant_id: str, host_resource_id: str, service_principal_id: str) -> int:
        h = t.host_attachments
        return int(self.conn.execute(h.delete().where(
            h.c.tenant_id == tenant_id, h.c.host_resource_id == host_resource_id,
            h.c.service_principal_id == service_principal_id)).rowcount)

    def insert_host_credential(self, secret_hash: bytes, tenant_id: str, host_resource_id: str, created: str,
                               expires: str) -> None:
        self._exec(t.host_credentials.insert().values(secret_hash=secret_hash, tenant_id=tenant_id,
                                                      host_resource_id=host_resource_id, created=created,
                                                      expires=expires))

    def host_credential(self, secret_hash: bytes) -> tuple[str, str, str] | None:
        """(tenant id, host resource id, expiry) of a host credential."""
        row = self.conn.execute(q.HOST_CREDENTIAL, {"secret_hash": secret_hash}).first()
        return (row.tenant_id, row.host_resource_id, row.expires) if row else None

    def delete_host_credential(self, secret_hash: bytes) -> int:
        return int(self.conn.execute(t.host_credentials.delete().where(
            t.host_credentials.c.secret_hash == secret_hash)).rowcount)

    def delete_expired_host_credentials(self, now: str) -> int:
        return int(self.conn.execute(t.host_credentials.delete().where(t.host_credentials.c.expires <= now)).rowcount)

    # -- key credentials (certificates) ------------------------------------------------------------------
    def insert_key_credential(self, application_id: str, cred: KeyCredential) -> None:
        self._exec(t.key_credentials.insert().values(
            key_id=cred.key_id, application_id=application_id, display_name=cred.display_name, type=cred.type,
            usage=cred.usage, thumbprint_sha1=cred.thumbprint_sha1, thumbprint_sha256=cred.thumbprint_sha256,
            certificate=cred.certificate, start=cred.start, end=cred.end,
        ))

    def delete_key_credential(self, application_id: str, key_id: str) -> int:
        return int(self.conn.execute(t.key_credentials.delete().where(
            t.key_credentials.c.application_id == application_id, t.key_credentials.c.key_id == key_id,
        )).rowcount)

    # -- federated identity credentials ------------------------------------------------------------------
    def federated_credentials(self, owner_id: str) -> list[FederatedCredential]:
        f = t.federated_credentials
        rows = self.conn.execute(sa.select(f).where(f.c.owner_id == owner_id).order_by(f.c.created, f.c.id))
        return [_federated(r) for r in rows]

    def insert_federated_credential(self, cred: FederatedCredential) -> None:
        self._exec(t.federated_credentials.insert().values(
            id=cred.id, tenant_id=cred.tenant_id, owner_id=cred.owner_id, owner_type=cred.owner_type,
            name=cred.name, issuer=cred.issuer, subject=cred.subject, audiences=list(cred.audiences),
            description=cred.description, created=cred.created,
        ))

    def update_federated_credential(self, cred: FederatedCredential) -> None:
        f = t.federated_credentials
        self._exec(f.update().where(f.c.id == cred.id).values(
            issuer=cred.issuer, subject=cred.subject, audiences=list(cred.audiences), description=cred.description,
        ))

    def delete_federated_credential(self, owner_id: str, credential_id: str) -> int:
        f = t.federated_credentials
        return int(self.conn.execute(f.delete().where(f.c.owner_id == owner_id, f.c.id == credential_id)).rowcount)

    def delete_federated_credentials(self, owner_id: str) -> int:
        """Every federated credential of one owner (the table has no foreign key to its owners)."""
        f = t.federated_credentials
        return int(self.conn.execute(f.delete().where(f.c.owner_id == owner_id)).rowcount)

    # -- sign-in log -----------------------------------------------------------------------------------
    _SIGN_IN_COMPARE: dict[str, Any] = {
        "eq": lambda c, v: c == v, "ne": lambda c, v: sa.or_(c != v, c.is_(None)),
        "gt": lambda c, v: c > v, "ge": lambda c, v: c >= v, "lt": lambda c, v: c < v, "le": lambda c, v: c <= v,
    }

    def insert_sign_ins(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.sign_ins.insert(), list(rows))

    def sign_ins(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
                 before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """A tenant's sign-ins, newest first, each with its resource's current display name. A condition is
        (column, eq|ne|gt|ge|lt|le, value); ``before`` is the (created, id) a previous page ended at."""
        s, resource = t.sign_ins, t.service_principals
        stmt = (
            sa.select(s, resource.c.display_name.label("resource_display_name"))
            .outerjoin(resource, sa.and_(resource.c.tenant_id == s.c.tenant_id, resource.c.app_id == s.c.resource_id))
            .where(s.c.tenant_id == tenant_id)
        )
        for column, op, value in conditions:
            stmt = stmt.where(self._SIGN_IN_COMPARE[op](s.c[column], value))
        if before is not None:
            stmt = stmt.where(sa.or_(s.c.created < before[0], sa.and_(s.c.created == before[0], s.c.id < before[1])))
        rows = self.conn.execute(stmt.order_by(s.c.created.desc(), s.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def count_sign_ins(self, counts: Sequence[tuple[str, int, str]]) -> None:
        """Set the count and the last time of aggregate rows: (id, count, last_created) each."""
        if counts:
            s = t.sign_ins
            self.conn.execute(s.update().where(s.c.id == sa.bindparam("row_id")).values(
                {s.c["count"]: sa.bindparam("row_count"), s.c.last_created: sa.bindparam("row_last")}),
                [{"row_id": i, "row_count": n, "row_last": last} for i, n, last in counts])

    def delete_sign_ins_before(self, created: str) -> int:
        return int(self.conn.execute(t.sign_ins.delete().where(t.sign_ins.c.created < created)).rowcount)

    def trim_sign_ins(self, tenant_id: str, keep: int) -> int:
        """Delete a tenant's rows beyond the newest ``keep`` successes and the newest ``keep`` refusals."""
        s, deleted = t.sign_ins, 0
        for failed in (s.c.error_code == 0, s.c.error_code != 0):
            oldest_kept = (sa.select(s.c.created).where(s.c.tenant_id == tenant_id, failed)
                           .order_by(s.c.created.desc()).offset(keep).limit(1).scalar_subquery())
            deleted += int(self.conn.execute(s.delete().where(s.c.tenant_id == tenant_id, failed,
                                                              s.c.created <= oldest_kept)).rowcount)
        return deleted

    # -- bulk loads: many rows per statement, no checks (a generator of large directories, imports) ------------
    def insert_applications(self, apps: Sequence[Application]) -> None:
        """Applications with their identifier URIs (credentials are not bulk-loaded)."""
        if not apps:
            return
        self.conn.execute(t.applications.insert(), [{
            "id": a.id, "tenant_id": a.tenant_id, "app_id": a.app_id, "display_name": a.display_name,
            "name_key": a.display_name.casefold(), "app_roles": _roles_to_json(a.app_roles),
            "requested_access_token_version": a.requested_access_token_version, "created": a.created,
        } for a in apps])
        uris = [{"tenant_id": a.tenant_id, "uri_key": uri.lower(), "uri": uri, "position": position,
                 "application_id": a.id} for a in apps for position, uri in enumerate(a.identifier_uris)]
        if uris:
            self.conn.execute(t.identifier_uris.insert(), uris)

    def insert_service_principals(self, sps: Sequence[ServicePrincipal]) -> None:
        if sps:
            self.conn.execute(t.service_principals.insert(), [{
                "id": sp.id, "tenant_id": sp.tenant_id, "app_id": sp.app_id, "display_name": sp.display_name,
                "name_key": sp.display_name.casefold(), "service_principal_type": sp.service_principal_type,
                "app_roles": _roles_to_json(sp.app_roles),
                "app_role_assignment_required": sp.app_role_assignment_required,
                "account_enabled": sp.account_enabled, "alternative_names": list(sp.alternative_names),
                "service_principal_names": list(sp.service_principal_names),
                "app_owner_organization_id": sp.app_owner_organization_id,
                "managed_identity_kind": sp.managed_identity_kind, "managed_identity_name": sp.managed_identity_name,
                "managed_identity_resource_id": sp.managed_identity_resource_id, "created": sp.created,
            } for sp in sps])

    def insert_users(self, users: Sequence[User]) -> None:
        if users:
            self.conn.execute(t.users.insert(), [{
                "id": u.id, "tenant_id": u.tenant_id, "user_principal_name": u.user_principal_name,
                "upn_key": u.user_principal_name.lower(), "display_name": u.display_name,
                "name_key": u.display_name.casefold(), "account_enabled": u.account_enabled, "mail": u.mail,
                "created": u.created,
            } for u in users])

    def insert_groups(self, groups: Sequence[Group]) -> None:
        if groups:
            self.conn.execute(t.groups.insert(), [{
                "id": g.id, "tenant_id": g.tenant_id, "display_name": g.display_name, "description": g.description,
                "name_key": g.display_name.casefold(), "mail_nickname": g.mail_nickname,
                "security_enabled": g.security_enabled, "created": g.created,
            } for g in groups])

    def insert_group_members(self, members: Sequence[tuple[str, str, str]]) -> None:
        """(group id, member id, member type) rows."""
        if members:
            self.conn.execute(t.group_members.insert(), [
                {"group_id": g, "member_id": m, "member_type": kind} for g, m, kind in members])

    def insert_assignments(self, assignments: Sequence[AppRoleAssignment]) -> None:
        """Assignments as stored (the display names they carry are read from their objects, not kept)."""
        if assignments:
            self.conn.execute(t.app_role_assignments.insert(), [{
                "id": a.id, "tenant_id": a.tenant_id, "app_role_id": a.app_role_id, "principal_id": a.principal_id,
                "principal_type": a.principal_type, "resource_id": a.resource_id, "created": a.created,
            } for a in assignments])


    # -- Graph's collections: filtered and keyset-paged in SQL ---------------------------------------------------
    def page(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition],
             after: tuple[str, str] | None, limit: int) -> list[Any]:
        """Up to ``limit`` objects of a collection past the key ``after``, in key order (listing.order)."""
        where = listing.where(kind, tenant_id, conditions, after)
        if kind == "assignments":
            return self._assignments(where, limit)
        table = listing.TABLES[kind]
        stmt = sa.select(table).where(where).order_by(*listing.key_columns(kind, listing.order(conditions)))
        if kind == "applications":   # the page's ids in order, then the applications with their credentials
            ids = [r.id for r in self.conn.execute(stmt.with_only_columns(table.c.id).limit(limit))]
            found = {a.id: a for a in self._applications(table.c.id.in_(ids))} if ids else {}
            return [found[i] for i in ids]
        convert = {"service_principals": _sp, "users": _user, "groups": _group}[kind]
        return [convert(r) for r in self.conn.execute(stmt.limit(limit))]

    def count(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition]) -> int:
        return listing.count(self.conn, kind, tenant_id, conditions)

    # -- streaming a whole tenant (export) --------------------------------------------------------------------
    def by_name(self, kind: listing.Kind, tenant_id: str, after: tuple[str, str] | None, limit: int,
                **equals: Any) -> list[Any]:
        """Up to ``limit`` objects in (case-folded name, id) order past ``after``; users by userPrincipalName."""
        table = listing.TABLES[kind]
        key = table.c.upn_key if kind == "users" else table.c.name_key
        stmt = sa.select(table).where(table.c.tenant_id == tenant_id,
                                      *(table.c[column] == value for column, value in equals.items()))
        if after is not None:
            stmt = stmt.where(sa.or_(key > after[0], sa.and_(key == after[0], table.c.id > after[1])))
        stmt = stmt.order_by(key, table.c.id).limit(limit)
        if kind == "applications":
            return self._applications(t.applications.c.id.in_([r.id for r in self.conn.execute(
                stmt.with_only_columns(table.c.id))]))
        convert = {"service_principals": _sp, "users": _user, "groups": _group}[kind]
        return [convert(r) for r in self.conn.execute(stmt)]

    def service_principals_of(self, tenant_id: str, app_ids: Sequence[str]) -> list[ServicePrincipal]:
        sp = t.service_principals
        rows = self.conn.execute(sa.select(sp).where(sp.c.tenant_id == tenant_id, sp.c.app_id.in_(list(app_ids))))
        return [_sp(r) for r in rows]

    def hosts_of_each(self, service_principal_ids: Sequence[str]) -> dict[str, list[str]]:
        """:meth:`hosts_of` for many identities at once (those attached nowhere are left out)."""
        h = t.host_attachments
        found: dict[str, list[str]] = {}
        for r in self.conn.execute(sa.select(h.c.service_principal_id, h.c.host_resource_id).where(
                h.c.service_principal_id.in_(list(service_principal_ids))).order_by(h.c.host_resource_id)):
            found.setdefault(r.service_principal_id, []).append(r.host_resource_id)
        return found

    def federated_credentials_of_each(self, owner_ids: Sequence[str]) -> dict[str, list[FederatedCredential]]:
        """:meth:`federated_credentials` of many owners at once (owners without any are left out)."""
        f = t.federated_credentials
        found: dict[str, list[FederatedCredential]] = {}
        for r in self.conn.execute(sa.select(f).where(f.c.owner_id.in_(list(owner_ids)))
                                   .order_by(f.c.created, f.c.id)):
            found.setdefault(r.owner_id, []).append(_federated(r))
        return found

    def assigned_resource_ids(self, tenant_id: str) -> list[str]:
        """Service principals that some principal holds a role of."""
        a = t.app_role_assignments
        return [r.resource_id for r in self.conn.execute(
            sa.select(a.c.resource_id).where(a.c.tenant_id == tenant_id).distinct())]

    # -- directory audit log ------------------------------------------------------------------------------------
    def insert_directory_audits(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.directory_audits.insert(), list(rows))

    def directory_audits(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
                         before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """A tenant's audit rows, newest first. A condition is (column, eq|ne|gt|ge|lt|le, value); ``before``
        is the (created, id) a previous page ended at."""
        d = t.directory_audits
        stmt = sa.select(d).where(d.c.tenant_id == tenant_id)
        for column, op, value in conditions:
            stmt = stmt.where(self._SIGN_IN_COMPARE[op](d.c[column], value))
        if before is not None:
            stmt = stmt.where(sa.or_(d.c.created < before[0], sa.and_(d.c.created == before[0], d.c.id < before[1])))
        rows = self.conn.execute(stmt.order_by(d.c.created.desc(), d.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    # -- failed client authentications ---------------------------------------------------------------------------
    def count_auth_failure(self, tenant_id: str, client_id: str, sources: Sequence[str], slot: int) -> list[int]:
        """Add one failure to each (client, source) counter of window ``slot``; the counts after it, in order.
        Each is one atomic upsert, so concurrent failures on any replica are all counted."""
        f = t.auth_failures
        insert: Any = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        counts = []
        for source in sources:
            stmt = (insert(f).values(tenant_id=tenant_id, client_id=client_id, source=source, slot=slot, failures=1)
                    .on_conflict_do_update(index_elements=[f.c.tenant_id, f.c.client_id, f.c.source, f.c.slot],
                                           set_={"failures": f.c.failures + 1})
                    .returning(f.c.failures))
            counts.append(int(self.conn.execute(stmt).scalar_one()))
        return counts

    def delete_auth_failures_before(self, slot: int) -> int:
        return int(self.conn.execute(t.auth_failures.delete().where(t.auth_failures.c.slot < slot)).rowcount)


class Store:
    """Engines and transactions over one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _engine(url)
        self._marker: sqlite3.Connection | None = None   # SQLite: a connection that only asks data_version
        self._markers_opened = 0                            # its values mean nothing to another connection
        self._marker_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A transaction that sees one state of the database throughout, as SQLite's do: on PostgreSQL,
        REPEATABLE READ (its default gives each statement the commits made before it, so an object could
        vanish between a page's ids and its rows), and READ ONLY, so a write here fails at once."""
        with _available(), self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield Tx(conn)

    @contextlib.contextmanager
    def write(self, *, versioned: bool = True) -> Iterator[Tx]:
        """A write transaction: all or nothing, one at a time. On SQLite it takes the write lock up front; on
        PostgreSQL an advisory lock serialises writers the same way (across replicas too), so that a use
        case's checks still hold when it writes and writers never deadlock. A change to the directory
        advances its version (``versioned=False`` only for a restore into a schema older than the version)."""
        with _available(), self.engine.connect() as conn:
            conn = conn.execution_options(tenantd_write=True)
            with conn.begin():
                conn.info.pop(_DIRECTORY_CHANGED, None)
                tx = Tx(conn)
                yield tx
                if conn.info.pop(_DIRECTORY_CHANGED, False) and versioned:
                    tx._advance_directory_version()

    @contextlib.contextmanager
    def counters(self) -> Iterator[Tx]:
        """A short transaction of atomic upserts (counters). The database's row locks order them, so unlike
        :meth:`write` it neither takes SQLite's write lock up front nor waits for PostgreSQL's writer lock."""
        with _available(), self.engine.connect() as conn, conn.begin():
            yield Tx(conn)

    def commit_marker(self) -> tuple[int, int] | None:
        """A value that changes whenever a transaction commits to the database, from any process: SQLite's
        ``data_version`` on a connection of its own (and which connection: a new one, after ``dispose`` or in
        a forked worker, counts anew), a few microseconds without a transaction or the pool. None where no
        such cheap marker exists (PostgreSQL, an in-memory database)."""
        return self._on_marker(lambda conn: None)[0]

    def marked_directory_version(self) -> tuple[tuple[int, int] | None, int | None]:
        """``commit_marker`` and then the directory version, both on the marker's connection: a few
        microseconds, and never a wait for a lock (busy gives None). The version is None where the marker
        is, or when it could not be read."""
        return self._on_marker(_directory_version)

    def _on_marker(self, read: Callable[[sqlite3.Connection], _T]) -> tuple[tuple[int, int] | None, _T | None]:
        database = self.engine.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None, None
        with self._marker_lock:
            try:
                if self._marker is None:
                    self._marker = sqlite3.connect(database, timeout=0, check_same_thread=False,
                                                   isolation_level=None)
                    self._markers_opened += 1
                marker = self._markers_opened, int(self._marker.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:   # then the caller reads, and a real problem surfaces there
                return None, None
            try:
                return marker, read(self._marker)
            except sqlite3.Error:   # busy, say: the caller reads through the pool instead
                return marker, None

    def dispose(self) -> None:
        with self._marker_lock:
            if self._marker is not None:
                self._marker.close()
                self._marker = None
        self.engine.dispose()


def _directory_version(conn: sqlite3.Connection) -> int:
    rows = conn.execute(q.DIRECTORY_VERSION_SQLITE).fetchall()   # all: no statement stays open
    return int(rows[0][0]) if rows else 0


@contextlib.contextmanager
def _available() -> Iterator[None]:
    """A database that cannot be reached, or stays locked past the busy timeout, is a temporary condition the
    adapters answer with 503 and Retry-After, not a server error."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise Unavailable("The directory's database is unavailable; retry shortly.") from exc


# Tables whose changes do not change the directory: logs, counters, signing keys (the keyring has its own view).
_UNVERSIONED = frozenset({t.sign_ins.name, t.directory_audits.name, t.auth_failures.name, t.signing_keys.name,
                          t.directory_version.name})
_DIRECTORY_CHANGED = "tenantd_directory_changed"


def _note_directory_changes(engine: Engine) -> None:
    """Mark a connection whose statements insert, update or delete directory rows; :meth:`Store.write`
    then advances the directory version in the same transaction, whichever method made the change."""
    @sa.event.listens_for(engine, "before_execute")
    def _note(conn: Connection, clause: Any, *_args: Any) -> None:
        if isinstance(clause, sa.sql.dml.UpdateBase) and getattr(clause.table, "name", None) not in _UNVERSIONED:
            conn.info[_DIRECTORY_CHANGED] = True


def _engine(url: str) -> Engine:
    engine = _new_engine(url)
    _note_directory_changes(engine)
    return engine


def _new_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        # Ten pooled connections: enough that a loaded worker rarely opens (with its pragmas) and closes one per
        # request, few enough that their page caches (up to 2 MB each) stay small next to a worker's memory.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=10,
                                  max_overflow=30)
        _sqlite_pragmas(engine)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    _postgresql_write_lock(engine)
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tenantd_write") else "BEGIN")


_PG_WRITE_LOCK = 0x7E4A47E  # any constant other than the migrations' lock


def _postgresql_write_lock(engine: Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("tenantd_write"):
            conn.exec_driver_sql("SET LOCAL lock_timeout = '30s'")  # as SQLite's busy timeout: fail, never hang
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")
