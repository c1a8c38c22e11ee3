"""The directory roles' rules and data: roles found by name or template id, assignment ids in Entra's shape, the
tenant-wide scope only, who may hold a role, ``wids`` and when ID tokens carry it; and ``wids`` in the claims
built from a token request."""

from __future__ import annotations

import base64
import uuid

import pytest

from tenantd.domain import directory_roles as roles
from tenantd.domain.claims import IdTokenFacts, Issuers, UserTokenRequest, id_token_claims, user_claims
from tenantd.domain.errors import BadRequest
from tenantd.domain.model import Principal

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ID = "ace08ec9-aa11-4ada-9145-addf0398233e"


def test_roles_are_found_by_template_id_or_display_name_in_any_case() -> None:
    assert roles.find(GLOBAL_ADMIN.upper()) is roles.find("global ADMINISTRATOR") is roles.BY_TEMPLATE_ID[GLOBAL_ADMIN]
    assert roles.find("Astronaut") is None and roles.find(str(uuid.uuid4())) is None
    assert len({r.template_id for r in roles.BUILT_IN}) == len({r.display_name for r in roles.BUILT_IN}) == 7


def test_an_assignment_id_is_entras_role_and_principal_in_base64url() -> None:
    # Graph's documented example: Global Administrator held by ace08ec9-aa11-4ada-9145-addf0398233e
    assert roles.assignment_id(GLOBAL_ADMIN, USER_ID) == "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1"
    raw = base64.urlsafe_b64decode(roles.assignment_id(GLOBAL_ADMIN, USER_ID)[:-2] + "=")
    assert uuid.UUID(bytes_le=raw[16:]) == uuid.UUID(USER_ID)
    assert roles.is_role_assignment_id(roles.assignment_id(GLOBAL_ADMIN, USER_ID))
    assert not roles.is_role_assignment_id("A" * 43) and not roles.is_role_assignment_id(None)


@pytest.mark.parametrize("scope", ["", None, "/administrativeUnits/x", f"/{USER_ID}", "//", 1])
def test_only_the_tenant_scope_is_assignable(scope: object) -> None:
    with pytest.raises(BadRequest, match="Must specify valid property scope of entity RoleAssignment."):
        roles.directory_scope(scope)
    assert roles.directory_scope("/") == "/"


def test_users_and_service_principals_hold_roles_groups_do_not() -> None:
    role = roles.BY_TEMPLATE_ID[GLOBAL_ADMIN]
    roles.assignable(role, Principal(USER_ID, "User", "Ada"))
    roles.assignable(role, Principal(USER_ID, "ServicePrincipal", "App"))
    with pytest.raises(BadRequest, match="IsAssignableToRole"):
        roles.assignable(role, Principal(USER_ID, "Group", "Admins"))


def test_wids_hold_the_roles_then_the_member_role() -> None:
    assert roles.wids(()) == (roles.MEMBER_ROLE_TEMPLATE_ID,)
    assert roles.wids(("fdd7a751-b60b-444a-984c-02652fe8fa1c", GLOBAL_ADMIN, GLOBAL_ADMIN)) == (
        GLOBAL_ADMIN, "fdd7a751-b60b-444a-984c-02652fe8fa1c", roles.MEMBER_ROLE_TEMPLATE_ID)
    assert [roles.in_id_token(v) for v in (None, "None", "SecurityGroup", "ApplicationGroup")] == [False] * 4
    assert [roles.in_id_token(v) for v in ("All", "DirectoryRole", "SecurityGroup, DirectoryRole")] == [True] * 3


def test_wids_are_in_every_user_access_token_and_in_id_tokens_when_asked() -> None:
    request = UserTokenRequest("tid", USER_ID, "ada@contoso.test", "Ada", "client", "resource", "api://r", 2, (),
                               ("Things.Read",), wids=(GLOBAL_ADMIN, roles.MEMBER_ROLE_TEMPLATE_ID))
    issuers = Issuers.for_tenant("https://localhost", "tid")
    for version in (1, 2):
        claims = user_claims(UserTokenRequest(**{**request.__dict__, "version": version}), issuers, 0, 60)
        assert claims["wids"] == [GLOBAL_ADMIN, roles.MEMBER_ROLE_TEMPLATE_ID] and list(claims)[-1] == "wids"
    assert "wids" not in id_token_claims(request, issuers, 0, 60, IdTokenFacts())
    asked = id_token_claims(request, issuers, 0, 60, IdTokenFacts(version=1, directory_roles=True))
    assert asked["wids"] == [GLOBAL_ADMIN, roles.MEMBER_ROLE_TEMPLATE_ID]


def test_each_tenant_has_its_own_directory_role_ids() -> None:
    a, b = (roles.directory_role_id(str(uuid.uuid4()), GLOBAL_ADMIN) for _ in range(2))
    assert a != b and GLOBAL_ADMIN not in (a, b)
    assert roles.directory_role_id("T", GLOBAL_ADMIN.upper()) == roles.directory_role_id("t", GLOBAL_ADMIN)
