"""The sign-in log: every token issued or refused, written off the token path in batches.

The token paths call :meth:`SignInLog.record`, which only puts the entry on a bounded queue; a background
thread drains it every ``interval`` seconds (sooner once ``batch_size`` entries wait) and inserts each batch
in one transaction. A full queue drops the entry and counts it rather than slow a token request down.
Rows older than the retention are deleted periodically.

What is never recorded: a secret, an assertion or a token. Entries hold who (app id, principal object id
and display name), the resource, the roles, the AADSTS code (0 on success) with its description, and the
client IP. A refusal's description is scrubbed of the request's credential values before it is queued.

Managed identity refusals that Entra never sees (IMDS answers "Identity not found" itself) have no AADSTS
code; they are recorded with :data:`NO_AADSTS`, a negative code that no AADSTS code can be mistaken for.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import OAuthError
from ..domain.ids import is_guid, new_time_ordered_guid
from ..domain.model import ServicePrincipal
from ..store import Store, Tx
from .request import IssuedToken, TokenRequest, requested_resource

log = logging.getLogger("tenantd.signins")

NO_AADSTS = -1
"""The error code of a refusal made before any AADSTS code applies (a managed identity endpoint's own)."""

RETENTION = 7 * 24 * 3600
CAPACITY = 10_000
BATCH_SIZE = 500
INTERVAL = 0.5
PURGE_EVERY = 600.0

# Column sizes of the ``sign_ins`` table: values are cut to fit, so a long input never fails a batch.
_LIMITS = {"kind": 32, "app_id": 64, "principal_name": 256, "resource": 600, "error": 512, "client_ip": 64}
_AADSTS = re.compile(r"^AADSTS(\d{1,9})\b")
_AADSTS_PREFIX = re.compile(r"^AADSTS\d{1,9}:\s*")
CREDENTIAL_FIELDS = ("client_secret", "client_assertion", "assertion", "refresh_token", "code", "code_verifier",
                     "password")
_REDACTED = "[redacted]"


def timestamp(moment: float) -> str:
    """A sign-in time: ISO-8601 UTC with microseconds, one fixed width so text order is time order."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class SignIn:
    """One token issued (``error_code`` 0) or refused (an AADSTS code, or :data:`NO_AADSTS`)."""

    tenant_id: str
    kind: str                       # the grant type, "managed_identity" or "impersonation"
    created: float                  # seconds since the epoch
    app_id: str | None = None
    principal_id: str | None = None
    principal_name: str | None = None
    resource: str | None = None     # the resource as requested
    resource_id: str | None = None  # the resource's appId
    roles: tuple[str, ...] = ()
    error_code: int = 0
    error: str | None = None
    client_ip: str | None = None
    id: str = field(default_factory=new_time_ordered_guid)   # time-ordered: the log's inserts append

    def row(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": self.id, "tenant_id": self.tenant_id, "created": timestamp(self.created), "kind": self.kind,
            "app_id": self.app_id, "principal_id": self.principal_id, "principal_name": self.principal_name,
            "resource": self.resource, "resource_id": self.resource_id, "roles": list(self.roles),
            "error_code": self.error_code, "error": self.error, "client_ip": self.client_ip,
        }
        for name, limit in _LIMITS.items():
            if isinstance(values[name], str):
                values[name] = values[name][:limit]
        return values


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every credential value the request carried replaced, however an error quoted it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, _REDACTED)
    return text


def aadsts_code(description: str) -> int:
    """The AADSTS code a description starts with (``AADSTS500011: ...``), else :data:`NO_AADSTS`."""
    match = _AADSTS.match(description)
    return int(match.group(1)) if match else NO_AADSTS


def issued(tenant_id: str, kind: str, token: IssuedToken, now: float, client_ip: str | None = None) -> SignIn:
    """A successful sign-in: the facts ``TokenService.issue`` put on the token."""
    return SignIn(tenant_id, kind, now, app_id=token.app_id, principal_id=token.principal_id,
                  principal_name=token.principal_name, resource=token.resource, resource_id=token.resource_id,
                  roles=token.roles, client_ip=client_ip)


def refused(tenant_id: str, kind: str, now: float, reason: str, *, code: int | None = None,
            client: ServicePrincipal | None = None, app_id: str | None = None, resource: str | None = None,
            client_ip: str | None = None) -> SignIn:
    """A refusal; without ``code`` the reason's own ``AADSTS<code>:`` prefix gives it (else NO_AADSTS)."""
    if code is None:
        code = aadsts_code(reason)
        reason = _AADSTS_PREFIX.sub("", reason)
    if client is not None:
        return SignIn(tenant_id, kind, now, app_id=client.app_id, principal_id=client.id,
                      principal_name=client.display_name, resource=resource, error_code=code, error=reason,
                      client_ip=client_ip)
    return SignIn(tenant_id, kind, now, app_id=app_id, resource=resource, error_code=code, error=reason,
                  client_ip=client_ip)


def refused_request(tenant_id: str, request: TokenRequest, exc: OAuthError, now: float) -> SignIn:
    """A token endpoint refusal, described by what the request named: never by its credentials."""
    client_id = request.form.get("client_id") or (request.basic_auth[0] if request.basic_auth else "")
    credentials = [request.form.get(name) for name in CREDENTIAL_FIELDS]
    credentials.append(request.basic_auth[1] if request.basic_auth else None)
    return refused(tenant_id, grant_kind(request.form.get("grant_type", "")), now,
                   scrub(exc.description, credentials), code=exc.aadsts,
                   app_id=(client_id.lower() if is_guid(client_id) else client_id) or None,
                   resource=_named_resource(request), client_ip=request.client_ip)


def grant_kind(grant_type: str) -> str:
    """A grant type as the log's kind: ``urn:...:jwt-bearer`` becomes ``jwt-bearer``."""
    return grant_type.rsplit(":", 1)[-1][:_LIMITS["kind"]] or "token"


def _named_resource(request: TokenRequest) -> str | None:
    try:
        return requested_resource(request)
    except OAuthError:
        return request.form.get("scope") or request.form.get("resource") or None


class SignInLog:
    """The recorder: a bounded queue in front of a background writer that batches inserts."""

    def __init__(self, store: Store, *, retention: float = RETENTION, capacity: int = CAPACITY,
                 batch_size: int = BATCH_SIZE, interval: float = INTERVAL, purge_every: float = PURGE_EVERY,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.retention = retention
        self.batch_size = batch_size
        self.interval = interval
        self.purge_every = purge_every
        self.clock = clock
        self.dropped = 0      # entries refused because the queue was full
        self.lost = 0         # entries whose batch could not be written
        self._queue: queue.Queue[SignIn] = queue.Queue(maxsize=capacity)
        self._counter = threading.Lock()
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported = 0

    # -- the token paths' side ---------------------------------------------------------------------------
    def record(self, entry: SignIn) -> None:
        """Queue ``entry`` for the writer; never blocks. A full queue drops it and counts the drop."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            with self._counter:
                self.dropped += 1
            return
        if self._queue.qsize() >= self.batch_size:
            self._wake.set()

    # -- the writer ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="tenantd-signins", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the writer and write whatever is still queued (a clean shutdown loses no entry)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout)
        self.flush()

    def flush(self) -> int:
        """Write every queued entry now, in batches; returns how many were written."""
        written = 0
        with self._writing:
            while batch := self._take():
                written += self._write(batch)
        return written

    def query(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
              before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Written rows of one tenant, newest first (see ``Tx.sign_ins`` for the conditions)."""
        with self.store.read() as tx:
            return tx.sign_ins(tenant_id, conditions, before=before, limit=limit)

    def purge(self) -> int:
        """Delete the rows older than the retention; returns how many went."""
        cutoff = timestamp(self.clock() - self.retention)
        with self.store.write() as tx:
            return tx.delete_sign_ins_before(cutoff)

    def _run(self) -> None:
        next_purge = time.monotonic()
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + self.purge_every
                    self.purge()
            except Exception as exc:  # the writer outlives a failing database
                log.warning("sign-in log: writing failed (%s)", type(exc).__name__)
            self._report_drops()

    def _take(self) -> list[SignIn]:
        batch: list[SignIn] = []
        while len(batch) < self.batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[SignIn]) -> int:
        rows = [entry.row() for entry in batch]
        try:
            with self.store.write() as tx:
                _name_refused_clients(tx, rows)
                tx.insert_sign_ins(rows)
        except Exception as exc:  # counted and reported; the token paths never see it
            with self._counter:
                self.lost += len(rows)
            log.warning("sign-in log: %d entries could not be written (%s)", len(rows), type(exc).__name__)
            return 0
        return len(rows)

    def _report_drops(self) -> None:
        dropped = self.dropped
        if dropped > self._reported:
            log.warning("sign-in log: %d entries dropped so far because the queue was full", dropped)
            self._reported = dropped


def _name_refused_clients(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Refusals know only the client id the request named; the writer adds its service principal, as
    Entra's log shows it, so the token path never pays for the lookup."""
    found: dict[tuple[str, str], ServicePrincipal | None] = {}
    for row in rows:
        if row["principal_id"] is None and row["app_id"] and is_guid(row["app_id"]):
            key = (row["tenant_id"], row["app_id"])
            if key not in found:
                found[key] = tx.service_principal_by_app_id(*key)
            principal = found[key]
            if principal is not None:
                row["principal_id"] = principal.id
                row["principal_name"] = principal.display_name[:_LIMITS["principal_name"]]
