"""A user's directory roles on the token path: the ``wids`` of her access tokens (and of the ID tokens of a
client that asks for them), read through the directory cache, so a token costs no read for them while the
directory stays as it was, and a role given or taken shows in the very next token."""

from __future__ import annotations

from ..domain import directory_roles
from .directory_cache import DirectoryView
from .people_clients import client_of


def wids(view: DirectoryView, user_id: str) -> tuple[str, ...]:
    """The template ids of the user's roles, then the member role every user holds."""
    held = view.get(("directory_roles", user_id),
                    lambda tx: tuple(tx.role_template_ids([user_id]).get(user_id, ())))
    return directory_roles.wids(held)


def in_id_tokens(view: DirectoryView, tenant_id: str, client_app_id: str) -> bool:
    """Whether the client's ID tokens carry ``wids``: its application's ``groupMembershipClaims`` asks for
    directory roles (a built-in client, which has no application here, does not)."""
    app, _ = client_of(view, tenant_id, client_app_id)
    return app is not None and directory_roles.in_id_token(app.group_membership_claims)
