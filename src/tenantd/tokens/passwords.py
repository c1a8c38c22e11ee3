"""Checking a user's password at the token endpoint without letting a flood of guesses take the server
(SECURITY.md item 42).

A check costs about 30 ms of a core (argon2id, ``directory/passwords.py``), so each one is:

- refused before any hashing when its source is locked out, for the account (smart lockout: the account AND
  the source, so that a guesser elsewhere cannot lock the real user out from her own address) or for every
  account (one source spraying guesses over many accounts): AADSTS50053;
- run in a bounded pool of ``workers`` threads, fewer than the machine's cores (one on two cores), with at
  most ``queue`` more waiting; a check beyond that is refused at once (429, AADSTS90055) rather than queued,
  so the other requests keep the remaining cores and their threads;
- for an unknown user (or one without a password), run against a dummy hash of the same parameters: the same
  AADSTS50126 in the same time as a wrong password.

The failure counters are the client throttle's (``tokens/throttle.py``), shared by every process and replica
through the database; their keys are derived from the user name as typed (lower case), so unknown names are
counted and locked exactly as real ones are.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..directory.passwords import DUMMY_HASH, verify
from ..domain.errors import OAuthError
from ..store import Store
from .throttle import FailureThrottle, ThrottlePolicy

WRONG_PASSWORD = 50126
LOCKED = 50053
# Entra's smart lockout defaults: ten failures, then a lockout of a minute that grows with further failures.
ACCOUNT_POLICY = ThrottlePolicy(per_source=10, per_client=100, per_source_under_attack=3, window=60)
SOURCE_POLICY = ThrottlePolicy(per_source=60, per_client=0, window=60)
_ACCOUNTS = uuid.UUID("6f1b9ad2-3c56-4c1e-9a57-0f5d1f3e8b10")   # namespace of account counter keys
_EVERY_ACCOUNT = str(uuid.uuid5(_ACCOUNTS, "every account"))     # the counter key of a source's spraying


def default_workers() -> int:
    """Fewer threads than cores: one on two cores, leaving the other to everything else."""
    return max(1, (os.cpu_count() or 2) // 2)


def locked(retry_after: int) -> OAuthError:
    return OAuthError(400, "invalid_grant", LOCKED, "The account is locked, you've tried to sign in too many "
                      "times with an incorrect user ID or password.")


def busy() -> OAuthError:
    return OAuthError(429, "temporarily_unavailable", 90055, "Too many sign-ins are being checked at once. "
                      "Retry after 1 seconds.", headers={"Retry-After": "1"})


def wrong_password() -> OAuthError:
    return OAuthError(400, "invalid_grant", WRONG_PASSWORD,
                      "Error validating credentials due to invalid username or password.")


class PasswordChecks:
    def __init__(self, store: Store, *, workers: int | None = None, queue: int | None = None,
                 clock: Callable[[], float] = time.time, account_policy: ThrottlePolicy = ACCOUNT_POLICY,
                 source_policy: ThrottlePolicy = SOURCE_POLICY) -> None:
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="password-check")
        self._slots = threading.BoundedSemaphore(self.workers + (queue if queue is not None else 4 * self.workers))
        counted = frozenset({WRONG_PASSWORD, LOCKED})
        self.by_account = FailureThrottle(store, account_policy, clock, refusal=locked, counted=counted)
        self.by_source = FailureThrottle(store, source_policy, clock, refusal=locked, counted=counted)

    def check(self, tenant_id: str, username: str, source: str | None, stored_hash: str | None,
              password: str) -> None:
        """Return when ``password`` is the user's; else the OAuthError Entra answers."""
        account = str(uuid.uuid5(_ACCOUNTS, f"{tenant_id}/{username.lower()}"))
        with self.by_source.guard(tenant_id, _EVERY_ACCOUNT, source), \
                self.by_account.guard(tenant_id, account, source):
            if not self._verify(stored_hash or DUMMY_HASH, password):
                raise wrong_password()

    def _verify(self, stored_hash: str, password: str) -> bool:
        if not self._slots.acquire(blocking=False):
            raise busy()
        try:
            return self._pool.submit(verify, stored_hash, password).result()
        finally:
            self._slots.release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
