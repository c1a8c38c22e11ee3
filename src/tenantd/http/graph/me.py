"""``/me``: the signed-in user, as a delegated call names her. Each ``/users/{id}`` path is also served as
``/me`` (``/me/ownedObjects``, ``/me/appRoleAssignments``, ``/me/oauth2PermissionGrants``, memberships ...,
whichever exist): the same handler, with ``{id}`` her object id from the token, decided and answered exactly as
that call is. An app-only token has no user: Graph's 400 ("/me request is only valid with delegated
authentication flow.")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ...domain.errors import BadRequest
from ..auth import graph_audiences, verified_claims

Handler = Callable[[Request], Awaitable[Response]]
PREFIX = "/users/{id}"


def path(users_path: str) -> str | None:
    """The ``/me`` path of a ``/users/{id}`` path (None for any other)."""
    if users_path == PREFIX or users_path.startswith(PREFIX + "/"):
        return "/me" + users_path.removeprefix(PREFIX)
    return None


async def alias(handler: Handler, request: Request) -> Response:
    """``handler`` (a ``/users/{id}`` call) for the user the request's token signed in."""
    claims = await verified_claims(request, graph_audiences(request.app.state.runtime.public_url))
    if claims.get("idtyp") != "user":
        raise BadRequest("/me request is only valid with delegated authentication flow.", code="BadRequest")
    scope = {**request.scope, "path_params": {**request.path_params, "id": str(claims.get("oid", ""))}}
    return await handler(Request(scope, request.receive))
