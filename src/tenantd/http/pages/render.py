"""Rendering the pages: Jinja2 templates shipped in the package, every value autoescaped (SECURITY.md
item 45: no template marks input safe), and the headers every page and redirect carries (item 44).

The Content-Security-Policy allows no inline script or style and nothing from another origin; ``form-action``
names, besides the pages' own origin, the one redirect URI an authorize flow may end at (a browser applies
form-action to the redirect that answers a form, and a form_post answer posts there)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"], default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)

NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}
_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'{targets}; "
        "frame-ancestors 'none'; base-uri 'none'")
_SOURCE_SAFE = "/:@!$&+=~-._"   # what a CSP source may hold of a URL path; the rest is percent-encoded
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,63}")
_UNSAFE_SCHEMES = {"javascript", "data", "blob", "filesystem", "file", "about"}


def csp_source(uri: str) -> str | None:
    """``uri`` as a CSP source: for http(s), a host-source (scheme, host, port and path, no query); for a
    public client's own scheme (``msal<appId>://auth``), a scheme-source. None when it can be neither."""
    try:
        parts = urlsplit(uri)
        parts.port   # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"{scheme}:" if _SCHEME.fullmatch(scheme) and scheme not in _UNSAFE_SCHEMES else None
    if not parts.hostname or "@" in parts.netloc:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{scheme}://{quote(host, safe='.[]:-')}{port}{quote(parts.path, safe=_SOURCE_SAFE)}"


def security_headers(form_targets: Iterable[str] = ()) -> dict[str, str]:
    sources = [s for s in (csp_source(t) for t in form_targets) if s]
    return {**NO_CACHE, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _CSP.format(targets="".join(f" {s}" for s in sources))}


def page(template: str, status: int = 200, *, form_targets: Iterable[str] = (), **context: Any) -> HTMLResponse:
    """A page from ``template`` with its headers; ``form_targets``: URLs its forms may end at."""
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=security_headers(form_targets))


def redirect(url: str) -> Response:
    """A 302 that neither caches nor leaks the page's address; no frame header, so a silent sign-in in a
    hidden frame (``prompt=none``) can still reach the client."""
    return RedirectResponse(url, status_code=302, headers=NO_CACHE)


def static_route(path: str, folder: Path, types: dict[str, str]) -> Route:
    """``GET {path}/{name}``: one of the listed files of ``folder`` (its media type in ``types``), else 404."""
    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in types:
            return Response("Not found", status_code=404, media_type="text/plain")
        return Response((folder / name).read_bytes(), media_type=types[name], headers={
            "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})
    return Route(path + "/{name}", static, methods=["GET"])


STATIC_TYPES = {"pages.css": "text/css; charset=utf-8", "form_post.js": "text/javascript; charset=utf-8"}
