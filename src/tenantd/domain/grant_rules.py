"""Rules for delegated permission grants (Graph's oAuth2PermissionGrant), as Entra checks them. Pure
functions that raise :class:`BadRequest`.

A grant lets a client service principal act for users on a resource service principal with some of the
resource's delegated permissions (scopes): for every user of the tenant (``AllPrincipals``, an admin's
consent) or for one user (``Principal``, with her id). Its ``scope`` names only what the resource offers: its
enabled ``oauth2PermissionScopes`` or, for one of Microsoft's APIs, the delegated permissions tenantd knows it
has (domain/builtins.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import builtins
from .errors import BadRequest
from .model import ConsentType, ServicePrincipal

CONSENT_TYPES: tuple[ConsentType, ...] = ("AllPrincipals", "Principal")
MAX_SCOPE = 3850      # Graph's bound on a grant's scope text


def invalid(prop: str, detail: str = "") -> BadRequest:
    """Graph's refusal of a grant's property (``detail`` says why, after Graph's own sentence)."""
    return BadRequest(f"Invalid value specified for property '{prop}' of resource 'OAuth2PermissionGrant'."
                      + (f" {detail}" if detail else ""))


def offered_scopes(resource: ServicePrincipal) -> Mapping[str, str]:
    """The delegated permissions ``resource`` offers, by value folded to lower case (Entra compares them so),
    each as the resource writes it."""
    offered = {s.value.casefold(): s.value for s in resource.oauth2_permission_scopes if s.is_enabled}
    for value in builtins.FIRST_PARTY_SCOPES.get(resource.app_id, ()):
        offered.setdefault(value.casefold(), value)
    return offered


def scopes(resource: ServicePrincipal, text: object) -> tuple[str, ...]:
    """A grant's ``scope`` text as the values it names, each one ``resource`` offers (as the resource writes
    it), repeats dropped; the empty text grants nothing, which Entra allows."""
    if not isinstance(text, str):
        raise invalid("scope", "A string of scope values separated by spaces is required.")
    if len(text) > MAX_SCOPE:
        raise invalid("scope", f"It is longer than {MAX_SCOPE} characters.")
    offered = offered_scopes(resource)
    found: dict[str, None] = {}
    for value in text.split(" "):
        if not value:
            continue
        known = offered.get(value.casefold())
        if known is None:
            raise invalid("scope", f"'{value[:120]}' is not a delegated permission that '{resource.display_name}' "
                                   "offers.")
        found[known] = None
    return tuple(found)


def consent(consent_type: object, principal_id: str | None) -> ConsentType:
    """The consent type, with a user for ``Principal`` and none for ``AllPrincipals``."""
    if consent_type not in CONSENT_TYPES:
        raise invalid("consentType", "It is AllPrincipals or Principal.")
    if consent_type == "Principal" and principal_id is None:
        raise invalid("principalId", "A Principal grant names the user it is for.")
    if consent_type == "AllPrincipals" and principal_id is not None:
        raise invalid("principalId", "An AllPrincipals grant is for every user and names none.")
    return "AllPrincipals" if consent_type == "AllPrincipals" else "Principal"
