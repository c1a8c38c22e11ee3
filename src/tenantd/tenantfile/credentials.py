"""Planning the credentials beyond secrets: an application's certificates (keyCredentials, matched by keyId
or by the certificate itself) and the federated identity credentials of applications and user-assigned
identities (matched by name; issuer, subject, audiences and description are set as declared)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..directory import Directory
from ..domain import credentials
from ..domain.model import FederatedCredential, KeyCredential
from .changes import call
from .document import Path
from .state import Plan, PlannedApp


def plan_certificates(plan: Plan, path: Path, declared: list[dict[str, Any]], app: PlannedApp) -> None:
    existing: list[KeyCredential] = list(app.existing.key_credentials) if app.existing else []
    final: list[KeyCredential] = []
    for j, entry in enumerate(declared):
        where = (*path, "keyCredentials", j)
        key_id = entry.get("keyId", "").lower()
        match = next((k for k in existing if k.key_id == key_id), None) if key_id else None
        if match is None and "key" in entry:
            parsed = plan.rule((*where, "key"), credentials.key_credential, entry)
            if parsed is None:
                continue
            match = next((k for k in existing if k.thumbprint_sha1 == parsed.thumbprint_sha1), None)
            if match is None:
                final.append(parsed)
                plan.add("credential", f"add certificate '{parsed.display_name}' to application '{app.name}'",
                         call(Directory.add_key_credential, plan.tenant_id, app.id, {**entry, "keyId": parsed.key_id}))
                continue
        if match is None:
            plan.problem((*where, "keyId"), f"application '{app.name}' has no certificate with keyId {key_id}; "
                                             "give its key to add it")
            continue
        final.append(match)
    kept = {k.key_id for k in final}
    for gone in (k for k in existing if k.key_id not in kept) if plan.prune else ():
        plan.add("uncredential", f"remove certificate '{gone.display_name or gone.key_id}' ({gone.key_id}) from "
                                 f"application '{app.name}'",
                 call(Directory.remove_key_credential, plan.tenant_id, app.id, gone.key_id))
    if not plan.prune:
        final += [k for k in existing if k.key_id not in kept]
    plan.rule((*path, "keyCredentials"), credentials.check_keys, final)


def plan_federated(plan: Plan, path: Path, declared: list[dict[str, Any]], owner_id: str, owner_type: str,
                   label: str, existing: Sequence[FederatedCredential]) -> None:
    """Add, update (and with prune, remove) an owner's federated credentials so they are what the file says."""
    by_name = {c.name: c for c in existing}
    final: dict[str, tuple[str, str]] = {}
    for j, entry in enumerate(declared):
        where = (*path, "federatedIdentityCredentials", j)
        fields = plan.rule(where, _fields, entry)
        if fields is None:
            continue
        name = entry["name"]
        final[name] = (fields["issuer"], fields["subject"])
        current = by_name.get(name)
        if current is None:
            plan.add("federated", f"add federated credential '{name}' to {label}",
                     call(Directory.add_federated_credential, plan.tenant_id, owner_id, owner_type, name,
                          fields["issuer"], fields["subject"], fields["audiences"], fields.get("description")))
            continue
        now = {"issuer": current.issuer, "subject": current.subject, "audiences": list(current.audiences),
               "description": current.description}
        changes = {k: v for k, v in fields.items() if v != now[k]}
        if changes:
            plan.add("federated", f"update federated credential '{name}' of {label}: {', '.join(changes)}",
                     call(Directory.update_federated_credential, plan.tenant_id, owner_id, owner_type, current.id,
                          changes))
    for gone in existing:
        if gone.name in final:
            continue
        if plan.prune:
            plan.add("uncredential", f"remove federated credential '{gone.name}' from {label}",
                     call(Directory.remove_federated_credential, plan.tenant_id, owner_id, owner_type, gone.id))
        else:
            final[gone.name] = (gone.issuer, gone.subject)
    pairs = list(final.values())
    if len(set(pairs)) != len(pairs):
        plan.problem((*path, "federatedIdentityCredentials"), f"{label} would trust the same issuer and subject "
                                                               "twice (once under another name)")
    if len(final) > credentials.MAX_FEDERATED_CREDENTIALS:
        plan.problem((*path, "federatedIdentityCredentials"), f"{label} would hold more than "
                                                               f"{credentials.MAX_FEDERATED_CREDENTIALS} federated "
                                                               "identity credentials")


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The declared fields, checked by the directory's rules; an omitted description is left as it is."""
    fields: dict[str, Any] = {
        "issuer": credentials.fic_issuer(entry["issuer"]), "subject": credentials.fic_subject(entry["subject"]),
        "audiences": list(credentials.fic_audiences(entry.get("audiences"))),
    }
    credentials.fic_name(entry["name"])
    if "description" in entry:
        fields["description"] = credentials.fic_description(entry["description"])
    return fields
