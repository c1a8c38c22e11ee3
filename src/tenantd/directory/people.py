"""Users, groups and group memberships."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..domain import audit, ownership, passwords, rules
from ..domain.errors import BadRequest, NotFound
from ..domain.ids import new_guid
from ..domain.model import Group, Principal, ServicePrincipal, StoredPassword, User
from ..store.sql import DuplicateKey
from .passwords import hash_password
from .unit import UnitOfWork, must_exist, now_iso, principal_of, unique_ids

# The refresh tokens a password change ends, by the kind of client they were issued to (Entra's table).
PASSWORD_CHANGE_ENDS = ("public", "spa")


class People(UnitOfWork):
    """The use cases of users and groups."""

    def create_user(self, tenant_id: str, user_principal_name: str, display_name: str,
                    object_id: str | None = None, account_enabled: bool = True, mail: str | None = None,
                    password: PasswordProfile | None = None) -> User:
        """A new user; with ``password`` (checked against Entra's policy before anything is written), one who
        can sign in with it."""
        stored = _stored(password) if password is not None else None
        upn = user_principal_name
        if not isinstance(upn, str) or upn.count("@") != 1 or " " in upn or len(upn) > 256:
            raise BadRequest(f"Invalid value specified for property 'userPrincipalName': {user_principal_name!r}.")
        user = User(tenant_id=tenant_id, id=object_id or new_guid(), user_principal_name=user_principal_name,
                    display_name=rules.display_name(display_name), account_enabled=account_enabled,
                    created=now_iso(), mail=mail)
        with self.store.write() as tx:
            unique_ids(tx, object_ids=[user.id])
            if tx.user(tenant_id, user_principal_name):
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue")
            try:
                tx.insert_user(user)
            except DuplicateKey:
                raise BadRequest("Another object with the same value for property userPrincipalName already "
                                 "exists.", code="Request_MultipleObjectsWithSameKeyValue") from None
            if stored is not None:
                tx.put_password(user.id, stored)
            self._record(tx, tenant_id, audit.Entry("Add user", "UserManagement", "Add", (audit.user(user),)))
        return user

    def set_password(self, tenant_id: str, key: str, password: PasswordProfile) -> User:
        """Replace a user's password (an administrator's reset, as Graph's PATCH of ``passwordProfile``). As in
        Entra, it ends the refresh tokens of public and spa clients (which hold no secret of their own) and her
        browser sessions; confidential clients' go on (SECURITY.md items 43 and 46)."""
        stored = _stored(password)
        with self.store.write() as tx:
            user = must_exist(tx.user(tenant_id, key), key)
            tx.put_password(user.id, stored)
            tx.end_sign_ins(user.id, PASSWORD_CHANGE_ENDS)
            tx.leave_browser_sessions(user.id)
            self._record(tx, tenant_id, audit.Entry("Reset user password", "UserManagement", "Update",
                                                    (audit.user(user),)))
        return user

    def revoke_sign_in_sessions(self, tenant_id: str, key: str) -> User:
        """End everything a user's sign-ins left (Graph's ``revokeSignInSessions``): every refresh token, her
        accounts in every browser session and her pending codes. Access tokens already issued live on until
        they expire, as in Entra, but none issued before now can be exchanged on her behalf."""
        with self.store.write() as tx:
            user = must_exist(tx.user(tenant_id, key), key)
            tx.end_sign_ins(user.id)
            tx.revoke_user_tokens(user.id, now_iso())
            self._record(tx, tenant_id, audit.Entry("Invalidate all refresh tokens for user", "UserManagement",
                                                    "Update", (audit.user(user),)))
        return user

    def password_of(self, tenant_id: str, key: str) -> tuple[User, StoredPassword | None]:
        with self.store.read() as tx:
            user = must_exist(tx.user(tenant_id, key), key)
            return user, tx.password_of(user.id)

    def user(self, tenant_id: str, key: str) -> User:
        with self.store.read() as tx:
            return must_exist(tx.user(tenant_id, key), key)

    def users(self, tenant_id: str) -> list[User]:
        with self.store.read() as tx:
            return tx.users(tenant_id)

    def update_user(self, tenant_id: str, key: str, changes: dict[str, Any]) -> User:
        with self.store.write() as tx:
            user = must_exist(tx.user(tenant_id, key), key)
            updated = user
            if "displayName" in changes:
                updated = replace(updated, display_name=rules.display_name(changes["displayName"]))
            if "accountEnabled" in changes:
                if not isinstance(changes["accountEnabled"], bool):
                    raise BadRequest("Invalid value specified for property 'accountEnabled'.")
                updated = replace(updated, account_enabled=changes["accountEnabled"])
            if updated != user:
                tx.update_user(updated)
                if user.account_enabled and not updated.account_enabled:   # a disabled account's sign-ins end
                    tx.end_sign_ins(user.id)
                self._record(tx, tenant_id, audit.Entry("Update user", "UserManagement", "Update",
                                                        (audit.user(updated, user),)))
        return updated

    def delete_user(self, tenant_id: str, key: str) -> None:
        with self.store.write() as tx:
            user = must_exist(tx.user(tenant_id, key), key)
            tx.delete_user(user.id)
            self._record(tx, tenant_id, audit.Entry("Delete user", "UserManagement", "Delete",
                                                    (audit.user(user, deleted=True),)))

    def create_group(self, tenant_id: str, display_name: str, description: str | None = None,
                     mail_nickname: str | None = None, object_id: str | None = None) -> Group:
        group = Group(tenant_id=tenant_id, id=object_id or new_guid(), display_name=rules.display_name(display_name),
                      description=description, mail_nickname=mail_nickname or _nickname(display_name),
                      security_enabled=True, created=now_iso())
        with self.store.write() as tx:
            unique_ids(tx, object_ids=[group.id])
            tx.insert_group(group)
            self._record(tx, tenant_id, audit.Entry("Add group", "GroupManagement", "Add", (audit.group(group),)),
                         *self._creator_owns(tx, tenant_id, ownership.owned(group)))
        return group

    def update_group(self, tenant_id: str, updated: Group) -> Group:
        """Replace a group's display name, description and mail nickname."""
        rules.display_name(updated.display_name)
        with self.store.write() as tx:
            group = must_exist(tx.group(tenant_id, updated.id), updated.id)
            if updated != group:
                tx.update_group(updated)
                self._record(tx, tenant_id, audit.Entry("Update group", "GroupManagement", "Update",
                                                        (audit.group(updated, group),)))
        return updated

    def group(self, tenant_id: str, object_id: str) -> Group:
        with self.store.read() as tx:
            return must_exist(tx.group(tenant_id, object_id), object_id)

    def groups(self, tenant_id: str) -> list[Group]:
        with self.store.read() as tx:
            return tx.groups(tenant_id)

    def delete_group(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            group = must_exist(tx.group(tenant_id, object_id), object_id)
            tx.delete_group(object_id)
            self._record(tx, tenant_id, audit.Entry("Delete group", "GroupManagement", "Delete",
                                                    (audit.group(group, deleted=True),)))

    def add_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            group = must_exist(tx.group(tenant_id, group_id), group_id)
            member = principal_of(tx, tenant_id, member_id)
            if member is None:
                raise BadRequest(f"Resource '{member_id}' does not exist or one of its queried reference-property "
                                 "objects are not present.")
            if member.id in dict(tx.group_members(group_id)):
                raise BadRequest("One or more added object references already exist for the following modified "
                                 "properties: 'members'.")
            if member.type == "Group":
                rules.acyclic_nesting(group.id, member.id, tx.transitive_group_ids(group.id))
            tx.add_group_member(group_id, member.id, _member_type(member))
            self._record(tx, tenant_id, _membership("Add member to group", "Add", group, member))

    def remove_member(self, tenant_id: str, group_id: str, member_id: str) -> None:
        with self.store.write() as tx:
            group = must_exist(tx.group(tenant_id, group_id), group_id)
            member = principal_of(tx, tenant_id, member_id)
            if not tx.remove_group_member(group_id, member_id.lower()):
                raise NotFound(f"Resource '{member_id}' is not a member of group '{group_id}'.")
            removed = member or Principal(member_id.lower(), "ServicePrincipal", member_id.lower())
            self._record(tx, tenant_id, _membership("Remove member from group", "Delete", group, removed))

    def members(self, tenant_id: str, group_id: str) -> list[User | Group | ServicePrincipal]:
        with self.store.read() as tx:
            must_exist(tx.group(tenant_id, group_id), group_id)
            found: list[User | Group | ServicePrincipal] = []
            for member_id, member_type in tx.group_members(group_id):
                obj: User | Group | ServicePrincipal | None
                if member_type == "user":
                    obj = tx.user(tenant_id, member_id)
                elif member_type == "group":
                    obj = tx.group(tenant_id, member_id)
                else:
                    obj = tx.service_principal(tenant_id, member_id)
                if obj is not None:
                    found.append(obj)
            return found


@dataclass(frozen=True, repr=False)
class PasswordProfile:
    """A password as an administrator sets it (Graph's ``passwordProfile``); never shown."""

    password: str
    force_change: bool = False

    def __repr__(self) -> str:
        return f"PasswordProfile(force_change={self.force_change})"


def _stored(profile: PasswordProfile) -> StoredPassword:
    passwords.check_complexity(profile.password)
    return StoredPassword(hash_password(profile.password), profile.force_change, now_iso())


def _nickname(name: str) -> str:
    return "".join(c for c in name if c.isalnum())[:64] or "group"


def _member_type(principal: Principal) -> str:
    return {"User": "user", "Group": "group", "ServicePrincipal": "servicePrincipal"}[principal.type]


def _membership(activity: str, operation: str, group: Group, member: Principal) -> audit.Entry:
    values = {"Group.ObjectID": group.id, "Group.DisplayName": group.display_name}
    changes = audit.diff(values, None) if operation == "Delete" else audit.diff(None, values)
    return audit.Entry(activity, "GroupManagement", operation,
                       (audit.principal(member, changes), audit.Target(group.id, group.display_name, "Group")))
