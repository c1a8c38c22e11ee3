"""The portal's sections, in the order the navigation lists them. A page family adds its entry here: the
navigation shows a section to a person who may read what it lists (the page itself checks again)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...domain import user_permissions as can
from .tenant_roles import ADMINS, READERS

if TYPE_CHECKING:
    from .guard import Visitor


@dataclass(frozen=True)
class Section:
    key: str        # what a page passes as ``section`` to mark its entry current
    title: str
    path: str       # below the tenant's portal address
    action: str | None = None   # the read it needs (None: everyone signed in)
    roles: frozenset[str] = frozenset()   # or: one of these directory roles (tools no Graph call decides)


SECTIONS = (
    Section("overview", "Overview", ""),
    Section("users", "Users", "/users", can.USERS_READ),
    Section("groups", "Groups", "/groups", can.GROUPS_READ),
    Section("apps", "App registrations", "/apps", can.APPS_READ),
    Section("enterprise", "Enterprise applications", "/enterprise-apps", can.SPS_READ),
    Section("identities", "Managed identities", "/identities", can.SPS_READ),
    Section("sign-ins", "Sign-in logs", "/sign-ins", can.SIGN_INS_READ),
    Section("audit-logs", "Audit logs", "/audit-logs", can.AUDIT_READ),
    Section("keys", "Signing keys", "/keys", roles=READERS),
    Section("token-preview", "Token preview", "/token-preview", roles=READERS),
    Section("token-decoder", "Token decoder", "/token-decoder", roles=READERS),
    Section("tenant-file", "Tenant file", "/tenant-file", roles=ADMINS),
)


def visible(visitor: Visitor) -> list[Section]:
    return [s for s in SECTIONS if _opens(s, visitor)]


def _opens(section: Section, visitor: Visitor) -> bool:
    if section.roles:
        return bool(visitor.subject.roles & section.roles)
    return section.action is None or visitor.may(section.action)
