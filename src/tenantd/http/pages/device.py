"""The device login page (``/devicelogin``): the person types the code her device shows (``input[name=otc]``,
``#idSIButton9`` Next), signs in (the sign-in steps, or an account her browser session holds), and is asked
whether she is trying to sign in to the application by name ("Are you trying to sign in to Microsoft Azure
CLI?", Continue ``#idSIButton9``, Cancel ``#idBtn_Back``) before the code is approved or declined (SECURITY.md
item 47). Wrong codes are throttled per source (``tokens/device_login.py``)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain.errors import OAuthError
from ...domain.sign_in_state import DeviceCode
from ...tokens import interactive
from ...tokens.interactive import SignedIn
from . import signin
from .authorize import proven
from .context import BadForm, Visit, read_form, refused_post
from .render import page
from .replies import error_page

ACTION = "/devicelogin"
CODE_MESSAGES = {
    70018: "That code didn't work. Check the code and try again.",
    70019: "The code you entered has expired. Get a new code from the device you're trying to sign in to and "
           "try again.",
    90120: "That code was already used. Get a new code from the device you're trying to sign in to and try again.",
    90055: "Too many wrong codes were entered from this address. Wait a few minutes, then try again.",
}


async def device_login(request: Request) -> Response:
    if request.method == "GET":
        return await run_in_threadpool(lambda: _code_page(Visit.of(request)))
    try:
        form = await read_form(request)
    except BadForm:
        return refused_post()
    return await run_in_threadpool(_post, request, form)


def _code_page(visit: Visit, error: OAuthError | None = None) -> Response:
    message = None if error is None else CODE_MESSAGES.get(error.aadsts, error.description)
    response = page("device_code.html", 200 if error is None else error.status, title="Enter code",
                    action=ACTION, fields=visit.form_fields(None), message=message)
    response.headers.update(error.headers if error is not None else {})
    return visit.finish(response)


def _post(request: Request, form: dict[str, str]) -> Response:
    visit = Visit.of(request)
    if not visit.genuine(form):
        return refused_post()
    if form.get("step") == "code":
        try:
            code = visit.pages.device_login.pending(form.get("otc", ""), visit.client_ip)
        except OAuthError as exc:
            return _code_page(visit, exc)
        journey = _journey(visit, {"k": "d", "c": code.user_code}, code)
        people = signin.session_people(visit, journey)
        return signin.picker_page(visit, journey, people) if people else signin.name_page(visit, journey)
    state = visit.flow(form)
    if state is None or state.get("k") != "d" or not isinstance(state.get("c"), str):
        return refused_post()
    try:
        code = visit.pages.device_login.again(state["c"])
    except OAuthError as exc:
        return _code_page(visit, exc)
    journey = _journey(visit, {k: v for k, v in state.items() if k != "u"}, code)
    if form.get("step") == "confirm":
        return _answer(visit, journey, code, state, form.get("decision") == "Continue")
    outcome = signin.step(visit, journey, form)
    if isinstance(outcome, Response):
        return outcome
    return _confirmation(visit, journey, outcome.person)


def _journey(visit: Visit, state: dict[str, Any], code: DeviceCode) -> signin.Journey:
    tenant = visit.tokens.tenant(code.tenant_id) if code.tenant_id else None
    return signin.Journey(state, tenant, interactive.client_of_device_code(visit.tokens, code.client_app_id,
                                                                          code.tenant_id), ACTION)


def _confirmation(visit: Visit, journey: signin.Journey, person: SignedIn) -> Response:
    try:
        interactive.admit(visit.tokens, journey.client, person.user)
    except OAuthError as exc:
        return visit.finish(error_page(exc))
    proof = {"id": person.user.id, "t": person.user.tenant_id, "at": person.auth_time}
    return visit.finish(page("device_confirm.html", title="Are you trying to sign in?", action=ACTION,
                             app_name=journey.client.display_name, login_name=person.user.user_principal_name,
                             fields=visit.form_fields({**journey.state, "u": proof})))


def _answer(visit: Visit, journey: signin.Journey, code: DeviceCode, state: dict[str, Any],
            approved: bool) -> Response:
    person = proven(visit, state)
    if person is None:
        return refused_post()
    try:
        interactive.admit(visit.tokens, journey.client, person.user)
        visit.pages.device_login.answer(code, approved, person.user, person.auth_time)
    except OAuthError as exc:
        return _code_page(visit, exc) if exc.aadsts in CODE_MESSAGES else visit.finish(error_page(exc))
    return visit.finish(page("device_done.html", title=journey.client.display_name, approved=approved,
                             app_name=journey.client.display_name))
