"""Keys: the tenant's token signing keys (kid, created, state: current, next, previous, retired, revoked) and a
rotation (a Global Administrator's POST), with what a rotation does to the validators of its tokens. A rotation is
the admin API's (``tokens/rotation.py``): publish the next key before it signs, keep the previous one published
until the tokens it signed have expired; it is recorded in the audit log with her as its actor."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import audit
from ...tokens.keys import Keyring
from ...tokens.rotation import VALIDATOR_COOLDOWN, KeyState, stamp
from .guard import Visitor, portal_page
from .render import redirect
from .tenant_roles import may_change, require_admin, require_reader

NOTICES = {"rotated": "A new signing key is published; it signs from the time shown.",
           "rotated-now": "A new signing key signs from now on; the previous one stays published."}


@dataclass(frozen=True)
class KeyRow:
    kid: str
    state: str
    detail: str
    created: str


def when(moment: float | None) -> str:
    return stamp(moment) if moment is not None else ""


def key_row(key: KeyState, now: float) -> KeyRow:
    if key.status == "active":
        state, detail = "current", f"signs every token since {when(key.signing_since)}"
    elif key.status == "next":
        state, detail = "next", f"published; signs from {when(key.activates)}"
    elif key.status == "retired" and key.published(now):
        state, detail = "previous", f"no longer signs; published until {when(key.retires)}"
    elif key.status == "retired":
        state, detail = "retired", f"left the JWKS at {when(key.retires)}"
    else:
        state, detail = key.status, "left the JWKS at once: every token it signed fails"
    return KeyRow(key.kid, state, detail, when(key.created))


def _keyring(visitor: Visitor) -> Keyring:
    keyring: Keyring = visitor.request.app.state.runtime.tokens.keyring
    return keyring


@portal_page
async def list_keys(visitor: Visitor) -> Response:
    require_reader(visitor)
    keyring = _keyring(visitor)
    found = await run_in_threadpool(keyring.keys, visitor.tenant.id)
    now = keyring.clock()
    public = visitor.request.app.state.runtime.public_url
    return visitor.page("keys.html", title="Signing keys", section="keys", keys=[key_row(k, now) for k in found],
                        jwks=f"{public}/{visitor.tenant.id}/discovery/v2.0/keys", policy=keyring.policy,
                        cooldown=VALIDATOR_COOLDOWN // 60, may_rotate=may_change(visitor),
                        notice=NOTICES.get(visitor.request.query_params.get("done", "")))


@portal_page
async def rotate(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = require_admin(visitor)
    immediately = form.get("now") == "on"
    keyring = _keyring(visitor)
    done = await run_in_threadpool(lambda: keyring.rotate(visitor.tenant.id, immediately=immediately))
    entry = audit.Entry("Rotate signing key", "KeyManagement", "Update", (audit.Target(
        done.key.kid, "Token signing key", "Other", (audit.Change("Status", None, done.key.status),)),))
    await run_in_threadpool(directory.record, visitor.tenant.id, entry)
    return redirect(f"{visitor.base}/keys?done={'rotated-now' if immediately else 'rotated'}")


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/keys", list_keys, methods=["GET"]),
        Route(prefix + "/keys/rotate", rotate, methods=["POST"]),
    ]
