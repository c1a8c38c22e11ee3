"""The groups a token carries (:mod:`tenantd.domain.group_claims`), read on the token path through the directory
cache: the application's ``groupMembershipClaims``, the subject's groups through nested groups (one recursive
query) and the groups assigned to the application are each read once per directory version, so after the
first token a subject in hundreds of groups costs a token no read at all; a membership changed anywhere
shows in the very next token.

Which application decides: the resource's for an access token (a user's or an application's), the client's
for an ID token, as in Entra. A first-party resource (Microsoft Graph ...) and a managed identity have no
application registration here, so they ask for no groups.
"""

from __future__ import annotations

from ..domain.group_claims import asks_for_groups, selected_groups, wanted
from ..domain.model import ServicePrincipal
from .directory_cache import DirectoryView
from .people_clients import client_of


def groups_for(view: DirectoryView, tenant_id: str, application: ServicePrincipal,
               subject_id: str) -> tuple[str, ...] | None:
    """The ids the ``groups`` claim of a token about ``subject_id`` (a user or a service principal) holds when
    ``application`` (the resource's, or for an ID token the client's, service principal) decides; None when
    its ``groupMembershipClaims`` asks for no groups."""
    setting = membership_claims(view, tenant_id, application)
    if not asks_for_groups(setting):
        return None
    assigned = assigned_groups(view, application.id) if "ApplicationGroup" in wanted(setting) else frozenset()
    return selected_groups(setting, memberships(view, subject_id), assigned)


def membership_claims(view: DirectoryView, tenant_id: str, application: ServicePrincipal) -> str | None:
    """``groupMembershipClaims`` of the application registration behind a service principal (in its home
    tenant: an application of another organization is registered there)."""
    home = application.app_owner_organization_id or tenant_id
    app, _ = client_of(view, home, application.app_id)
    return app.group_membership_claims if app is not None else None


def memberships(view: DirectoryView, subject_id: str) -> tuple[str, ...]:
    """Ids of every group ``subject_id`` is in, directly or through nested groups, in id order."""
    return view.get(("memberships", subject_id), lambda tx: (tuple(sorted(tx.transitive_group_ids(subject_id))),))[0]


def assigned_groups(view: DirectoryView, resource_id: str) -> frozenset[str]:
    """Ids of the groups holding an app role on the service principal ``resource_id``."""
    return view.get(("assigned_groups", resource_id), lambda tx: (frozenset(tx.groups_assigned_to(resource_id)),))[0]
