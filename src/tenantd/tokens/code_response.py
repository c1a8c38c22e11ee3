"""The authorize endpoint's answer once a person is signed in: she is admitted to the application, what the
client asks for is checked in her tenant, and the answer goes back with ``state`` and ``session_state``: a
code bound to the client, the redirect URI, the PKCE challenge and the nonce (``codes.issue_code``), an ID
token carrying the nonce (``id_token``; with the code's ``c_hash`` for ``code id_token``), or both. The ID token
carries the groups the client's ``groupMembershipClaims`` asks for, and ``hasgroups`` instead of more than five
(it travels in a URL).

An application of one organization (AzureADMyOrg) reached through ``common`` or ``organizations`` is refused
once the person is known, and the refusal goes back to the client (AADSTS50194, as Entra sends it): such an
application signs people in at its own tenant's endpoints only."""

from __future__ import annotations

from ..domain.builtins import OIDC_SCOPES
from ..domain.claims import IdTokenFacts, code_hash
from ..domain.errors import OAuthError
from ..domain.model import User
from . import errors
from . import sign_in_errors as page_errors
from .authorize import AuthorizeRefusal, AuthorizeRequest
from .codes import CodeRequest, issue_code
from .group_claims import groups_for
from .interactive import SignedIn, admit
from .people_clients import client_of
from .resources import resolve
from .service import TokenService
from .sessions import Session
from .user_access import client_info

GRAPH = "https://graph.microsoft.com"


def respond(service: TokenService, request: AuthorizeRequest, person: SignedIn, session: Session | None,
            client_ip: str | None = None) -> list[tuple[str, str]]:
    """The parameters of the answer, in Entra's order; an AuthorizeRefusal when the person may not sign in to
    the application (shown; sent back only for ``prompt=none``, which shows nothing) or the request asks for
    what her tenant cannot give (sent back). ``client_ip``: where she signs in from (v1 ID tokens say)."""
    user, client = person.user, request.client
    admit_to(service, request, user)
    try:
        check_scope(service, user.tenant_id, request)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, request.reply) from None
    answer = []
    code = _code(service, request, person, session) if "code" in request.response_types else None
    if code is not None:
        answer.append(("code", code))
    if "id_token" in request.response_types and _openid(request):
        facts = IdTokenFacts(request.endpoint_version, request.nonce, client_ip, code_hash(code) if code else None,
                             groups=_client_groups(service, user, client.app_id), implicit=True)
        answer.append(("id_token", service.issue_id_token(user.tenant_id, user, client.app_id, facts)))
    if request.client_info:
        answer.append(("client_info", client_info(user.id, user.tenant_id)))
    if request.reply.state is not None:
        answer.append(("state", request.reply.state))
    if session is not None:
        answer.append(("session_state", session.state))
    return answer


def _client_groups(service: TokenService, user: User, client_app_id: str) -> tuple[str, ...] | None:
    """The user's groups the client's ``groupMembershipClaims`` asks for (its service principal in her tenant)."""
    view = service.directory_cache.view()
    _, sp = client_of(view, user.tenant_id, client_app_id)
    return groups_for(view, user.tenant_id, sp, user.id) if sp is not None else None


def admit_to(service: TokenService, request: AuthorizeRequest, user: User) -> None:
    """Refuse ``user`` the request's application: AADSTS50194 sent back; what ``interactive.admit`` refuses
    shown (sent back only for ``prompt=none``)."""
    client = request.client
    if request.tenant is None and not client.multi_tenant:
        raise AuthorizeRefusal(page_errors.single_tenant_at_common(client.app_id, client.display_name),
                               request.reply)
    try:
        admit(service, client, user)
    except OAuthError as exc:
        raise AuthorizeRefusal(exc, request.reply if request.prompt == "none" else None) from None


def _code(service: TokenService, request: AuthorizeRequest, person: SignedIn, session: Session | None) -> str:
    user = person.user
    return issue_code(service.store, CodeRequest(
        tenant_id=user.tenant_id, client_app_id=request.client.app_id, user_id=user.id,
        redirect_uri=request.reply.redirect_uri, scope=request.scope, resource=request.resource,
        endpoint_version=request.endpoint_version, code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method, nonce=request.nonce, auth_time=person.auth_time,
        session_hash=session.id_hash if session else None), int(service.clock()))


def _openid(request: AuthorizeRequest) -> bool:
    """An ID token is sent when the v2 scope holds ``openid`` (Entra's documented condition); v1 always."""
    return request.endpoint_version == 1 or "openid" in request.scope.split()


def check_scope(service: TokenService, tenant_id: str, request: AuthorizeRequest) -> None:
    """What the client asks for, in the tenant of the person signing in: each resource its scopes name (v2)
    or its ``resource`` (v1) must be there (AADSTS500011). Whether the client holds the scopes is asked before
    the answer (the consent page, ``consent_prompt.py``), and the token endpoint checks them again."""
    names = [request.resource] if request.resource else requested_resources(request.scope)
    with service.store.read() as tx:
        for name in names:
            if resolve(tx, tenant_id, name, service.public_url) is None:
                raise errors.unknown_resource(name, tenant_id)


def requested_resources(scope: str) -> list[str]:
    """The resources a v2 scope names, in order: ``api://things/Things.Read`` names ``api://things``; a bare
    ``User.Read`` names Microsoft Graph; OpenID Connect's own scopes name none."""
    found: dict[str, None] = {}
    for value in scope.split():
        if value in OIDC_SCOPES:
            continue
        resource, slash, _ = value.rpartition("/")
        found[resource if slash and resource else GRAPH] = None
    return list(found)
