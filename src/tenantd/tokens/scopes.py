"""What a person's token request asks for, as Entra reads it: OpenID Connect's scopes beside ONE resource's
access, from the v2 ``scope`` or the v1 ``resource``.

In a v2 ``scope``, besides ``openid profile email offline_access``:

- ``<resource>/.default``: everything the client holds on the resource;
- ``<resource>/<name>`` (``api://things/Things.Read``, ``https://graph.microsoft.com/User.Read``): that scope
  by name; a bare ``<name>`` (``User.Read``) is Microsoft Graph's;
- nothing else: Microsoft Graph's ``User.Read`` (the access token of a sign-in that asked only for an ID
  token is Graph's, as in Entra).

Every name must be of one resource (AADSTS28000), and ``.default`` stands alone (AADSTS70011).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import builtins
from . import errors
from .request import TokenRequest

MAX_SCOPES = 64


@dataclass(frozen=True)
class AccessRequest:
    """A request's resource and scopes. ``scopes`` None means ``.default`` (or v1's ``resource``)."""

    resource: str                    # as the client named it: "api://things", "https://graph.microsoft.com"
    scopes: tuple[str, ...] | None   # scope values asked for by name
    named: tuple[str, ...] = ()      # those names as the client wrote them (the response repeats them)
    oidc: tuple[str, ...] = ()       # OpenID Connect's scopes asked for, in their usual order

    @property
    def offline(self) -> bool:
        return "offline_access" in self.oidc

    @property
    def openid(self) -> bool:
        return "openid" in self.oidc


def requested(request: TokenRequest, *, scope: str = "", resource: str | None = None) -> AccessRequest:
    """What ``request`` asks for: its own v1 ``resource`` or ``scope``, else the ``resource`` or ``scope`` a
    code or refresh token was granted (given here)."""
    form = request.form
    if request.endpoint_version == 1 and form.get("resource"):
        return from_resource(form["resource"], form.get("scope", ""))
    if form.get("scope"):
        return from_scope(form["scope"])
    if resource:
        return from_resource(resource, scope)
    if scope:
        return from_scope(scope)
    name = "resource" if request.endpoint_version == 1 else "scope"
    raise errors.invalid_request(f"The request body must contain the following parameter: '{name}'.")


def from_resource(resource: str, scope: str = "") -> AccessRequest:
    """v1: a resource, and everything the client holds on it; ``scope=openid`` asks for an ID token."""
    return AccessRequest(resource, None, oidc=_oidc(scope.split()))


def from_scope(scope: str) -> AccessRequest:
    words = list(dict.fromkeys(scope.split()))
    if len(words) > MAX_SCOPES:
        raise errors.invalid_scope(scope, f"A request names at most {MAX_SCOPES} scopes.")
    others = [w for w in words if w.lower() not in builtins.OIDC_SCOPES]
    if not others:
        graph = builtins.GRAPH_RESOURCE
        return AccessRequest(graph, builtins.GRAPH_DEFAULT_SCOPES,
                             tuple(f"{graph}/{s}" for s in builtins.GRAPH_DEFAULT_SCOPES), _oidc(words))
    parts = [_split(w) for w in others]
    if len({resource.rstrip("/").lower() for resource, _ in parts}) > 1:
        raise errors.several_resources(scope)
    values = [value for _, value in parts]
    if ".default" in values:
        if len(values) > 1:
            raise errors.invalid_scope(scope, "'.default' cannot be combined with other scopes of the resource.")
        return AccessRequest(parts[0][0], None, (others[0],), _oidc(words))
    return AccessRequest(parts[0][0], tuple(values), tuple(others), _oidc(words))


def _split(word: str) -> tuple[str, str]:
    """(resource, scope value) of one scope as written; a bare name is Microsoft Graph's."""
    if "/" not in word:
        return builtins.GRAPH_RESOURCE, word
    resource, _, value = word.rpartition("/")
    if not resource or not value:
        raise errors.invalid_scope(word)
    return resource, value


def _oidc(words: list[str]) -> tuple[str, ...]:
    asked = {w.lower() for w in words}
    return tuple(s for s in builtins.OIDC_SCOPES if s in asked)


def response_scope(access: AccessRequest, granted: tuple[str, ...], *, offline: bool) -> str:
    """The token response's ``scope``: the resource's scopes as full names (for ``.default``, each granted one
    and ``.default`` itself, as Entra writes them and msal's cache looks them up), then OpenID Connect's
    (``offline_access`` only when a refresh token comes with the answer)."""
    if access.scopes is None:
        names = [*(f"{access.resource}/{value}" for value in granted), f"{access.resource}/.default"]
    else:
        names = list(access.named)
    oidc = [s for s in access.oidc if s != "offline_access" or offline]
    return " ".join([*names, *oidc])
