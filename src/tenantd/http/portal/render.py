"""Rendering the portal's pages: its Jinja2 templates (autoescaped: no template marks input safe), with the
headers every sign-in page carries (pages/render.security_headers: a CSP with no inline script or style and
``frame-ancestors 'none'``, nosniff, no referrer, no-store: a page may show a secret once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..pages.render import NO_CACHE, security_headers

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {"portal.css": "text/css; charset=utf-8"}
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"], default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=security_headers())


def redirect(url: str) -> Response:
    """A 303 (a POST's answer is then fetched with GET) to one of the portal's own paths."""
    return RedirectResponse(url, status_code=303, headers=NO_CACHE)
