"""The statements that every token and every directory change runs, built once.

SQLAlchemy memoizes a statement's cache key on the statement object, so running one of these with new
parameter values skips building the statement and keying it: on the token path that was as much work as
the query itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from . import schema as t
from . import sign_in_tables as s

_a, _sp, _u, _g, _m = t.applications, t.service_principals, t.users, t.groups, t.group_members
_uris, _pw, _kc, _ara = t.identifier_uris, t.password_credentials, t.key_credentials, t.app_role_assignments
_h, _hc = t.host_attachments, t.host_credentials
_ids: sa.BindParameter[str] = sa.bindparam("ids", expanding=True)

TENANT = sa.select(t.tenants).where(sa.or_(t.tenants.c.id == sa.bindparam("id"),
                                           t.tenants.c.name == sa.bindparam("name")))
APPLICATION = sa.select(_a).where(_a.c.tenant_id == sa.bindparam("tenant_id"), _a.c.id == sa.bindparam("id"))
APPLICATION_BY_APP_ID = sa.select(_a).where(_a.c.tenant_id == sa.bindparam("tenant_id"),
                                            _a.c.app_id == sa.bindparam("app_id"))
APP_VERSION = sa.select(_a.c.app_id, _a.c.requested_access_token_version).where(
    _a.c.tenant_id == sa.bindparam("tenant_id"), _a.c.id == sa.bindparam("id"))
APP_VERSION_BY_APP_ID = sa.select(_a.c.app_id, _a.c.requested_access_token_version).where(
    _a.c.tenant_id == sa.bindparam("tenant_id"), _a.c.app_id == sa.bindparam("app_id"))
URIS_OF = (sa.select(_uris.c.application_id, _uris.c.uri).where(_uris.c.application_id.in_(_ids))
           .order_by(_uris.c.position))
PASSWORDS_OF = sa.select(_pw).where(_pw.c.application_id.in_(_ids)).order_by(_pw.c.start, _pw.c.key_id)
KEYS_OF = sa.select(_kc).where(_kc.c.application_id.in_(_ids)).order_by(_kc.c.start, _kc.c.key_id)
URI_OWNER = sa.select(_uris.c.application_id, _uris.c.service_principal_id).where(
    _uris.c.tenant_id == sa.bindparam("tenant_id"), _uris.c.uri_key == sa.bindparam("uri_key"))
SERVICE_PRINCIPAL = sa.select(_sp).where(_sp.c.tenant_id == sa.bindparam("tenant_id"), _sp.c.id == sa.bindparam("id"))
SERVICE_PRINCIPAL_BY_APP_ID = sa.select(_sp).where(_sp.c.tenant_id == sa.bindparam("tenant_id"),
                                                   _sp.c.app_id == sa.bindparam("app_id"))
USER = sa.select(_u).where(_u.c.tenant_id == sa.bindparam("tenant_id"),
                           sa.or_(_u.c.id == sa.bindparam("key"), _u.c.upn_key == sa.bindparam("key")))
GROUP = sa.select(_g).where(_g.c.tenant_id == sa.bindparam("tenant_id"), _g.c.id == sa.bindparam("id"))
GROUP_MEMBERS = (sa.select(_m.c.member_id, _m.c.member_type).where(_m.c.group_id == sa.bindparam("group_id"))
                 .order_by(_m.c.member_id))
GROUPS_OF = sa.select(_m.c.group_id).where(_m.c.member_id == sa.bindparam("member_id"))
ASSIGNED_ROLE_IDS = sa.select(_ara.c.app_role_id).where(_ara.c.principal_id.in_(_ids),
                                                        _ara.c.resource_id == sa.bindparam("resource_id"))
HOST_CREDENTIAL = sa.select(_hc).where(_hc.c.secret_hash == sa.bindparam("secret_hash"))
SYSTEM_IDENTITY = sa.select(_sp).where(_sp.c.tenant_id == sa.bindparam("tenant_id"),
                                       _sp.c.managed_identity_resource_id == sa.bindparam("resource_id"))
ATTACHED_IDENTITIES = (sa.select(_sp).join(_h, _h.c.service_principal_id == _sp.c.id)
                       .where(_h.c.tenant_id == sa.bindparam("tenant_id"),
                              _h.c.host_resource_id == sa.bindparam("resource_id"))
                       .order_by(_sp.c.created, _sp.c.id))
# PostgreSQL: what a write transaction runs first, so that writers go one at a time (across replicas too) and
# fail, rather than hang, past 30 seconds (as SQLite's busy timeout).
_PG_WRITERS = 0x7E4A47E   # any constant other than the migrations' lock (store/migrate.py)
PG_WRITERS_LOCK = ("SET LOCAL lock_timeout = '30s'", f"SELECT pg_advisory_xact_lock({_PG_WRITERS})")
DIRECTORY_VERSION = sa.select(t.directory_version.c.version).where(t.directory_version.c.id == 1)
DIRECTORY_VERSION_SQLITE = str(DIRECTORY_VERSION.compile(dialect=sqlite.dialect(),
                                                         compile_kwargs={"literal_binds": True}))

# People's grants (``store/grant_state.py``): a code or refresh token by its hash; a code's redemption, one
# winner however many race; a new refresh token, and one inserted only while the token it continues exists (a
# revocation that comes first wins).
_ac, _rt = s.authorization_codes, s.refresh_tokens
AUTHORIZATION_CODE = sa.select(_ac).where(_ac.c.code_hash == sa.bindparam("code_hash"))
REDEEM_AUTHORIZATION_CODE = (_ac.update().where(_ac.c.code_hash == sa.bindparam("hash"), _ac.c.redeemed.is_(None))
                             .values(redeemed=sa.bindparam("now"), grant_id=sa.bindparam("grant")))
REFRESH_TOKEN = sa.select(_rt).where(_rt.c.token_hash == sa.bindparam("token_hash"))
INSERT_REFRESH_TOKEN = _rt.insert()
_NEW_RT = [c for c in _rt.c if c.name != "used"]
CONTINUE_REFRESH_TOKEN = _rt.insert().from_select(_NEW_RT, sa.select(
    *(sa.bindparam(c.name, type_=c.type) for c in _NEW_RT)).where(
    sa.exists().where(_rt.c.token_hash == sa.bindparam("follows"))))
