"""The pages people see: the authorize endpoints, their sign-in and consent pages and the admin consent
endpoint, sign-out, and the device login page.

Pages are adapters like the JSON routes: they parse a form, call the token service's use cases
(``tokens/authorize.py``, ``sso.py``, ``interactive.py``, ``sessions.py``, ``code_response.py``,
``consent_prompt.py``, ``device_login.py``, ``sign_out.py``) and render a template. They need nothing from
outside the server: one stylesheet and one script, both served here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import authorize, device, logout
from .render import STATIC_TYPES, static_file

STATIC_PATH = "/_tenantd/static"


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    content = static_file(name)
    if content is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(content, media_type=STATIC_TYPES[name], headers={
        "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


asset_routes: list[BaseRoute] = [Route(STATIC_PATH + "/{name}", static, methods=["GET"])]
routes: list[BaseRoute] = [
    Route("/devicelogin", device.device_login, methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/v2.0/authorize", authorize.endpoint(2), methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/authorize", authorize.endpoint(1), methods=["GET", "POST"]),
    Route("/{tenant}/v2.0/adminconsent", authorize.endpoint(2, authorize.ADMIN_CONSENT), methods=["GET"]),
    Route("/{tenant}/adminconsent", authorize.endpoint(1, authorize.ADMIN_CONSENT), methods=["GET"]),
    Route("/{tenant}/login", authorize.login_step, methods=["POST"]),
    Route("/{tenant}/oauth2/v2.0/logout", logout.logout, methods=["GET", "POST"]),
    Route("/{tenant}/oauth2/logout", logout.logout, methods=["GET", "POST"]),
]
