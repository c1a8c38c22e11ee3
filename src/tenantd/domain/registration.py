"""An application's sign-in and delegated-permission settings, changed as one: the change set names Graph's
properties (``web.redirectUris``, ``api.oauth2PermissionScopes`` ...); the result is checked as a whole, since
pre-authorized clients must name scopes the API still offers and redirect URIs are counted across platforms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import scope_rules, sign_in_rules
from .model import Application, ServicePrincipal

# Each change, by Graph's name, and the Application field it sets.
ATTRIBUTES = {
    "signInAudience": "sign_in_audience", "isFallbackPublicClient": "is_fallback_public_client",
    "groupMembershipClaims": "group_membership_claims", "optionalClaims": "optional_claims",
    "web.redirectUris": "web_redirect_uris", "spa.redirectUris": "spa_redirect_uris",
    "publicClient.redirectUris": "public_client_redirect_uris", "web.implicitGrantSettings": "implicit_grant_settings",
    "api.oauth2PermissionScopes": "oauth2_permission_scopes",
    "api.preAuthorizedApplications": "pre_authorized_applications",
    "requiredResourceAccess": "required_resource_access",
}
CHANGES = tuple(ATTRIBUTES)


def changed(app: Application, changes: Mapping[str, Any]) -> Application:
    """``app`` with the changes of :data:`CHANGES` in ``changes`` applied (other keys are not looked at)."""
    updated = app
    if "signInAudience" in changes:
        updated = replace(updated, sign_in_audience=sign_in_rules.sign_in_audience(changes["signInAudience"]))
    if "isFallbackPublicClient" in changes:
        flag = sign_in_rules.is_fallback_public_client(changes["isFallbackPublicClient"])
        updated = replace(updated, is_fallback_public_client=flag)
    if "groupMembershipClaims" in changes:
        claims = sign_in_rules.group_membership_claims(changes["groupMembershipClaims"])
        updated = replace(updated, group_membership_claims=claims)
    if "optionalClaims" in changes:
        updated = replace(updated, optional_claims=sign_in_rules.optional_claims(changes["optionalClaims"]))
    updated = replace(updated, web_redirect_uris=_redirects(changes, "web", updated.web_redirect_uris),
                      spa_redirect_uris=_redirects(changes, "spa", updated.spa_redirect_uris),
                      public_client_redirect_uris=_redirects(changes, "publicClient",
                                                             updated.public_client_redirect_uris))
    if "web.implicitGrantSettings" in changes:
        implicit = sign_in_rules.implicit_grant_settings(changes["web.implicitGrantSettings"],
                                                         updated.implicit_grant_settings)
        updated = replace(updated, implicit_grant_settings=implicit)
    sign_in_rules.redirect_uri_count(updated.web_redirect_uris, updated.spa_redirect_uris,
                                     updated.public_client_redirect_uris)
    if "api.oauth2PermissionScopes" in changes:
        scopes = scope_rules.permission_scopes(changes["api.oauth2PermissionScopes"], updated.app_roles)
        scope_rules.scope_change(app.oauth2_permission_scopes, scopes)
        updated = replace(updated, oauth2_permission_scopes=scopes)
    elif "appRoles" in changes:   # new roles must not take a scope's id
        scope_rules.permission_scopes([s.to_graph() for s in updated.oauth2_permission_scopes], updated.app_roles)
    pre_authorized = changes.get("api.preAuthorizedApplications",
                                 [p.to_graph() for p in updated.pre_authorized_applications])
    updated = replace(updated, pre_authorized_applications=scope_rules.pre_authorized_applications(
        pre_authorized, updated.oauth2_permission_scopes))
    if "requiredResourceAccess" in changes:
        needed = scope_rules.required_resource_access(changes["requiredResourceAccess"])
        updated = replace(updated, required_resource_access=needed)
    return updated


def _redirects(changes: Mapping[str, Any], platform: str, current: tuple[str, ...]) -> tuple[str, ...]:
    key = f"{platform}.redirectUris"
    return sign_in_rules.redirect_uris(platform, changes[key]) if key in changes else current


def differences(before: Application, after: Application) -> list[str]:
    """The changes (by Graph's names) that would turn ``before``'s settings into ``after``'s."""
    return [key for key, attr in ATTRIBUTES.items() if getattr(before, attr) != getattr(after, attr)]


def mirrored(sp: ServicePrincipal, app: Application) -> ServicePrincipal:
    """The application's service principal as Graph shows it: the application's name, roles, scopes, App ID
    URIs, redirect URIs and audience."""
    return replace(sp, app_roles=app.app_roles, display_name=app.display_name,
                   service_principal_names=(app.app_id, *app.identifier_uris),
                   oauth2_permission_scopes=app.oauth2_permission_scopes, reply_urls=app.reply_urls,
                   sign_in_audience=app.sign_in_audience)
