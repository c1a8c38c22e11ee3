"""The ``groups`` claim, as an application's ``groupMembershipClaims`` asks for it (Entra's rules).

- Which groups: ``SecurityGroup`` and ``All``, every group the subject is in, directly or through nested
  groups (tenantd's groups are all security groups); ``ApplicationGroup``, those of them assigned to the
  application; several values separated by commas, their union. ``None`` (or no value) emits no claim.
  ``DirectoryRole`` adds no group: directory roles travel in ``wids``, which is not this claim's business.
- Past 200 groups a JWT carries none of them: ``_claim_names`` points ``groups`` at ``src1``, whose
  ``_claim_sources`` endpoint is the subject's getMemberObjects on Azure AD Graph (the host Entra still
  writes there; clients call Microsoft Graph's ``/users/{id}/getMemberObjects`` instead).
- An ID token sent through the browser (the authorize endpoint's fragment or form) carries ``hasgroups: true``
  instead of a list of more than five groups, to keep the URL short.
- No group, no claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

JWT_GROUP_LIMIT = 200
IMPLICIT_GROUP_LIMIT = 5
OVERAGE_HOST = "https://graph.windows.net"
_WHOLE_MEMBERSHIP = frozenset({"SecurityGroup", "All"})


def wanted(setting: str | None) -> frozenset[str]:
    """The kinds of membership ``groupMembershipClaims`` asks for (empty: none)."""
    if not setting:
        return frozenset()
    return frozenset(n.strip() for n in setting.split(",")) - {"None", ""}


def asks_for_groups(setting: str | None) -> bool:
    """Whether the setting puts groups in a token at all (``DirectoryRole`` alone does not)."""
    return bool(wanted(setting) & (_WHOLE_MEMBERSHIP | {"ApplicationGroup"}))


def selected_groups(setting: str | None, memberships: Iterable[str],
                    assigned: Iterable[str] = ()) -> tuple[str, ...] | None:
    """The group ids a token's ``groups`` claim holds: from ``memberships`` (every group the subject is in,
    nested included), all of them or those among ``assigned`` (the groups assigned to the application), as the
    setting says; None when the setting asks for no groups."""
    kinds = wanted(setting)
    if not asks_for_groups(setting):
        return None
    if kinds & _WHOLE_MEMBERSHIP:
        return tuple(memberships)
    chosen = set(assigned)
    return tuple(g for g in memberships if g in chosen)


def group_claims(groups: tuple[str, ...] | None, tenant_id: str, object_id: str, *, collection: str = "users",
                 implicit: bool = False) -> dict[str, Any]:
    """The claims that carry ``groups`` for the subject ``object_id`` (of ``collection``, ``users`` or
    ``servicePrincipals``): the list, its overage form, ``hasgroups`` (an ID token through the browser), or
    nothing."""
    if not groups:
        return {}
    if implicit and len(groups) > IMPLICIT_GROUP_LIMIT:
        return {"hasgroups": True}
    if len(groups) > JWT_GROUP_LIMIT:
        endpoint = f"{OVERAGE_HOST}/{tenant_id}/{collection}/{object_id}/getMemberObjects"
        return {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": endpoint}}}
    return {"groups": list(groups)}


def with_claims(claims: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``claims`` with ``extra`` placed as Entra orders a token: after the leading aud, iss, iat, nbf and exp,
    claims run in name order (``_claim_names`` first, ``groups`` after ``given_name``)."""
    if not extra:
        return claims
    items = list(claims.items())
    start = next((i + 1 for i, (k, _) in enumerate(items) if k == "exp"), 0)
    for name, value in sorted(extra.items()):
        at = next((i for i in range(start, len(items)) if items[i][0] > name), len(items))
        items.insert(at, (name, value))
    return dict(items)
