"""The sign-in log: every token issued or refused, written off the token path in batches.

The token paths call :meth:`SignInLog.record`, which only counts the entry in memory; a background thread
writes what was counted every ``interval`` seconds (sooner once ``batch_size`` rows wait), a batch per
transaction. Rows older than the retention, and beyond a tenant's cap, are deleted periodically.

What the log holds, and how much of it (README, "Security"):

- Identical sign-ins within ``window`` seconds (default a minute) are one row with a count and the time of
  the last: a success is identical when its client, principal, resource, roles and client IP are; a refusal
  when its client, error code and client IP are (the row shows the first one's resource and reason). So a
  client asking for tokens in a loop writes a row a minute, not a row a token.
- The token endpoint records refusals only for clients the tenant knows, as Entra does: a caller inventing
  client ids leaves nothing behind (``TokenService`` decides).
- Each tenant keeps at most ``cap`` successful rows and ``cap`` refused rows (default 100,000 each), the
  newest: a flood of refusals pushes out older refusals only, never a token that was issued.
- Every text is made printable (:func:`tenantd.domain.text.printable`) and cut to its column, so any row can
  be stored and shown; should one still fail, its batch is written again row by row and only that row is lost.

Aggregates in memory are bounded: successes and refusals may each hold half of ``capacity``; past it, a new
entry is dropped and counted rather than slow a token request down (so refusals never crowd successes out).

What is never recorded: a secret, an assertion or a token. Entries hold who (app id, principal object id and
display name), the resource, the roles, the AADSTS code (0 on success) with its description, and the client
IP. A refusal's description is scrubbed of the request's credential values before it is recorded.

Managed identity refusals that Entra never sees (IMDS answers "Identity not found" itself) have no AADSTS
code; they are recorded with :data:`NO_AADSTS`, a negative code that no AADSTS code can be mistaken for.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import OAuthError, Unavailable
from ..domain.ids import new_time_ordered_guid
from ..domain.model import ServicePrincipal
from ..domain.text import printable
from ..metrics import instruments
from ..store import Store
from .request import IssuedToken, TokenRequest, requested_resource

log = logging.getLogger("tenantd.signins")

NO_AADSTS = -1
"""The error code of a refusal made before any AADSTS code applies (a managed identity endpoint's own)."""

RETENTION = 7 * 24 * 3600
CAP = 100_000          # rows per tenant, successes and refusals each
WINDOW = 60.0          # seconds an aggregate row takes identical sign-ins for
CAPACITY = 10_000
BATCH_SIZE = 500
INTERVAL = 0.5
PURGE_EVERY = 600.0

# Column sizes of the ``sign_ins`` table: values are cut to fit, so a long input never fails a batch.
_LIMITS = {"kind": 32, "app_id": 64, "principal_name": 256, "resource": 600, "error": 512, "client_ip": 64}
_AADSTS = re.compile(r"^AADSTS(\d{1,9})\b")
_AADSTS_PREFIX = re.compile(r"^AADSTS\d{1,9}:\s*")
CREDENTIAL_FIELDS = ("client_secret", "client_assertion", "assertion", "refresh_token", "code", "code_verifier",
                     "password", "device_code")
# The grants a person signs in with: their rows' principal is the user; the first three are interactive (she
# typed her password, on a page or to the client), a refresh and a middle tier's on-behalf-of exchange
# ("jwt-bearer") are not. A refusal on the sign-in page is kind "interactive", its principal the person whose
# name was typed (when she exists).
USER_GRANT_KINDS = ("authorization_code", "device_code", "password", "refresh_token", "jwt-bearer")
INTERACTIVE_KINDS = ("authorization_code", "device_code", "password", "interactive")
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

    def same_as(self) -> Hashable:
        """What identical sign-ins share (see the module's docstring): all but the time for a success; for
        a refusal, who asked from where and the error code."""
        if self.error_code == 0:
            return (self.tenant_id, self.kind, self.app_id, self.principal_id, self.resource, self.resource_id,
                    self.roles, 0, self.client_ip)
        return (self.tenant_id, self.kind, self.app_id, self.principal_id, None, None, (), self.error_code,
                self.client_ip)


@dataclass
class Aggregate:
    """The row of identical sign-ins: the first, how many there were, and when the last was."""

    first: SignIn
    closes: float                   # sign-ins from this moment on start a new row
    count: int = 1
    last: float = 0.0
    written: int = 0                # how many of ``count`` the stored row holds
    id: str = field(default_factory=new_time_ordered_guid)   # time-ordered: the log's inserts append

    def row(self, count: int, last: float) -> dict[str, Any]:
        """The row to insert: every text printable and cut to its column, so that any row can be stored."""
        e = self.first
        values: dict[str, Any] = {
            "id": self.id, "tenant_id": e.tenant_id, "created": timestamp(e.created), "kind": e.kind,
            "app_id": e.app_id, "principal_id": e.principal_id, "principal_name": e.principal_name,
            "resource": e.resource, "resource_id": e.resource_id, "roles": [printable(r) for r in e.roles],
            "error_code": e.error_code, "error": e.error, "client_ip": e.client_ip,
            "count": count, "last_created": timestamp(last),
        }
        for name, limit in _LIMITS.items():
            if isinstance(values[name], str):
                values[name] = printable(values[name])[:limit]
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


def refused_request(tenant_id: str, request: TokenRequest, exc: OAuthError, now: float,
                    client: ServicePrincipal) -> SignIn:
    """A token endpoint refusal of a known ``client``, described by what the request named: never by its
    credentials."""
    credentials = [request.form.get(name) for name in CREDENTIAL_FIELDS]
    credentials.append(request.basic_auth[1] if request.basic_auth else None)
    return refused(tenant_id, grant_kind(request.form.get("grant_type", "")), now,
                   scrub(exc.description, credentials), code=exc.aadsts, client=client,
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
    """The recorder: identical sign-ins counted in memory, written by a background thread in batches."""

    def __init__(self, store: Store, *, retention: float = RETENTION, cap: int = CAP, window: float = WINDOW,
                 capacity: int = CAPACITY, batch_size: int = BATCH_SIZE, interval: float = INTERVAL,
                 purge_every: float = PURGE_EVERY, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.retention = retention
        self.cap = cap
        self.window = window
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.purge_every = purge_every
        self.clock = clock
        self.dropped = 0      # entries refused because their half of ``capacity`` was open
        self.lost = 0         # entries whose row could not be written
        # The aggregate taking each kind of sign-in, oldest first: successes' (False) and refusals' (True).
        self._open: dict[bool, dict[Hashable, Aggregate]] = {False: {}, True: {}}
        self._unwritten: dict[str, Aggregate] = {}    # aggregates counted since their row was last written
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported = 0
        self._since_trim: Counter[str] = Counter()    # rows inserted per tenant since its last trim

    # -- the token paths' side ---------------------------------------------------------------------------
    def record(self, entry: SignIn) -> None:
        """Count ``entry`` in its aggregate; never blocks. With half of ``capacity`` aggregates of its kind
        (successes, refusals) open, a sign-in that would open another is dropped and counted."""
        key = entry.same_as()
        with self._lock:
            opened = self._open[entry.error_code != 0]
            aggregate = opened.get(key)
            if aggregate is not None and entry.created < aggregate.closes:
                aggregate.count += 1
                aggregate.last = max(aggregate.last, entry.created)
            elif len(opened) >= self.capacity // 2:
                self.dropped += 1
                instruments().sign_ins_dropped.inc()
                return
            else:
                aggregate = Aggregate(entry, entry.created + self.window, last=entry.created)
                opened.pop(key, None)     # a closed one is still written: it is in ``_unwritten``
                opened[key] = aggregate
            self._unwritten[aggregate.id] = aggregate
            waiting = len(self._unwritten)
        if waiting >= self.batch_size:
            self._wake.set()

    # -- the writer ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="tenantd-signins", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the writer and write whatever is still counted (a clean shutdown loses no entry)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout)
        self.flush()

    def flush(self) -> int:
        """Write every counted entry now, in batches; returns how many sign-ins were written."""
        written = 0
        with self._writing:
            while batch := self._take():
                written += self._write(batch)
            self._close_aggregates()
            self._trim_early()
        return written

    def query(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
              before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Written rows of one tenant, newest first (see ``Tx.sign_ins`` for the conditions)."""
        with self.store.read() as tx:
            return tx.sign_ins(tenant_id, conditions, before=before, limit=limit)

    def purge(self) -> int:
        """Delete the rows older than the retention, and those beyond the cap of every tenant written since
        the last purge; returns how many went."""
        cutoff = timestamp(self.clock() - self.retention)
        with self.store.write() as tx:
            deleted = tx.delete_sign_ins_before(cutoff)
        with self._writing:
            tenants, self._since_trim = list(self._since_trim), Counter()
            return deleted + sum(self._trim(tenant_id) for tenant_id in tenants)

    def _trim(self, tenant_id: str) -> int:
        """Delete a tenant's oldest rows beyond its caps (successes and refusals each)."""
        with self.store.write() as tx:
            return tx.trim_sign_ins(tenant_id, self.cap)

    def _run(self) -> None:
        next_purge = time.monotonic()
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            instruments().sign_in_queue.set(len(self._unwritten))
            try:
                self.flush()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + self.purge_every
                    self.purge()
            except Exception as exc:  # the writer outlives a failing database
                log.warning("sign-in log: writing failed (%s)", type(exc).__name__)
            self._report_drops()

    def _take(self) -> list[tuple[Aggregate, int, float]]:
        """Up to ``batch_size`` aggregates to write, each with its count and last time as they are now."""
        with self._lock:
            ids = list(self._unwritten)[:self.batch_size]
            return [(a, a.count, a.last) for a in (self._unwritten.pop(i) for i in ids)]

    def _write(self, batch: list[tuple[Aggregate, int, float]]) -> int:
        """One transaction for the batch; should the database refuse it (not merely be unavailable), one per
        row, so that a row it cannot take loses no other."""
        try:
            return self._write_rows(batch)
        except Unavailable as exc:
            return self._lose(batch, exc)
        except Exception as exc:
            log.warning("sign-in log: a batch was refused (%s); writing its rows one by one", type(exc).__name__,
                        extra={"rows": len(batch), "error": type(exc).__name__})
            instruments().database_retries.labels("sign_in_rows").inc()
        written = 0
        for one in batch:
            try:
                written += self._write_rows([one])
            except Exception as exc:
                self._lose([one], exc)
        return written

    def _write_rows(self, batch: list[tuple[Aggregate, int, float]]) -> int:
        new = [(a, count, last) for a, count, last in batch if a.written == 0]
        grown = [(a, count, last) for a, count, last in batch if a.written != 0]
        rows = [aggregate.row(count, last) for aggregate, count, last in new]
        with self.store.write() as tx:
            tx.insert_sign_ins(rows)
            tx.count_sign_ins([(a.id, count, timestamp(last)) for a, count, last in grown])
        written = 0
        for aggregate, count, _ in batch:
            written += count - aggregate.written
            aggregate.written = count
        for row in rows:
            self._since_trim[row["tenant_id"]] += 1
        return written

    def _trim_early(self) -> None:
        """Trim a tenant at once when a tenth of its cap has been inserted since its last trim, rather than
        let a flood grow it for the rest of the purge interval."""
        for tenant_id, inserted in list(self._since_trim.items()):
            if inserted >= max(1, self.cap // 10):
                del self._since_trim[tenant_id]
                try:
                    self._trim(tenant_id)
                except Exception as exc:  # the next purge trims it
                    log.warning("sign-in log: trimming failed (%s)", type(exc).__name__)

    def _lose(self, batch: list[tuple[Aggregate, int, float]], exc: Exception) -> int:
        """Count entries whose row could not be written (the token paths never see it)."""
        entries = 0
        for aggregate, count, _ in batch:
            entries += count - aggregate.written
            aggregate.written = count
        with self._lock:
            self.lost += entries
        instruments().sign_ins_lost.inc(entries)
        log.warning("sign-in log: %d entries could not be written (%s)", entries, type(exc).__name__,
                    extra={"entries": entries, "error": type(exc).__name__})
        return 0

    def _close_aggregates(self) -> None:
        """Forget the aggregates whose window has passed and whose row holds their whole count."""
        now = self.clock()
        with self._lock:
            for opened in self._open.values():
                closed = [key for key, a in opened.items() if a.closes <= now and a.id not in self._unwritten]
                for key in closed:
                    del opened[key]

    def _report_drops(self) -> None:
        dropped = self.dropped
        if dropped > self._reported:
            log.warning("sign-in log: %d entries dropped so far because too many were open", dropped)
            self._reported = dropped
