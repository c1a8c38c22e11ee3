"""The tables. Object ids are GUID text; times are ISO-8601 UTC text (portable and sortable)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

GUID = sa.String(36)
TIME = sa.String(32)
# A display name case-folded (str.casefold), so Graph's case-insensitive eq and startswith filters run as
# index lookups and ranges; compared bytewise ("C" collation on PostgreSQL, SQLite's BINARY) so a prefix's
# range holds exactly the names that start with it.
NAME_KEY = sa.String(256).with_variant(sa.String(256, collation="C"), "postgresql")

settings = sa.Table(
    "settings", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Values encrypted with the master key: CA key, secret-hash pepper, a canary to detect a wrong key.
server_secrets = sa.Table(
    "server_secrets", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
)

tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("created", TIME, nullable=False),
)

applications = sa.Table(
    "applications", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("app_id", GUID, nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("name_key", NAME_KEY, nullable=False),
    sa.Column("app_roles", sa.JSON, nullable=False),
    sa.Column("requested_access_token_version", sa.Integer, nullable=True),
    sa.Column("created", TIME, nullable=False),
    # Sign-in and delegated-permission settings, in Graph's JSON shapes; null where nothing is set.
    sa.Column("sign_in_audience", sa.String(32), nullable=False, server_default="AzureADMyOrg"),
    sa.Column("is_fallback_public_client", sa.Boolean, nullable=True),
    sa.Column("group_membership_claims", sa.String(128), nullable=True),
    sa.Column("optional_claims", sa.JSON, nullable=True),
    sa.Column("redirect_uris", sa.JSON, nullable=True),   # {"web": [...], "spa": [...], "publicClient": [...]}
    sa.Column("oauth2_permission_scopes", sa.JSON, nullable=True),
    sa.Column("pre_authorized_applications", sa.JSON, nullable=True),
    sa.Column("required_resource_access", sa.JSON, nullable=True),
    sa.Column("implicit_grant_settings", sa.JSON, nullable=True),   # web.implicitGrantSettings; null: both off
    sa.UniqueConstraint("tenant_id", "app_id"),
    sa.Index(None, "app_id"),   # appIds are unique across tenants: the directory's check looks them up
    sa.Index(None, "tenant_id", "display_name"),
    sa.Index(None, "tenant_id", "name_key", "id"),   # Graph's name filters, in name order
    sa.Index(None, "tenant_id", "created", "id"),   # Graph's keyset paging
)

password_credentials = sa.Table(
    "password_credentials", metadata,
    sa.Column("key_id", GUID, primary_key=True),
    sa.Column("application_id", GUID, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("display_name", sa.String(256), nullable=True),
    sa.Column("hint", sa.String(8), nullable=False),
    sa.Column("secret_hash", sa.LargeBinary(64), nullable=False),
    sa.Column("start", TIME, nullable=False),
    sa.Column("end", TIME, nullable=False),
)

# App ID URIs, unique per tenant (case-insensitively): the row's key is the lower-cased URI. A URI belongs
# to an application, or to a built-in service principal that has no application in the tenant.
identifier_uris = sa.Table(
    "identifier_uris", metadata,
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("uri_key", sa.String(256), primary_key=True),
    sa.Column("uri", sa.String(256), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("application_id", GUID, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=True,
              index=True),
    sa.Column("service_principal_id", GUID, sa.ForeignKey("service_principals.id", ondelete="CASCADE"),
              nullable=True, index=True),
)

service_principals = sa.Table(
    "service_principals", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("app_id", GUID, nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("service_principal_type", sa.String(32), nullable=False),
    sa.Column("app_roles", sa.JSON, nullable=False),
    sa.Column("app_role_assignment_required", sa.Boolean, nullable=False),
    sa.Column("account_enabled", sa.Boolean, nullable=False),
    sa.Column("alternative_names", sa.JSON, nullable=False),
    sa.Column("service_principal_names", sa.JSON, nullable=False),
    sa.Column("app_owner_organization_id", GUID, nullable=True),
    sa.Column("managed_identity_kind", sa.String(16), nullable=True),
    sa.Column("managed_identity_name", sa.String(128), nullable=True),
    sa.Column("managed_identity_resource_id", sa.String(512), nullable=True),
    sa.Column("created", TIME, nullable=False),
    sa.Column("name_key", NAME_KEY, nullable=False),
    # Mirrored from the application, or a built-in's own: Graph's JSON shapes; null where nothing is set.
    sa.Column("oauth2_permission_scopes", sa.JSON, nullable=True),
    sa.Column("reply_urls", sa.JSON, nullable=True),
    sa.Column("sign_in_audience", sa.String(32), nullable=True),
    sa.UniqueConstraint("tenant_id", "app_id"),
    sa.UniqueConstraint("tenant_id", "managed_identity_resource_id"),
    # Not unique: built-in service principals have the same appId in every tenant.
    sa.Index(None, "app_id"),
    sa.Index(None, "tenant_id", "display_name"),
    sa.Index(None, "tenant_id", "name_key", "id"),   # Graph's name filters, in name order
    sa.Index(None, "tenant_id", "created", "id"),
    # One type's page in creation order (the portal's managed identities) without reading past the others.
    sa.Index(None, "tenant_id", "service_principal_type", "created", "id"),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_principal_name", sa.String(256), nullable=False),
    sa.Column("upn_key", sa.String(256), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("account_enabled", sa.Boolean, nullable=False),
    sa.Column("mail", sa.String(256), nullable=True),
    sa.Column("created", TIME, nullable=False),
    sa.Column("name_key", NAME_KEY, nullable=False),
    sa.Column("sign_in_sessions_valid_from", TIME, nullable=True),   # set by revokeSignInSessions
    sa.UniqueConstraint("tenant_id", "upn_key"),
    sa.Index(None, "tenant_id", "name_key", "id"),   # Graph's name filters, in name order
    sa.Index(None, "tenant_id", "created", "id"),
)

groups = sa.Table(
    "groups", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("description", sa.String(1024), nullable=True),
    sa.Column("mail_nickname", sa.String(64), nullable=False),
    sa.Column("security_enabled", sa.Boolean, nullable=False),
    sa.Column("created", TIME, nullable=False),
    sa.Column("name_key", NAME_KEY, nullable=False),
    sa.Index(None, "tenant_id", "display_name"),
    sa.Index(None, "tenant_id", "name_key", "id"),   # Graph's name filters, in name order
    sa.Index(None, "tenant_id", "created", "id"),
)

# A user's password: an argon2id PHC string (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``), which records
# the parameters it was made with. One row per user who has a password; it goes with the user.
user_passwords = sa.Table(
    "user_passwords", metadata,
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hash", sa.String(256), nullable=False),
    sa.Column("force_change", sa.Boolean, nullable=False),
    sa.Column("changed", TIME, nullable=False),
)

# Members are users, groups or service principals; rows go with the group (FK) or with the member
# (removed by the use case that deletes it).
group_members = sa.Table(
    "group_members", metadata,
    sa.Column("group_id", GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", GUID, primary_key=True),
    sa.Column("member_type", sa.String(32), nullable=False),
    sa.Index(None, "member_id"),
)

app_role_assignments = sa.Table(
    "app_role_assignments", metadata,
    sa.Column("id", sa.String(43), primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("app_role_id", GUID, nullable=False),
    sa.Column("principal_id", GUID, nullable=False),
    sa.Column("principal_type", sa.String(32), nullable=False),
    sa.Column("resource_id", GUID, sa.ForeignKey("service_principals.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("created", TIME, nullable=False),
    # One assignment per (principal, resource, role): concurrent duplicates lose on this constraint.
    sa.UniqueConstraint("principal_id", "resource_id", "app_role_id"),
)

# Delegated permission grants (Graph's oAuth2PermissionGrant). The id is Entra's (domain/ids.grant_id): it
# encodes client, resource and user, so the primary key holds one grant per (client, resource, user or all
# users). A grant goes with its client, its resource or its user. ``scope``: the values separated by spaces.
oauth2_permission_grants = sa.Table(
    "oauth2_permission_grants", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("client_id", GUID, sa.ForeignKey("service_principals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("consent_type", sa.String(16), nullable=False),      # AllPrincipals | Principal
    sa.Column("principal_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    sa.Column("resource_id", GUID, sa.ForeignKey("service_principals.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("scope", sa.String(4000), nullable=False),
    sa.Column("created", TIME, nullable=False),
    sa.Index(None, "client_id", "resource_id", "principal_id"),   # the token path: a client's grants on a resource
    sa.Index(None, "tenant_id", "created", "id"),   # Graph's keyset paging
)

signing_keys = sa.Table(
    "signing_keys", metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("private_key", sa.LargeBinary, nullable=False),  # PKCS#8 DER, encrypted with the master key
    sa.Column("certificate", sa.LargeBinary, nullable=False),  # self-signed X.509 DER, published as x5c
    sa.Column("status", sa.String(16), nullable=False),        # next | active | retired | revoked
    sa.Column("created", TIME, nullable=False),
    sa.Column("activates", TIME, nullable=True),               # when a published next key starts signing
    sa.Column("retires", TIME, nullable=True),                 # when a retired key leaves the JWKS
    # At most one active key per tenant, whatever replicas race to create one.
    sa.Index("ix_signing_keys_one_active", "tenant_id", unique=True,
             sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
)

# A host is a resource id (an App Service site, a VM ...). Its system-assigned identity is the managed
# identity whose resource id is the host's; user-assigned identities are attached to hosts here.
host_attachments = sa.Table(
    "host_attachments", metadata,
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("host_resource_id", sa.String(512), primary_key=True),
    sa.Column("service_principal_id", GUID, sa.ForeignKey("service_principals.id", ondelete="CASCADE"),
              primary_key=True),
)

# Credentials of a running host (a process started by `tenantd run`): one secret serves as its identity
# header, its MSI secret and its IMDS path prefix. Only a keyed hash is stored, so lookups stay exact.
host_credentials = sa.Table(
    "host_credentials", metadata,
    sa.Column("secret_hash", sa.LargeBinary(32), primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("host_resource_id", sa.String(512), nullable=False),
    sa.Column("created", TIME, nullable=False),
    sa.Column("expires", TIME, nullable=False),
)

# Certificates an application authenticates with (client assertions); only the public certificate.
key_credentials = sa.Table(
    "key_credentials", metadata,
    sa.Column("key_id", GUID, primary_key=True),
    sa.Column("application_id", GUID, sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("display_name", sa.String(256), nullable=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("usage", sa.String(16), nullable=False),
    sa.Column("thumbprint_sha1", sa.String(64), nullable=False),    # base64url, as x5t names it
    sa.Column("thumbprint_sha256", sa.String(64), nullable=False),  # base64url, as x5t#S256 names it
    sa.Column("certificate", sa.LargeBinary, nullable=False),      # X.509 DER
    sa.Column("start", TIME, nullable=False),
    sa.Column("end", TIME, nullable=False),
)

# Federated identity credentials of an application or a user-assigned managed identity.
federated_credentials = sa.Table(
    "federated_credentials", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("owner_id", GUID, nullable=False),           # application object id or identity's SP id
    sa.Column("owner_type", sa.String(32), nullable=False),  # application | managedIdentity
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("issuer", sa.String(600), nullable=False),
    sa.Column("subject", sa.String(600), nullable=False),
    sa.Column("audiences", sa.JSON, nullable=False),
    sa.Column("description", sa.String(600), nullable=True),
    sa.Column("created", TIME, nullable=False),
    sa.UniqueConstraint("owner_id", "name"),
    # Entra refuses a second credential with the same issuer and subject on one owner.
    sa.UniqueConstraint("owner_id", "issuer", "subject"),
)

# Sign-ins: every token issued or refused (cache hits are not sign-ins), written in batches. Identical
# sign-ins within a minute are one row: ``count`` of them, the first at ``created``, the last at ``last_created``.
sign_ins = sa.Table(
    "sign_ins", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created", TIME, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),          # client_credentials | managed_identity | ...
    sa.Column("app_id", sa.String(64), nullable=True),
    sa.Column("principal_id", GUID, nullable=True),
    sa.Column("principal_name", sa.String(256), nullable=True),
    sa.Column("resource", sa.String(600), nullable=True),
    sa.Column("resource_id", GUID, nullable=True),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("error_code", sa.Integer, nullable=False),       # 0 on success, else the AADSTS code
    sa.Column("error", sa.String(512), nullable=True),
    sa.Column("client_ip", sa.String(64), nullable=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("last_created", TIME, nullable=True),
    sa.Index(None, "tenant_id", "created"),
    # The log filtered by app or principal (the portal's and Graph's filters), newest first without a scan.
    sa.Index(None, "tenant_id", "app_id", "created"),
    sa.Index(None, "tenant_id", "principal_id", "created"),
    sa.Index(None, "tenant_id", "principal_name", "created"),
)

# The directory audit log: one row per change, written in the change's own transaction. ``targets`` holds
# Graph's targetResources (ids, names, changed properties' old and new values; never a secret or a hash).
directory_audits = sa.Table(
    "directory_audits", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created", TIME, nullable=False),                  # microseconds, fixed width: text order is time
    sa.Column("correlation_id", GUID, nullable=False),           # shared by the rows of one transaction
    sa.Column("activity", sa.String(128), nullable=False),       # Graph's activityDisplayName
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("operation_type", sa.String(32), nullable=False),
    sa.Column("result", sa.String(16), nullable=False),          # success | failure
    sa.Column("result_reason", sa.String(512), nullable=True),
    sa.Column("initiator_app_id", sa.String(64), nullable=True),
    sa.Column("initiator_id", GUID, nullable=True),              # the caller's service principal object id
    sa.Column("initiator_name", sa.String(256), nullable=False),
    sa.Column("targets", sa.JSON, nullable=False),
    sa.Index(None, "tenant_id", "created"),
    sa.Index(None, "tenant_id", "initiator_id", "created"),   # filtered by who made the change
    sa.Index(None, "tenant_id", "initiator_name", "created"),
    sa.Index(None, "tenant_id", "initiator_app_id", "created"),   # what one application changed, newest first
)

# Failed client authentications per fixed window, shared by every worker and replica: one row per (client,
# source) and one per client from all sources (source ''). Only failures write here; rows of past windows
# are deleted as new failures come in.
auth_failures = sa.Table(
    "auth_failures", metadata,
    sa.Column("tenant_id", GUID, primary_key=True),
    sa.Column("client_id", GUID, primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("slot", sa.BigInteger, primary_key=True),          # the window: epoch seconds // its length
    sa.Column("failures", sa.Integer, nullable=False),
)

# How many write transactions have changed the directory: every one that inserts, updates or deletes rows of
# any table but the logs, the failure counters and the signing keys adds one (store/sql.py). Caches of
# directory reads compare it to the number they were read under. One row, made by the first change.
directory_version = sa.Table(
    "directory_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)
