"""What a signed-in user may do (domain/user_permissions.py), decided on the action, the object's facts, her
directory roles and the tenant's authorization policy: Entra's default member permissions, owners' permissions,
each built-in role's, and the two limits no grant lifts (Graph's app roles; users holding privileged roles)."""

from __future__ import annotations

import pytest

from tenantd.domain import authorization_policy, ownership
from tenantd.domain import user_permissions as can
from tenantd.domain.authorization_policy import AuthorizationPolicy
from tenantd.domain.directory_roles import BUILT_IN
from tenantd.domain.errors import BadRequest
from tenantd.domain.model import Principal
from tenantd.domain.user_permissions import Subject, Target

ROLES = {role.display_name: role.template_id for role in BUILT_IN}
DEFAULTS = AuthorizationPolicy()
OWNED, SELF, GRAPH = Target(owned=True), Target(is_self=True), Target(directory_api=True)
WRITES = (can.APPS_UPDATE, can.APPS_CREDENTIALS, can.APPS_DELETE, can.APPS_OWNERS, can.SPS_UPDATE, can.SPS_DELETE,
          can.SPS_OWNERS, can.SPS_ASSIGN, can.USERS_CREATE, can.USERS_UPDATE, can.USERS_DELETE, can.USERS_REVOKE,
          can.GROUPS_DELETE, can.GROUPS_MEMBERS, can.GROUPS_OWNERS, can.GRANTS_WRITE, can.DOMAINS_WRITE,
          can.ROLES_WRITE, can.POLICY_UPDATE, can.SPS_CREATE)


def holding(*roles: str, policy: AuthorizationPolicy = DEFAULTS) -> Subject:
    return Subject(frozenset(ROLES[r] for r in roles), policy)


MEMBER = holding()


def test_a_member_reads_the_directory_but_not_its_logs() -> None:
    for action in (can.APPS_READ, can.SPS_READ, can.GROUPS_READ, can.GRANTS_READ, can.DOMAINS_READ,
                   can.ROLES_READ, can.POLICY_READ, can.USERS_READ):
        assert can.allowed(action, MEMBER), action
    assert not can.allowed(can.AUDIT_READ, MEMBER) and not can.allowed(can.SIGN_INS_READ, MEMBER)


def test_a_member_changes_nothing_she_does_not_own() -> None:
    assert [a for a in WRITES if can.allowed(a, MEMBER)] == []


def test_the_policy_decides_what_a_member_creates_and_whom_she_reads() -> None:
    assert can.allowed(can.APPS_CREATE, MEMBER) and can.allowed(can.GROUPS_CREATE, MEMBER)
    closed = holding(policy=AuthorizationPolicy(False, False, False))
    assert not can.allowed(can.APPS_CREATE, closed) and not can.allowed(can.GROUPS_CREATE, closed)
    assert not can.allowed(can.USERS_READ, closed) and can.allowed(can.USERS_READ, closed, SELF)
    assert not can.allowed(can.USERS_CREATE, MEMBER)
    # Roles that create apps and groups do so whatever the policy says.
    assert can.allowed(can.APPS_CREATE, holding("Application Administrator", policy=closed.policy))
    assert can.allowed(can.GROUPS_CREATE, holding("Groups Administrator", policy=closed.policy))
    assert can.allowed(can.USERS_READ, holding("User Administrator", policy=closed.policy))


def test_an_owner_manages_what_she_owns() -> None:
    for action in (can.APPS_UPDATE, can.APPS_CREDENTIALS, can.APPS_DELETE, can.APPS_OWNERS, can.SPS_UPDATE,
                   can.SPS_DELETE, can.SPS_OWNERS, can.SPS_ASSIGN, can.GROUPS_DELETE, can.GROUPS_MEMBERS,
                   can.GROUPS_OWNERS, can.SPS_CREATE):
        assert can.allowed(action, MEMBER, OWNED), action
    for action in (can.USERS_UPDATE, can.GRANTS_WRITE, can.ROLES_WRITE, can.DOMAINS_WRITE, can.POLICY_UPDATE):
        assert not can.allowed(action, MEMBER, OWNED), action


def test_she_may_end_her_own_sessions_and_no_one_elses() -> None:
    assert can.allowed(can.USERS_REVOKE, MEMBER, SELF) and not can.allowed(can.USERS_REVOKE, MEMBER)
    assert not can.allowed(can.USERS_UPDATE, MEMBER, SELF) and not can.allowed(can.USERS_DELETE, MEMBER, SELF)


@pytest.mark.parametrize(("role", "may", "may_not"), [
    ("Global Administrator", WRITES, ()),
    ("Application Administrator",
     (can.APPS_UPDATE, can.APPS_CREDENTIALS, can.APPS_DELETE, can.APPS_OWNERS, can.SPS_CREATE, can.SPS_UPDATE,
      can.SPS_DELETE, can.SPS_OWNERS, can.SPS_ASSIGN, can.GRANTS_WRITE, can.AUDIT_READ, can.SIGN_INS_READ),
     (can.USERS_CREATE, can.USERS_UPDATE, can.GROUPS_DELETE, can.ROLES_WRITE, can.DOMAINS_WRITE, can.POLICY_UPDATE)),
    ("Cloud Application Administrator", (can.APPS_UPDATE, can.APPS_CREDENTIALS, can.SPS_ASSIGN, can.GRANTS_WRITE),
     (can.USERS_UPDATE, can.ROLES_WRITE, can.POLICY_UPDATE)),
    ("User Administrator",
     (can.USERS_CREATE, can.USERS_UPDATE, can.USERS_DELETE, can.USERS_REVOKE, can.GROUPS_CREATE, can.GROUPS_DELETE,
      can.GROUPS_MEMBERS, can.GROUPS_OWNERS, can.SPS_ASSIGN),
     (can.APPS_UPDATE, can.GRANTS_WRITE, can.ROLES_WRITE, can.POLICY_UPDATE, can.AUDIT_READ)),
    ("Groups Administrator", (can.GROUPS_CREATE, can.GROUPS_DELETE, can.GROUPS_MEMBERS, can.GROUPS_OWNERS),
     (can.USERS_CREATE, can.USERS_UPDATE, can.APPS_UPDATE, can.SPS_ASSIGN)),
    ("Privileged Role Administrator", (can.ROLES_WRITE, can.GRANTS_WRITE, can.SPS_ASSIGN, can.POLICY_UPDATE),
     (can.APPS_UPDATE, can.USERS_UPDATE, can.GROUPS_DELETE, can.DOMAINS_WRITE)),
    ("Global Reader", (can.AUDIT_READ, can.SIGN_INS_READ, can.USERS_READ), WRITES),
])
def test_each_role_allows_what_entra_lists_for_it(role: str, may: tuple[str, ...], may_not: tuple[str, ...]) -> None:
    subject = holding(role, policy=AuthorizationPolicy(False, False, False))
    assert [a for a in may if not can.allowed(a, subject)] == []
    assert [a for a in may_not if can.allowed(a, subject)] == []


def test_directory_apis_app_roles_need_a_role_that_consents_for_the_company() -> None:
    for role in ("Application Administrator", "Cloud Application Administrator", "User Administrator"):
        assert can.allowed(can.SPS_ASSIGN, holding(role)) and not can.allowed(can.SPS_ASSIGN, holding(role), GRAPH)
    assert not can.allowed(can.SPS_ASSIGN, MEMBER, Target(owned=True, directory_api=True))   # not even its owner
    for role in ("Global Administrator", "Privileged Role Administrator"):
        assert can.allowed(can.SPS_ASSIGN, holding(role), GRAPH)


def test_a_user_holding_a_privileged_role_is_changed_by_a_global_administrator_only() -> None:
    admin = Target(roles=frozenset({ROLES["Global Administrator"]}))
    helper = Target(roles=frozenset({ROLES["Groups Administrator"], ROLES["User Administrator"]}))
    user_admin = holding("User Administrator")
    for action in (can.USERS_UPDATE, can.USERS_DELETE, can.USERS_REVOKE):
        assert can.allowed(action, user_admin, helper) and not can.allowed(action, user_admin, admin), action
        assert can.allowed(action, holding("Global Administrator"), admin)
    assert can.allowed(can.USERS_READ, MEMBER, admin)
    assert can.allowed(can.USERS_REVOKE, holding("Global Administrator"), Target(is_self=True, roles=admin.roles))


def test_unknown_roles_grant_nothing() -> None:
    assert not can.allowed(can.APPS_UPDATE, Subject(frozenset({"00000000-0000-0000-0000-000000000000"}), DEFAULTS))


def test_the_authorization_policy_takes_its_three_settings_and_refuses_the_rest() -> None:
    changed = authorization_policy.changed(DEFAULTS, {"@odata.type": "#microsoft.graph.authorizationPolicy",
                                                      "defaultUserRolePermissions": {"allowedToCreateApps": False}})
    assert changed == AuthorizationPolicy(allowed_to_create_apps=False)
    assert changed.to_graph()["defaultUserRolePermissions"]["allowedToCreateApps"] is False
    for body in ({"blockMsolPowerShell": True}, {"defaultUserRolePermissions": {"allowedToCreateTenants": False}},
                 {"defaultUserRolePermissions": {"allowedToCreateApps": "no"}}, {"defaultUserRolePermissions": []},
                 {"defaultUserRolePermissions": {"@odata.type": "#microsoft.graph.user"}}, {"@odata.type": 1}):
        with pytest.raises(BadRequest):
            authorization_policy.changed(DEFAULTS, body)
    entry = authorization_policy.entry(DEFAULTS, changed)
    assert entry.activity == "Update authorization policy" and entry.targets[0].changes


def test_owners_are_users_or_service_principals_and_a_group_keeps_its_last() -> None:
    group = ownership.Owned("g", "Group", "Readers")
    ownership.can_own(Principal("u", "User", "Ada"))
    with pytest.raises(BadRequest, match="Unsupported referenced-object"):
        ownership.can_own(Principal("g2", "Group", "Others"))
    ownership.removable(group, 1)
    ownership.removable(ownership.Owned("a", "Application", "App", "app-id"), 0)
    with pytest.raises(BadRequest, match="at least one owner"):
        ownership.removable(group, 0)
    assert ownership.creator_owns("Application", []) and ownership.creator_owns("Group", [ROLES["Application "
                                                                                             "Administrator"]])
    assert not ownership.creator_owns("ServicePrincipal", [ROLES["Cloud Application Administrator"]])
    entry = ownership.entry(True, ownership.Owned("a", "Application", "App", "app-id"), Principal("u", "User", "Ada"))
    assert (entry.activity, entry.category, entry.operation_type) == ("Add owner to application",
                                                                     "ApplicationManagement", "Assign")
    assert ownership.entry(False, group, Principal("u", "User", "Ada")).activity == "Remove owner from group"
