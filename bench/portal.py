"""The portal's list pages on the large directory: a Global Administrator signs in once through the real flow
(the portal's code + PKCE through tenantd's own sign-in page, driven as a browser would: httpx keeps the
cookies, the forms are read from the pages), then each list page and a search by name prefix on it is loaded
with her session cookie at 8 connections, next to a Graph list page (``servicePrincipals?$top=25``, the
admin app's token) at the same concurrency in the same run. Target of each: p99 < 100 ms."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from . import scenario, wrk
from .populate import CHUNK, Sizes, app_name, guid
from .servers import Tenantd
from .table import Row, Table

SIGN_INS = 200_000   # the sign-in log's cap per tenant (100,000 successes and 100,000 refusals)
AUDITS = 100_000
CONNECTIONS = 8
TARGET_MS = 100.0
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"   # the Global Administrator role's template id
PASSWORD = "Bench-Portal-Pass-1"
SESSION_COOKIE = "__Host-tenantd-portal"
BASELINE = "/v1.0/servicePrincipals?$top=25"
# Each list page (below the tenant's portal address) and the query of its search. The lists search by the
# prefix of a display name (bench.populate's names); the logs' app filter takes an application's name.
PAGES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("Users", "/users", {"q": "Bench User 0001"}),
    ("Groups", "/groups", {"q": "bench-group-001"}),
    ("App registrations", "/apps", {"q": "bench-app-0001"}),
    ("Enterprise applications", "/enterprise-apps", {"q": "bench-site-0001"}),
    ("Managed identities", "/identities", {"q": "bench-site-0001"}),
    ("Sign-in logs", "/sign-ins", {"app": app_name(1)}),
    ("Audit logs", "/audit-logs", {"app": app_name(1)}),
)


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    """The forms of a page with what a browser would send: named inputs (checkboxes only when checked), and
    the submit buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(a.get("action", ""))
            self.forms.append(self._open)
        elif self._open is None:
            return
        elif tag == "button" or (tag == "input" and a.get("type") == "submit"):
            self._open.buttons.append(a)
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" not in a:
            return
        elif tag == "input" and a.get("name"):
            self._open.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def submit(client: httpx.Client, page: httpx.Response, button: str = "idSIButton9", **fill: str) -> httpx.Response:
    """Press the button of id ``button`` on ``page``, as a browser would post its form."""
    parser = _Forms()
    parser.feed(page.text)
    for form in parser.forms:
        for b in form.buttons:
            if b.get("id") == button:
                data = {**form.fields, **fill, **({b["name"]: b.get("value", "")} if b.get("name") else {})}
                return client.post(form.action, data=data)
    raise RuntimeError(f"no button {button!r} on {page.url}: {page.status_code} {page.text[:300]}")


def admin(server: Tenantd) -> str:
    """A new user holding the Global Administrator role, created through Graph; her sign-in name."""
    headers = server.graph_headers()
    with server.http() as client:
        name = f"portal-admin-{uuid.uuid4().hex[:8]}@bench.test"
        user = scenario.ok(client.post("/v1.0/users", headers=headers, json={
            "userPrincipalName": name, "displayName": "Portal admin", "accountEnabled": True,
            "mailNickname": "portaladmin", "passwordProfile": {"password": PASSWORD,
                                                              "forceChangePasswordNextSignIn": False}}))
        scenario.ok(client.post("/v1.0/roleManagement/directory/roleAssignments", headers=headers, json={
            "principalId": user["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}))
    return name


def sign_in(server: Tenantd, name: str, password: str = PASSWORD) -> str:
    """Her portal session cookie's value, from the real sign-in: the portal sends the browser to tenantd's
    sign-in page (name, password, "Stay signed in?"), which sends it back with a code the portal redeems."""
    with server.http(public=True) as client:   # the address every redirect names, so the cookies go along
        step = client.get(f"/portal/{server.tenant_id}")
        for _ in range(2):   # to /portal/sign-in, then to the authorize endpoint's name page
            if step.status_code not in (302, 303):
                raise RuntimeError(f"the portal did not send the browser to sign in: {step.status_code}")
            step = client.get(step.headers["location"])
        step = submit(client, step, loginfmt=name)
        step = submit(client, step, passwd=password)
        back = submit(client, step)   # "Stay signed in?": yes
        if back.status_code != 302 or "/portal/signed-in?" not in back.headers.get("location", ""):
            raise RuntimeError(f"the sign-in did not come back to the portal: {back.status_code} {back.text[:300]}")
        landed = client.get(back.headers["location"])
        cookie = landed.cookies.get(SESSION_COOKIE)
        if landed.status_code != 200 or not cookie:
            raise RuntimeError(f"the portal set no session: {landed.status_code} {landed.text[:300]}")
    return cookie


def targets(server: Tenantd, cookie: str) -> list[tuple[str, str]]:
    """(row name, path) of each list page and its search that this server has, each checked to answer 200 to
    her session (a sign-in redirect would count as an answer to wrk)."""
    base, headers = f"/portal/{server.tenant_id}", {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    found = []
    with server.http() as client:
        for label, path, search in PAGES:
            for kind, url in (("list", base + path), ("search", f"{base}{path}?{urlencode(search)}")):
                response = client.get(url, headers=headers)
                if response.status_code == 404 and kind == "list":
                    break   # a page this server does not have
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
                found.append((f"{label}, {kind}", url))
    return found


def fill_logs(data: Path, tenant_id: str, sizes: Sizes, sign_ins: int = SIGN_INS, audits: int = AUDITS) -> None:
    """A full sign-in log and a large audit log, one second apart, spread over every application (so the search
    for one application's entries finds a few rows in the whole log), written through the store."""
    from tenantd.runtime import open_runtime, sqlite_url

    start = time.time() - sign_ins - 60

    def at(k: int) -> str:
        return datetime.fromtimestamp(start + k, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def sign_in(k: int) -> dict[str, Any]:
        app, failed = k % sizes.applications, k % 2
        return {"id": str(uuid.uuid4()), "tenant_id": tenant_id, "created": at(k), "kind": "client_credentials",
                "app_id": guid(2, app), "principal_id": guid(3, app), "principal_name": app_name(app),
                "resource": "api://bench", "resource_id": None, "roles": [], "error_code": 7000215 * failed,
                "error": "Invalid client secret provided." if failed else None, "client_ip": "127.0.0.1",
                "count": 1, "last_created": None}

    def audit(k: int) -> dict[str, Any]:
        app = k % sizes.applications
        return {"id": str(uuid.uuid4()), "tenant_id": tenant_id, "created": at(k), "correlation_id": str(uuid.uuid4()),
                "activity": "Update application", "category": "ApplicationManagement", "operation_type": "Update",
                "result": "success", "result_reason": None, "initiator_app_id": guid(2, app),
                "initiator_id": guid(3, app), "initiator_name": app_name(app), "targets": [
                    {"id": guid(1, app), "displayName": app_name(app), "type": "Application",
                     "userPrincipalName": None, "groupType": None, "modifiedProperties": []}]}

    rt = open_runtime(sqlite_url(data), data, None)
    try:
        for total, make, insert in ((sign_ins, sign_in, "insert_sign_ins"), (audits, audit, "insert_directory_audits")):
            for first in range(0, total, CHUNK):
                with rt.store.write() as tx:
                    getattr(tx, insert)([make(k) for k in range(first, min(total, first + CHUNK))])
        with rt.store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE sign_ins")
            conn.exec_driver_sql("ANALYZE directory_audits")
    finally:
        rt.store.dispose()


def rows(table: Table, server: Tenantd, seconds: float, log: Callable[[str], None], warmup: float = 1.0,
         sizes: Sizes | None = None) -> None:
    """A row per list page and per search on it, on a running server holding bench.populate's directory at
    ``sizes`` (the large directory for `make bench`); the logs are filled first."""
    sizes = sizes or Sizes()
    scale = sizes.applications / Sizes().applications
    log(f"portal: writing {round(SIGN_INS * scale):,} sign-ins and {round(AUDITS * scale):,} audit entries")
    fill_logs(server.data, server.tenant_id, sizes, round(SIGN_INS * scale), round(AUDITS * scale))
    log("portal: a Global Administrator signs in through tenantd's sign-in page")
    cookie = sign_in(server, admin(server))
    pages = targets(server, cookie)
    log(f"portal: Graph {BASELINE} (the portal rows' baseline), c{CONNECTIONS}")
    base = wrk.run(server.url + BASELINE, seconds=seconds, connections=CONNECTIONS,
                   headers=server.graph_headers(), warmup=warmup)
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    for name, path in pages:
        log(f"portal: {name}, c{CONNECTIONS}")
        load = wrk.run(server.url + path, seconds=seconds, connections=CONNECTIONS, headers=headers, warmup=warmup)
        bad = f"; {load.bad} non-2xx, {load.errors} socket errors" if load.bad or load.errors else ""
        table.add(Row(f"portal {name} (c{CONNECTIONS})", load.p99, "ms p99", "Graph SP page p99 ms", base.p99,
                      f"< {TARGET_MS:.0f} ms", f"p50 {load.p50:.1f} ms; {load.rps:,.0f} req/s, "
                      f"{load.rps / base.rps:.0%} of Graph's {base.rps:,.0f}{bad}",
                      load.p99 < TARGET_MS and not (load.bad or load.errors)))
    targets(server, cookie)   # the session still answers every page: the loads measured pages, not redirects
