"""Users, groups and group memberships."""

from __future__ import annotations

import sqlalchemy as sa

from ..domain.model import Group, StoredPassword, User
from . import schema as t
from . import sign_in_tables as s
from . import statements as q
from .rows import group_row, user_row
from .transaction import BaseTx


class PeopleRows(BaseTx):
    """Users, groups and group memberships."""

    def user(self, tenant_id: str, key: str) -> User | None:
        """A user by object id or userPrincipalName."""
        row = self.conn.execute(q.USER, {"tenant_id": tenant_id, "key": key.lower()}).first()
        return user_row(row) if row else None

    def users(self, tenant_id: str) -> list[User]:
        rows = self.conn.execute(sa.select(t.users).where(t.users.c.tenant_id == tenant_id)
                                 .order_by(t.users.c.created, t.users.c.id))
        return [user_row(r) for r in rows]

    def insert_user(self, user: User) -> None:
        self._exec(t.users.insert().values(
            id=user.id, tenant_id=user.tenant_id, user_principal_name=user.user_principal_name,
            upn_key=user.user_principal_name.lower(), display_name=user.display_name,
            name_key=user.display_name.casefold(),
            account_enabled=user.account_enabled, mail=user.mail, created=user.created,
        ))

    def update_user(self, user: User) -> None:
        self._exec(t.users.update().where(t.users.c.id == user.id).values(
            user_principal_name=user.user_principal_name, upn_key=user.user_principal_name.lower(),
            display_name=user.display_name, name_key=user.display_name.casefold(),
            account_enabled=user.account_enabled, mail=user.mail,
        ))

    def revoke_user_tokens(self, object_id: str, valid_from: str) -> None:
        """Tokens issued before ``valid_from`` no longer speak for the user (Graph's
        ``signInSessionsValidFromDateTime``)."""
        self._exec(t.users.update().where(t.users.c.id == object_id).values(sign_in_sessions_valid_from=valid_from))

    def delete_user(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.user_passwords.delete().where(t.user_passwords.c.user_id == object_id))
        for table in (s.session_accounts, s.authorization_codes, s.refresh_tokens, s.device_codes):
            self.conn.execute(table.delete().where(table.c.user_id == object_id))
        self.conn.execute(t.users.delete().where(t.users.c.id == object_id))

    def password_of(self, user_id: str) -> StoredPassword | None:
        row = self.conn.execute(sa.select(t.user_passwords).where(t.user_passwords.c.user_id == user_id)).first()
        return StoredPassword(row.hash, row.force_change, row.changed) if row else None

    def put_password(self, user_id: str, password: StoredPassword) -> None:
        """Set (or replace) a user's password hash."""
        values = {"hash": password.hash, "force_change": password.force_change, "changed": password.changed}
        table = t.user_passwords
        if not self.conn.execute(table.update().where(table.c.user_id == user_id).values(**values)).rowcount:
            self._exec(table.insert().values(user_id=user_id, **values))

    def group(self, tenant_id: str, object_id: str) -> Group | None:
        row = self.conn.execute(q.GROUP, {"tenant_id": tenant_id, "id": object_id}).first()
        return group_row(row) if row else None

    def groups(self, tenant_id: str, display_name: str | None = None) -> list[Group]:
        stmt = sa.select(t.groups).where(t.groups.c.tenant_id == tenant_id)
        if display_name is not None:
            stmt = stmt.where(t.groups.c.display_name == display_name)
        return [group_row(r) for r in self.conn.execute(stmt.order_by(t.groups.c.created, t.groups.c.id))]

    def insert_group(self, group: Group) -> None:
        self._exec(t.groups.insert().values(
            id=group.id, tenant_id=group.tenant_id, display_name=group.display_name, description=group.description,
            name_key=group.display_name.casefold(),
            mail_nickname=group.mail_nickname, security_enabled=group.security_enabled, created=group.created,
        ))

    def update_group(self, group: Group) -> None:
        self.conn.execute(t.groups.update().where(t.groups.c.id == group.id).values(
            display_name=group.display_name, name_key=group.display_name.casefold(), description=group.description,
            mail_nickname=group.mail_nickname,
        ))

    def delete_group(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.groups.delete().where(t.groups.c.id == object_id))

    def group_members(self, group_id: str) -> list[tuple[str, str]]:
        """(member id, member type) pairs of one group."""
        rows = self.conn.execute(q.GROUP_MEMBERS, {"group_id": group_id})
        return [(r.member_id, r.member_type) for r in rows]

    def groups_of(self, member_id: str) -> list[str]:
        """Ids of the groups ``member_id`` belongs to directly."""
        rows = self.conn.execute(q.GROUPS_OF, {"member_id": member_id})
        return [r.group_id for r in rows]

    def add_group_member(self, group_id: str, member_id: str, member_type: str) -> None:
        self._exec(t.group_members.insert().values(group_id=group_id, member_id=member_id, member_type=member_type))

    def remove_group_member(self, group_id: str, member_id: str) -> int:
        return int(self.conn.execute(t.group_members.delete().where(
            t.group_members.c.group_id == group_id, t.group_members.c.member_id == member_id)).rowcount)
