"""Picking the principal, resource and client of a token preview by name: what a person typed becomes one object
(an id or appId as is; a name that one user or service principal starts with, or is exactly), or the few
candidates to choose from when it names several."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from ...directory import Directory
from ...domain.ids import is_guid
from ...domain.model import User
from .listing import name_prefix

CANDIDATES = 8


@dataclass(frozen=True)
class Pick:
    """What one field names: ``key`` (an object id, appId, user principal name or URI) once it names one object,
    else ``candidates`` to choose from (none: nothing matched)."""

    typed: str
    key: str | None = None
    label: str = ""
    candidates: list[tuple[str, str]] = field(default_factory=list)   # (key, what the person reads)

    @property
    def empty(self) -> bool:
        return not self.typed


def _label(obj: Any) -> str:
    if isinstance(obj, User):
        return f"{obj.display_name} ({obj.user_principal_name}, user)"
    kind = "managed identity" if obj.service_principal_type == "ManagedIdentity" else "app"
    return f"{obj.display_name} ({kind}, appId {obj.app_id})"


def _key(obj: Any) -> str:
    return str(obj.id) if isinstance(obj, User) else str(obj.app_id)


async def pick(directory: Directory, tenant_id: str, typed: str, *, users: bool) -> Pick:
    """The object ``typed`` names among service principals (and users, when ``users``)."""
    if not typed:
        return Pick(typed)
    if is_guid(typed) or "://" in typed or typed.startswith("api:") or (users and "@" in typed):
        return Pick(typed, typed, typed)
    conditions = name_prefix(typed)
    found: list[Any] = []
    for kind in (("users", "service_principals") if users else ("service_principals",)):
        found += await run_in_threadpool(directory.page, kind, tenant_id, conditions, None, CANDIDATES)
    exact = [o for o in found if o.display_name.casefold() == typed.casefold()]
    if len(exact) == 1 or len(found) == 1:
        chosen = exact[0] if len(exact) == 1 else found[0]
        return Pick(typed, _key(chosen), _label(chosen))
    return Pick(typed, candidates=[(_key(o), _label(o)) for o in found])
