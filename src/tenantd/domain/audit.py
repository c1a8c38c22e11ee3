"""Directory audit entries in Graph's directoryAudit terms: who changed what, from which value to which.

A use case describes its change as an :class:`Entry`: the activity as Entra names it ("Add application",
"Add app role assignment to service principal" ...), its category and operation type, and the objects it
changed (targets), each with its changed properties' old and new values as JSON text, as Graph shows them.
The directory writes entries in the change's own transaction, so a change that rolls back leaves none.

What an entry never holds: a secret, a hash of one, or key material. Credentials appear only by what
identifies them (key id, name, dates, thumbprint); a password credential's hint is left out too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .model import (
    Application,
    AppRole,
    FederatedCredential,
    Group,
    KeyCredential,
    PasswordCredential,
    Principal,
    ServicePrincipal,
    User,
)
from .sign_in_state import Domain
from .subscriptions import Subscription

CREDENTIALS_ACTIVITY = "Update application \u2013 Certificates and secrets management"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the calling app (its appId and service principal, in its tenant), tenantd, or a
    person (no app: her object id, and her user principal name as the name): on tenantd's pages, or signed in
    to an app that calls Microsoft Graph for her (``through_app``: that app's appId)."""

    app_id: str | None
    service_principal_id: str | None   # for a person, her user object id
    tenant_id: str | None = None
    display_name: str | None = None    # looked up when an entry is written, if not known
    through_app: str | None = None     # a signed-in person's: the app she called Graph through

    @property
    def signed_in_user(self) -> str | None:
        """The person signed in to an app that calls Graph for her (a delegated call), if that is who acts."""
        return self.service_principal_id if self.through_app is not None else None


SYSTEM = Actor(None, None, None, "tenantd")
"""Changes tenantd makes itself: bootstrap, built-ins, the demo tenant."""


def person(found: User) -> Actor:
    """A person acting for herself on tenantd's pages (her consent); Graph shows her as ``initiatedBy.user``."""
    return Actor(None, found.id, found.tenant_id, found.user_principal_name)


@dataclass(frozen=True)
class Change:
    """One modified property: Graph's ``modifiedProperties`` entry (values as JSON, null when absent)."""

    name: str
    old: Any
    new: Any

    def to_graph(self) -> dict[str, Any]:
        return {"displayName": self.name, "oldValue": _json(self.old), "newValue": _json(self.new)}


@dataclass(frozen=True)
class Target:
    id: str
    display_name: str | None
    type: str                      # Application | ServicePrincipal | User | Group | Tenant | Host | Domain
    changes: tuple[Change, ...] = ()
    user_principal_name: str | None = None

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.display_name, "type": self.type,
                "userPrincipalName": self.user_principal_name, "groupType": None,
                "modifiedProperties": [c.to_graph() for c in self.changes]}


@dataclass(frozen=True)
class Entry:
    activity: str                  # Graph's activityDisplayName
    category: str                  # ApplicationManagement | UserManagement | GroupManagement | ...
    operation_type: str            # Add | Update | Delete | Assign | Unassign | Other
    targets: tuple[Target, ...]
    result: str = "success"
    reason: str | None = None

    def row(self, tenant_id: str, entry_id: str, correlation_id: str, created: datetime, actor: Actor,
            actor_name: str) -> dict[str, Any]:
        """The ``directory_audits`` row."""
        return {
            "id": entry_id, "tenant_id": tenant_id, "created": stamp(created), "correlation_id": correlation_id,
            "activity": self.activity, "category": self.category, "operation_type": self.operation_type,
            "result": self.result, "result_reason": (self.reason or "")[:512] or None,
            "initiator_app_id": actor.app_id, "initiator_id": actor.service_principal_id,
            "initiator_name": actor_name[:256], "targets": [t.to_graph() for t in self.targets],
        }


def stamp(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds, one fixed width so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[Change, ...]:
    """The properties whose values differ (all of them for an object added or deleted)."""
    old, new = before or {}, after or {}
    return tuple(Change(name, old.get(name), new.get(name)) for name in dict.fromkeys([*old, *new])
                 if old.get(name) != new.get(name))


# -- what each kind of object shows of itself ---------------------------------------------------------------
def _roles(roles: tuple[AppRole, ...]) -> list[dict[str, Any]]:
    return [{"id": r.id, "value": r.value, "displayName": r.display_name,
             "allowedMemberTypes": list(r.allowed_member_types), "isEnabled": r.is_enabled} for r in roles]


def _password(cred: PasswordCredential) -> dict[str, Any]:
    return {"keyId": cred.key_id, "displayName": cred.display_name, "startDateTime": cred.start,
            "endDateTime": cred.end}


def _key(cred: KeyCredential) -> dict[str, Any]:
    return {"keyId": cred.key_id, "displayName": cred.display_name, "type": cred.type, "usage": cred.usage,
            "thumbprint": cred.thumbprint_sha1, "startDateTime": cred.start, "endDateTime": cred.end}


def application_properties(app: Application) -> dict[str, Any]:
    implicit = app.implicit_grant_settings
    return {"DisplayName": app.display_name, "AppId": app.app_id, "IdentifierUris": list(app.identifier_uris),
            "AppRoles": _roles(app.app_roles), "RequestedAccessTokenVersion": app.requested_access_token_version,
            "KeyCredentials": [_key(k) for k in app.key_credentials] or None,
            "PasswordCredentials": [_password(p) for p in app.password_credentials] or None,
            "SignInAudience": app.sign_in_audience, "IsFallbackPublicClient": app.is_fallback_public_client,
            "GroupMembershipClaims": app.group_membership_claims, "OptionalClaims": app.optional_claims,
            "WebRedirectUris": list(app.web_redirect_uris) or None,
            "SpaRedirectUris": list(app.spa_redirect_uris) or None,
            "PublicClientRedirectUris": list(app.public_client_redirect_uris) or None,
            "ImplicitGrantSettings": None if implicit.off else implicit.to_graph(),
            "Oauth2PermissionScopes": [s.to_graph() for s in app.oauth2_permission_scopes] or None,
            "PreAuthorizedApplications": [p.to_graph() for p in app.pre_authorized_applications] or None,
            "RequiredResourceAccess": [r.to_graph() for r in app.required_resource_access] or None}


def service_principal_properties(sp: ServicePrincipal) -> dict[str, Any]:
    return {"DisplayName": sp.display_name, "AppId": sp.app_id, "ServicePrincipalType": sp.service_principal_type,
            "AccountEnabled": sp.account_enabled, "AppRoleAssignmentRequired": sp.app_role_assignment_required,
            "AppRoles": _roles(sp.app_roles) or None,
            "Oauth2PermissionScopes": [s.to_graph() for s in sp.oauth2_permission_scopes] or None,
            "ReplyUrls": list(sp.reply_urls) or None,
            "ManagedIdentityResourceId": sp.managed_identity_resource_id}


def user_properties(user: User) -> dict[str, Any]:
    return {"UserPrincipalName": user.user_principal_name, "DisplayName": user.display_name,
            "AccountEnabled": user.account_enabled, "Mail": user.mail}


def group_properties(group: Group) -> dict[str, Any]:
    return {"DisplayName": group.display_name, "Description": group.description,
            "MailNickname": group.mail_nickname}


def federated_properties(cred: FederatedCredential) -> dict[str, Any]:
    return {"Id": cred.id, "Name": cred.name, "Issuer": cred.issuer, "Subject": cred.subject,
            "Audiences": list(cred.audiences), "Description": cred.description}


# -- targets -----------------------------------------------------------------------------------------------
def application(app: Application, before: Application | None = None, *, deleted: bool = False) -> Target:
    """The application as added (``before`` None), changed (from ``before``) or deleted."""
    now = application_properties(app)
    changes = diff(now, None) if deleted else diff(application_properties(before) if before else None, now)
    return Target(app.id, app.display_name, "Application", changes)


def service_principal(sp: ServicePrincipal, before: ServicePrincipal | None = None, *,
                      deleted: bool = False) -> Target:
    now = service_principal_properties(sp)
    changes = diff(now, None) if deleted else diff(service_principal_properties(before) if before else None, now)
    return Target(sp.id, sp.display_name, "ServicePrincipal", changes)


def user(found: User, before: User | None = None, *, deleted: bool = False) -> Target:
    now = user_properties(found)
    changes = diff(now, None) if deleted else diff(user_properties(before) if before else None, now)
    return Target(found.id, found.display_name, "User", changes, found.user_principal_name)


def group(found: Group, before: Group | None = None, *, deleted: bool = False) -> Target:
    now = group_properties(found)
    changes = diff(now, None) if deleted else diff(group_properties(before) if before else None, now)
    return Target(found.id, found.display_name, "Group", changes)


def principal(found: Principal, changes: tuple[Change, ...] = ()) -> Target:
    return Target(found.id, found.display_name, found.type, changes)


# -- entries -----------------------------------------------------------------------------------------------
_ASSIGN = {"ServicePrincipal": ("Add app role assignment to service principal",
                                "Remove app role assignment from service principal"),
           "User": ("Add app role assignment grant to user", "Remove app role assignment from user"),
           "Group": ("Add app role assignment to group", "Remove app role assignment from group")}


def assignment(added: bool, assignment_id: str, role: AppRole | None, role_id: str, principal_: Principal,
               resource: ServicePrincipal) -> Entry:
    """An app role assigned to (or removed from) a principal: Entra's activity for the principal's type,
    the principal and the resource as targets."""
    values = {"AppRole.Id": role_id, "AppRole.Value": role.value if role else None,
              "AppRole.DisplayName": role.display_name if role else None, "AppRoleAssignment.Id": assignment_id,
              "ServicePrincipal.ObjectID": resource.id, "ServicePrincipal.DisplayName": resource.display_name,
              "ServicePrincipal.AppId": resource.app_id}
    changes = diff(None, values) if added else diff(values, None)
    add, remove = _ASSIGN[principal_.type]
    return Entry(add if added else remove, "ApplicationManagement" if principal_.type == "ServicePrincipal"
                 else "UserManagement" if principal_.type == "User" else "GroupManagement",
                 "Assign" if added else "Unassign",
                 (principal(principal_, changes), Target(resource.id, resource.display_name, "ServicePrincipal")))


def federated_credential(activity: str, operation: str, owner: Target, before: FederatedCredential | None,
                         after: FederatedCredential | None) -> Entry:
    """A federated identity credential added, changed or removed, shown on its owner."""
    changes = diff(federated_properties(before) if before else None, federated_properties(after) if after else None)
    named = tuple(Change(f"FederatedIdentityCredential.{c.name}", c.old, c.new) for c in changes)
    return Entry(activity, "ApplicationManagement", operation,
                 (Target(owner.id, owner.display_name, owner.type, named),))


def domain(found: Domain, *, added: bool) -> Entry:
    """A verified domain added to or removed from a tenant (Entra's activities of the same names)."""
    values = {"Name": found.name, "IsVerified": True, "IsInitial": found.is_initial}
    changes = diff(None, values) if added else diff(values, None)
    return Entry("Add verified domain" if added else "Remove verified domain", "DirectoryManagement",
                 "Add" if added else "Delete", (Target(found.name, found.name, "Domain", changes),))


def impersonation(principal_id: str, principal_name: str | None, resource: str, reason: str | None = None, *,
                  user: bool = False) -> Entry:
    """A token minted as another principal (a service principal, or a ``user``), or refused (``reason``):
    tenantd's own activity."""
    changes = (Change("Resource", None, resource),)
    return Entry(f"Issue token as {'user' if user else 'service principal'}", "Impersonation", "Other",
                 (Target(principal_id, principal_name, "User" if user else "ServicePrincipal", changes),),
                 "failure" if reason else "success", reason)


def subscription(before: Subscription | None, after: Subscription | None) -> Entry:
    """A subscription declared, changed or removed (tenantd's own activity: Entra keeps no subscriptions)."""
    def shown(sub: Subscription | None) -> dict[str, Any] | None:
        return None if sub is None else {"DisplayName": sub.display_name, "VisibleToAll": sub.visible_to_all,
                                         "Viewers": list(sub.viewers)}
    found = after or before
    assert found is not None
    operation = "Add" if before is None else "Delete" if after is None else "Update"
    return Entry(f"{operation} subscription", "ResourceManagement", operation,
                 (Target(found.id, found.display_name, "Subscription", diff(shown(before), shown(after))),))
