"""Applications, their App ID URIs and their credentials: secrets (hashes), certificates, federated identity
credentials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ..domain.model import Application, FederatedCredential, KeyCredential, PasswordCredential
from . import schema as t
from . import statements as q
from .owner_tables import owners
from .rows import (
    federated_row,
    key_row,
    password_row,
    registration_fields,
    registration_values,
    roles_from_json,
    roles_to_json,
)
from .transaction import BaseTx


class ApplicationRows(BaseTx):
    """Rows of applications, their App ID URIs and their credentials."""

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
            creds[c.application_id].append(password_row(c))
        keys: dict[str, list[KeyCredential]] = {i: [] for i in ids}
        for k in self.conn.execute(q.KEYS_OF, {"ids": ids}):
            keys[k.application_id].append(key_row(k))
        return [
            Application(
                tenant_id=r.tenant_id, id=r.id, app_id=r.app_id, display_name=r.display_name,
                identifier_uris=tuple(uris[r.id]), app_roles=roles_from_json(r.app_roles),
                requested_access_token_version=r.requested_access_token_version, created=r.created,
                password_credentials=tuple(creds[r.id]), key_credentials=tuple(keys[r.id]),
                **registration_fields(r),
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

    def app_id_tenant(self, app_id: str) -> str | None:
        """The tenant whose application has this appId (appIds are unique across tenants)."""
        a = t.applications
        return self.conn.execute(sa.select(a.c.tenant_id).where(a.c.app_id == app_id).limit(1)).scalar()

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
            name_key=app.display_name.casefold(), app_roles=roles_to_json(app.app_roles),
            requested_access_token_version=app.requested_access_token_version, created=app.created,
            **registration_values(app),
        ))
        self.set_identifier_uris(app.tenant_id, app.id, app.identifier_uris)

    def update_application(self, app: Application) -> None:
        self.conn.execute(t.applications.update().where(t.applications.c.id == app.id).values(
            display_name=app.display_name, name_key=app.display_name.casefold(),
            app_roles=roles_to_json(app.app_roles),
            requested_access_token_version=app.requested_access_token_version, **registration_values(app),
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
        self.conn.execute(owners.delete().where(owners.c.object_id == object_id))
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

    def federated_credentials(self, owner_id: str) -> list[FederatedCredential]:
        f = t.federated_credentials
        rows = self.conn.execute(sa.select(f).where(f.c.owner_id == owner_id).order_by(f.c.created, f.c.id))
        return [federated_row(r) for r in rows]

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
