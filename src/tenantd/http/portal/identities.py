"""Managed identities: system- and user-assigned, the hosts that may use each, the app roles each holds, and
the exact command lines that run a program as one locally (``tenantd run --as``, ``tenantd env --as``). Their
roles are assigned on the resource's enterprise application page, where an identity is found by name."""

from __future__ import annotations

import shlex

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import user_permissions as can
from ...domain.errors import NotFound
from ...domain.model import ServicePrincipal
from ...store.listing import Condition
from ..graph.access import APPLICATION_READ
from ..graph.acts import Act
from .enterprise import held_roles
from .guard import Visitor, portal_page
from .listing import listed

READ = Act(can.SPS_READ)
KINDS = {"SystemAssigned": "System-assigned", "UserAssigned": "User-assigned"}
MANAGED = Condition("service_principal_type", "eq", "ManagedIdentity")


@portal_page
async def list_identities(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    found = await listed(visitor.request, directory, "service_principals", visitor.tenant.id, scope=[MANAGED])
    hosts = await run_in_threadpool(directory.hosts_of_each, found.items)
    return visitor.page("identities.html", title="Managed identities", section="identities", listing=found,
                        hosts=hosts, kinds=KINDS)


def command_lines(sp: ServicePrincipal, hosts: list[str]) -> list[tuple[str, str]]:
    """What runs a program as this identity on this machine, as tenantd's command line takes it."""
    name = shlex.quote(sp.display_name)
    host = f" --host {shlex.quote(hosts[0])}" if sp.managed_identity_kind == "UserAssigned" and len(hosts) > 1 else ""
    lines = [("Run a program as it (App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER)",
              f"tenantd run --as {name}{host} -- python app.py"),
             ("The same through the IMDS shape", f"tenantd run --as {name}{host} --platform imds -- python app.py"),
             ("Its environment, for an IDE or a compose file", f"tenantd env --as {name}{host} --format dotenv")]
    if sp.managed_identity_kind == "UserAssigned":
        lines.append(("As workload identity federation (a token file, as on AKS)",
                      f"tenantd run --as {name} --platform workload -- python app.py"))
    return lines


def environment(sp: ServicePrincipal, tenant_id: str) -> list[str]:
    """The variables ``tenantd env`` prints for App Service, the secret left as a placeholder: it is made
    for each session by ``tenantd run`` or ``tenantd env``, never shown here."""
    lines = ["IDENTITY_ENDPOINT=<the identity listener>/msi/token", "IDENTITY_HEADER=<a host session secret>",
             f"AZURE_TENANT_ID={tenant_id}"]
    if sp.managed_identity_kind == "UserAssigned":
        lines.append(f"AZURE_CLIENT_ID={sp.app_id}")
    return lines


@portal_page
async def show_identity(visitor: Visitor) -> Response:
    directory = await visitor.require(READ, APPLICATION_READ)
    tid = visitor.tenant.id
    sp = await run_in_threadpool(directory.service_principal, tid, str(visitor.request.path_params["id"]))
    if sp.service_principal_type != "ManagedIdentity":
        raise NotFound(f"'{sp.display_name}' is not a managed identity.")
    hosts = await run_in_threadpool(directory.hosts_of, sp)
    held = await run_in_threadpool(held_roles, directory, sp)
    return visitor.page("identity.html", title=sp.display_name, section="identities", sp=sp, hosts=hosts, held=held,
                        kind=KINDS.get(sp.managed_identity_kind or "", ""),
                        commands=command_lines(sp, hosts), environment=environment(sp, tid))


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/identities", list_identities, methods=["GET"]),
        Route(prefix + "/identities/{id}", show_identity, methods=["GET"]),
    ]
