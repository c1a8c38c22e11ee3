"""Whether this process can issue tokens: its database answers and the default tenant's signing key is loaded.

A replica that is up but cannot do either should be taken out of a load balancer's pool (not ready) without
being restarted (it is still live): the database may come back, and the replica with it.
"""

from __future__ import annotations

import logging

from ..domain.errors import Unavailable
from ..store import Store
from .keys import Keyring

OK = "ok"
_log = logging.getLogger(__name__)


def readiness(store: Store, keyring: Keyring) -> dict[str, str]:
    """Each check's state: ``ok``, or why not. Never raises: a check that fails is a state, not an error."""
    try:
        with store.read() as tx:
            default = tx.setting("default_tenant")
    except Exception as exc:   # whatever stops the database answering makes this process not ready
        return {"database": _failed("database", exc), "signing_keys": "not checked"}
    if default is None:
        return {"database": OK, "signing_keys": "no tenant yet"}
    try:
        keyring.active(default)   # from memory while its view is fresh, else read (and decrypted) again
    except Exception as exc:   # as above
        return {"database": OK, "signing_keys": _failed("signing keys", exc)}
    return {"database": OK, "signing_keys": OK}


def is_ready(checks: dict[str, str]) -> bool:
    return all(state == OK for state in checks.values())


def _failed(what: str, exc: Exception) -> str:
    if isinstance(exc, Unavailable):
        _log.warning("readiness: the %s check failed: %s", what, getattr(exc.__cause__, "orig", None) or exc)
        return "unavailable"
    _log.error("readiness: the %s check failed: %s", what, type(exc).__name__)
    return "failed"
