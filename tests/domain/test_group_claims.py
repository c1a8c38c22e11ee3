"""The groups claim's rules, pure: which groups each groupMembershipClaims value selects, the list, the overage
form past 200 and hasgroups past five through the browser, and where the claims sit in a token."""

from __future__ import annotations

import pytest

from tenantd.domain.group_claims import group_claims, selected_groups, with_claims

MINE = ("a", "b", "c")


@pytest.mark.parametrize(("setting", "expected"), [
    (None, None), ("None", None), ("DirectoryRole", None),
    ("SecurityGroup", MINE), ("All", MINE), ("ApplicationGroup", ("b",)),
    ("SecurityGroup,ApplicationGroup", MINE), ("DirectoryRole,ApplicationGroup", ("b",)),
])
def test_each_setting_selects_its_groups(setting: str | None, expected: tuple[str, ...] | None) -> None:
    assert selected_groups(setting, MINE, assigned={"b", "z"}) == expected


def test_no_group_no_claim_and_up_to_200_a_list() -> None:
    assert group_claims((), "t", "o") == group_claims(None, "t", "o") == {}
    listed = tuple(f"g{i}" for i in range(200))
    assert group_claims(listed, "t", "o") == {"groups": list(listed)}


def test_past_200_the_overage_form_names_the_subjects_get_member_objects() -> None:
    many = tuple(f"g{i}" for i in range(201))
    assert group_claims(many, "tid", "oid") == {
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "https://graph.windows.net/tid/users/oid/getMemberObjects"}}}
    assert group_claims(many, "tid", "sp", collection="servicePrincipals")["_claim_sources"]["src1"]["endpoint"] \
        == "https://graph.windows.net/tid/servicePrincipals/sp/getMemberObjects"


def test_through_the_browser_more_than_five_groups_are_hasgroups() -> None:
    five, six, many = tuple("abcde"), tuple("abcdef"), tuple(f"g{i}" for i in range(300))
    assert group_claims(five, "t", "o", implicit=True) == {"groups": list(five)}
    assert group_claims(six, "t", "o", implicit=True) == group_claims(many, "t", "o", implicit=True) == {
        "hasgroups": True}


def test_claims_are_placed_in_entras_order() -> None:
    token = {"aud": 1, "iss": 1, "iat": 1, "nbf": 1, "exp": 1, "acr": 1, "aio": 1, "amr": 1, "idtyp": 1, "name": 1,
             "oid": 1, "ver": 1}
    placed = with_claims(token, {"_claim_sources": 2, "_claim_names": 2})
    assert list(placed)[:8] == ["aud", "iss", "iat", "nbf", "exp", "_claim_names", "_claim_sources", "acr"]
    assert list(with_claims(token, {"groups": []})).index("groups") == list(token).index("idtyp")
    assert list(with_claims(token, {"hasgroups": True})).index("hasgroups") == list(token).index("idtyp")
    assert with_claims(token, {}) is token
