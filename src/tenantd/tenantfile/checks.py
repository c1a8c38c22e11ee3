"""Checks a tenant file can fail on its own, before the tenant is looked at: duplicate names, pins that
collide with each other, App ID URIs or hosts declared twice, the same assignment written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .document import Document, Path
from .schema import DEFAULT_USER_ASSIGNED_SCOPE


def file_problems(doc: Document) -> list[str]:
    problems: list[str] = []
    for check in (_duplicate_names, _pin_collisions, _duplicate_uris, _duplicate_hosts, _duplicate_roles,
                  _duplicate_credentials, _duplicate_assignments):
        problems.extend(check(doc))
    return problems


def _entries(doc: Document, section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from enumerate(doc.data.get(section) or [])


def _twice(doc: Document, items: Sequence[tuple[str, Path]], what: str) -> Iterator[str]:
    """One problem per repeat of a key, naming where the key was first seen."""
    first: dict[str, Path] = {}
    for key, path in items:
        if key in first:
            yield doc.problem(path, f"{what} is also at {doc.where(first[key])}")
        else:
            first[key] = path


def user_assigned_resource_id(name: str) -> str:
    return f"{DEFAULT_USER_ASSIGNED_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def identity_resource_id(entry: dict[str, Any]) -> str:
    """A system-assigned identity's resource id is its host's; a user-assigned one has its own."""
    if entry["type"] == "SystemAssigned":
        return str(entry["host"])
    return str(entry.get("resourceId") or user_assigned_resource_id(entry["name"]))


def _duplicate_names(doc: Document) -> Iterator[str]:
    """Names are how entries refer to each other: a repeated name needs every holder pinned by id."""
    sections: list[tuple[str, str, Callable[[dict[str, Any]], bool], bool]] = [
        ("applications", "displayName", lambda e: "id" in e or "appId" in e, False),
        ("managedIdentities", "name", lambda e: "clientId" in e or "id" in e.get("servicePrincipal", {}), False),
        ("groups", "displayName", lambda e: "id" in e, False),
        ("users", "userPrincipalName", lambda e: False, True),
    ]
    for section, key, pinned, fold in sections:
        seen: dict[str, list[int]] = {}
        entries = dict(_entries(doc, section))
        for i, entry in entries.items():
            seen.setdefault(entry[key].casefold() if fold else entry[key], []).append(i)
        for indices in seen.values():
            if len(indices) > 1 and not all(pinned(entries[i]) for i in indices):
                fix = "" if fold else "; pin an id on each to keep both"
                for i in indices[1:]:
                    yield doc.problem((section, i, key), f"duplicate {key} '{entries[i][key]}': it is also at "
                                                         f"{doc.where((section, indices[0], key))}{fix}")


def _pin_collisions(doc: Document) -> Iterator[str]:
    object_ids: list[tuple[str, Path]] = []
    client_ids: list[tuple[str, Path]] = []
    for i, app in _entries(doc, "applications"):
        if "id" in app:
            object_ids.append((app["id"].lower(), ("applications", i, "id")))
        if isinstance(app.get("servicePrincipal"), dict) and "id" in app["servicePrincipal"]:
            object_ids.append((app["servicePrincipal"]["id"].lower(), ("applications", i, "servicePrincipal", "id")))
        if "appId" in app:
            client_ids.append((app["appId"].lower(), ("applications", i, "appId")))
    for i, identity in _entries(doc, "managedIdentities"):
        if "id" in identity.get("servicePrincipal", {}):
            object_ids.append((identity["servicePrincipal"]["id"].lower(),
                               ("managedIdentities", i, "servicePrincipal", "id")))
        if "clientId" in identity:
            client_ids.append((identity["clientId"].lower(), ("managedIdentities", i, "clientId")))
    for section in ("users", "groups"):
        for i, entry in _entries(doc, section):
            if "id" in entry:
                object_ids.append((entry["id"].lower(), (section, i, "id")))
    yield from _twice(doc, object_ids, "this object id")
    yield from _twice(doc, client_ids, "this appId / clientId")


def _duplicate_uris(doc: Document) -> Iterator[str]:
    uris = [(uri.lower(), ("applications", i, "identifierUris", j))
            for i, app in _entries(doc, "applications") for j, uri in enumerate(app.get("identifierUris") or [])]
    yield from _twice(doc, uris, "this identifier URI")


def _duplicate_hosts(doc: Document) -> Iterator[str]:
    hosts = [(identity_resource_id(e).lower(), ("managedIdentities", i)) for i, e in _entries(doc, "managedIdentities")]
    yield from _twice(doc, hosts, "an identity with the same resource id")


def _duplicate_roles(doc: Document) -> Iterator[str]:
    for i, app in _entries(doc, "applications"):
        roles = list(enumerate(app.get("appRoles") or []))
        yield from _twice(doc, [(r["id"].lower(), ("applications", i, "appRoles", j, "id")) for j, r in roles],
                          "this role id")
        yield from _twice(doc, [(r["value"], ("applications", i, "appRoles", j, "value")) for j, r in roles
                                if r.get("value")], "this role value")


def _duplicate_credentials(doc: Document) -> Iterator[str]:
    for i, app in _entries(doc, "applications"):
        creds = list(enumerate(app.get("passwordCredentials") or []))
        yield from _twice(doc, [(c["displayName"], ("applications", i, "passwordCredentials", j, "displayName"))
                                for j, c in creds if "displayName" in c], "this credential name")
        yield from _twice(doc, [(c["keyId"].lower(), ("applications", i, "passwordCredentials", j, "keyId"))
                                for j, c in creds if "keyId" in c], "this keyId")
        keys = list(enumerate(app.get("keyCredentials") or []))
        yield from _twice(doc, [(c["keyId"].lower(), ("applications", i, "keyCredentials", j, "keyId"))
                                for j, c in keys if "keyId" in c], "this keyId")
    for section in ("applications", "managedIdentities"):
        for i, owner in _entries(doc, section):
            fics = list(enumerate(owner.get("federatedIdentityCredentials") or []))
            where = (section, i, "federatedIdentityCredentials")
            yield from _twice(doc, [(c["name"], (*where, j, "name")) for j, c in fics], "this credential name")
            yield from _twice(doc, [(f"{c['issuer']}\0{c['subject']}", (*where, j, "subject")) for j, c in fics],
                              "the same issuer and subject")


def _duplicate_assignments(doc: Document) -> Iterator[str]:
    items = [(f"{a['principal']}\0{a['resource']}\0{a['role']}", ("assignments", i))
             for i, a in _entries(doc, "assignments")]
    yield from _twice(doc, items, "the same assignment")
