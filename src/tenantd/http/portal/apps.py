"""App registrations: the list (search by name prefix, paging), a new registration, and a registration's page:
its ids, redirect URIs by platform, token version, "Expose an API" (App ID URIs, scopes, pre-authorized
clients), app roles, certificates and secrets, federated credentials. The forms that change it are in
app_settings.py, app_credentials.py and app_manifest.py."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory import Directory
from ...domain import user_permissions as can
from ...domain.errors import BadRequest, GraphError
from ...domain.model import Application, ServicePrincipal
from ...domain.user_permissions import Target
from ..graph.access import APPLICATION_READ, APPLICATION_WRITE
from ..graph.acts import Act
from .guard import Visitor, portal_page
from .listing import listed
from .render import redirect

READ, CREATE = Act(can.APPS_READ), Act(can.APPS_CREATE)
PLATFORMS = (("web", "Web"), ("spa", "Single-page application"), ("publicClient", "Mobile and desktop (public client)"))
# What a change's redirect may tell the next page ("done=..."): fixed texts, never the person's input.
NOTICES = {
    "created": "The app registration was created, with its service principal (its enterprise application).",
    "saved": "The change was saved.", "manifest": "The manifest was saved.",
    "secret-removed": "The secret was removed.", "certificate-added": "The certificate was added.",
    "certificate-removed": "The certificate was removed.",
    "federated-added": "The federated credential was added.",
    "federated-removed": "The federated credential was removed.",
}


def app_id_of(visitor: Visitor) -> str:
    return str(visitor.request.path_params["id"])


def app_page(visitor: Visitor, app: Application, done: str = "saved") -> Response:
    return redirect(f"{visitor.base}/apps/{app.id}?done={done}")


def failed(visitor: Visitor, exc: GraphError, back: str) -> Response:
    """A change the directory refused: its message, and the way back to the page it was made on."""
    return visitor.page("message.html", exc.status, title="That did not work", text=exc.message, back=back,
                        section="apps")


@portal_page
async def list_apps(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    found = await listed(visitor.request, directory, "applications", visitor.tenant.id)
    return visitor.page("apps.html", title="App registrations", section="apps", listing=found,
                        may_create=visitor.may(can.APPS_CREATE))


@portal_page
async def new_app(visitor: Visitor) -> Response:
    await visitor.require(CREATE, APPLICATION_WRITE)
    return visitor.page("app_new.html", title="New app registration", section="apps", error=None, values={})


@portal_page
async def create_app(visitor: Visitor) -> Response:
    """A registration and, as Entra's portal makes it, its service principal in this tenant (when she may
    create the service principal of an application she owns)."""
    form = await visitor.form()
    directory = await visitor.require(CREATE, APPLICATION_WRITE)
    name = form.get("displayName", "").strip()
    audience = form.get("signInAudience", "AzureADMyOrg")
    with_sp = visitor.may(can.SPS_CREATE, Target(owned=True))
    try:
        app = await run_in_threadpool(lambda: directory.create_application(
            visitor.tenant.id, name, with_service_principal=with_sp, settings={"signInAudience": audience}))
    except BadRequest as exc:
        return visitor.page("app_new.html", 400, title="New app registration", section="apps", error=exc.message,
                            values={"displayName": name})
    return app_page(visitor, app, "created")


async def registration(visitor: Visitor, directory: Directory) -> Application:
    return await run_in_threadpool(directory.application, visitor.tenant.id, app_id_of(visitor))


async def its_service_principal(directory: Directory, app: Application) -> ServicePrincipal | None:
    try:
        return await run_in_threadpool(directory.service_principal_by_app_id, app.tenant_id, app.app_id)
    except GraphError:
        return None


@portal_page
async def show_app(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    app = await registration(visitor, directory)
    sp = await its_service_principal(directory, app)
    federated = await run_in_threadpool(directory.federated_credentials, visitor.tenant.id, app.id, "application")
    owned = await run_in_threadpool(directory.owns, visitor.session.user_id, app.id)
    target = Target(owned=owned)
    return visitor.page(
        "app.html", title=app.display_name, section="apps", app=app, sp=sp, federated=federated,
        platforms=[(key, label, getattr(app, _FIELDS[key])) for key, label in PLATFORMS],
        scope_names={s.id: s.value for s in app.oauth2_permission_scopes},
        notice=NOTICES.get(visitor.request.query_params.get("done", "")),
        may_update=visitor.may(can.APPS_UPDATE, target), may_credentials=visitor.may(can.APPS_CREDENTIALS, target))


_FIELDS = {"web": "web_redirect_uris", "spa": "spa_redirect_uris", "publicClient": "public_client_redirect_uris"}


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/apps", list_apps, methods=["GET"]),
        Route(prefix + "/apps", create_app, methods=["POST"]),
        Route(prefix + "/apps/new", new_app, methods=["GET"]),
        Route(prefix + "/apps/{id}", show_app, methods=["GET"]),
    ]
