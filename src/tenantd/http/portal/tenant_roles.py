"""Who may use the portal's tenant-wide tools (signing keys, token preview and decoder, the tenant file), which no
Graph call decides: reading them takes a role that reads the whole directory (Global Reader, Global
Administrator), changing them (a rotation, an apply, a minted token) the Global Administrator role, as holding any
of them is holding the tenant. Decided on the server for every request from her roles as the guard read them now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...directory import Directory
from ...domain.directory_roles import find

# The module, not its names: navigation (which guard imports) reads READERS before guard is complete.
from . import guard

if TYPE_CHECKING:
    from .guard import Visitor

GLOBAL_ADMIN = find("Global Administrator")
GLOBAL_READER = find("Global Reader")
assert GLOBAL_ADMIN is not None and GLOBAL_READER is not None
READERS = frozenset({GLOBAL_ADMIN.template_id, GLOBAL_READER.template_id})
ADMINS = frozenset({GLOBAL_ADMIN.template_id})


def may_read(visitor: Visitor) -> bool:
    return bool(visitor.subject.roles & READERS)


def may_change(visitor: Visitor) -> bool:
    return bool(visitor.subject.roles & ADMINS)


def require_reader(visitor: Visitor) -> None:
    if not may_read(visitor):
        raise guard.Refused(403, "Not allowed", "Only a Global Reader or a Global Administrator may open this page.")


def require_admin(visitor: Visitor) -> Directory:
    """The directory acting for her (every change audited with her as actor), once she is a Global
    Administrator; else Refused 403."""
    if not may_change(visitor):
        raise guard.Refused(403, "Not allowed", "Only a Global Administrator may do this.")
    directory: Directory = visitor.request.app.state.runtime.directory
    return directory.as_actor(visitor.caller.actor)
