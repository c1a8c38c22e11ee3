"""The tables of verified domains and of what people's sign-ins leave between requests
(domain/sign_in_state.py), on the one schema's metadata. Secrets are stored as SHA-256 hex; times are epoch
seconds. None of the sign-in rows is part of the directory (its version ignores them, store/sql.py)."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import GUID, TIME, metadata

# Domains a tenant has verified: a user principal name's domain finds its tenant (one tenant per domain).
tenant_domains = sa.Table(
    "tenant_domains", metadata,
    sa.Column("name", sa.String(256), primary_key=True),            # lower case
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("is_initial", sa.Boolean, nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("created", TIME, nullable=False),
)

EPOCH = sa.BigInteger
SECRET_HASH = sa.String(64)

browser_sessions = sa.Table(
    "browser_sessions", metadata,
    sa.Column("id_hash", SECRET_HASH, primary_key=True),
    sa.Column("created", EPOCH, nullable=False),
    sa.Column("expires", EPOCH, nullable=False, index=True),
    sa.Column("persistent", sa.Boolean, nullable=False),
)

session_accounts = sa.Table(
    "session_accounts", metadata,
    sa.Column("session_hash", SECRET_HASH, sa.ForeignKey("browser_sessions.id_hash", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("tenant_id", GUID, nullable=False),
    sa.Column("auth_time", EPOCH, nullable=False),
)

authorization_codes = sa.Table(
    "authorization_codes", metadata,
    sa.Column("code_hash", SECRET_HASH, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("client_app_id", GUID, nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("redirect_uri", sa.String(512), nullable=False),
    sa.Column("scope", sa.String(2048), nullable=False),
    sa.Column("resource", sa.String(600), nullable=True),
    sa.Column("endpoint_version", sa.Integer, nullable=False),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("code_challenge_method", sa.String(16), nullable=True),
    sa.Column("nonce", sa.String(512), nullable=True),
    sa.Column("auth_time", EPOCH, nullable=False),
    sa.Column("session_hash", SECRET_HASH, nullable=True),
    sa.Column("created", EPOCH, nullable=False),
    sa.Column("expires", EPOCH, nullable=False, index=True),
    sa.Column("redeemed", EPOCH, nullable=True),
    sa.Column("grant_id", sa.String(64), nullable=True),
)

refresh_tokens = sa.Table(
    "refresh_tokens", metadata,
    sa.Column("token_hash", SECRET_HASH, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("client_app_id", GUID, nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("scope", sa.String(2048), nullable=False),
    sa.Column("resource", sa.String(600), nullable=True),
    sa.Column("client_kind", sa.String(16), nullable=False),
    sa.Column("grant_id", sa.String(64), nullable=False, index=True),
    sa.Column("first_sign_in", EPOCH, nullable=False),
    sa.Column("auth_time", EPOCH, nullable=False),
    sa.Column("created", EPOCH, nullable=False),
    sa.Column("expires", EPOCH, nullable=False, index=True),
    sa.Column("hard_expiry", EPOCH, nullable=True),
    sa.Column("used", EPOCH, nullable=True),
)

device_codes = sa.Table(
    "device_codes", metadata,
    sa.Column("device_code_hash", SECRET_HASH, primary_key=True),
    sa.Column("user_code", sa.String(16), nullable=False, unique=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True),
    sa.Column("client_app_id", GUID, nullable=False),
    sa.Column("scope", sa.String(2048), nullable=False),
    sa.Column("resource", sa.String(600), nullable=True),
    sa.Column("endpoint_version", sa.Integer, nullable=False),
    sa.Column("created", EPOCH, nullable=False),
    sa.Column("expires", EPOCH, nullable=False, index=True),
    sa.Column("interval", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("last_poll", EPOCH, nullable=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("auth_time", EPOCH, nullable=True),
)

# The sign-in tables, by name: rows that come and go with sign-ins, not directory changes.
SIGN_IN_STATE = frozenset(table.name for table in (browser_sessions, session_accounts, authorization_codes,
                                                   refresh_tokens, device_codes))
