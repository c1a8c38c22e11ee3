"""Verified domains, and what people's sign-ins leave between requests: browser sessions and their accounts,
authorization codes, refresh tokens, device codes. Single-use steps are conditional updates, so two replicas
racing for one code see one winner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from ..domain.sign_in_state import (
    AuthorizationCode,
    BrowserSession,
    DeviceCode,
    Domain,
    RefreshToken,
    SessionAccount,
)
from . import schema
from . import sign_in_tables as t
from . import statements as q
from .transaction import BaseTx


def _values(record: Any) -> dict[str, Any]:
    return asdict(record)


class SignInStateRows(BaseTx):
    """Domains, sessions, codes and refresh tokens."""

    # -- domains ------------------------------------------------------------------------------------------
    def domains(self, tenant_id: str) -> list[Domain]:
        d = t.tenant_domains
        rows = self.conn.execute(sa.select(d).where(d.c.tenant_id == tenant_id).order_by(d.c.created, d.c.name))
        return [Domain(r.tenant_id, r.name, r.is_initial, r.is_default, r.created) for r in rows]

    def domain(self, name: str) -> Domain | None:
        """The verified domain ``name`` (any case), whichever tenant holds it."""
        d = t.tenant_domains
        r = self.conn.execute(sa.select(d).where(d.c.name == name.lower())).first()
        return Domain(r.tenant_id, r.name, r.is_initial, r.is_default, r.created) if r else None

    def insert_domain(self, domain: Domain) -> None:
        self._exec(t.tenant_domains.insert().values(**{**_values(domain), "name": domain.name.lower()}))

    def set_default_domain(self, tenant_id: str, name: str) -> None:
        d = t.tenant_domains
        self.conn.execute(d.update().where(d.c.tenant_id == tenant_id).values(is_default=d.c.name == name.lower()))

    def delete_domain(self, name: str) -> int:
        d = t.tenant_domains
        return int(self.conn.execute(d.delete().where(d.c.name == name.lower())).rowcount)

    def upns_in_domain(self, tenant_id: str, name: str, limit: int) -> list[str]:
        """Up to ``limit`` user principal names of the tenant in the domain ``name`` (``@name``, any case)."""
        u = schema.users
        rows = self.conn.execute(sa.select(u.c.user_principal_name)
                                 .where(u.c.tenant_id == tenant_id,
                                        u.c.upn_key.endswith("@" + name.lower(), autoescape=True))
                                 .order_by(u.c.upn_key).limit(limit))
        return [r.user_principal_name for r in rows]

    # -- browser sessions ---------------------------------------------------------------------------------
    def insert_browser_session(self, session: BrowserSession) -> None:
        self._exec(t.browser_sessions.insert().values(**_values(session)))

    def browser_session(self, id_hash: str) -> BrowserSession | None:
        s = t.browser_sessions
        r = self.conn.execute(sa.select(s).where(s.c.id_hash == id_hash)).first()
        return BrowserSession(r.id_hash, r.created, r.expires, r.persistent) if r else None

    def delete_browser_session(self, id_hash: str) -> None:
        self.conn.execute(t.session_accounts.delete().where(t.session_accounts.c.session_hash == id_hash))
        self.conn.execute(t.browser_sessions.delete().where(t.browser_sessions.c.id_hash == id_hash))

    def put_session_account(self, account: SessionAccount) -> None:
        """Add an account to a session, or renew its ``auth_time``."""
        a = t.session_accounts
        done = self.conn.execute(a.update().where(a.c.session_hash == account.session_hash,
                                                  a.c.user_id == account.user_id)
                                 .values(auth_time=account.auth_time, tenant_id=account.tenant_id)).rowcount
        if not done:
            self._exec(a.insert().values(**_values(account)))

    def session_accounts(self, session_hash: str) -> list[SessionAccount]:
        a = t.session_accounts
        rows = self.conn.execute(sa.select(a).where(a.c.session_hash == session_hash).order_by(a.c.auth_time.desc()))
        return [SessionAccount(r.session_hash, r.tenant_id, r.user_id, r.auth_time) for r in rows]

    def remove_session_account(self, session_hash: str, user_id: str) -> None:
        a = t.session_accounts
        self.conn.execute(a.delete().where(a.c.session_hash == session_hash, a.c.user_id == user_id))

    # -- authorization codes ------------------------------------------------------------------------------
    def insert_authorization_code(self, code: AuthorizationCode) -> None:
        self._exec(t.authorization_codes.insert().values(**_values(code)))

    def authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        r = self.conn.execute(q.AUTHORIZATION_CODE, {"code_hash": code_hash}).first()
        return AuthorizationCode(**r._asdict()) if r else None

    # -- refresh tokens -----------------------------------------------------------------------------------
    def refresh_token(self, token_hash: str) -> RefreshToken | None:
        r = self.conn.execute(q.REFRESH_TOKEN, {"token_hash": token_hash}).first()
        return RefreshToken(**r._asdict()) if r else None

    def mark_refresh_token_used(self, token_hash: str, now: int) -> bool:
        """Record a token's first use; False when it had been used before (for opt-in reuse detection)."""
        r_ = t.refresh_tokens
        return bool(self.conn.execute(r_.update().where(r_.c.token_hash == token_hash, r_.c.used.is_(None))
                                      .values(used=now)).rowcount)

    def revoke_grant(self, grant_id: str) -> int:
        """Remove every refresh token descended from one code or device sign-in."""
        r_ = t.refresh_tokens
        return int(self.conn.execute(r_.delete().where(r_.c.grant_id == grant_id)).rowcount)

    def end_sign_ins(self, user_id: str, client_kinds: Iterable[str] | None = None) -> int:
        """End a user's sign-ins: her refresh tokens (only those of ``client_kinds`` when given) and, when
        all kinds go, her accounts in every browser session and her pending codes."""
        r_ = t.refresh_tokens
        stmt = r_.delete().where(r_.c.user_id == user_id)
        if client_kinds is not None:
            stmt = stmt.where(r_.c.client_kind.in_(list(client_kinds)))
        removed = int(self.conn.execute(stmt).rowcount)
        if client_kinds is None:
            self.conn.execute(t.session_accounts.delete().where(t.session_accounts.c.user_id == user_id))
            self.conn.execute(t.authorization_codes.delete().where(t.authorization_codes.c.user_id == user_id))
            self.conn.execute(t.device_codes.delete().where(t.device_codes.c.user_id == user_id))
        return removed

    def leave_browser_sessions(self, user_id: str) -> int:
        """Remove a user's account from every browser session (other accounts stay signed in)."""
        a = t.session_accounts
        return int(self.conn.execute(a.delete().where(a.c.user_id == user_id)).rowcount)

    # -- device codes -------------------------------------------------------------------------------------
    def insert_device_code(self, code: DeviceCode) -> None:
        self._exec(t.device_codes.insert().values(**_values(code)))

    def device_code(self, device_code_hash: str) -> DeviceCode | None:
        d = t.device_codes
        r = self.conn.execute(sa.select(d).where(d.c.device_code_hash == device_code_hash)).first()
        return DeviceCode(**r._asdict()) if r else None

    def device_code_by_user_code(self, user_code: str) -> DeviceCode | None:
        d = t.device_codes
        r = self.conn.execute(sa.select(d).where(d.c.user_code == user_code)).first()
        return DeviceCode(**r._asdict()) if r else None

    def decide_device_code(self, user_code: str, status: str, tenant_id: str, user_id: str | None,
                           auth_time: int | None) -> bool:
        """Approve or decline a pending device code, in the tenant of the person who answered it (a code
        asked through ``common`` or ``organizations`` has none before); False when it is no longer pending."""
        d = t.device_codes
        return bool(self.conn.execute(d.update().where(d.c.user_code == user_code, d.c.status == "pending")
                                      .values(status=status, tenant_id=tenant_id, user_id=user_id,
                                              auth_time=auth_time)).rowcount)

    def poll_device_code(self, device_code_hash: str, now: int) -> None:
        d = t.device_codes
        self.conn.execute(d.update().where(d.c.device_code_hash == device_code_hash).values(last_poll=now))

    def redeem_device_code(self, device_code_hash: str) -> bool:
        """Mark an approved device code redeemed; False when it was not approved or already redeemed."""
        d = t.device_codes
        return bool(self.conn.execute(d.update().where(d.c.device_code_hash == device_code_hash,
                                                       d.c.status == "approved")
                                      .values(status="redeemed")).rowcount)

    # -- housekeeping -------------------------------------------------------------------------------------
    def delete_expired_sign_in_state(self, now: int) -> int:
        """Remove sessions, codes and refresh tokens past their end; how many rows went."""
        removed = 0
        for table in (t.authorization_codes, t.device_codes, t.refresh_tokens):
            removed += int(self.conn.execute(table.delete().where(table.c.expires < now)).rowcount)
        s = t.browser_sessions
        expired = sa.select(s.c.id_hash).where(s.c.expires < now)
        self.conn.execute(t.session_accounts.delete().where(t.session_accounts.c.session_hash.in_(expired)))
        removed += int(self.conn.execute(s.delete().where(s.c.expires < now)).rowcount)
        return removed
