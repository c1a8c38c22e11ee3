"""What the OpenAPI document says of signed-in users' calls: the ``/me`` paths (each ``/users/{id}`` path
again, for her only) and each operation's delegated permissions."""

from __future__ import annotations

from dataclasses import replace

from ..graph import access, me
from .operations import Operation, Paths


def me_paths(paths: Paths) -> Paths:
    """Each ``/users/{id}`` path of ``paths`` again as ``/me``: the same calls, for the signed-in user only."""
    return {alias: {method: replace(op, delegated_only=True) for method, op in methods.items()}
            for path, methods in paths.items() if (alias := me.path(path)) is not None}


def permissions(op: Operation) -> str:
    """The operation's description: who may call it."""
    text = ("Only with a signed-in user's token (an app-only token gets 400); her own profile, memberships and "
            "owned objects also take User.Read. " if op.delegated_only else
            "Application permissions (any one of): " + ", ".join(op.permissions) + ". ")
    return (text + "Delegated permissions (any one of): " + ", ".join(sorted(access.delegated(op.permissions)))
            + "; a signed-in user's call also needs what she may do in the directory (her directory roles, what "
            "she owns, the tenant's authorization policy).")
