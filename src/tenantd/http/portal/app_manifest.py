"""An app registration's manifest: its writable properties as Graph's JSON in a text area. A save is
previewed first, as the old and the new JSON line by line, and saved only once she confirms that preview.
The JSON is checked as Graph's ``PATCH /applications/{id}`` checks its body (graph/application_body.py, and
the directory's rules on the values) both for the preview and for the save; the save is refused when the
registration changed since the preview was shown."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import credentials, registration, rules
from ...domain import user_permissions as can
from ...domain.errors import BadRequest, GraphError
from ...domain.model import Application
from ...domain.user_permissions import Target
from ..graph import acts, application_body, serialize
from ..graph.access import APPLICATION_READ, APPLICATION_WRITE
from ..graph.acts import Act
from .apps import READ, app_page
from .apps import registration as find_registration
from .guard import Visitor, portal_page

UPDATE = Act(can.APPS_UPDATE, acts.application)
# What the manifest holds: what Graph's PATCH accepts, but certificates (their own section adds them).
MANIFEST_KEYS = ("displayName", "signInAudience", "identifierUris", "appRoles", "api", "web", "spa", "publicClient",
                 "isFallbackPublicClient", "groupMembershipClaims", "optionalClaims", "requiredResourceAccess")


def manifest_of(app: Application) -> str:
    full = serialize.application(app)
    return json.dumps({key: full[key] for key in MANIFEST_KEYS}, indent=2, ensure_ascii=False)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parsed(text: str) -> dict[str, Any]:
    """The manifest's changes as Graph's PATCH takes them; BadRequest naming what is wrong."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"The manifest is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    if not isinstance(body, dict):
        raise BadRequest("The manifest is a JSON object.")
    return application_body.changes(body)


def checked(app: Application, changes: dict[str, Any]) -> None:
    """The directory's rules on the values, without saving (the save applies them again, with the store's
    checks: App ID URIs other registrations hold, roles still assigned)."""
    updated = app
    if "displayName" in changes:
        rules.display_name(changes["displayName"])
    if "identifierUris" in changes:
        rules.identifier_uris(changes["identifierUris"])
    if "appRoles" in changes:
        updated = replace(updated, app_roles=rules.app_roles(changes["appRoles"]))
        rules.role_change(app.app_roles, updated.app_roles, set())
    if "keyCredentials" in changes:
        credentials.key_collection(app.key_credentials, changes["keyCredentials"])
    registration.changed(updated, changes)


def differences(before: str, after: str) -> list[tuple[str, str]]:
    """The changed lines and their context, each with its kind: "add", "del" or "same"."""
    lines = []
    for line in list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3))[2:]:
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


@portal_page
async def show_manifest(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    app = await find_registration(visitor, directory)
    owned = await run_in_threadpool(directory.owns, visitor.session.user_id, app.id)
    return _editor(visitor, app, manifest_of(app), None, may_update=visitor.may(can.APPS_UPDATE, Target(owned=owned)))


def _editor(visitor: Visitor, app: Application, text: str, error: str | None, *, may_update: bool = True,
            status: int = 200) -> Response:
    return visitor.page("app_manifest.html", status, title=f"Manifest of {app.display_name}", section="apps",
                        app=app, manifest=text, error=error, may_update=may_update)


@portal_page
async def preview(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(UPDATE, APPLICATION_WRITE)
    app = await find_registration(visitor, directory)
    text, before = form.get("manifest", ""), manifest_of(app)
    try:
        checked(app, parsed(text))
    except GraphError as exc:
        return _editor(visitor, app, text, exc.message, status=400)
    lines = differences(before, json.dumps(json.loads(text), indent=2, ensure_ascii=False))
    return visitor.page("app_manifest_preview.html", title=f"Save the manifest of {app.display_name}?",
                        section="apps", app=app, manifest=text, lines=lines, before=fingerprint(before))


@portal_page
async def edit_again(visitor: Visitor) -> Response:
    """Back from the preview to the editor, with the JSON she wrote."""
    form = await visitor.form()
    directory = await visitor.require(UPDATE, APPLICATION_WRITE)
    return _editor(visitor, await find_registration(visitor, directory), form.get("manifest", ""), None)


@portal_page
async def save(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(UPDATE, APPLICATION_WRITE)
    app = await find_registration(visitor, directory)
    text = form.get("manifest", "")
    if form.get("before") != fingerprint(manifest_of(app)):
        return _editor(visitor, app, text, "The registration changed since this preview was shown: preview your "
                                           "changes again.", status=409)
    try:
        changes = parsed(text)
        await run_in_threadpool(directory.update_application, visitor.tenant.id, app.id, changes)
    except GraphError as exc:
        return _editor(visitor, app, text, exc.message, status=exc.status)
    return app_page(visitor, app, "manifest")


def routes(prefix: str) -> list[BaseRoute]:
    app = prefix + "/apps/{id}/manifest"
    return [
        Route(app, show_manifest, methods=["GET"]),
        Route(app, save, methods=["POST"]),
        Route(app + "/preview", preview, methods=["POST"]),
        Route(app + "/edit", edit_again, methods=["POST"]),
    ]
