"""The pages people see: the authorize endpoints, their sign-in and consent pages and the admin consent
endpoint, sign-out, and the device login page.

Pages are adapters like the JSON routes: they parse a form, call the token service's use cases
(``tokens/authorize.py``, ``sso.py``, ``interactive.py``, ``sessions.py``, ``code_response.py``,
``consent_prompt.py``, ``device_login.py``, ``sign_out.py``) and render a template. They need nothing from
outside the server: one stylesheet and one script, both served here."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import authorize, device, logout
from .render import STATIC, STATIC_TYPES, static_route

STATIC_PATH = "/_tenantd/static"

asset_routes: list[BaseRoute] = [static_route(STATIC_PATH, STATIC, STATIC_TYPES)]
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
