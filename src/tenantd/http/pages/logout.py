"""Sign-out (``GET|POST /{tenant}/oauth2/v2.0/logout``, v1's ``/{tenant}/oauth2/logout``): the browser's session
ends on every replica, its cookie is cleared, and the browser goes to ``post_logout_redirect_uri`` only when
the application the request names registered it (``tokens/sign_out.py``); else "You signed out"."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...tokens import sessions
from ...tokens.sign_out import after_sign_out
from .context import BadForm, Visit, read_form
from .render import page, redirect

MAX_QUERY = 32 * 1024


async def logout(request: Request) -> Response:
    if request.method == "POST":
        try:
            params = await read_form(request)
        except BadForm:
            params = {}
    else:
        query = request.url.query
        params = dict(parse_qsl(query, keep_blank_values=True)) if len(query) <= MAX_QUERY else {}
    return await run_in_threadpool(_logout, request, params)


def _logout(request: Request, params: dict[str, str]) -> Response:
    visit = Visit.of(request)
    sessions.sign_out(visit.tokens.store, visit.session_cookie)
    if visit.session_cookie is not None:
        visit.set_cookies.append((sessions.SESSION_COOKIE, "", 0))
    target = after_sign_out(visit.tokens, request.path_params["tenant"], params)
    if target is not None:
        return visit.finish(redirect(target))
    return visit.finish(page("signed_out.html", title="You signed out of your account"))
