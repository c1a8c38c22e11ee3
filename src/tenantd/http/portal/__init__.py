"""The portal: the tenant in a browser, at ``/portal/{tenant id}`` on the HTTPS listener.

Server-rendered Jinja2 pages with plain HTML forms and links (no script: every page works without
JavaScript and from the keyboard), one module per page family: ``overview``, ``users`` (and
``user_actions``), ``groups``, ``apps`` (and ``app_settings``, ``app_credentials``, ``app_manifest``),
``enterprise`` (service principals), ``identities``, ``logs``, ``keys``, ``tokens`` (preview and decoder),
``tenant_file`` (``tool_roles`` and ``tenant_roles`` decide its tools, which no Graph call does). ``guard``
decides every request (the session, the CSRF token, what the person may do), ``signin`` signs people in
through tenantd's own sign-in page, ``navigation`` lists the sections, ``listing`` pages and searches the
lists. See README "Portal".

A new page family: a module with ``routes(prefix)`` added below; its entry in ``navigation.SECTIONS``; each
handler ``@portal_page``, taking the :class:`~.guard.Visitor`, calling ``await visitor.form()`` first in a POST
and ``await visitor.require(Act(...), permissions)`` (the Graph call's own Act) before it reads or changes
anything, with the directory that returns; templates that extend ``base.html`` and import ``_forms.html``
(``csrf_field()`` in every POST form); its ``{id}`` family named in tests/security/test_52_portal.py.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..pages.render import static_route
from . import (
    app_credentials,
    app_manifest,
    app_settings,
    apps,
    enterprise,
    groups,
    identities,
    keys,
    logs,
    overview,
    signin,
    tenant_file,
    tokens,
    user_actions,
    users,
)
from .render import STATIC, STATIC_TYPES

_T = "/portal/{tenant}"
routes: list[BaseRoute] = [
    Route("/portal", signin.landing, methods=["GET"]),
    static_route("/portal/static", STATIC, STATIC_TYPES),
    Route("/portal/sign-in", signin.start, methods=["GET"]),
    Route("/portal/signed-in", signin.signed_in, methods=["GET"]),
    Route(_T, overview.overview, methods=["GET"]),
    Route(_T + "/sign-out", signin.sign_out, methods=["POST"]),
    *users.routes(_T),
    *user_actions.routes(_T),
    *groups.routes(_T),
    *apps.routes(_T),
    *app_settings.routes(_T),
    *app_credentials.routes(_T),
    *app_manifest.routes(_T),
    *enterprise.routes(_T),
    *identities.routes(_T),
    *logs.routes(_T),
    *keys.routes(_T),
    *tokens.routes(_T),
    *tenant_file.routes(_T),
]
