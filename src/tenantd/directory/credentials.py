"""Applications' credentials: client secrets (only their hashes are kept), certificates, and the federated
identity credentials of applications and user-assigned managed identities."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import audit, credentials, rules
from ..domain.errors import BadRequest
from ..domain.ids import new_guid
from ..domain.model import Application, FederatedCredential, KeyCredential, PasswordCredential
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, iso, must_exist, now_iso

DEFAULT_SECRET_LIFETIME = timedelta(days=730)


class Credentials(UnitOfWork):
    """Adding, changing and removing applications' and identities' credentials."""

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
            app = must_exist(tx.application(tenant_id, object_id), object_id)
            if len(app.password_credentials) >= rules.MAX_PASSWORD_CREDENTIALS:
                raise BadRequest("Too many passwordCredentials on this application.")
            tx.insert_password_credential(app.id, cred)
            self._record(tx, tenant_id, credentials_changed(
                app, replace(app, password_credentials=(*app.password_credentials, cred))))
        return cred, secret

    def remove_password(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = must_exist(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_password_credential(app.id, key_id.lower()):
                raise BadRequest(f"No password credential found with keyId '{key_id}'.")
            self._record(tx, tenant_id, credentials_changed(app, replace(app, password_credentials=tuple(
                c for c in app.password_credentials if c.key_id != key_id.lower()))))

    def add_key_credential(self, tenant_id: str, object_id: str, entry: dict[str, Any]) -> KeyCredential:
        """Add one certificate (Graph's keyCredential JSON: ``key`` and optional name, keyId, dates)."""
        with self.store.write() as tx:
            app = must_exist(tx.application(tenant_id, object_id), object_id)
            added = credentials.key_credential(entry)
            credentials.check_keys((*app.key_credentials, added))
            insert_key(tx, app.id, added)
            self._record(tx, tenant_id, credentials_changed(
                app, replace(app, key_credentials=(*app.key_credentials, added))))
        return added

    def remove_key_credential(self, tenant_id: str, object_id: str, key_id: str) -> None:
        with self.store.write() as tx:
            app = must_exist(tx.application(tenant_id, object_id), object_id)
            if not tx.delete_key_credential(app.id, key_id.lower()):
                raise BadRequest(f"No key credential found with keyId '{key_id}'.")
            self._record(tx, tenant_id, credentials_changed(app, replace(app, key_credentials=tuple(
                k for k in app.key_credentials if k.key_id != key_id.lower()))))

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


def new_client_secret() -> str:
    """A client secret with 256 bits of entropy (a fast keyed hash is then the right store)."""
    return secrets.token_urlsafe(32)


def write_keys(tx: Tx, application_id: str, before: Sequence[KeyCredential],
                after: Sequence[KeyCredential]) -> None:
    kept = {k.key_id for k in after}
    for gone in before:
        if gone.key_id not in kept:
            tx.delete_key_credential(application_id, gone.key_id)
    old = {k.key_id for k in before}
    for new in after:
        if new.key_id not in old:
            insert_key(tx, application_id, new)


def insert_key(tx: Tx, application_id: str, key: KeyCredential) -> None:
    """keyIds are the store's keys across applications and tenants: a keyId held elsewhere is refused as one
    held by the same application is, so the answer tells nothing about another tenant."""
    try:
        tx.insert_key_credential(application_id, key)
    except DuplicateKey:
        raise BadRequest("Invalid value specified for property 'keyCredentials': duplicate keyId.") from None


def _fic_owner(tx: Tx, tenant_id: str, owner_id: str, owner_type: str) -> audit.Target:
    """The owner of federated credentials: an application, or a user-assigned managed identity (as in Azure,
    system-assigned identities have none)."""
    if owner_type == "application":
        app = must_exist(tx.application(tenant_id, owner_id), owner_id)
        return audit.Target(app.id, app.display_name, "Application")
    sp = must_exist(tx.service_principal(tenant_id, owner_id), owner_id)
    if owner_type != "managedIdentity" or sp.managed_identity_kind != "UserAssigned":
        raise BadRequest("Federated identity credentials belong to applications and user-assigned managed "
                         f"identities; '{sp.display_name}' is neither.")
    return audit.Target(sp.id, sp.display_name, "ServicePrincipal")


def _fic(tx: Tx, owner_id: str, key: str) -> FederatedCredential:
    found = next((c for c in tx.federated_credentials(owner_id) if key in (c.id, c.name) or key.lower() == c.id),
                 None)
    return must_exist(found, key)


def _fic_unique(cred: FederatedCredential, others: Sequence[FederatedCredential]) -> None:
    for other in others:
        if other.name == cred.name:
            raise credentials.duplicate_name(cred.name)
        if (other.issuer, other.subject) == (cred.issuer, cred.subject):
            raise credentials.duplicate_issuer_subject(cred.issuer, cred.subject, cred.owner_type)


def credentials_changed(before: Application, after: Application) -> audit.Entry:
    return audit.Entry(audit.CREDENTIALS_ACTIVITY, "ApplicationManagement", "Update",
                       (audit.application(after, before),))
