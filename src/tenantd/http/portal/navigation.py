"""The portal's sections, in the order the navigation lists them. A page family adds its entry here: the
navigation shows a section to a person who may read what it lists (the page itself checks again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...domain import user_permissions as can

if TYPE_CHECKING:
    from .guard import Visitor


@dataclass(frozen=True)
class Section:
    key: str        # what a page passes as ``section`` to mark its entry current
    title: str
    path: str       # below the tenant's portal address
    action: str | None = None   # the read it needs (None: everyone signed in)


SECTIONS = (
    Section("overview", "Overview", ""),
    Section("users", "Users", "/users", can.USERS_READ),
    Section("groups", "Groups", "/groups", can.GROUPS_READ),
    Section("apps", "App registrations", "/apps", can.APPS_READ),
    Section("enterprise", "Enterprise applications", "/enterprise-apps", can.SPS_READ),
    Section("identities", "Managed identities", "/identities", can.SPS_READ),
)


def visible(visitor: Visitor) -> list[Section]:
    return [s for s in SECTIONS if s.action is None or visitor.may(s.action)]
