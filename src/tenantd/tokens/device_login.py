"""The device login page's use cases (SECURITY.md item 47): finding the pending device code a person types,
with guessing throttled per source, and recording her answer.

A user code is typed by hand: case, spaces and hyphens are not part of it. Each code that matches nothing
counts as a failed guess of its source, in the failure counters every process and replica shares
(``throttle.py``): past ``GUESSES`` wrong codes in ``GUESS_WINDOW`` seconds, the source gets 429 until the
window ends, whatever it types. A code that exists but expired, or was already answered, is not a guess.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from ..domain.model import User
from ..domain.sign_in_state import DeviceCode
from ..store import Store
from . import sign_in_errors as page_errors
from .throttle import FailureThrottle, ThrottlePolicy

GUESSES = 10
GUESS_WINDOW = 300   # seconds
GUESS_POLICY = ThrottlePolicy(per_source=GUESSES, per_client=0, window=GUESS_WINDOW)
MAX_USER_CODE = 16
# The keys the failure counters file device login guesses under (no tenant or client has them).
_COUNTERS = uuid.UUID("2f0e6c1d-5b0a-4d8e-9c43-7d1a9e6b3f20")
GUESS_TENANT = str(uuid.uuid5(_COUNTERS, "device login"))
GUESS_CLIENT = str(uuid.uuid5(_COUNTERS, "user codes"))


def normalise(typed: str) -> str:
    """A user code as stored: upper case, without the spaces and hyphens people type."""
    return "".join(typed.split()).replace("-", "").upper()


class DeviceLogin:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time,
                 policy: ThrottlePolicy = GUESS_POLICY) -> None:
        self.store = store
        self.clock = clock
        self.guesses = FailureThrottle(store, policy, clock, refusal=page_errors.too_many_codes,
                                       counted=frozenset({page_errors.bad_user_code().aadsts}))

    def pending(self, typed: str, source: str | None) -> DeviceCode:
        """The pending device code ``typed`` names; else the OAuthError to show (70018 no such code, 70019
        expired, 90120 already answered, 429 too many wrong codes from ``source``)."""
        user_code = normalise(typed)
        with self.guesses.guard(GUESS_TENANT, GUESS_CLIENT, source):
            found = None
            if user_code and len(user_code) <= MAX_USER_CODE:
                with self.store.read() as tx:
                    found = tx.device_code_by_user_code(user_code)
            if found is None:
                raise page_errors.bad_user_code()
        return self.still_pending(found)

    def still_pending(self, code: DeviceCode) -> DeviceCode:
        if code.expires <= self.clock():
            raise page_errors.expired_user_code()
        if code.status != "pending":
            raise page_errors.answered_user_code()
        return code

    def again(self, user_code: str) -> DeviceCode:
        """The code a page step carries (it was found before): still pending?"""
        with self.store.read() as tx:
            found = tx.device_code_by_user_code(user_code)
        if found is None:
            raise page_errors.expired_user_code()   # housekeeping removed it: it expired
        return self.still_pending(found)

    def answer(self, code: DeviceCode, approved: bool, user: User, auth_time: int) -> None:
        """Approve or decline ``code`` as ``user``, in her tenant; 90120 when it was answered meanwhile."""
        self.still_pending(code)
        with self.store.write() as tx:
            done = tx.decide_device_code(code.user_code, "approved" if approved else "declined", user.tenant_id,
                                         user.id, auth_time)
        if not done:
            raise page_errors.answered_user_code()
