"""What a plan builds up as it reads the file: problems, changes by phase, and what names will point at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.errors import BadRequest
from ..domain.model import Application, AppRole, PermissionScope
from .changes import Change, Run
from .document import Document, Path
from .names import Named, NameIndex
from .snapshot import Snapshot

# Changes run in this order: removals first (they free names, URIs and roles), then what they free.
# Domains go after the users a prune deletes, and come before the users named in them.
# Consents go last: they name clients, resources and users, and the scopes the applications will offer.
# Subscriptions go after everything they may name as a viewer.
PHASES = ("unassign", "unconsent", "unmember", "uncredential", "unsubscription", "delete", "undomain", "domain",
          "application", "credential", "identity", "federated", "user", "group", "member", "assign", "consent",
          "subscription")
REMOVALS = {"unassign", "unconsent", "unmember", "uncredential", "unsubscription", "delete",
            "undomain"}  # listed by name: no file order


@dataclass
class PlannedApp:
    """An application as it will be once applied (assignments check roles against this)."""

    path: Path
    name: str
    id: str
    app_id: str
    existing: Application | None
    roles: tuple[AppRole, ...]
    uris: tuple[str, ...]
    sp_id: str | None          # the service principal it will have, if any
    scopes: tuple[PermissionScope, ...] = ()            # the delegated permissions it will offer
    required_access: list[dict[str, Any]] | None = None  # as declared; resolved once every app is planned


class Plan:
    """One apply being planned: every entry adds its changes and problems here, and what it will be named."""

    def __init__(self, doc: Document, snap: Snapshot, prune: bool) -> None:
        self.doc, self.snap, self.prune = doc, snap, prune
        self.tenant_id = snap.tenant.id
        self.problems: list[str] = []
        self.changes: dict[str, list[Change]] = {phase: [] for phase in PHASES}
        self.claimed: set[str] = set()        # ids of existing objects an entry matched
        self.apps: list[PlannedApp] = []
        self.named: list[Named] = []          # everything references can point at, once applied
        self.deleted: set[str] = set()        # ids of objects the prune removes
        self.pinned = pinned_ids(doc.data)         # ids the file pins: never matched to another entry by name
        self._indexes: dict[bool, tuple[int, NameIndex]] = {}   # resources only? -> (size of named, index)

    def index(self, *, resources: bool = False) -> NameIndex:
        """What references can name so far (``resources``: only what has roles), indexed; built again only
        when more has been named since."""
        built = self._indexes.get(resources)
        if built is None or built[0] != len(self.named):
            pool = [n for n in self.named if n.resource is not None] if resources else self.named
            built = self._indexes[resources] = (len(self.named), NameIndex(pool))
        return built[1]

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def add(self, phase: str, text: str, run: Run) -> None:
        self.changes[phase].append(Change(text, run))

    def ordered(self) -> list[Change]:
        return [change for phase in PHASES
                for change in (sorted(self.changes[phase], key=lambda c: c.text.casefold())
                               if phase in REMOVALS else self.changes[phase])]

    def entries(self, section: str) -> list[tuple[Path, dict[str, Any]]]:
        return [((section, i), entry) for i, entry in enumerate(self.doc.data.get(section) or [])]

    def free_object_id(self, path: Path, object_id: str) -> None:
        """Object ids are unique across all tenants: one answer wherever the holder is."""
        if object_id in self.snap.taken_object_ids:
            self.problem(path, f"id {object_id} is already held by another object (object ids are unique "
                               "across tenants)")

    def free_app_id(self, path: Path, app_id: str) -> None:
        if app_id in self.snap.taken_app_ids:
            self.problem(path, f"appId {app_id} is already held by another application or service principal "
                               "(appIds are unique across tenants)")

    def by_name(self, path: Path, name: str, candidates: list[Any], plural: str,
                describe: Callable[[Any], str]) -> Any:
        """The one existing object of this name that no other entry matched or pinned."""
        hits = [c for c in candidates if c.id not in self.claimed and c.id not in self.pinned
                and getattr(c, "app_id", None) not in self.pinned]
        if len(hits) > 1:
            listed = ", ".join(sorted(describe(h) for h in hits))
            self.problem(path, f"{len(hits)} existing {plural} are named '{name}': {listed}; pin the id of the "
                               "one this entry means")
            return None
        return hits[0] if hits else None

    def rule(self, path: Path, check: Callable[..., Any], *args: Any) -> Any:
        """Run a directory rule; its refusal becomes a problem at ``path``."""
        try:
            return check(*args)
        except BadRequest as exc:
            self.problem(path, exc.message)
            return None

    def delete(self, object_id: str, text: str, run: Run) -> None:
        self.deleted.add(object_id)
        self.add("delete", text, run)

    def label(self, object_id: str) -> str:
        found = next((n for n in self.named if n.id == object_id), None)
        return f"{found.kind} '{found.name}'" if found else object_id


def pinned_ids(data: dict[str, Any]) -> set[str]:
    """Every GUID the file pins, wherever it is."""
    found: set[str] = set()
    for section in ("applications", "managedIdentities", "users", "groups"):
        for entry in data.get(section) or []:
            sp = entry.get("servicePrincipal")
            for value in (entry.get("id"), entry.get("appId"), entry.get("clientId"),
                          sp.get("id") if isinstance(sp, dict) else None):
                if isinstance(value, str):
                    found.add(value.lower())
    return found
