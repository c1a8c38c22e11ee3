"""What a signed-in user may do in the directory: the one place that decides it for every delegated Graph call
(SECURITY item 51: allowed = the token's ``scp`` AND this). Pure: an action, the acted-on object's facts, the
user's directory roles and the tenant's authorization policy in; allowed or not out.

Actions are Entra's resource actions (``microsoft.directory/applications/basic/update`` ...), as directory roles
list them in ``allowedResourceActions`` (domain/directory_roles.py). A user may do an action when

- one of her directory roles allows it: ``.../allProperties/allTasks`` allows every action on that kind of
  object, ``.../allProperties/read`` every read, and any action on a kind lets her read that kind;
- every member may (Entra's default user permissions): read applications, service principals, groups, role
  assignments, delegated permission grants, domains and the authorization policy; read users (all of them
  while the policy's ``allowedToReadOtherUsers`` holds, herself always); register applications and create
  security groups while ``allowedToCreateApps`` and ``allowedToCreateSecurityGroups`` hold; invalidate her own
  refresh tokens;
- she owns the object, for the actions Entra gives owners of application registrations, enterprise
  applications (service principals) and groups; an application's owner may also create its service principal.

Two limits hold whatever else allows: the app roles of an API that manages the directory (Microsoft Graph,
Azure AD Graph, tenantd's own) are granted only by a role that consents for the whole company (Global
Administrator, Privileged Role Administrator), as Entra keeps Microsoft Graph's app roles from Application and
Cloud Application Administrators and from owners; and a user holding a directory role a User Administrator does
not manage is changed only by a Global Administrator.
"""

from __future__ import annotations

from dataclasses import dataclass

from .authorization_policy import AuthorizationPolicy
from .directory_roles import BY_TEMPLATE_ID, MEMBER_ROLE_TEMPLATE_ID

_D = "microsoft.directory"
_READ, _ALL_TASKS, _ALL_READ = "standard/read", "allProperties/allTasks", "allProperties/read"


def _read(kind: str) -> str:
    return f"{_D}/{kind}/{_READ}"


APPS_READ, APPS_CREATE = _read("applications"), f"{_D}/applications/create"
APPS_UPDATE, APPS_CREDENTIALS = f"{_D}/applications/basic/update", f"{_D}/applications/credentials/update"
APPS_DELETE, APPS_OWNERS = f"{_D}/applications/delete", f"{_D}/applications/owners/update"
SPS_READ, SPS_CREATE = _read("servicePrincipals"), f"{_D}/servicePrincipals/create"
SPS_UPDATE, SPS_DELETE = f"{_D}/servicePrincipals/basic/update", f"{_D}/servicePrincipals/delete"
SPS_OWNERS, SPS_ASSIGN = f"{_D}/servicePrincipals/owners/update", f"{_D}/servicePrincipals/appRoleAssignedTo/update"
USERS_READ, USERS_CREATE = _read("users"), f"{_D}/users/create"
USERS_UPDATE = f"{_D}/users/basic/update"
USERS_DELETE, USERS_REVOKE = f"{_D}/users/delete", f"{_D}/users/invalidateAllRefreshTokens"
GROUPS_READ, GROUPS_CREATE, GROUPS_DELETE = _read("groups"), f"{_D}/groups/create", f"{_D}/groups/delete"
GROUPS_MEMBERS, GROUPS_OWNERS = f"{_D}/groups/members/update", f"{_D}/groups/owners/update"
GRANTS_READ, GRANTS_WRITE = _read("oAuth2PermissionGrants"), f"{_D}/oAuth2PermissionGrants/allProperties/update"
DOMAINS_READ, DOMAINS_WRITE = _read("domains"), f"{_D}/domains/allProperties/update"
ROLES_READ, ROLES_WRITE = _read("roleAssignments"), f"{_D}/roleAssignments/allProperties/update"
AUDIT_READ, SIGN_INS_READ = f"{_D}/auditLogs/{_ALL_READ}", f"{_D}/signInReports/{_ALL_READ}"
POLICY_READ, POLICY_UPDATE = _read("authorizationPolicy"), f"{_D}/authorizationPolicy/allProperties/update"

_COMPANY_CONSENT = f"{_D}/servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin"
_ALL_USERS = f"{_D}/users/{_ALL_TASKS}"
_MEMBER_READS = frozenset({APPS_READ, SPS_READ, GROUPS_READ, GRANTS_READ, DOMAINS_READ, ROLES_READ, POLICY_READ})
# Entra's "ownership permissions" tables, for the actions tenantd has.
_OWNER_ACTIONS = frozenset({
    *(f"{_D}/applications/{a}" for a in ("audience/update", "authentication/update", "basic/update",
                                         "credentials/update", "delete", "owners/update", "permissions/update")),
    *(f"{_D}/servicePrincipals/{a}" for a in ("appRoleAssignedTo/update", "appRoleAssignments/update",
                                              "audience/update", "authentication/update", "basic/update",
                                              "credentials/update", "delete", "owners/update",
                                              "permissions/update")),
    *(f"{_D}/groups/{a}" for a in ("appRoleAssignments/update", "basic/update", "delete", "members/update",
                                   "owners/update")),
})
# The roles whose holders a User Administrator may change (Entra's table of sensitive actions, for tenantd's
# built-in roles): none, User Administrator, Groups Administrator.
_USER_ADMIN_REACH = frozenset({MEMBER_ROLE_TEMPLATE_ID, "fe930be7-5e62-47db-91af-98c3a49a38b1",
                               "fdd7a751-b60b-444a-984c-02652fe8fa1c"})


@dataclass(frozen=True)
class Subject:
    """The signed-in user: her directory roles (template ids) and her tenant's authorization policy."""

    roles: frozenset[str]
    policy: AuthorizationPolicy


@dataclass(frozen=True)
class Target:
    """What the decision needs to know of the object acted on (nothing, for a collection or a creation)."""

    owned: bool = False                  # she owns it (for a service principal's creation: its application)
    is_self: bool = False                # it is she herself
    roles: frozenset[str] = frozenset()  # a user's directory roles (template ids)
    directory_api: bool = False          # a resource whose app roles are power over the directory


NOTHING = Target()


def allowed(action: str, subject: Subject, target: Target = NOTHING) -> bool:
    """Whether ``subject`` may do ``action`` on ``target``."""
    held = {a for role in subject.roles if role in BY_TEMPLATE_ID
            for a in BY_TEMPLATE_ID[role].allowed_resource_actions}
    if action == SPS_ASSIGN and target.directory_api:
        return _COMPANY_CONSENT in held and _any(held, action)
    if target.is_self and action in (USERS_READ, USERS_REVOKE):
        return True
    if action.startswith(f"{_D}/users/") and not action.endswith("/read") and not target.roles <= _USER_ADMIN_REACH:
        return _ALL_USERS in held
    return _any(held, action) or _member_may(action, subject.policy, target)


def _member_may(action: str, policy: AuthorizationPolicy, target: Target) -> bool:
    """Entra's default user permissions and owners' permissions."""
    if action in _MEMBER_READS:
        return True
    if action == USERS_READ:
        return policy.allowed_to_read_other_users
    if action == APPS_CREATE:
        return policy.allowed_to_create_apps
    if action == GROUPS_CREATE:
        return policy.allowed_to_create_security_groups
    return target.owned and (action in _OWNER_ACTIONS or action == SPS_CREATE)


def _any(held: set[str], action: str) -> bool:
    return any(_grants(h, action) for h in held)


def _grants(held: str, action: str) -> bool:
    """Whether one of a role's ``allowedResourceActions`` covers ``action``."""
    if held == action:
        return True
    kind, _, rest = held.rpartition("/allProperties/")
    if kind and action.startswith(kind + "/") and (rest == "allTasks" or (rest == "read" and action.endswith("/read"))):
        return True
    return action.endswith(f"/{_READ}") and held.startswith(action.removesuffix(_READ))
