"""An app registration's credentials: client secrets (a new one shown once, on a page no cache keeps, and
never again: only its hash and first characters are stored), certificates (a PEM public certificate
uploaded), and federated identity credentials. Decided as Graph's addPassword, keyCredentials and
federatedIdentityCredentials calls are for her."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...domain import user_permissions as can
from ...domain.errors import BadRequest, GraphError
from ...domain.model import Application
from ..graph import acts
from ..graph.access import APPLICATION_WRITE
from ..graph.acts import Act
from .apps import app_page, failed, registration
from .guard import Handler, Visitor, portal_page

CREDENTIALS = Act(can.APPS_CREDENTIALS, acts.application)
OWNER = "application"
Change = Callable[[Directory, Application, dict[str, str]], str]


def credential_change(change: Change) -> Handler:
    """A route that makes one credential change and returns to the registration's page with its notice."""
    @portal_page
    async def route(visitor: Visitor) -> Response:
        form = await visitor.form()
        directory = await visitor.require(CREDENTIALS, APPLICATION_WRITE)
        app = await registration(visitor, directory)
        try:
            done = await run_in_threadpool(change, directory, app, form)
        except GraphError as exc:
            return failed(visitor, exc, f"{visitor.base}/apps/{app.id}")
        return app_page(visitor, app, done)
    route.__name__ = change.__name__
    return route


@portal_page
async def add_secret(visitor: Visitor) -> Response:
    form = await visitor.form()
    directory = await visitor.require(CREDENTIALS, APPLICATION_WRITE)
    app = await registration(visitor, directory)
    name = form.get("displayName", "").strip() or None
    try:
        credential, secret = await run_in_threadpool(directory.add_password, visitor.tenant.id, app.id, name)
    except GraphError as exc:
        return failed(visitor, exc, f"{visitor.base}/apps/{app.id}")
    return visitor.page("secret_once.html", title="New client secret", section="apps", app=app,
                        credential=credential, secret=secret)


def remove_secret(directory: Directory, app: Application, form: dict[str, str]) -> str:
    directory.remove_password(app.tenant_id, app.id, _key_id(form))
    return "secret-removed"


def add_certificate(directory: Directory, app: Application, form: dict[str, str]) -> str:
    pem = form.get("certificate", "").strip()
    if not pem.startswith("-----BEGIN CERTIFICATE-----"):
        raise BadRequest("Paste a PEM certificate (-----BEGIN CERTIFICATE----- ...): its public part only.")
    entry = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": pem,
             "displayName": form.get("displayName", "").strip() or None}
    directory.add_key_credential(app.tenant_id, app.id, entry)
    return "certificate-added"


def remove_certificate(directory: Directory, app: Application, form: dict[str, str]) -> str:
    directory.remove_key_credential(app.tenant_id, app.id, _key_id(form))
    return "certificate-removed"


def add_federated(directory: Directory, app: Application, form: dict[str, str]) -> str:
    audiences = [a.strip() for a in form.get("audiences", "").split(",") if a.strip()] or None
    directory.add_federated_credential(app.tenant_id, app.id, OWNER, form.get("name", "").strip(),
                                       form.get("issuer", "").strip(), form.get("subject", "").strip(), audiences,
                                       form.get("description", "").strip() or None)
    return "federated-added"


def remove_federated(directory: Directory, app: Application, form: dict[str, str]) -> str:
    directory.remove_federated_credential(app.tenant_id, app.id, OWNER, form.get("credential", ""))
    return "federated-removed"


def _key_id(form: dict[str, str]) -> str:
    key_id = form.get("keyId", "")
    if not key_id:
        raise BadRequest("Choose the credential to remove.")
    return key_id


def routes(prefix: str) -> list[BaseRoute]:
    app = prefix + "/apps/{id}"
    changes: dict[str, Change] = {
        "/secrets/remove": remove_secret, "/certificates": add_certificate,
        "/certificates/remove": remove_certificate, "/federated": add_federated, "/federated/remove": remove_federated,
    }
    return [Route(app + "/secrets", add_secret, methods=["POST"]),
            *(Route(app + path, credential_change(change), methods=["POST"]) for path, change in changes.items())]
