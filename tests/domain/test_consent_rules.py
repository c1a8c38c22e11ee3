"""The rules of consent, as pure functions: what a page lists and with which texts, who may grant what
(Microsoft Graph's application permissions need a Global or Privileged Role Administrator), and what a grant
holds after consent."""

from __future__ import annotations

from tenantd.domain import builtins, consent_rules
from tenantd.domain.consent_rules import Permission
from tenantd.domain.model import AppRole, PermissionScope, RequiredResourceAccess, ResourceAccess, ServicePrincipal

READ = PermissionScope("11111111-1111-1111-1111-111111111111", "Notes.Read", "User", "Read notes (admin)",
                       "Reads everyone's notes", "Read your notes", "Reads your notes")
ADMIN = PermissionScope("22222222-2222-2222-2222-222222222222", "Notes.Admin", "Admin", "Administer notes",
                        "Administers notes")
OFF = PermissionScope("33333333-3333-3333-3333-333333333333", "Notes.Off", "User", "Off", "Off", is_enabled=False)
SYNC = AppRole("44444444-4444-4444-4444-444444444444", "Notes.Sync", "Sync notes", "Syncs", ("Application",))
PEOPLE = AppRole("55555555-5555-5555-5555-555555555555", "Notes.People", "People", "People", ("User",))


def _sp(app_id: str = "66666666-6666-6666-6666-666666666666") -> ServicePrincipal:
    return ServicePrincipal("t", "77777777-7777-7777-7777-777777777777", app_id, "Notes API", "Application",
                            (SYNC, PEOPLE), False, True, "2026-01-01T00:00:00Z",
                            oauth2_permission_scopes=(READ, ADMIN, OFF))


def test_requested_scopes_are_found_ignoring_case_and_unknown_or_disabled_ones_left_out() -> None:
    found = consent_rules.requested(_sp(), ["notes.read", "Notes.Admin", "Notes.Off", "Nope", "NOTES.READ"])
    assert [(p.value, p.kind, p.admin_only) for p in found] == [("Notes.Read", "Scope", False),
                                                                ("Notes.Admin", "Scope", True)]
    assert found[0].texts(admin=False) == ("Read your notes", "Reads your notes")
    assert found[0].texts(admin=True) == ("Read notes (admin)", "Reads everyone's notes")
    assert found[1].texts(admin=False) == ("Administer notes", "Administers notes")   # no user texts: the admin's
    arm = ServicePrincipal("t", "88888888-8888-8888-8888-888888888888", builtins.ARM_APP_ID, "Azure", "Application",
                           (), False, True, "2026-01-01T00:00:00Z")
    assert [p.value for p in consent_rules.requested(arm, ["User_Impersonation"])] == ["user_impersonation"]


def test_required_permissions_are_the_entry_s_enabled_scopes_and_with_roles_its_application_roles() -> None:
    entry = RequiredResourceAccess("66666666-6666-6666-6666-666666666666", (
        ResourceAccess(READ.id, "Scope"), ResourceAccess(OFF.id, "Scope"), ResourceAccess(SYNC.id, "Role"),
        ResourceAccess(PEOPLE.id, "Role"), ResourceAccess("99999999-9999-9999-9999-999999999999", "Scope")))
    assert [p.value for p in consent_rules.required(entry, _sp(), roles=False)] == ["Notes.Read"]
    both = consent_rules.required(entry, _sp(), roles=True)
    assert [(p.value, p.kind, p.admin_only) for p in both] == [("Notes.Read", "Scope", False),
                                                               ("Notes.Sync", "Role", True)]


def test_who_may_grant_what() -> None:
    read, admin = consent_rules.requested(_sp(), ["Notes.Read", "Notes.Admin"])
    sync = consent_rules.role_permission(_sp(), SYNC)
    graph_role = Permission("g", builtins.GRAPH_APP_ID, "Microsoft Graph", "r", "User.Read.All", "Role", True,
                            "User.Read.All", "Reads users")
    member: frozenset[str] = frozenset()
    app_admin = frozenset({consent_rules.APPLICATION_ADMINISTRATOR})
    global_admin = frozenset({consent_rules.GLOBAL_ADMINISTRATOR, consent_rules.APPLICATION_ADMINISTRATOR})
    assert consent_rules.may_grant([read], member, for_everyone=False)
    assert not consent_rules.may_grant([read], member, for_everyone=True)
    assert not consent_rules.may_grant([read, admin], member, for_everyone=False)
    assert not consent_rules.may_grant([sync], member, for_everyone=False)
    for roles in (app_admin, global_admin, frozenset({consent_rules.CLOUD_APPLICATION_ADMINISTRATOR}),
                  frozenset({consent_rules.PRIVILEGED_ROLE_ADMINISTRATOR})):
        assert consent_rules.is_administrator(roles)
        assert consent_rules.may_grant([read, admin, sync], roles, for_everyone=True)
    assert not consent_rules.may_grant([graph_role], app_admin, for_everyone=True)
    assert consent_rules.may_grant([graph_role], global_admin, for_everyone=True)
    assert not consent_rules.is_administrator({"f2ef992c-3afb-46b9-b7cf-a126ee74c451"})   # Global Reader


def test_consent_adds_to_a_grant_and_never_takes_away() -> None:
    assert consent_rules.merged(("Notes.Read",), ("notes.read", "Notes.Write")) == ("Notes.Read", "Notes.Write")
    assert consent_rules.merged((), ("Notes.Write",)) == ("Notes.Write",)
