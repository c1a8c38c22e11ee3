"""Rows to models and back: the mapping every table group shares, and the error a unique key raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Row

from ..domain.model import (
    AppRole,
    FederatedCredential,
    Group,
    KeyCredential,
    PasswordCredential,
    ServicePrincipal,
    User,
)


class DuplicateKey(Exception):
    """A UNIQUE or PRIMARY KEY constraint refused a write."""


def roles_to_json(roles: Sequence[AppRole]) -> list[dict[str, Any]]:
    return [r.to_graph() for r in roles]


def roles_from_json(raw: list[dict[str, Any]]) -> tuple[AppRole, ...]:
    return tuple(
        AppRole(
            id=r["id"], value=r.get("value"), display_name=r["displayName"], description=r.get("description") or "",
            allowed_member_types=tuple(r["allowedMemberTypes"]), is_enabled=bool(r.get("isEnabled", True)),
            origin=r.get("origin") or "Application",
        )
        for r in raw
    )


def sp_row(row: Row[Any]) -> ServicePrincipal:
    return ServicePrincipal(
        tenant_id=row.tenant_id, id=row.id, app_id=row.app_id, display_name=row.display_name,
        service_principal_type=row.service_principal_type, app_roles=roles_from_json(row.app_roles),
        app_role_assignment_required=bool(row.app_role_assignment_required),
        account_enabled=bool(row.account_enabled), created=row.created,
        alternative_names=tuple(row.alternative_names), service_principal_names=tuple(row.service_principal_names),
        app_owner_organization_id=row.app_owner_organization_id,
        managed_identity_kind=row.managed_identity_kind, managed_identity_name=row.managed_identity_name,
        managed_identity_resource_id=row.managed_identity_resource_id,
    )


def user_row(row: Row[Any]) -> User:
    return User(tenant_id=row.tenant_id, id=row.id, user_principal_name=row.user_principal_name,
                display_name=row.display_name, account_enabled=bool(row.account_enabled), created=row.created,
                mail=row.mail)


def group_row(row: Row[Any]) -> Group:
    return Group(tenant_id=row.tenant_id, id=row.id, display_name=row.display_name, description=row.description,
                 mail_nickname=row.mail_nickname, security_enabled=bool(row.security_enabled), created=row.created)


def password_row(row: Row[Any]) -> PasswordCredential:
    return PasswordCredential(key_id=row.key_id, display_name=row.display_name, hint=row.hint, start=row.start,
                              end=row.end, secret_hash=bytes(row.secret_hash))


def key_row(row: Row[Any]) -> KeyCredential:
    return KeyCredential(key_id=row.key_id, display_name=row.display_name, type=row.type, usage=row.usage,
                         thumbprint_sha1=row.thumbprint_sha1, thumbprint_sha256=row.thumbprint_sha256,
                         start=row.start, end=row.end, certificate=bytes(row.certificate))


def federated_row(row: Row[Any]) -> FederatedCredential:
    return FederatedCredential(tenant_id=row.tenant_id, id=row.id, owner_id=row.owner_id, owner_type=row.owner_type,
                               name=row.name, issuer=row.issuer, subject=row.subject,
                               audiences=tuple(row.audiences), description=row.description, created=row.created)
