"""A token endpoint request as the grants see it, and what they return."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import OAuthError
from ..domain.ids import is_guid
from . import errors


@dataclass(frozen=True)
class TokenRequest:
    """A token endpoint call: the tenant segment of the path, the endpoint version, the form."""

    tenant: str
    endpoint_version: int
    form: dict[str, str]
    basic_auth: tuple[str, str] | None = None
    client_ip: str | None = None
    origin: str | None = None        # the Origin header: a browser's cross-origin request (a spa's)


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and, for the sign-in log, whom it was issued to (filled in by ``TokenService.issue``)."""

    access_token: str
    expires_in: int
    expires_on: int
    not_before: int
    resource: str
    app_id: str | None = None
    principal_id: str | None = None
    principal_name: str | None = None
    resource_id: str | None = None      # the resource's appId
    roles: tuple[str, ...] = ()
    response: tuple[tuple[str, str], ...] = ()   # more members of the token response (a user's ``scope``)



def requested_resource(request: TokenRequest) -> str:
    """The resource named by ``resource=`` (v1) or a single ``<resource>/.default`` scope (v2)."""
    if request.endpoint_version == 1 and "scope" not in request.form:
        resource = request.form.get("resource", "")
        if not resource:
            raise errors.invalid_request("The request body must contain the following parameter: 'resource'.")
        return resource
    scope = request.form.get("scope", "")
    if not scope:
        raise errors.invalid_request("The request body must contain the following parameter: 'scope'.")
    parts = scope.split()
    if len(parts) != 1 or not parts[0].endswith("/.default"):
        raise errors.scope_needs_default(scope[:256])
    resource = parts[0].removesuffix("/.default")
    if not resource:
        raise errors.scope_needs_default(scope[:256])
    return resource


def client_id_of(request: TokenRequest) -> str:
    form_id = request.form.get("client_id", "")
    basic_id = request.basic_auth[0] if request.basic_auth else ""
    if form_id and basic_id and form_id != basic_id:
        raise errors.invalid_request("client_id in the body and in the Authorization header differ.")
    client_id = form_id or basic_id
    if not client_id:
        raise errors.invalid_request("The request body must contain the following parameter: 'client_id'.")
    if not is_guid(client_id):
        raise OAuthError(400, "unauthorized_client", 700016,
                                f"Application with identifier '{client_id[:64]}' was not found in the directory.")
    return client_id.lower()
