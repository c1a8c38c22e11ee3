"""Single sign-on: what an authorize request needs of the person, given the accounts her browser session holds.

- ``prompt=login`` asks for her name and password whatever the session holds. ``prompt=consent`` signs in
  as a request without ``prompt`` does; it is the consent page that it forces (``consent_prompt.py``).
- ``prompt=none`` never shows a page: the one account (or the one ``login_hint`` names) signs in silently;
  no account, or one signed in longer ago than ``max_age``, is ``login_required`` (AADSTS50058); several
  without a hint also ``login_required`` ("too many or no users found", AADSTS16000).
- ``prompt=select_account`` shows the account picker, with "Use another account".
- Otherwise the account ``login_hint`` names, else the only one, signs in silently; several show the
  picker; none, the sign-in page with ``login_hint`` in the name field.

An account counts only where the request could sign it in: in the tenant the request names, and for an
application of one organization (AzureADMyOrg), in that organization. One signed in longer ago than
``max_age`` seconds must enter her password again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..domain.model import Tenant
from . import sign_in_errors as page_errors
from .authorize import AuthorizeRefusal, AuthorizeRequest
from .interactive import Client, SignedIn

Need = Literal["silent", "pick", "name", "password"]


@dataclass(frozen=True)
class Choice:
    """``silent``: sign ``person`` in; ``pick``: show ``accounts``; ``name``: ask for a name (``login_hint``
    prefilled); ``password``: ask ``login_hint``'s password."""

    need: Need
    person: SignedIn | None = None
    accounts: tuple[SignedIn, ...] = ()
    login_hint: str | None = None


def eligible(tenant: Tenant | None, client: Client, people: list[SignedIn]) -> tuple[SignedIn, ...]:
    """The session's people a request to ``tenant`` (None: common or organizations) could sign in to
    ``client``."""
    return tuple(p for p in people if (tenant is None or p.user.tenant_id == tenant.id)
                 and client.admits_tenant(p.user.tenant_id))


def fresh(request: AuthorizeRequest, person: SignedIn, now: int) -> bool:
    return request.max_age is None or now - person.auth_time <= request.max_age


def choose(request: AuthorizeRequest, people: list[SignedIn], now: int) -> Choice:
    accounts = eligible(request.tenant, request.client, people)
    hint = request.login_hint
    hinted = next((p for p in accounts if hint and p.user.user_principal_name.lower() == hint.lower()), None)
    if request.prompt == "login":
        return Choice("name", login_hint=hint)
    if request.prompt == "none":
        return _silent_only(request, accounts, hinted, now)
    if request.prompt == "select_account":
        return Choice("pick", accounts=accounts, login_hint=hint) if accounts else Choice("name", login_hint=hint)
    target = hinted or (accounts[0] if len(accounts) == 1 and not hint else None)
    if target is not None:
        return (Choice("silent", person=target) if fresh(request, target, now)
                else Choice("password", login_hint=target.user.user_principal_name))
    if len(accounts) > 1 and not hint:
        return Choice("pick", accounts=accounts)
    return Choice("name", login_hint=hint)


def _silent_only(request: AuthorizeRequest, accounts: tuple[SignedIn, ...], hinted: SignedIn | None,
                 now: int) -> Choice:
    if request.login_hint:
        target = hinted
    elif len(accounts) > 1:
        raise AuthorizeRefusal(page_errors.several_accounts(), request.reply)
    else:
        target = accounts[0] if accounts else None
    if target is None or not fresh(request, target, now):
        raise AuthorizeRefusal(page_errors.login_required(), request.reply)
    return Choice("silent", person=target)
