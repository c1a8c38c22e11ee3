"""Who may be acted as: a principal that holds a directory role, or a role on an API that manages the
directory, is reached only by a caller that may administer the tenant."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain import builtins
from ..domain.errors import Forbidden
from ..store import Tx


def holds_directory_roles(tx: Tx, tenant_id: str, holder_ids: Sequence[str]) -> bool:
    """Whether ``holder_ids`` (a principal and, for a user, its groups) hold a directory role (Global
    Administrator ...) or an enabled role on an API that manages the directory: what acting as them would
    hand over."""
    if tx.role_template_ids(holder_ids):
        return True
    for app_id in builtins.DIRECTORY_API_APP_IDS:
        api = tx.service_principal_by_app_id(tenant_id, app_id)
        assigned = set(tx.assigned_role_ids(list(holder_ids), api.id)) if api else set()
        if api and any(r.id in assigned and r.is_enabled for r in api.app_roles):
            return True
    return False


def privileged_principal(names: Sequence[str]) -> Forbidden:
    """The refusal to act as principals holding directory roles, for a caller that may not administer them."""
    listed = ", ".join(f"'{name}'" for name in names)
    return Forbidden(f"Insufficient privileges to complete the operation: {listed} holds a directory role or "
                     "roles on an API that manages the directory (Microsoft Graph, Azure AD Graph or tenantd's admin "
                     "API); acting as it needs Tenantd.Admin.", code="Authorization_RequestDenied")
