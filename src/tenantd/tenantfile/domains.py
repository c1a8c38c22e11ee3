"""Planning the tenant's verified domains (``tenant.domains``): add those the file lists; with prune, remove
the custom ones it does not (never the initial domain, never one a user the file keeps is named in)."""

from __future__ import annotations

from typing import Any

from ..directory import Directory
from ..domain import domain_names
from .changes import call
from .document import Path
from .state import Plan


def declared_domains(data: dict[str, Any]) -> list[str]:
    """The domain names a file lists, in lower case (what the snapshot checks other tenants for)."""
    tenant = data.get("tenant") or {}
    return [name.lower() for name in tenant.get("domains") or [] if isinstance(name, str)]


def plan_domains(plan: Plan) -> None:
    declared: dict[str, Path] = {}
    for i, raw in enumerate((plan.doc.data.get("tenant") or {}).get("domains") or []):
        path: Path = ("tenant", "domains", i)
        name = plan.rule(path, domain_names.custom_domain, raw)
        if name is None:
            continue
        if name in declared:
            plan.problem(path, f"domain '{name}' is also at {plan.doc.where(declared[name])}")
            continue
        declared[name] = path
    held = {d.name: d for d in plan.snap.domains}
    for name, path in declared.items():
        if name in plan.snap.foreign_domains:
            plan.problem(path, f"domain '{name}' is verified by another tenant (a domain belongs to one tenant)")
        elif name not in held:
            plan.add("domain", f"add domain '{name}'", call(Directory.add_domain, plan.tenant_id, name))
    if plan.prune:
        for domain in plan.snap.domains:
            if not domain.is_initial and domain.name not in declared:
                _plan_removal(plan, domain.name)


def _plan_removal(plan: Plan, name: str) -> None:
    """With prune, the users left are those the file declares: none of them may still be named in ``name``."""
    users = plan.entries("users")
    kept = [(path, entry["userPrincipalName"]) for path, entry in users
            if entry["userPrincipalName"].lower().endswith("@" + name)]
    if kept:
        path, upn = kept[0]
        plan.problem((*path, "userPrincipalName"), f"user '{upn}' is in the domain '{name}', which a prune would "
                                                   "remove: list the domain under tenant.domains")
        return
    plan.add("undomain", f"remove domain '{name}'", call(Directory.remove_domain, plan.tenant_id, name))
