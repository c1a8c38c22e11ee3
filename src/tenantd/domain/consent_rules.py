"""Rules of consent, as Entra applies them on its consent page and its admin consent endpoint (SECURITY.md item
50). Pure functions over the directory's objects.

- A consent page lists permissions: delegated permissions (scopes) a resource offers and, at the admin consent
  endpoint, application permissions (app roles) the client requires. Each shows as its resource describes it:
  a user sees ``userConsentDisplayName`` and ``userConsentDescription`` where the scope has them, an
  administrator granting for everyone the ``adminConsent`` texts.
- A user may consent for herself to scopes of type ``User``. A scope of type ``Admin`` needs an administrator,
  and so does consent for every user of the tenant and any application permission. Administrators are the
  holders of the roles Entra lets grant tenant-wide consent: Global Administrator, Privileged Role
  Administrator, Cloud Application Administrator and Application Administrator; Microsoft Graph's application
  permissions need one of the first two.
- Consent adds to what a grant already holds; it never takes a scope away.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from . import builtins
from .model import AppRole, PermissionScope, RequiredResourceAccess, ServicePrincipal

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CONSENT_ADMINISTRATORS = frozenset({GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR,
                                    CLOUD_APPLICATION_ADMINISTRATOR, APPLICATION_ADMINISTRATOR})
GRAPH_ROLE_ADMINISTRATORS = frozenset({GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR})

# How Entra's consent page shows OpenID Connect's scopes (they need no grant in tenantd: any client may ask).
OIDC_TEXTS = {
    "openid": ("Sign you in", "Allows you to sign in to the app with your organizational account and let the app "
                              "read your profile."),
    "profile": ("View your basic profile", "Allows the app to see your basic profile (name, picture, user name)."),
    "email": ("View your email address", "Allows the app to read your primary email address."),
    "offline_access": ("Maintain access to data you have given it access to",
                       "Allows the app to see and update the data you gave it access to, even when you are not "
                       "currently using the app. This does not give the app any additional permissions."),
}


@dataclass(frozen=True)
class Permission:
    """One line of a consent page: a scope or an app role of a resource, with its texts."""

    resource_id: str              # the resource's service principal
    resource_app_id: str
    resource_name: str
    id: str
    value: str
    kind: str                     # "Scope" (delegated) | "Role" (application)
    admin_only: bool              # an Admin scope, or an application permission
    admin_title: str
    admin_description: str
    user_title: str | None = None
    user_description: str | None = None

    def texts(self, *, admin: bool) -> tuple[str, str]:
        """(title, description) as a user (``admin`` False) or an administrator granting for all reads them."""
        if admin or self.user_title is None:
            return self.admin_title, self.admin_description
        return self.user_title, self.user_description or self.admin_description


def scope_permission(resource: ServicePrincipal, scope: PermissionScope) -> Permission:
    return Permission(resource.id, resource.app_id, resource.display_name, scope.id, scope.value, "Scope",
                      scope.type == "Admin", scope.admin_consent_display_name, scope.admin_consent_description,
                      scope.user_consent_display_name, scope.user_consent_description)


def role_permission(resource: ServicePrincipal, role: AppRole) -> Permission:
    return Permission(resource.id, resource.app_id, resource.display_name, role.id, role.value or role.id, "Role",
                      True, role.display_name, role.description)


def requested(resource: ServicePrincipal, values: Iterable[str]) -> tuple[Permission, ...]:
    """The permissions ``values`` name among the scopes ``resource`` offers (compared ignoring case, as Entra
    does); a value it does not offer is left out (the token endpoint refuses it). A first-party resource's
    scopes that tenantd knows only by value (``user_impersonation``) show as their value."""
    scopes = {s.value.casefold(): s for s in resource.oauth2_permission_scopes if s.is_enabled}
    known = {v.casefold(): v for v in builtins.FIRST_PARTY_SCOPES.get(resource.app_id, ())}
    found: dict[str, Permission] = {}
    for value in values:
        key = value.casefold()
        if key in scopes:
            found[key] = scope_permission(resource, scopes[key])
        elif key in known:
            found[key] = Permission(resource.id, resource.app_id, resource.display_name, known[key], known[key],
                                    "Scope", False, known[key], f"Access {resource.display_name} as you.")
    return tuple(found.values())


def required(entry: RequiredResourceAccess, resource: ServicePrincipal, *, roles: bool) -> tuple[Permission, ...]:
    """What one ``requiredResourceAccess`` entry asks of ``resource``: its enabled scopes and, with ``roles``,
    its enabled app roles that applications may hold; ids the resource no longer has are left out."""
    scopes = {s.id: s for s in resource.oauth2_permission_scopes if s.is_enabled}
    app_roles = {r.id: r for r in resource.app_roles if r.is_enabled and "Application" in r.allowed_member_types}
    found: list[Permission] = []
    for access in entry.resource_access:
        if access.type == "Scope" and access.id in scopes:
            found.append(scope_permission(resource, scopes[access.id]))
        elif access.type == "Role" and roles and access.id in app_roles:
            found.append(role_permission(resource, app_roles[access.id]))
    return tuple(found)


def is_administrator(role_ids: Collection[str]) -> bool:
    """Whether the holder of the directory roles ``role_ids`` (template ids) may consent for the tenant."""
    return bool(CONSENT_ADMINISTRATORS.intersection(role_ids))


def may_grant(permissions: Iterable[Permission], role_ids: Collection[str], *, for_everyone: bool) -> bool:
    """Whether the holder of ``role_ids`` may grant ``permissions``: for herself, every ``User`` scope, and
    everything when she is an administrator; for everyone (or an application permission) only an
    administrator, and for Microsoft Graph's application permissions only one that may grant those."""
    listed = tuple(permissions)
    if not is_administrator(role_ids):
        return not for_everyone and not any(p.admin_only for p in listed)
    graph_roles = any(p.kind == "Role" and p.resource_app_id == builtins.GRAPH_APP_ID for p in listed)
    return not graph_roles or bool(GRAPH_ROLE_ADMINISTRATORS.intersection(role_ids))


def merged(held: Iterable[str], added: Iterable[str]) -> tuple[str, ...]:
    """A grant's scope values after consent to ``added``: what it held, then what is new (ignoring case)."""
    found: dict[str, str] = {}
    for value in (*held, *added):
        found.setdefault(value.casefold(), value)
    return tuple(found.values())
