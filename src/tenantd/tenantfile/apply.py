"""Applying a tenant file: plan against the tenant, then run every change, in one transaction.

The plan checks everything first (schema, names, pins, the directory's rules), so a write does not fail
midway in practice; and because the directory's use cases here share one transaction, a write that
does fail anyway (or a dry run) leaves the tenant exactly as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..directory import Directory
from ..domain.errors import GraphError
from ..store import Store, Tx
from .changes import GeneratedSecret
from .document import Document
from .domains import declared_domains
from .errors import TenantFileError
from .plan import make_plan
from .snapshot import read_snapshot
from .state import pinned_ids
from .subscriptions import declared_subscriptions


@dataclass(frozen=True)
class ApplyResult:
    changes: list[str]
    secrets: list[GeneratedSecret]
    applied: bool

    @property
    def summary(self) -> str:
        if not self.changes:
            return "no changes"
        count = f"{len(self.changes)} change{'s' if len(self.changes) != 1 else ''}"
        return count if self.applied else f"{count} (dry run: nothing written)"

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "secrets": [{"application": s.application, "appId": s.app_id, "keyId": s.key_id,
                         "displayName": s.display_name, "secretText": s.secret_text} for s in self.secrets],
            "applied": self.applied,
            "summary": self.summary,
        }


class _OneTransaction(Store):
    """A Store whose every transaction is one open transaction, so use cases compose into one commit."""

    def __init__(self, tx: Tx) -> None:  # no engine of its own: it only lends ``tx``
        self._tx = tx

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        yield self._tx

    @contextlib.contextmanager
    def write(self, *, versioned: bool = True) -> Iterator[Tx]:   # the open transaction advances the version
        yield self._tx


class _RollBack(Exception):
    """Raised inside the transaction to undo a dry run."""


def apply_document(store: Store, directory: Directory, tenant_id: str, doc: Document, *,
                   prune: bool = False, dry_run: bool = False) -> ApplyResult:
    """Make the tenant what ``doc`` declares; TenantFileError (and no change at all) if it cannot."""
    changes: list[str] = []
    secrets: list[GeneratedSecret] = []
    try:
        with store.write() as tx:
            snap = read_snapshot(tx, tenant_id, pinned_ids(doc.data), declared_domains(doc.data),
                                 declared_subscriptions(doc.data))
            plan = make_plan(doc, snap, prune=prune)
            bound = directory.using(_OneTransaction(tx))
            for change in plan:
                try:
                    made = change.run(bound, tx)
                except GraphError as exc:
                    raise TenantFileError([f"{doc.source}: {change.text}: {exc.message}"]) from None
                changes.append(change.text)
                if made is not None:
                    secrets.append(made)
            if dry_run:
                raise _RollBack
    except _RollBack:
        return ApplyResult(changes, [], applied=False)
    return ApplyResult(changes, secrets, applied=True)
