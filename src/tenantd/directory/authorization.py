"""What a signed-in user may do, read from the directory: the tenant's authorization policy (read and changed,
audited) and the facts domain/user_permissions.py decides on (her directory roles, another user's roles)."""

from __future__ import annotations

from ..domain import authorization_policy
from ..domain.authorization_policy import AuthorizationPolicy
from ..domain.user_permissions import Subject
from .unit import UnitOfWork


class Authorization(UnitOfWork):
    """The use cases of the authorization policy, and the subject of a delegated call."""

    def authorization_policy(self, tenant_id: str) -> AuthorizationPolicy:
        with self.store.read() as tx:
            return tx.authorization_policy(tenant_id)

    def update_authorization_policy(self, tenant_id: str, changes: dict[str, object]) -> AuthorizationPolicy:
        """Apply a PATCH of the policy (see :func:`authorization_policy.changed`)."""
        with self.store.write() as tx:
            before = tx.authorization_policy(tenant_id)
            after = authorization_policy.changed(before, dict(changes))
            if after != before:
                tx.put_authorization_policy(tenant_id, after)
                self._record(tx, tenant_id, authorization_policy.entry(before, after))
        return after

    def signed_in_subject(self, tenant_id: str, user_id: str) -> Subject | None:
        """The signed-in user's directory roles and her tenant's policy, read together; None when she is no
        longer an enabled user of the tenant (her token may outlive her account)."""
        with self.store.read() as tx:
            user = tx.user(tenant_id, user_id)
            if user is None or user.id != user_id.lower() or not user.account_enabled:
                return None
            roles = frozenset(tx.role_template_ids([user.id]).get(user.id, []))
            return Subject(roles, tx.authorization_policy(tenant_id))

    def directory_roles_of(self, tenant_id: str, principal_id: str) -> frozenset[str]:
        """The template ids of the directory roles a principal holds."""
        with self.store.read() as tx:
            return frozenset(tx.role_template_ids([principal_id]).get(principal_id, []))
