"""Who may use the portal's tenant-wide tools (tool_roles.py), decided on the server for every request from her
directory roles as the guard read them for this request."""

from __future__ import annotations

from ...directory import Directory
from .guard import Refused, Visitor
from .tool_roles import ADMINS, READERS


def may_read(visitor: Visitor) -> bool:
    return bool(visitor.subject.roles & READERS)


def may_change(visitor: Visitor) -> bool:
    return bool(visitor.subject.roles & ADMINS)


def require_reader(visitor: Visitor) -> None:
    if not may_read(visitor):
        raise Refused(403, "Not allowed", "Only a Global Reader or a Global Administrator may open this page.")


def require_admin(visitor: Visitor) -> Directory:
    """The directory acting for her (every change audited with her as actor), once she is a Global
    Administrator; else Refused 403."""
    if not may_change(visitor):
        raise Refused(403, "Not allowed", "Only a Global Administrator may do this.")
    directory: Directory = visitor.request.app.state.runtime.directory
    return directory.as_actor(visitor.caller.actor)
