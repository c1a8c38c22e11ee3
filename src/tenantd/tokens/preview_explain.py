"""Where each claim of a previewed token comes from, in words (``tokens/preview.py``).

The values are the minting code's; this module only reads the records behind them (the app role
assignments, the delegated permission grants, the registration's settings) to name them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..domain import builtins, directory_roles
from ..domain.claims import AppTokenRequest, UserTokenRequest
from ..domain.group_claims import JWT_GROUP_LIMIT
from ..domain.model import OAuth2PermissionGrant, ServicePrincipal, User
from .directory_cache import DirectoryView
from .group_claims import membership_claims
from .people_clients import PeopleClient, client_of

if TYPE_CHECKING:
    from .service import TokenService

OPAQUE = "An opaque value Entra uses internally; different in every token (no validator reads it)."


class Explainer:
    """Explanations for one previewed token on the resource ``resource_app_id``."""

    def __init__(self, service: TokenService, view: DirectoryView, tenant_id: str, resource_app_id: str) -> None:
        self.service = service
        self.view = view
        self.tenant_id = tenant_id
        _, sp = client_of(view, tenant_id, resource_app_id)
        assert sp is not None   # the preview found the resource
        self.resource = sp

    def app(self, claims: dict[str, Any], client: ServicePrincipal, request: AppTokenRequest,
            managed: bool) -> dict[str, str]:
        kind = "managed identity" if managed else "service principal"
        lifetime = ("24 hours, as the managed identity endpoints issue them by default (--mi-token-hours)" if managed
                    else "60 to 90 minutes, a random pick for each token")
        acr = ("2: a managed identity (its platform authenticates it, like a certificate)" if managed
               else "1: the client authenticates with a secret (2 with a certificate or a federated credential)")
        appid = f"The client's appId ({client.display_name})."
        said = {
            **self._common(request.version, request.audience_as_requested, lifetime),
            "appid": appid, "azp": appid,
            "appidacr": acr, "azpacr": acr, "idp": "The tenant's own issuer: an app-only token has no user.",
            "idtyp": "app: an app-only token (no user signed in), client credentials shape.",
            "oid": f"The object id of the {kind} {client.display_name}.",
            "sub": f"The object id of the {kind} {client.display_name} (for an app, sub is its oid).",
            "roles": self._roles([client.id]),
            "xms_mirid": "The managed identity's Azure resource id.",
            "xms_az_rid": "The resource id of the host that asked for the token.",
        }
        return self._with_groups(said, claims, client.display_name, request.groups)

    def user(self, claims: dict[str, Any], user: User, client: PeopleClient,
             request: UserTokenRequest) -> dict[str, str]:
        name = client.service_principal.display_name
        acr = {"0": "0: a public client (no credential of its own)",
               "1": "1: a confidential client, authenticating with its secret (2 with a certificate)"}
        said = {
            **self._common(request.version, request.audience_as_requested, "60 to 90 minutes, a random pick"),
            "acr": "1: the user signed in with one factor (a password).",
            "amr": "pwd: the user signed in with a password.",
            "appid": f"The appId of the client she signed in through ({name}).",
            "azp": f"The appId of the client she signed in through ({name}).",
            "appidacr": acr.get(client.auth_class, client.auth_class),
            "azpacr": acr.get(client.auth_class, client.auth_class),
            "idtyp": "user: a delegated token (a user signed in through a client).",
            "name": "The user's displayName.", "oid": "The user's object id.",
            "preferred_username": "The user's userPrincipalName (v2 tokens).",
            "unique_name": "The user's userPrincipalName (v1 tokens).", "upn": "The user's userPrincipalName.",
            "sub": f"Pairwise: stable for this user through {name}, different through any other client.",
            "roles": self._roles(self._holders(user), user.user_principal_name),
            "scp": self._scopes(client, user, request.scopes),
            "wids": self._wids(request.wids),
        }
        return self._with_groups(said, claims, user.user_principal_name, request.groups)

    # -- the parts ---------------------------------------------------------------------------------------
    def _common(self, version: int, audience: str, lifetime: str) -> dict[str, str]:
        v = ("v2 (the resource's api.requestedAccessTokenVersion is 2)" if version == 2
             else "v1 (the resource's api.requestedAccessTokenVersion is null or 1)")
        aud = (f"The resource's appId ({self.resource.display_name}): a v2 token names its resource by appId."
               if version == 2 else f"The resource as the client named it ('{audience}'): a v1 token keeps the "
               "identifierUri or appId it was asked for.")
        return {
            "aud": aud, "iss": f"The tenant's {'v2' if version == 2 else 'v1'} issuer: the token is {v}.",
            "iat": "When the token is minted (seconds since 1970).", "nbf": "When the token is minted.",
            "exp": f"When the token ends: it lives {lifetime}.",
            "aio": OPAQUE, "rh": OPAQUE, "uti": OPAQUE, "tid": "The tenant's id.",
            "ver": f"The token's version: {v}.",
        }

    def _holders(self, user: User) -> list[str]:
        with self.service.store.read() as tx:
            return self.service.role_holders(tx, user)

    def _roles(self, holders: list[str], user: str | None = None) -> str:
        with self.service.store.read() as tx:
            found = tx.assignments(self.tenant_id, principal_ids=holders, resource_id=self.resource.id)
        roles = {r.id: r for r in self.resource.app_roles}
        parts = []
        for a in found:
            role = roles.get(a.app_role_id)
            value = role.value if role and role.value else "the default access (no role value)"
            state = "" if role is None or role.is_enabled else " (the role is disabled: not in the token)"
            via = f", through her group {a.principal_display_name}" if user and a.principal_type == "Group" else ""
            parts.append(f"the app role assignment of {value} to {a.principal_display_name}{via} "
                         f"(assignment id {a.id}){state}")
        if not parts:
            return "No app role is assigned on this resource: no roles claim."
        return "From " + "; ".join(parts) + "."

    def _scopes(self, client: PeopleClient, user: User, scopes: tuple[str, ...]) -> str:
        if not scopes:
            return "No delegated permission is held on this resource: no scp claim."
        client_sp, app_id = client.service_principal, client.service_principal.app_id
        resource_app, _ = client_of(self.view, self.tenant_id, self.resource.app_id)
        with self.service.store.read() as tx:
            grants = tx.grants(self.tenant_id, client_id=client_sp.id, resource_id=self.resource.id)
        pre = set()
        if resource_app is not None:
            enabled = {s.id: s.value for s in resource_app.oauth2_permission_scopes}
            for p in resource_app.pre_authorized_applications:
                if p.app_id == app_id:
                    pre |= {enabled[i].casefold() for i in p.delegated_permission_ids if i in enabled}
        parts = []
        for scope in scopes:
            key, why = scope.casefold(), []
            why += [f"consented for all users by {self._consenter(g)} (grant id {g.id}, {g.created})"
                    for g in grants if g.principal_id is None and key in {s.casefold() for s in g.scopes}]
            why += [f"consented by the user herself (grant id {g.id}, {g.created})"
                    for g in grants if g.principal_id == user.id and key in {s.casefold() for s in g.scopes}]
            if key in pre:
                why.append("pre-authorized for this client by the resource (api.preAuthorizedApplications)")
            if key in {v.casefold() for v in builtins.FIRST_PARTY_SCOPES.get(self.resource.app_id, ())} \
                    and app_id in builtins.PUBLIC_CLIENT_APP_IDS:
                why.append("held by Microsoft's public clients in every tenant")
            if self.resource.app_id == builtins.GRAPH_APP_ID and scope in builtins.GRAPH_DEFAULT_SCOPES:
                why.append("any client may ask a signing-in user for it")
            parts.append(f"{scope}: {'; '.join(why) or 'held'}")
        return "Delegated permissions: " + ". ".join(parts) + "."

    def _consenter(self, grant: OAuth2PermissionGrant) -> str:
        """Who created ``grant``, from the audit log's entry of that second that names it; "an admin" when
        the entry is gone (the log is trimmed) or the grant came otherwise (a tenant file)."""
        second = grant.created[:19]
        with self.service.store.read() as tx:
            rows = tx.directory_audits(self.tenant_id, [("created", "ge", second), ("created", "lt", second + "~")])
        for row in reversed(rows):   # oldest first: the creation
            if grant.id in json.dumps(row["targets"]):
                return str(row["initiator_name"])
        return "an admin"

    def _wids(self, wids: tuple[str, ...]) -> str:
        names = [f"{directory_roles.BY_TEMPLATE_ID[w].display_name} ({w})" if w in directory_roles.BY_TEMPLATE_ID
                 else w for w in wids]
        return ("The template ids of her directory roles, then the member role every user holds: "
                + ", ".join(names) + ".")

    def _with_groups(self, said: dict[str, str], claims: dict[str, Any], subject: str,
                     groups: tuple[str, ...] | None) -> dict[str, str]:
        setting = membership_claims(self.view, self.tenant_id, self.resource)
        if groups is None:
            said["groups"] = "The resource's groupMembershipClaims asks for no groups."
        else:
            said["groups"] = (f"{len(groups)} group(s) of {subject}, nested ones included, as the resource's "
                              f"groupMembershipClaims '{setting}' asks.")
        overage = (f"{subject} is in {len(groups or ())} groups, more than the {JWT_GROUP_LIMIT} a token lists: "
                   "instead of groups, the token points to getMemberObjects (the groups overage claim).")
        said["_claim_names"] = said["_claim_sources"] = overage
        return {name: said.get(name, "") for name in claims}
