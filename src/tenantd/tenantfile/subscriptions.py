"""Planning the tenant's Azure subscriptions (``tenant.subscriptions``): declare those the file lists, with who
sees each (``visibleTo``: user principal names, application or managed identity names, ids, or ``everyone``);
with prune, remove the ones it does not list. Viewers resolve like assignments' principals; groups are not
viewers (Resource Manager lists subscriptions to the principal a token names)."""

from __future__ import annotations

from typing import Any

from ..directory import Directory
from ..domain.subscriptions import Subscription, display_name, subscription_id
from .changes import call
from .document import Path
from .names import Unresolved
from .state import Plan

EVERYONE = "everyone"


def declared_subscriptions(data: dict[str, Any]) -> list[str]:
    """The subscription ids a file lists, in lower case (what the snapshot checks other tenants for)."""
    tenant = data.get("tenant") or {}
    return [entry["id"].lower() for entry in tenant.get("subscriptions") or []
            if isinstance(entry, dict) and isinstance(entry.get("id"), str)]


def plan_subscriptions(plan: Plan) -> None:
    held = {s.id: s for s in plan.snap.subscriptions}
    declared: dict[str, Path] = {}
    for i, entry in enumerate((plan.doc.data.get("tenant") or {}).get("subscriptions") or []):
        path: Path = ("tenant", "subscriptions", i)
        key = plan.rule((*path, "id"), subscription_id, entry["id"])
        name = plan.rule((*path, "displayName"), display_name, entry["displayName"])
        if key is None or name is None:
            continue
        if key in declared:
            plan.problem((*path, "id"), f"subscription {key} is also at {plan.doc.where(declared[key])}")
            continue
        declared[key] = path
        if key in plan.snap.foreign_subscriptions:
            plan.problem((*path, "id"), f"subscription {key} belongs to another tenant")
            continue
        visible = entry.get("visibleTo", [])
        everyone = visible == EVERYONE
        viewers = [] if everyone else _viewers(plan, (*path, "visibleTo"), visible)
        if viewers is None:
            continue
        wanted = Subscription(key, plan.tenant_id, name, everyone, tuple(sorted(viewers)))
        before = held.get(key)
        if before is not None and before.settings() == wanted.settings():
            continue
        verb = "declare" if before is None else "update"
        plan.add("subscription", f"{verb} subscription '{name}' ({key})",
                 call(Directory.put_subscription, plan.tenant_id, key, name, visible_to_all=everyone,
                      viewers=list(wanted.viewers)))
    if plan.prune:
        for sub in plan.snap.subscriptions:
            if sub.id not in declared:
                plan.add("unsubscription", f"remove subscription '{sub.display_name}' ({sub.id})",
                         call(Directory.remove_subscription, plan.tenant_id, sub.id))


def _viewers(plan: Plan, path: Path, texts: list[str]) -> list[str] | None:
    """The object ids ``texts`` name (users and service principals), or None after a problem."""
    found: dict[str, str] = {}
    ok = True
    for k, text in enumerate(texts):
        try:
            named = plan.index().resolve(text, "user, application or managed identity")
        except Unresolved as exc:
            plan.problem((*path, k), str(exc))
            ok = False
            continue
        if named.principal_type not in ("User", "ServicePrincipal"):
            reason = ("has no service principal (servicePrincipal: false)" if named.principal_type is None
                      else "is a group: list its members instead")
            plan.problem((*path, k), f"{named.describe()} {reason}")
            ok = False
        elif named.id in found:
            plan.problem((*path, k), f"{named.describe()} is listed twice")
            ok = False
        else:
            found[named.id] = text
    return list(found) if ok else None



def exported_subscriptions(subs: list[Subscription], refs: dict[str, str]) -> list[dict[str, Any]]:
    """``tenant.subscriptions`` as export writes it: viewers by the references that resolve to them."""
    return [{"id": s.id, "displayName": s.display_name,
             "visibleTo": EVERYONE if s.visible_to_all else sorted((refs.get(v, v) for v in s.viewers),
                                                                  key=str.casefold)}
            for s in sorted(subs, key=lambda s: (s.display_name.casefold(), s.id))]
