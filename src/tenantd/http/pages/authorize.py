"""The authorize endpoints (``GET|POST /{tenant}/oauth2/v2.0/authorize``, v1's ``/{tenant}/oauth2/authorize``),
the admin consent endpoints (``GET /{tenant}/v2.0/adminconsent``, v1's ``/{tenant}/adminconsent``) and the
steps of their sign-in page (``POST /{tenant}/login``).

The request is validated (``tokens/authorize.py``); the browser's session decides what is asked
(``tokens/sso.py``): nothing, the account picker, or the sign-in steps. After a password, "Stay signed in?"
(``#idSIButton9`` Yes: a persistent session; ``#idBtn_Back`` No: one that ends with the browser) starts the
session. Then the consent page, when the client lacks what it asks for or at the admin consent endpoint
(``consent.py``), and the code, the ID token or both go back (``tokens/code_response.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain.errors import OAuthError
from ...tokens import interactive, sessions
from ...tokens.authorize import AuthorizeRefusal, AuthorizeRequest, parameters, validate, validate_admin_consent
from ...tokens.code_response import admit_to
from ...tokens.interactive import SignedIn
from ...tokens.sso import choose
from . import consent, signin
from .context import BadForm, Visit, read_form, refused_post
from .flow import PROOF_LIFETIME
from .render import page
from .replies import error_page, refusal

MAX_QUERY = 16 * 1024
AUTHORIZE, ADMIN_CONSENT = "a", "c"   # the kinds of flow (the sealed state's "k")


def endpoint(version: int, kind: str = AUTHORIZE) -> Callable[[Request], Awaitable[Response]]:
    """The authorize endpoint of one version (``kind`` ADMIN_CONSENT: the admin consent endpoint)."""
    async def authorize(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if request.method == "POST":
            try:
                pairs = list((await read_form(request)).items())
            except BadForm:
                return error_page(OAuthError(400, "invalid_request", 900144, "The request body is not a valid "
                                             "application/x-www-form-urlencoded form."))
        elif len(request.url.query) > MAX_QUERY:
            return error_page(OAuthError(400, "invalid_request", 90015, "The query string is too long."))
        else:
            pairs = parse_qsl(request.url.query, keep_blank_values=True)
        return await run_in_threadpool(_authorize, request, tenant, version, pairs, kind)
    return authorize


def _authorize(request: Request, tenant_key: str, version: int, pairs: list[tuple[str, str]],
               kind: str) -> Response:
    visit = Visit.of(request)
    try:
        params = parameters(pairs)
        authorize = _validate(visit, kind, tenant_key, version, params)
        session = sessions.find(visit.tokens.store, visit.session_cookie, visit.now())
        people = interactive.session_people(visit.tokens, session.accounts) if session else []
        choice = choose(authorize, people, visit.now())
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))
    journey = _journey({"k": kind, "t": tenant_key, "v": version, "p": params}, authorize)
    if choice.need == "silent" and choice.person is not None:
        return consent.after_sign_in(visit, journey, authorize, choice.person, session)
    if choice.need == "pick":
        return signin.picker_page(visit, journey, choice.accounts)
    if choice.need == "password" and choice.login_hint:
        return signin.password_page(visit, journey, choice.login_hint)
    return signin.name_page(visit, journey, choice.login_hint)


def _validate(visit: Visit, kind: str, tenant_key: str, version: int, params: dict[str, str]) -> AuthorizeRequest:
    check = validate_admin_consent if kind == ADMIN_CONSENT else validate
    return check(visit.tokens, tenant_key, version, params)


def _journey(state: dict[str, Any], authorize: AuthorizeRequest) -> signin.Journey:
    return signin.Journey(state, authorize.tenant, authorize.client, f"/{quote(state['t'], safe='')}/login",
                          (authorize.reply.redirect_uri,), authorize.max_age)


async def login_step(request: Request) -> Response:
    """``POST /{tenant}/login``: one step of an authorize flow's sign-in page."""
    try:
        form = await read_form(request)
    except BadForm:
        return refused_post()
    return await run_in_threadpool(_step, request, form)


def _step(request: Request, form: dict[str, str]) -> Response:
    visit = Visit.of(request)
    state = visit.flow(form) if visit.genuine(form) else None
    if state is None or state.get("k") not in (AUTHORIZE, ADMIN_CONSENT):
        return refused_post()
    try:
        authorize = _validate(visit, state["k"], state["t"], state["v"], state["p"])
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))
    journey = _journey({k: v for k, v in state.items() if k not in ("u", "cu")}, authorize)
    if form.get("step") == "kmsi":
        return _stay_signed_in(visit, journey, authorize, state, form.get("kmsi") == "Yes")
    if form.get("step") in consent.STEPS:
        return consent.step(visit, journey, authorize, state, form)
    outcome = signin.step(visit, journey, form)
    if isinstance(outcome, Response):
        return outcome
    if not outcome.by_password:
        return consent.after_sign_in(visit, journey, authorize, outcome.person,
                                     sessions.find(visit.tokens.store, visit.session_cookie, visit.now()))
    try:
        admit_to(visit.tokens, authorize, outcome.person.user)
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))
    user = outcome.person.user
    proof = {"id": user.id, "t": user.tenant_id, "at": outcome.person.auth_time}
    return visit.finish(page("stay_signed_in.html", form_targets=journey.form_targets, action=journey.action,
                             title="Stay signed in?", login_name=user.user_principal_name,
                             fields=visit.form_fields({**journey.state, "u": proof})))


def proven(visit: Visit, state: dict[str, Any]) -> SignedIn | None:
    """The person a flow's password proof names, while it is fresh and her account is still enabled."""
    proof = state.get("u")
    if not isinstance(proof, dict) or not isinstance(proof.get("at"), int):
        return None
    if not 0 <= visit.now() - proof["at"] <= PROOF_LIFETIME:
        return None
    return interactive.signed_in(visit.tokens, str(proof.get("t")), str(proof.get("id")), proof["at"])


def _stay_signed_in(visit: Visit, journey: signin.Journey, authorize: AuthorizeRequest, state: dict[str, Any],
                    persistent: bool) -> Response:
    person = proven(visit, state)
    if person is None:
        return refused_post()
    started = sessions.sign_in(visit.tokens.store, visit.session_cookie, person.user.tenant_id, person.user.id,
                               person.auth_time, persistent, visit.now())
    visit.set_cookies.append((sessions.SESSION_COOKIE, started.cookie, started.max_age))
    return consent.after_sign_in(visit, journey, authorize, person, started.session)
