"""Rows to models and back: the mapping every table group shares, and the error a unique key raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Row

from ..domain.model import (
    Application,
    AppRole,
    FederatedCredential,
    Group,
    ImplicitGrantSettings,
    KeyCredential,
    PasswordCredential,
    PermissionScope,
    PreAuthorizedApplication,
    RequiredResourceAccess,
    ResourceAccess,
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
        oauth2_permission_scopes=scopes_from_json(row.oauth2_permission_scopes),
        reply_urls=tuple(row.reply_urls or ()), sign_in_audience=row.sign_in_audience,
    )


def user_row(row: Row[Any]) -> User:
    return User(tenant_id=row.tenant_id, id=row.id, user_principal_name=row.user_principal_name,
                display_name=row.display_name, account_enabled=bool(row.account_enabled), created=row.created,
                mail=row.mail, sign_in_sessions_valid_from=row.sign_in_sessions_valid_from)


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


def scopes_from_json(raw: list[dict[str, Any]] | None) -> tuple[PermissionScope, ...]:
    return tuple(
        PermissionScope(
            id=s["id"], value=s["value"], type=s["type"], is_enabled=bool(s.get("isEnabled", True)),
            admin_consent_display_name=s.get("adminConsentDisplayName") or "",
            admin_consent_description=s.get("adminConsentDescription") or "",
            user_consent_display_name=s.get("userConsentDisplayName"),
            user_consent_description=s.get("userConsentDescription"),
        )
        for s in raw or ()
    )


def graph_list(items: Sequence[Any]) -> list[dict[str, Any]] | None:
    """A collection of model objects as the JSON a column holds; null when empty."""
    return [i.to_graph() for i in items] or None


def registration_values(app: Application) -> dict[str, Any]:
    """The columns of an application's sign-in and delegated-permission settings."""
    uris = {"web": list(app.web_redirect_uris), "spa": list(app.spa_redirect_uris),
            "publicClient": list(app.public_client_redirect_uris)}
    return {
        "sign_in_audience": app.sign_in_audience, "is_fallback_public_client": app.is_fallback_public_client,
        "group_membership_claims": app.group_membership_claims, "optional_claims": app.optional_claims,
        "redirect_uris": uris if any(uris.values()) else None,
        "oauth2_permission_scopes": graph_list(app.oauth2_permission_scopes),
        "pre_authorized_applications": graph_list(app.pre_authorized_applications),
        "required_resource_access": graph_list(app.required_resource_access),
        "implicit_grant_settings": None if app.implicit_grant_settings.off else app.implicit_grant_settings.to_graph(),
    }


def registration_fields(row: Row[Any]) -> dict[str, Any]:
    """An application row's sign-in and delegated-permission settings, as Application's fields."""
    uris = row.redirect_uris or {}
    return {
        "sign_in_audience": row.sign_in_audience, "is_fallback_public_client": row.is_fallback_public_client,
        "group_membership_claims": row.group_membership_claims, "optional_claims": row.optional_claims,
        "web_redirect_uris": tuple(uris.get("web", ())), "spa_redirect_uris": tuple(uris.get("spa", ())),
        "public_client_redirect_uris": tuple(uris.get("publicClient", ())),
        "oauth2_permission_scopes": scopes_from_json(row.oauth2_permission_scopes),
        "pre_authorized_applications": tuple(
            PreAuthorizedApplication(p["appId"], tuple(p["delegatedPermissionIds"]))
            for p in row.pre_authorized_applications or ()),
        "required_resource_access": tuple(
            RequiredResourceAccess(r["resourceAppId"], tuple(ResourceAccess(a["id"], a["type"])
                                                             for a in r["resourceAccess"]))
            for r in row.required_resource_access or ()),
        "implicit_grant_settings": implicit_grant_settings(row.implicit_grant_settings),
    }


def implicit_grant_settings(raw: dict[str, Any] | None) -> ImplicitGrantSettings:
    raw = raw or {}
    return ImplicitGrantSettings(enable_id_token_issuance=bool(raw.get("enableIdTokenIssuance")),
                                 enable_access_token_issuance=bool(raw.get("enableAccessTokenIssuance")))
