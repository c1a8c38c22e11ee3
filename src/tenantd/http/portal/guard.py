"""Who is visiting a portal page and what she may do: the one place every portal request is checked.

:func:`visit` finds the person from the session cookie (or sends her to sign in) and makes her the
:class:`Visitor` the page works for. :meth:`Visitor.require` decides an action exactly as a delegated
Microsoft Graph call is decided (http/graph/acts.py ``Act`` over domain/user_permissions.py): the portal is a
first-party client holding Graph's directory permissions, so what she may do is what her directory roles, the
tenant's default member permissions and her ownerships allow; it returns the directory acting for her, so
every change is audited with her as the actor (through the portal's appId). :meth:`Visitor.form` reads a POST
and refuses it without the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...directory import Directory
from ...domain import builtins, user_permissions
from ...domain.directory_roles import MEMBER_ROLE_TEMPLATE_ID
from ...domain.errors import Forbidden, GraphError
from ...domain.model import Tenant
from ...domain.user_permissions import NOTHING, Subject, Target
from ...runtime import Runtime
from ..auth import Caller
from ..graph.acts import Act
from ..pages.context import MAX_FORM, BadForm, read_form
from . import navigation
from .render import page, redirect
from .session import SESSION_COOKIE, PortalSession, Seals, seals_of
from .tool_roles import GLOBAL_READER_ID

_READ_ONLY_ROLES = frozenset({GLOBAL_READER_ID, MEMBER_ROLE_TEMPLATE_ID})
# What the portal holds of Microsoft Graph, as the other first-party public clients do (domain/builtins.py).
SCOPES = frozenset(builtins.FIRST_PARTY_SCOPES[builtins.GRAPH_APP_ID])
ROOT = "/portal"


class SignInNeeded(Exception):
    """No (valid) session for this tenant: the page answers with a redirect to sign in."""


class Refused(Exception):
    """A request the portal refuses with a page: ``status`` and what to tell the person."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


@dataclass
class Visitor:
    """The signed-in person a portal request is for."""

    request: Request
    session: PortalSession
    tenant: Tenant
    subject: Subject
    seals: Seals
    notice: str | None = None
    sections: list[navigation.Section] = field(default_factory=list)

    @property
    def caller(self) -> Caller:
        return Caller(tenant_id=self.tenant.id, app_id=builtins.PORTAL_APP_ID, object_id=self.session.user_id,
                      roles=frozenset(), scopes=SCOPES, user_id=self.session.user_id,
                      user_name=self.session.user_name)

    @property
    def base(self) -> str:
        """The tenant's portal address (``/portal/{tenant id}``)."""
        return f"{ROOT}/{self.tenant.id}"

    def may(self, action: str, target: Target = NOTHING) -> bool:
        """Whether to offer an action (the same rule :meth:`require` enforces)."""
        return user_permissions.allowed(action, self.subject, target)

    async def require(self, act: Act, permissions: tuple[str, ...]) -> Directory:
        """The directory acting for her, once ``act`` is allowed to her (as a Graph call that takes
        ``permissions``); else Refused 403."""
        try:
            await act.decide(self.request, self.caller, permissions)
        except Forbidden:
            raise Refused(403, "Not allowed", "Your directory roles do not allow this.") from None
        return _runtime(self.request).directory.as_actor(self.caller.actor)

    @property
    def reads_only(self) -> bool:
        """A Global Reader with no role that changes anything: the portal shows her everything and lets her change
        nothing, not even what the tenant's policy lets every member do (through Graph she still may)."""
        return GLOBAL_READER_ID in self.subject.roles and not self.subject.roles - _READ_ONLY_ROLES

    async def form(self, limit: int = MAX_FORM, changes: bool = True) -> dict[str, str]:
        """A POST's form (at most ``limit`` bytes), from one of her own portal pages (the session's CSRF token);
        else Refused 400. A form that ``changes`` something is refused 403 to a reader (:attr:`reads_only`)."""
        try:
            form = await read_form(self.request, limit)
        except BadForm:
            raise Refused(400, "Bad request", "The form could not be read.") from None
        if not self.seals.csrf_ok(self.session, form.get("csrf")):
            raise Refused(400, "This page has expired", "The form was not sent from this portal session. "
                                                          "Open the page again and retry.")
        if changes and self.reads_only:
            raise Refused(403, "Not allowed", "A Global Reader sees everything in the portal and changes nothing.")
        return form

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        """A page in the portal's layout: her name, the sections she may open, the CSRF token for forms."""
        return page(template, status, visitor=self, base=self.base, csrf=self.seals.csrf(self.session),
                    sections=navigation.visible(self), **context)


def _runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def _read_visitor(request: Request, tenant_key: str) -> Visitor | None:
    seals = seals_of(request)
    session = seals.session(request.cookies.get(SESSION_COOKIE))
    runtime = _runtime(request)
    try:
        tenant = runtime.directory.tenant(tenant_key)
    except GraphError:
        raise Refused(404, "No such tenant", "This server has no tenant by that name.") from None
    if session is None or session.tenant_id != tenant.id:
        return None
    with runtime.store.read() as tx:
        user = tx.user(tenant.id, session.user_id)
    revoked = user is not None and user.sign_in_sessions_valid_from is not None and \
        _epoch(user.sign_in_sessions_valid_from) > session.started
    subject = runtime.directory.signed_in_subject(tenant.id, session.user_id) if not revoked else None
    return Visitor(request, session, tenant, subject, seals) if subject is not None else None


def _epoch(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


async def visit(request: Request) -> Visitor:
    """The person signed in to the tenant the URL names; SignInNeeded when there is none."""
    found = await run_in_threadpool(_read_visitor, request, request.path_params["tenant"])
    if found is None:
        raise SignInNeeded
    return found


Handler = Callable[[Request], Awaitable[Response]]


def portal_page(handler: Callable[[Visitor], Awaitable[Response]]) -> Handler:
    """A portal route: the visitor made, a missing session sent to sign in (a GET comes back to its page), and
    every refusal (the portal's, or the directory's Graph error) shown as a page."""
    @wraps(handler)
    async def route(request: Request) -> Response:
        try:
            visitor = await visit(request)
            return await handler(visitor)
        except SignInNeeded:
            back = request.url.path if request.method == "GET" else f"{ROOT}/{request.path_params['tenant']}"
            return _to_sign_in(request.path_params["tenant"], back)
        except Refused as exc:
            return page("message.html", exc.status, title=exc.title, text=exc.text, back=ROOT)
        except GraphError as exc:
            return page("message.html", exc.status, title="That did not work", text=exc.message,
                        back=request.url.path)
    return route


def _to_sign_in(tenant: str, back: str) -> Response:
    return redirect(f"{ROOT}/sign-in?tenant={quote(tenant, safe='')}&next={quote(back, safe='/')}")
