"""Which of a resource's delegated scopes a client holds for a user: the one place that decides.

A client holds, on a resource:

- the enabled scopes the resource's application pre-authorizes it for (``api.preAuthorizedApplications``);
- as one of Microsoft's public clients (the Azure CLI, Azure PowerShell, Visual Studio), what those hold in every
  tenant without anyone consenting (Graph's delegated scopes, the Azure resources' ``user_impersonation``);
- on Microsoft Graph, ``User.Read``, which any client may ask of a user signing in;
- what its delegated permission grants (oAuth2PermissionGrant) give it: the grant for every user
  (``AllPrincipals``, an admin's consent) and the signed-in user's own (``Principal``). They are read through
  the directory cache, so a grant changed or deleted counts from the very next token (SECURITY item 50).

``.default`` grants everything held. A client that holds nothing on the resource gets no token (AADSTS65001
consent_required, as Entra answers the Azure CLI asking for a custom API that neither pre-authorizes it nor was
consented to), whatever roles the user holds there: a delegated token needs consent for the client to the
resource. Two need none: a client asking for a token to itself, and Microsoft's public clients on the resources
built into every tenant (Entra pre-authorizes them on Microsoft's APIs). A scope asked for by name must be one the
resource offers (AADSTS70011) and one the client holds (AADSTS65001).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..domain import builtins
from ..domain.grant_rules import offered_scopes
from ..domain.model import Application, ServicePrincipal
from . import errors
from .directory_cache import DirectoryView
from .resources import Resource


def granted_scopes(client: ServicePrincipal, resource: Resource, resource_app: Application | None,
                   requested: tuple[str, ...] | None, *, view: DirectoryView | None = None,
                   user_id: str | None = None) -> tuple[str, ...]:
    """The ``scp`` values a token of ``client`` for ``resource`` carries; ``requested`` None is ``.default``.
    Grants count for the user ``user_id``, read through ``view``; without both, none counts."""
    sp = resource.service_principal
    offered = offered_scopes(sp)
    held = _held(client.app_id, sp, resource_app)
    if view is not None and user_id is not None:
        held |= {v.casefold() for v in view.get(grants_key(client.id, sp.id, user_id),
                                                lambda tx: tx.granted_scopes(client.id, sp.id, user_id))}
    if requested is None:
        if not held and not _needs_no_consent(client.app_id, sp.app_id):
            raise errors.consent_required(client.app_id, client.display_name)
        return tuple(value for key, value in offered.items() if key in held)
    granted = []
    for value in requested:
        key = value.casefold()
        if key not in offered:
            raise errors.invalid_scope(value, f"The resource '{sp.display_name}' offers no such scope.")
        if key not in held:
            raise errors.consent_required(client.app_id, client.display_name)
        granted.append(offered[key])
    return tuple(dict.fromkeys(granted))


def held_scopes(client_app_id: str, resource: ServicePrincipal, resource_app: Application | None,
                granted: Iterable[str] = ()) -> set[str]:
    """Lower-cased values of what the client holds on ``resource`` for a user: without a grant (see the
    module's docstring) and the values ``granted`` (what its grants that count for her give it). What the
    consent page needs not ask."""
    return _held(client_app_id, resource, resource_app) | {v.casefold() for v in granted}


def grants_key(client_id: str, resource_id: str, user_id: str) -> tuple[str, str, str, str]:
    """The directory cache's key of the scope values a client's grants give it on a resource for a user."""
    return ("grants", client_id, resource_id, user_id)


def _needs_no_consent(client_app_id: str, resource_app_id: str) -> bool:
    """A token to the client itself, or a Microsoft public client's to a resource built into every tenant."""
    return client_app_id == resource_app_id or (
        client_app_id in builtins.PUBLIC_CLIENT_APP_IDS and resource_app_id in builtins.BUILTIN_APP_IDS)


def _held(client_app_id: str, resource: ServicePrincipal, resource_app: Application | None) -> set[str]:
    """Lower-cased values of what the client holds on ``resource`` without a grant (see the module's docstring)."""
    held: set[str] = set()
    if resource_app is not None:
        enabled = {s.id: s.value for s in resource_app.oauth2_permission_scopes if s.is_enabled}
        for pre in resource_app.pre_authorized_applications:
            if pre.app_id == client_app_id:
                held |= {enabled[i].casefold() for i in pre.delegated_permission_ids if i in enabled}
    if client_app_id in builtins.PUBLIC_CLIENT_APP_IDS:
        held |= {v.casefold() for v in builtins.FIRST_PARTY_SCOPES.get(resource.app_id, ())}
    if resource.app_id == builtins.GRAPH_APP_ID:
        held |= {v.casefold() for v in builtins.GRAPH_DEFAULT_SCOPES}
    return held
