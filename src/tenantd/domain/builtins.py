"""Built-in service principals every tenant holds: Microsoft Graph, Azure AD Graph, tenantd's admin API, the
token exchange audience, the well-known Azure resources (ARM, Key Vault, Storage) and Microsoft's public client
applications that people sign in with (Azure CLI, Azure PowerShell, Visual Studio)."""

from __future__ import annotations

from dataclasses import dataclass

from .model import AppRole, PermissionScope

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_IDENTIFIER_URIS = ("https://graph.microsoft.com", "https://graph.microsoft.com/",
                         "https://canary.graph.microsoft.com", "https://graph.microsoft.us")
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# Graph's application permissions, with the role ids Microsoft Graph has in every tenant.
GRAPH_ROLES: dict[str, str] = {
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "DelegatedPermissionGrant.Read.All": "81b4724a-58aa-41c1-8a55-84ef97466587",
    "DelegatedPermissionGrant.ReadWrite.All": "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "GroupMember.ReadWrite.All": "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "AuditLog.Read.All": "b0afded3-3588-46d8-8b3d-9842eff778da",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagement.Read.All": "c7fbd983-d9aa-4fa7-84b8-17382c103bc4",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.ReadWrite.Authorization": "fb221be6-99f2-473f-bd32-01c6a0e9ca3b",
}

# Azure AD Graph (graph.windows.net), the legacy API the AzureAD PowerShell module calls, with its
# application permissions' role ids as every tenant's "Windows Azure Active Directory" holds them.
AAD_GRAPH_APP_ID = "00000002-0000-0000-c000-000000000000"
AAD_GRAPH_NAME = "Windows Azure Active Directory"
AAD_GRAPH_IDENTIFIER_URIS = ("https://graph.windows.net", "https://graph.windows.net/")
AAD_GRAPH_ROLES: dict[str, str] = {
    "Application.ReadWrite.All": "1cda74f2-2616-4834-b122-5cb1b07f8a59",
    "Directory.Read.All": "5778995a-e1bf-45b8-affa-663a9f3f4d04",
    "Directory.ReadWrite.All": "78c8a3c8-a07e-4b9e-af1b-b5ccab50a175",
}

TENANTD_APP_ID = "7e4a47d0-7e4a-47d0-a000-7e4a47d00001"
TENANTD_RESOURCE = "api://tenantd"
TENANTD_ROLES: dict[str, str] = {
    # Manage tenants, managed identities, hosts and keys through the admin API.
    "Tenantd.Admin": "7e4a47d0-7e4a-47d0-a000-7e4a47d00101",
    # Mint tokens as another principal (``tenantd token --as``); audited.
    "Tenantd.Impersonate": "7e4a47d0-7e4a-47d0-a000-7e4a47d00102",
}

ADMIN_APP_NAME = "tenantd admin"

# The client app of user tokens minted by `tenantd token --as <user>`: Azure CLI, as `az account
# get-access-token --resource <api>` gets them in a real tenant.
AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZURE_POWERSHELL_APP_ID = "1950a258-227b-4e31-a9cf-717495945fc2"
VISUAL_STUDIO_APP_ID = "872cd9fa-d31f-45e0-9eab-6e460a02d1f1"
# tenantd's own browser portal (/portal): a first-party public client every tenant holds, signing people in with
# the authorization code flow and PKCE. Its one redirect URI is on tenantd's public URL, known only at run time
# (tokens/interactive.py adds it).
PORTAL_APP_ID = "5c0b7e2a-91d4-4f6e-b8a3-2d7f4e9c1a65"
PORTAL_NAME = "tenantd portal"
PORTAL_REDIRECT_PATH = "/portal/signed-in"
# They run on people's machines and receive the answer on a loopback port of their choosing (RFC 8252).
LOOPBACK_REPLY_URLS = ("http://localhost",)
USER_TOKEN_SCOPES = ("user_impersonation",)

# Entra's "AAD Token Exchange Endpoint": the resource a workload asks for a token to present as a federated
# credential (for example a managed identity of one tenant signing in as an application of another).
TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936"
TOKEN_EXCHANGE_NAME = "AAD Token Exchange Endpoint"
TOKEN_EXCHANGE_RESOURCE = "api://AzureADTokenExchange"


# Graph's delegated permissions (OpenID Connect's among them), with the ids they have in every tenant.
GRAPH_SCOPES: dict[str, str] = {
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
}
# Graph's delegated permissions over the directory, which only an admin consents to. A user's token with one of
# them does only what she herself may do (domain/user_permissions.py).
GRAPH_DIRECTORY_SCOPES: dict[str, str] = {
    "Application.Read.All": "c79f8feb-a9db-4090-85f9-90d820caa0eb",
    "Application.ReadWrite.All": "bdfbf15f-ee85-4955-8675-146e8e5296b5",
    "AppRoleAssignment.ReadWrite.All": "84bccea3-f856-4a8a-967b-dbe0a3d53a64",
    "AuditLog.Read.All": "e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20",
    "DelegatedPermissionGrant.ReadWrite.All": "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
    "Directory.AccessAsUser.All": "0e263e50-5827-48a4-b97c-d940288653c7",
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Directory.ReadWrite.All": "c5366453-9fb0-48a5-a156-24f0c49a4b84",
    "Domain.Read.All": "2f9ee017-59c1-4f1d-9472-bd5529a7b311",
    "Domain.ReadWrite.All": "0b5d694c-a244-4bde-86e6-eb5cd07730fe",
    "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "Group.ReadWrite.All": "4e46008b-f24c-477d-8fff-7bb4ec7aafe0",
    "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
    "GroupMember.ReadWrite.All": "f81125ac-d3b7-4573-a3b2-7099cc39df9e",
    "Policy.Read.All": "572fea84-0151-49b2-9301-11cb16974376",
    "Policy.ReadWrite.Authorization": "edd3c878-b384-41fd-95ad-e7407dd775be",
    "RoleManagement.Read.All": "48fec646-b2ba-4019-8681-8eb31435aded",
    "RoleManagement.Read.Directory": "741c54c3-0c1e-44a1-818b-3f97ab4e8c83",
    "RoleManagement.ReadWrite.Directory": "d01b97e9-cbc0-49fe-810a-750afd5527a3",
    "User.Read.All": "a154be20-db9c-4678-8ab7-66f6cc099a59",
    "User.ReadWrite.All": "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4",
}
# OpenID Connect's scopes: they ask for an ID token, a refresh token and claims about the user, not for access
# to a resource.
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
# What any client may ask of Graph for a user who signs in: sign-in and the user's own profile, the permission
# Entra writes into every new app registration and that users consent to for themselves.
GRAPH_DEFAULT_SCOPES = ("User.Read",)

ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
KEY_VAULT_APP_ID = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1"
# The delegated permissions Microsoft's public clients (Azure CLI, Azure PowerShell, Visual Studio) hold in every
# tenant without anyone consenting: Graph's (its directory permissions among them, as the Azure CLI holds them
# in Entra: what a signed-in user's token lets it do is what she may do) and the Azure resources'
# ``user_impersonation``.
FIRST_PARTY_SCOPES: dict[str, tuple[str, ...]] = {
    GRAPH_APP_ID: (*(v for v in GRAPH_SCOPES if v not in OIDC_SCOPES), *GRAPH_DIRECTORY_SCOPES),
    ARM_APP_ID: ("user_impersonation",),
    KEY_VAULT_APP_ID: ("user_impersonation",),
    STORAGE_APP_ID: ("user_impersonation",),
}


def _roles(table: dict[str, str], describe: str) -> tuple[AppRole, ...]:
    return tuple(
        AppRole(id=role_id, value=value, display_name=value, description=f"{describe}: {value}",
                allowed_member_types=("Application",))
        for value, role_id in table.items()
    )


GRAPH_APP_ROLES = _roles(GRAPH_ROLES, "Microsoft Graph application permission")
GRAPH_PERMISSION_SCOPES = tuple(
    PermissionScope(id=scope_id, value=value, type=kind, admin_consent_display_name=value,
                    admin_consent_description=f"Microsoft Graph delegated permission: {value}",
                    user_consent_display_name=value, user_consent_description=f"Microsoft Graph: {value}")
    for table, kind in ((GRAPH_SCOPES, "User"), (GRAPH_DIRECTORY_SCOPES, "Admin"))
    for value, scope_id in table.items()
)
AAD_GRAPH_APP_ROLES = _roles(AAD_GRAPH_ROLES, "Azure AD Graph application permission")
TENANTD_APP_ROLES = _roles(TENANTD_ROLES, "tenantd administration")


@dataclass(frozen=True)
class BuiltinResource:
    """A first-party service principal: no application object in the tenant, fixed appId and roles."""

    app_id: str
    name: str
    identifier_uris: tuple[str, ...]
    roles: tuple[AppRole, ...] = ()
    owner: str | None = MICROSOFT_TENANT_ID
    reply_urls: tuple[str, ...] = ()
    scopes: tuple[PermissionScope, ...] = ()
    public_client: bool = False   # signs people in without a credential of its own


BUILTINS: tuple[BuiltinResource, ...] = (
    BuiltinResource(GRAPH_APP_ID, "Microsoft Graph", GRAPH_IDENTIFIER_URIS, GRAPH_APP_ROLES,
                    scopes=GRAPH_PERMISSION_SCOPES),
    BuiltinResource(AAD_GRAPH_APP_ID, AAD_GRAPH_NAME, AAD_GRAPH_IDENTIFIER_URIS, AAD_GRAPH_APP_ROLES),
    BuiltinResource(TENANTD_APP_ID, "tenantd", (TENANTD_RESOURCE,), TENANTD_APP_ROLES, owner=None),
    BuiltinResource(TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_NAME, (TOKEN_EXCHANGE_RESOURCE,)),
    # Well-known Azure resources, so tokens for them can be had (their own role checks are theirs).
    BuiltinResource(ARM_APP_ID, "Windows Azure Service Management API",
                    ("https://management.azure.com/", "https://management.azure.com",
                     "https://management.core.windows.net/")),
    BuiltinResource(KEY_VAULT_APP_ID, "Azure Key Vault",
                    ("https://vault.azure.net", "https://vault.azure.net/")),
    BuiltinResource(STORAGE_APP_ID, "Azure Storage",
                    ("https://storage.azure.com/", "https://storage.azure.com")),
    BuiltinResource(AZURE_CLI_APP_ID, "Microsoft Azure CLI", (), reply_urls=LOOPBACK_REPLY_URLS, public_client=True),
    BuiltinResource(AZURE_POWERSHELL_APP_ID, "Microsoft Azure PowerShell", (), reply_urls=LOOPBACK_REPLY_URLS,
                    public_client=True),
    BuiltinResource(VISUAL_STUDIO_APP_ID, "Visual Studio", (), reply_urls=LOOPBACK_REPLY_URLS, public_client=True),
    BuiltinResource(PORTAL_APP_ID, PORTAL_NAME, (), owner=None, public_client=True),
)
BUILTIN_APP_IDS = frozenset(b.app_id for b in BUILTINS)
BUILTIN_BY_APP_ID = {b.app_id: b for b in BUILTINS}
PUBLIC_CLIENT_APP_IDS = frozenset(b.app_id for b in BUILTINS if b.public_client)

# The APIs that manage the directory: a role on one of them is power over the whole tenant, so acting as a
# principal that holds one (impersonation) needs tenantd's admin role.
DIRECTORY_API_APP_IDS = (GRAPH_APP_ID, AAD_GRAPH_APP_ID, TENANTD_APP_ID)
