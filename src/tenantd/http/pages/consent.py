"""The consent page ("Permissions requested") and "Need admin approval", once a person has signed in at the
authorize endpoint or the admin consent endpoint (what they ask: ``tokens/consent_prompt.py``).

The consent page names the application and its publisher (tenantd verifies none, so "unverified", as Entra
shows an application without a verified publisher) and each permission with its description; Accept is
``#idSIButton9``, Cancel ``#idBtn_Back``. An administrator also sees "Consent on behalf of your organization"
(at the admin consent endpoint her consent is the organization's anyway). A person asked for what she may not
grant sees "Need admin approval" (AADSTS90094): she may sign in with an admin account, or return to the
application without consenting.

The answer is a step of the sign-in: the form holds the browser's CSRF token and sealed flow (``flow.py``),
the person it names must still be in the browser's session, and what is asked, and whether she may grant it,
is worked out again when she answers. Accept records the grant (audited with her as the actor) and the flow
goes on to the redirect URI with the code (or, at the admin consent endpoint, ``admin_consent=True``); Cancel
sends ``access_denied`` (AADSTS65004).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...domain import consent_rules
from ...domain.errors import OAuthError
from ...tokens import consent_prompt, interactive, sessions
from ...tokens import sign_in_errors as page_errors
from ...tokens.authorize import AuthorizeRefusal, AuthorizeRequest
from ...tokens.code_response import admit_to, check_scope, respond
from ...tokens.consent_prompt import ConsentAsk, ConsentRefused
from ...tokens.interactive import SignedIn
from . import signin
from .context import Visit, refused_post
from .render import page
from .replies import error_to_client, refusal, to_client

ORGANIZATION_FIELD = "consentOnBehalfOfOrganization"
STEPS = ("consent", "admin-account")   # the sign-in steps these pages answer
UNVERIFIED = "unverified"


def after_sign_in(visit: Visit, journey: signin.Journey, request: AuthorizeRequest, person: SignedIn,
                  session: sessions.Session | None) -> Response:
    """The answer once ``person`` has signed in: the consent page while the client lacks what it asks for
    (``consent_required`` under ``prompt=none``), else the answer to the client."""
    try:
        ask = _ask(visit, request, person)
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))
    if ask is None:
        return _respond(visit, request, person, session)
    if request.prompt == "none":
        error = page_errors.consent_required_silently(request.client.app_id, request.client.display_name,
                                                      ask.resource)
        return visit.finish(error_to_client(request.reply, error))
    return _page(visit, journey, ask, person)


def step(visit: Visit, journey: signin.Journey, request: AuthorizeRequest, state: dict[str, Any],
         form: dict[str, str]) -> Response:
    """The consent page's answer (``step=consent``) or "Have an admin account?" (``step=admin-account``)."""
    if form.get("step") == "admin-account":
        return signin.name_page(visit, journey)
    found = _consenting(visit, state)
    if found is None:
        return refused_post()
    person, session = found
    decision = form.get("consent")
    if decision == "Cancel":
        return visit.finish(error_to_client(request.reply, page_errors.consent_declined()))
    if decision != "Accept":
        return refused_post()
    try:
        ask = _ask(visit, request, person)
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))
    if ask is None:   # granted meanwhile
        return _respond(visit, request, person, session)
    try:
        consent_prompt.accept(visit.pages.directory, visit.tokens, ask, person.user,
                              for_everyone=form.get(ORGANIZATION_FIELD) == "on")
    except ConsentRefused:
        return _approval(visit, _common(visit, journey, ask, person))
    if request.admin_consent:
        return visit.finish(to_client(request.reply, _admin_consented(request, person)))
    return _respond(visit, request, person, session)


def _ask(visit: Visit, request: AuthorizeRequest, person: SignedIn) -> ConsentAsk | None:
    admit_to(visit.tokens, request, person.user)
    if request.admin_consent:
        return consent_prompt.for_organization(visit.tokens, request, person.user.tenant_id)
    try:
        check_scope(visit.tokens, person.user.tenant_id, request)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, request.reply) from None
    return consent_prompt.needed(visit.tokens, request, person.user)


def _consenting(visit: Visit, state: dict[str, Any]) -> tuple[SignedIn, sessions.Session] | None:
    """The person the consent page was shown to, while the browser's session still holds her account."""
    named = state.get("cu")
    session = sessions.find(visit.tokens.store, visit.session_cookie, visit.now())
    if not isinstance(named, dict) or session is None:
        return None
    people = interactive.session_people(visit.tokens, session.accounts)
    person = next((p for p in people if p.user.id == named.get("id") and p.user.tenant_id == named.get("t")), None)
    return (person, session) if person is not None else None


def _page(visit: Visit, journey: signin.Journey, ask: ConsentAsk, person: SignedIn) -> Response:
    """The consent page, or "Need admin approval" when the person may not grant what is asked."""
    roles = consent_prompt.directory_roles(visit.tokens, person.user)
    common = _common(visit, journey, ask, person)
    if not consent_rules.may_grant(ask.permissions, roles, for_everyone=ask.for_organization):
        return _approval(visit, common)
    return visit.finish(page(
        "consent.html", title="Permissions requested", organization=ask.for_organization,
        on_behalf_choice=consent_rules.is_administrator(roles) and not ask.for_organization,
        organization_field=ORGANIZATION_FIELD, permissions=_lines(ask), **common))


def _approval(visit: Visit, common: dict[str, Any]) -> Response:
    error = page_errors.admin_approval_required(common["app_name"])
    return visit.finish(page("consent_approval.html", title="Need admin approval", code=error.aadsts, **common))


def _common(visit: Visit, journey: signin.Journey, ask: ConsentAsk, person: SignedIn) -> dict[str, Any]:
    """What both pages show and post: the form (its flow names the person), her name, the application."""
    fields = visit.form_fields({**journey.state, "cu": {"id": person.user.id, "t": person.user.tenant_id}})
    return {"form_targets": journey.form_targets, "action": journey.action, "fields": fields,
            "login_name": person.user.user_principal_name, "app_name": ask.client.display_name,
            "publisher": UNVERIFIED}


def _lines(ask: ConsentAsk) -> list[dict[str, str]]:
    """The page's permission lines: OpenID Connect's as Entra words them, then each permission, naming its
    resource when the page asks for more than one."""
    several = len({p.resource_id for p in ask.permissions}) > 1
    lines = [{"value": s, "resource": "", "title": consent_rules.OIDC_TEXTS[s][0],
              "description": consent_rules.OIDC_TEXTS[s][1]} for s in ask.oidc]
    for p in ask.permissions:
        title, description = p.texts(admin=ask.for_organization)
        lines.append({"value": p.value, "resource": p.resource_name if several else "", "title": title,
                      "description": description})
    return lines


def _respond(visit: Visit, request: AuthorizeRequest, person: SignedIn,
             session: sessions.Session | None) -> Response:
    try:
        answer = respond(visit.tokens, request, person, session, visit.client_ip)
        return visit.finish(to_client(request.reply, answer))
    except AuthorizeRefusal as exc:
        return visit.finish(refusal(exc))


def _admin_consented(request: AuthorizeRequest, person: SignedIn) -> list[tuple[str, str]]:
    """The admin consent endpoint's answer: ``admin_consent``, the tenant, the scope granted, ``state``."""
    answer = [("admin_consent", "True"), ("tenant", person.user.tenant_id)]
    if request.scope:
        answer.append(("scope", request.scope))
    if request.reply.state is not None:
        answer.append(("state", request.reply.state))
    return answer
