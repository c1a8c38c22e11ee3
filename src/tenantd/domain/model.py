"""The directory's objects, as plain dataclasses. Field names follow Microsoft Graph where Graph has one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PrincipalType = Literal["User", "Group", "ServicePrincipal"]
ServicePrincipalType = Literal["Application", "ManagedIdentity"]
MemberType = Literal["Application", "User"]
ConsentType = Literal["AllPrincipals", "Principal"]


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created: str


@dataclass(frozen=True)
class AppRole:
    """One entry of an application's ``appRoles``, named exactly as the manifest names it."""

    id: str
    value: str | None
    display_name: str
    description: str
    allowed_member_types: tuple[str, ...]
    is_enabled: bool = True
    origin: str = "Application"

    def to_graph(self) -> dict[str, Any]:
        return {
            "allowedMemberTypes": list(self.allowed_member_types),
            "description": self.description,
            "displayName": self.display_name,
            "id": self.id,
            "isEnabled": self.is_enabled,
            "origin": self.origin,
            "value": self.value,
        }


@dataclass(frozen=True)
class PermissionScope:
    """One entry of ``api.oauth2PermissionScopes``: a delegated permission an API offers, in Graph's names."""

    id: str
    value: str
    type: str                 # "User": people may consent for themselves; "Admin": an admin must
    admin_consent_display_name: str
    admin_consent_description: str
    user_consent_display_name: str | None = None
    user_consent_description: str | None = None
    is_enabled: bool = True

    def to_graph(self) -> dict[str, Any]:
        return {
            "adminConsentDescription": self.admin_consent_description,
            "adminConsentDisplayName": self.admin_consent_display_name,
            "id": self.id,
            "isEnabled": self.is_enabled,
            "type": self.type,
            "userConsentDescription": self.user_consent_description,
            "userConsentDisplayName": self.user_consent_display_name,
            "value": self.value,
        }


@dataclass(frozen=True)
class PreAuthorizedApplication:
    """A client trusted with some of an API's scopes without asking anyone for consent."""

    app_id: str
    delegated_permission_ids: tuple[str, ...]

    def to_graph(self) -> dict[str, Any]:
        return {"appId": self.app_id, "delegatedPermissionIds": list(self.delegated_permission_ids)}


@dataclass(frozen=True)
class ResourceAccess:
    id: str
    type: str                 # "Scope" (delegated) | "Role" (application)

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type}


@dataclass(frozen=True)
class RequiredResourceAccess:
    """The permissions an application declares it needs from one resource: what consent asks for."""

    resource_app_id: str
    resource_access: tuple[ResourceAccess, ...]

    def to_graph(self) -> dict[str, Any]:
        return {"resourceAppId": self.resource_app_id, "resourceAccess": [a.to_graph() for a in self.resource_access]}


@dataclass(frozen=True)
class ImplicitGrantSettings:
    """Graph's ``web.implicitGrantSettings``: whether the authorization endpoint itself may answer the
    application with an ID token (``response_type=id_token``, ``code id_token``) or an access token."""

    enable_id_token_issuance: bool = False
    enable_access_token_issuance: bool = False

    @property
    def off(self) -> bool:
        """Both off, as every application is unless it turns one on."""
        return not (self.enable_id_token_issuance or self.enable_access_token_issuance)

    def to_graph(self) -> dict[str, Any]:
        return {"enableAccessTokenIssuance": self.enable_access_token_issuance,
                "enableIdTokenIssuance": self.enable_id_token_issuance}


@dataclass(frozen=True)
class PasswordCredential:
    key_id: str
    display_name: str | None
    hint: str
    start: str
    end: str
    secret_hash: bytes = field(repr=False, default=b"")

    def to_graph(self) -> dict[str, Any]:
        return {
            "customKeyIdentifier": None,
            "displayName": self.display_name,
            "endDateTime": self.end,
            "hint": self.hint,
            "keyId": self.key_id,
            "secretText": None,
            "startDateTime": self.start,
        }


@dataclass(frozen=True)
class KeyCredential:
    """A certificate an application signs client assertions with; only its public part is held."""

    key_id: str
    display_name: str | None
    type: str
    usage: str
    thumbprint_sha1: str      # base64url without padding, as ``x5t`` names it
    thumbprint_sha256: str    # base64url without padding, as ``x5t#S256`` names it
    start: str
    end: str
    certificate: bytes = field(repr=False, default=b"")   # X.509 DER

    def to_graph(self) -> dict[str, Any]:
        """Graph's keyCredential; ``key`` stays null, as Graph writes it outside ``$select``."""
        return {
            "customKeyIdentifier": _standard_b64(self.thumbprint_sha1),
            "displayName": self.display_name,
            "endDateTime": self.end,
            "key": None,
            "keyId": self.key_id,
            "startDateTime": self.start,
            "type": self.type,
            "usage": self.usage,
        }


def _standard_b64(b64url: str) -> str:
    padded = b64url + "=" * (-len(b64url) % 4)
    return padded.replace("-", "+").replace("_", "/")


@dataclass(frozen=True)
class FederatedCredential:
    """A federated identity credential: tokens of ``issuer`` about ``subject`` sign its owner in."""

    tenant_id: str
    id: str
    owner_id: str             # the application's object id, or the user-assigned identity's principal id
    owner_type: str           # "application" | "managedIdentity"
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]
    description: str | None
    created: str

    def to_graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "audiences": list(self.audiences),
            "description": self.description,
            "issuer": self.issuer,
            "name": self.name,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Application:
    tenant_id: str
    id: str
    app_id: str
    display_name: str
    identifier_uris: tuple[str, ...]
    app_roles: tuple[AppRole, ...]
    requested_access_token_version: int | None
    created: str
    password_credentials: tuple[PasswordCredential, ...] = ()
    key_credentials: tuple[KeyCredential, ...] = ()
    # Who signs in and where answers go: what people's flows and consent read.
    sign_in_audience: str = "AzureADMyOrg"
    is_fallback_public_client: bool | None = None
    group_membership_claims: str | None = None
    optional_claims: dict[str, Any] | None = None
    web_redirect_uris: tuple[str, ...] = ()
    spa_redirect_uris: tuple[str, ...] = ()
    public_client_redirect_uris: tuple[str, ...] = ()
    implicit_grant_settings: ImplicitGrantSettings = ImplicitGrantSettings()
    # The delegated permissions the application offers as an API, and those it asks of others.
    oauth2_permission_scopes: tuple[PermissionScope, ...] = ()
    pre_authorized_applications: tuple[PreAuthorizedApplication, ...] = ()
    required_resource_access: tuple[RequiredResourceAccess, ...] = ()

    @property
    def multi_tenant(self) -> bool:
        """Whether people of other tenants may sign in (``signInAudience`` AzureADMultipleOrgs)."""
        return self.sign_in_audience == "AzureADMultipleOrgs"

    @property
    def reply_urls(self) -> tuple[str, ...]:
        """Every registered redirect URI, as a service principal's ``replyUrls`` lists them."""
        return tuple(dict.fromkeys((*self.web_redirect_uris, *self.spa_redirect_uris,
                                    *self.public_client_redirect_uris)))


@dataclass(frozen=True)
class ServicePrincipal:
    tenant_id: str
    id: str
    app_id: str
    display_name: str
    service_principal_type: ServicePrincipalType
    app_roles: tuple[AppRole, ...]
    app_role_assignment_required: bool
    account_enabled: bool
    created: str
    alternative_names: tuple[str, ...] = ()
    service_principal_names: tuple[str, ...] = ()
    app_owner_organization_id: str | None = None
    # Managed identities only: "SystemAssigned" | "UserAssigned", the identity's name and resource id.
    managed_identity_kind: str | None = None
    managed_identity_name: str | None = None
    managed_identity_resource_id: str | None = None
    # Mirrored from the application (or fixed, for a built-in): the scopes it offers and where it signs in.
    oauth2_permission_scopes: tuple[PermissionScope, ...] = ()
    reply_urls: tuple[str, ...] = ()
    sign_in_audience: str | None = None

    def role(self, role_id: str) -> AppRole | None:
        return next((r for r in self.app_roles if r.id == role_id), None)


@dataclass(frozen=True)
class User:
    tenant_id: str
    id: str
    user_principal_name: str
    display_name: str
    account_enabled: bool
    created: str
    mail: str | None = None
    sign_in_sessions_valid_from: str | None = None   # tokens issued before were revoked (revokeSignInSessions)


@dataclass(frozen=True, repr=False)
class StoredPassword:
    """A user's password as stored: its argon2id PHC string (never shown, hence no repr) and whether the user
    must change it at the next sign-in (Graph's ``forceChangePasswordNextSignIn``)."""

    hash: str
    force_change: bool
    changed: str

    def __repr__(self) -> str:
        return f"StoredPassword(force_change={self.force_change}, changed={self.changed!r})"


@dataclass(frozen=True)
class Group:
    tenant_id: str
    id: str
    display_name: str
    description: str | None
    mail_nickname: str
    security_enabled: bool
    created: str


@dataclass(frozen=True)
class AppRoleAssignment:
    tenant_id: str
    id: str
    app_role_id: str
    principal_id: str
    principal_type: PrincipalType
    principal_display_name: str
    resource_id: str
    resource_display_name: str
    created: str


@dataclass(frozen=True)
class OAuth2PermissionGrant:
    """A delegated permission grant (Graph's oAuth2PermissionGrant): the client service principal may act on
    the resource service principal with ``scopes`` for every user (AllPrincipals, an admin's consent) or for
    the one user ``principal_id`` (Principal, her own consent)."""

    tenant_id: str
    id: str
    client_id: str
    consent_type: ConsentType
    principal_id: str | None     # the user, for a Principal grant; None for AllPrincipals
    resource_id: str
    scopes: tuple[str, ...]      # scope values, as the resource names them
    created: str

    @property
    def scope(self) -> str:
        """Graph's ``scope``: the values separated by spaces."""
        return " ".join(self.scopes)


@dataclass(frozen=True)
class Principal:
    """Whatever an app role can be assigned to, reduced to what the rules need."""

    id: str
    type: PrincipalType
    display_name: str

    @property
    def member_type(self) -> MemberType:
        return "Application" if self.type == "ServicePrincipal" else "User"


@dataclass(frozen=True)
class Host:
    """A compute resource (App Service site, VM ...) and the managed identities it may use."""

    tenant_id: str
    resource_id: str
    system_identity: ServicePrincipal | None
    user_assigned: tuple[ServicePrincipal, ...]

    @property
    def identities(self) -> tuple[ServicePrincipal, ...]:
        return ((self.system_identity,) if self.system_identity else ()) + self.user_assigned
