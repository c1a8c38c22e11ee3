"""The sign-in steps both the authorize flow and the device login page go through, in Entra's shape:

1. the account name (``input[name=loginfmt]``, ``#idSIButton9`` "Next"), or the account picker when the
   browser's session holds accounts (each a button, and "Use another account");
2. the password (``input[name=passwd]``, ``#idSIButton9`` "Sign in").

A step answers with the next page, or with the person who signed in (``Outcome``); what follows ("Stay signed
in?", the device confirmation) is the caller's. A wrong password and an unknown name get the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from ...domain.errors import OAuthError
from ...domain.model import Tenant
from ...tokens import interactive, sessions
from ...tokens.interactive import Client, SignedIn
from ...tokens.sso import eligible
from .context import Visit, refused_post
from .render import page

MESSAGES = {
    50126: "Your account or password is incorrect. If you don't remember your password, ask your administrator "
           "to reset it.",
    50053: "Your account is temporarily locked to prevent unauthorized use. Try again later, and if you still "
           "have trouble, contact your administrator.",
    50057: "Your account has been disabled. Contact your administrator to enable it, then try again.",
    50055: "Your password has expired and must be changed before you can sign in. Ask your administrator to set "
           "a new password.",
    90055: "Too many sign-ins are being checked right now. Wait a moment, then sign in again.",
}
NAME_MESSAGE = "Enter a valid email address or user name."


@dataclass(frozen=True)
class Journey:
    """What the steps need of the flow they serve: its state (without the steps' own keys), where people
    sign in (None: their own tenant) and to which application, where forms post, and where a form's answer
    may end (the authorize flow's redirect URI)."""

    state: dict[str, Any]
    tenant: Tenant | None
    client: Client
    action: str
    form_targets: tuple[str, ...] = ()
    max_age: int | None = None


@dataclass(frozen=True)
class Outcome:
    """Who signed in; ``by_password`` False when she chose an account her session holds."""

    person: SignedIn
    by_password: bool


def _page(visit: Visit, journey: Journey, template: str, state: dict[str, Any], status: int = 200,
          **context: Any) -> Response:
    return visit.finish(page(template, status, form_targets=journey.form_targets, action=journey.action,
                             app_name=journey.client.display_name, fields=visit.form_fields(state), **context))


def name_page(visit: Visit, journey: Journey, login_hint: str | None = None, message: str | None = None,
              status: int = 200) -> Response:
    return _page(visit, journey, "sign_in_name.html", journey.state, status, title="Sign in",
                 login_hint=login_hint or "", message=message)


def password_page(visit: Visit, journey: Journey, login_name: str, message: str | None = None,
                  status: int = 200) -> Response:
    return _page(visit, journey, "sign_in_password.html", {**journey.state, "n": login_name}, status,
                 title="Enter password", login_name=login_name, message=message)


def picker_page(visit: Visit, journey: Journey, people: tuple[SignedIn, ...]) -> Response:
    return _page(visit, journey, "pick_account.html", journey.state, title="Pick an account",
                 accounts=[(p.user.id, p.user.display_name, p.user.user_principal_name) for p in people])


def session_people(visit: Visit, journey: Journey) -> tuple[SignedIn, ...]:
    """The accounts of the browser's session this journey could sign in."""
    session = sessions.find(visit.tokens.store, visit.session_cookie, visit.now())
    people = interactive.session_people(visit.tokens, session.accounts) if session else []
    return eligible(journey.tenant, journey.client, people)


def step(visit: Visit, journey: Journey, form: dict[str, str]) -> Response | Outcome:
    """Answer one sign-in step of ``form``: the next page, or the person who signed in."""
    kind = form.get("step")
    if kind == "name":
        name = form.get("loginfmt", "").strip()
        if not name or len(name) > interactive.MAX_LOGIN_NAME:
            return name_page(visit, journey, name[:interactive.MAX_LOGIN_NAME], NAME_MESSAGE, 400)
        return password_page(visit, journey, name)
    if kind == "password":
        return _password(visit, journey, form)
    if kind == "pick":
        return _pick(visit, journey, form.get("account", ""))
    if kind == "back":
        return name_page(visit, journey, str(journey.state.get("n") or ""))
    return refused_post()


def _password(visit: Visit, journey: Journey, form: dict[str, str]) -> Response | Outcome:
    name = journey.state.get("n")
    if not isinstance(name, str) or not name:
        return refused_post()
    try:
        person = interactive.authenticate(visit.tokens, journey.tenant, name, form.get("passwd", ""),
                                          visit.client_ip, journey.client)
    except OAuthError as exc:
        message = MESSAGES.get(exc.aadsts, f"AADSTS{exc.aadsts}: {exc.description}")
        return password_page(visit, journey, name, message, exc.status)
    return Outcome(person, by_password=True)


def _pick(visit: Visit, journey: Journey, account: str) -> Response | Outcome:
    if account == "other":
        return name_page(visit, journey)
    chosen = next((p for p in session_people(visit, journey) if p.user.id == account), None)
    if chosen is None:   # signed out (or removed) meanwhile
        return name_page(visit, journey)
    if journey.max_age is not None and visit.now() - chosen.auth_time > journey.max_age:
        return password_page(visit, journey, chosen.user.user_principal_name)
    return Outcome(chosen, by_password=False)
