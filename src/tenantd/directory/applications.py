"""Application registrations: their names, App ID URIs, app roles, token version, sign-in settings and
delegated permissions; creating one may create its service principal, which mirrors what Graph shows of
them there (name, roles, scopes, redirect URIs, audience)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..domain import audit, credentials, ownership, registration, rules
from ..domain.errors import BadRequest
from ..domain.ids import new_guid
from ..domain.model import Application, AppRole
from ..store import Tx
from ..store.sql import DuplicateKey
from .credentials import write_keys
from .principals import added_sp, deleted_sp, insert_app_sp
from .unit import UnitOfWork, must_exist, now_iso, unique_ids


class Applications(UnitOfWork):
    """The use cases of application registrations."""

    def create_application(
        self, tenant_id: str, display_name: str, *, identifier_uris: Sequence[str] = (),
        app_roles: Sequence[AppRole] = (), requested_access_token_version: int | None = None,
        app_id: str | None = None, object_id: str | None = None, service_principal_id: str | None = None,
        with_service_principal: bool = False, key_credentials: Sequence[dict[str, Any]] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> Application:
        """``settings`` holds sign-in and delegated-permission properties by Graph's names
        (:data:`registration.CHANGES`)."""
        app = Application(
            tenant_id=tenant_id, id=object_id or new_guid(), app_id=app_id or new_guid(),
            display_name=rules.display_name(display_name), identifier_uris=self._identifier_uris(list(identifier_uris)),
            app_roles=tuple(app_roles), requested_access_token_version=_token_version(requested_access_token_version),
            created=now_iso(),
        )
        if key_credentials:
            app = replace(app, key_credentials=credentials.key_collection((), list(key_credentials)))
        app = registration.changed(app, settings or {})
        with self.store.write() as tx:
            self._claim_ids(tx, tenant_id, app)
            if with_service_principal and service_principal_id:
                unique_ids(tx, object_ids=[service_principal_id])
            try:
                tx.insert_application(app)
            except DuplicateKey:
                raise _uri_conflict(app.identifier_uris) from None
            write_keys(tx, app.id, (), app.key_credentials)
            entries = [audit.Entry("Add application", "ApplicationManagement", "Add", (audit.application(app),)),
                       *self._creator_owns(tx, tenant_id, ownership.owned(app))]
            if with_service_principal:
                entries.append(added_sp(insert_app_sp(tx, app, service_principal_id)))
            self._record(tx, tenant_id, *entries)
        return app

    def _identifier_uris(self, values: object) -> tuple[str, ...]:
        uris = rules.identifier_uris(values)
        rules.own_address_free(uris, self.public_url)
        return uris

    def _claim_ids(self, tx: Tx, tenant_id: str, app: Application) -> None:
        unique_ids(tx, object_ids=[app.id], app_ids=[app.app_id])
        for uri in app.identifier_uris:
            if tx.identifier_uri_owner(tenant_id, uri):
                raise _uri_conflict((uri,))

    def application(self, tenant_id: str, object_id: str) -> Application:
        with self.store.read() as tx:
            return must_exist(tx.application(tenant_id, object_id), object_id)

    def application_by_app_id(self, tenant_id: str, app_id: str) -> Application:
        with self.store.read() as tx:
            return must_exist(tx.application_by_app_id(tenant_id, app_id), app_id)

    def applications(self, tenant_id: str) -> list[Application]:
        with self.store.read() as tx:
            return tx.applications(tenant_id)

    def update_application(self, tenant_id: str, object_id: str, changes: dict[str, Any]) -> Application:
        """Apply a PATCH: displayName, identifierUris, appRoles, api.requestedAccessTokenVersion, keyCredentials,
        and the sign-in and delegated-permission properties of :data:`registration.CHANGES`."""
        with self.store.write() as tx:
            app = must_exist(tx.application(tenant_id, object_id), object_id)
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
                write_keys(tx, app.id, app.key_credentials, keys)
                updated = replace(updated, key_credentials=keys)
            updated = registration.changed(updated, changes)
            if updated == app:
                return app
            try:
                tx.update_application(updated)
            except DuplicateKey:
                raise _uri_conflict(updated.identifier_uris) from None
            entries = [audit.Entry("Update application", "ApplicationManagement", "Update",
                                   (audit.application(updated, app),))]
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            if sp is not None:
                mirrored = registration.mirrored(sp, updated)
                tx.update_service_principal(mirrored)
                if mirrored != sp:
                    entries.append(audit.Entry("Update service principal", "ApplicationManagement", "Update",
                                               (audit.service_principal(mirrored, sp),)))
            self._record(tx, tenant_id, *entries)
        return updated

    def delete_application(self, tenant_id: str, object_id: str) -> None:
        """Deleting an application deletes its service principal and every assignment to or from it."""
        with self.store.write() as tx:
            app = must_exist(tx.application(tenant_id, object_id), object_id)
            sp = tx.service_principal_by_app_id(tenant_id, app.app_id)
            entries = [audit.Entry("Delete application", "ApplicationManagement", "Delete",
                                   (audit.application(app, deleted=True),))]
            if sp is not None:
                tx.delete_service_principal(sp.id)
                entries.append(deleted_sp(sp))
            tx.delete_federated_credentials(app.id)
            tx.delete_application(app.id)
            self._record(tx, tenant_id, *entries)


def _token_version(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value in (1, 2)):
        return value
    raise BadRequest("Invalid value specified for property 'requestedAccessTokenVersion': null, 1 or 2.")


def _uri_conflict(uris: Sequence[str]) -> BadRequest:
    return BadRequest(
        f"Another object with the same value for property identifierUris already exists: {', '.join(uris)}.",
        code="Request_MultipleObjectsWithSameKeyValue",
    )
