"""Consent during an interactive sign-in and at the admin consent endpoint (SECURITY.md item 50): what the
consent page asks, whether the person may grant it, and her answer recorded.

At the authorize endpoint, once the person is known and admitted, the client must hold what the request asks
for on its resource (``tokens/consent.py`` decides what it holds), as Entra asks:

- scopes named: those the client does not hold (every one of them with ``prompt=consent``);
- ``.default`` (v1: ``resource``): when the client holds nothing on the resource (or ``prompt=consent``),
  every delegated permission its ``requiredResourceAccess`` lists, for every API listed there.

With nothing left to ask there is no page; a page needed under ``prompt=none`` is ``consent_required``.

The admin consent endpoint asks an administrator for the scopes named or, with ``.default`` (or v1, which
names none), for everything ``requiredResourceAccess`` lists, application permissions too; her acceptance
holds for every user of her tenant.

Whether a person is an administrator is read in one place, :func:`directory_roles`: her directory roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..directory import Directory
from ..domain import audit, builtins, consent_rules
from ..domain.consent_rules import Permission
from ..domain.errors import OAuthError
from ..domain.grant_rules import offered_scopes
from ..domain.model import User
from ..store import Tx
from . import consent, errors
from . import sign_in_errors as page_errors
from .authorize import AuthorizeRefusal, AuthorizeRequest
from .interactive import Client
from .resources import resolve
from .scopes import from_resource, from_scope

if TYPE_CHECKING:
    from .service import TokenService


@dataclass(frozen=True)
class ConsentAsk:
    """What a consent page asks of a person in the tenant ``tenant_id`` for the application ``client``."""

    tenant_id: str
    client: Client
    permissions: tuple[Permission, ...]
    oidc: tuple[str, ...] = ()          # OpenID Connect's scopes asked for, shown as Entra shows them
    for_organization: bool = False      # the admin consent endpoint: for every user, by an administrator
    resource: str = ""                  # the resource the request names (for consent_required)


class ConsentRefused(Exception):
    """The person may not grant what she accepted (she is not an administrator): nothing was recorded."""


def directory_roles(service: TokenService, user: User) -> frozenset[str]:
    """The template ids of the directory roles ``user`` holds (her own: groups hold none here)."""
    with service.store.read() as tx:
        return frozenset(tx.role_template_ids([user.id]).get(user.id, ()))


def needed(service: TokenService, request: AuthorizeRequest, user: User) -> ConsentAsk | None:
    """What the consent page must ask ``user`` before the client gets what ``request`` asks for; None when
    nothing (see the module's docstring). A request whose scope cannot be read, or whose client requires a
    resource the tenant lacks, is refused back to the client."""
    client, tenant_id, forced = request.client, user.tenant_id, request.prompt == "consent"
    try:
        access = from_resource(request.resource, request.scope) if request.resource else from_scope(request.scope)
        with service.store.read() as tx:
            found = resolve(tx, tenant_id, access.resource, service.public_url)
            if found is None:   # refused by check_scope, before this is asked
                return None
            sp = found.service_principal
            client_sp = tx.service_principal_by_app_id(tenant_id, client.app_id)
            granted = tx.granted_scopes(client_sp.id, sp.id, user.id) if client_sp else ()
            held = consent.held_scopes(client.app_id, sp, tx.application_by_app_id(tenant_id, sp.app_id), granted)
            if access.scopes is not None:
                missing = [v for v in access.scopes if forced or v.casefold() not in held]
                permissions = consent_rules.requested(sp, missing)
            elif forced or not held & offered_scopes(sp).keys():
                permissions = _required(tx, tenant_id, client, roles=False)
            else:
                permissions = ()
            if permissions:
                _consentable(tx, tenant_id, client)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, request.reply) from None
    if not permissions:
        return None
    return ConsentAsk(tenant_id, client, permissions, access.oidc, resource=access.resource)


def for_organization(service: TokenService, request: AuthorizeRequest, tenant_id: str) -> ConsentAsk:
    """What the admin consent endpoint asks an administrator of ``tenant_id``: the scopes ``request`` names
    or, with ``.default`` or no scope at all, everything the client's ``requiredResourceAccess`` lists."""
    words = request.scope.split()
    oidc = tuple(s for s in builtins.OIDC_SCOPES if s in {w.lower() for w in words})
    try:
        asked = [from_scope(w) for w in words if w.lower() not in builtins.OIDC_SCOPES]
        with service.store.read() as tx:
            if not asked or any(a.scopes is None for a in asked):
                permissions = _required(tx, tenant_id, request.client, roles=True)
            else:
                permissions = _named(service, tx, tenant_id, [(a.resource, a.scopes or ()) for a in asked])
            _consentable(tx, tenant_id, request.client)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, request.reply) from None
    return ConsentAsk(tenant_id, request.client, permissions, oidc, for_organization=True)


def accept(directory: Directory, service: TokenService, ask: ConsentAsk, user: User, *,
           for_everyone: bool = False) -> None:
    """Record ``user``'s acceptance of ``ask``: a grant for her alone, or for every user when she asked for
    that ("Consent on behalf of your organization") or at the admin consent endpoint; app role assignments
    for application permissions. ConsentRefused, and nothing recorded, when she may not grant it."""
    roles = directory_roles(service, user)
    everyone = ask.for_organization or for_everyone
    if not consent_rules.may_grant(ask.permissions, roles, for_everyone=everyone):
        raise ConsentRefused
    scopes: dict[str, tuple[str, ...]] = {}
    app_roles: dict[str, tuple[str, ...]] = {}
    for p in ask.permissions:
        into = scopes if p.kind == "Scope" else app_roles
        into[p.resource_id] = (*into.get(p.resource_id, ()), p.value if p.kind == "Scope" else p.id)
    directory.as_actor(audit.person(user)).consent(
        ask.tenant_id, ask.client.app_id, None if everyone else user.id, scopes, app_roles,
        admin=consent_rules.is_administrator(roles))


def _consentable(tx: Tx, tenant_id: str, client: Client) -> None:
    """A grant needs the client's service principal in the tenant: it has one, or its application is the
    tenant's (consent makes it one, as in Entra). An application of another organization without one
    cannot be granted anything here (tenantd makes no service principal of another tenant's application)."""
    if client.home_tenant_id != tenant_id and tx.service_principal_by_app_id(tenant_id, client.app_id) is None:
        raise page_errors.unknown_tenant_application(client.app_id, tenant_id)


def _required(tx: Tx, tenant_id: str, client: Client, *, roles: bool) -> tuple[Permission, ...]:
    """Every permission the client's ``requiredResourceAccess`` lists (application permissions with
    ``roles``); a resource the tenant lacks is AADSTS650052."""
    app = tx.application_by_app_id(client.home_tenant_id, client.app_id) if client.home_tenant_id else None
    found: list[Permission] = []
    for entry in app.required_resource_access if app else ():
        resource = tx.service_principal_by_app_id(tenant_id, entry.resource_app_id)
        if resource is None:
            raise page_errors.service_not_enabled(entry.resource_app_id, tenant_id)
        found += consent_rules.required(entry, resource, roles=roles)
    return tuple(found)


def _named(service: TokenService, tx: Tx, tenant_id: str,
           asked: Iterable[tuple[str, tuple[str, ...]]]) -> tuple[Permission, ...]:
    """The scopes named, by resource (as the client names it); an unknown resource is AADSTS500011."""
    found: list[Permission] = []
    for name, values in asked:
        resource = resolve(tx, tenant_id, name, service.public_url)
        if resource is None:
            raise errors.unknown_resource(name, tenant_id)
        found += consent_rules.requested(resource.service_principal, values)
    return tuple(dict.fromkeys(found))
