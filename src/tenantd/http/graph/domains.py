"""``/domains``: list, get, add (``{"id": "contoso.test"}``) and delete a tenant's verified domains.

tenantd has no DNS to check ownership with: a domain is verified when it is added, so the answer to POST
already says ``isVerified: true`` where Graph would say false until ``/verify``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.domain_names import is_root
from ...domain.sign_in_state import Domain
from ..auth import graph_caller
from . import odata, payload, responses
from .access import DOMAIN_READ, DOMAIN_WRITE, directory
from .acts import Act

# Entra's defaults for a cloud-only tenant: passwords that never expire, and what an initial domain serves.
NEVER_EXPIRES = 2147483647
INITIAL_SERVICES = ("Email", "OfficeCommunicationsOnline")


def to_graph(domain: Domain, verified: list[str]) -> dict[str, Any]:
    """A domain as Graph writes it; ``verified``: the names of all the tenant's domains (for ``isRoot``)."""
    return {
        "authenticationType": "Managed", "availabilityStatus": None, "id": domain.name, "isAdminManaged": True,
        "isDefault": domain.is_default, "isInitial": domain.is_initial, "isRoot": is_root(domain.name, verified),
        "isVerified": True, "passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": NEVER_EXPIRES,
        "supportedServices": list(INITIAL_SERVICES) if domain.is_initial else [], "state": None,
    }


DOMAIN = odata.Entity("microsoft.graph.domain", frozenset(to_graph(Domain("", "", False, False, ""), [])), {
    "id": "string", "isDefault": "bool", "isInitial": "bool", "isVerified": "bool", "isRoot": "bool",
    "authenticationType": "string",
})


async def _all(request: Request, tenant_id: str) -> list[Domain]:
    found: list[Domain] = await run_in_threadpool(directory(request).domains, tenant_id)
    return found


async def list_(request: Request) -> Response:
    caller = await graph_caller(request, *DOMAIN_READ, action=Act(can.DOMAINS_READ))
    options = odata.parse_options(request.url.query, DOMAIN, collection=True)
    found = await _all(request, caller.tenant_id)
    names = [d.name for d in found]
    rows = [((d.name, d.name), to_graph(d, names)) for d in found]
    return responses.collection(request, "domains", rows, DOMAIN, options)


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *DOMAIN_READ, action=Act(can.DOMAINS_READ))
    options = odata.parse_options(request.url.query, DOMAIN, collection=False)
    domain = await run_in_threadpool(directory(request).domain, caller.tenant_id, request.path_params["id"])
    names = [d.name for d in await _all(request, caller.tenant_id)]
    return responses.entity(request, "domains", to_graph(domain, names), DOMAIN, options)


async def create(request: Request) -> Response:
    caller = await graph_caller(request, *DOMAIN_WRITE, action=Act(can.DOMAINS_WRITE))
    body = await payload.json_object(request)
    payload.only(body, {"id"}, DOMAIN.type_name)
    name = payload.string(payload.required(body, "id"), "id")
    added = await run_in_threadpool(directory(request).add_domain, caller.tenant_id, name)
    names = [d.name for d in await _all(request, caller.tenant_id)]
    return responses.created(request, "domains", to_graph(added, names), DOMAIN, f"domains/{added.name}")


async def delete(request: Request) -> Response:
    caller = await graph_caller(request, *DOMAIN_WRITE, action=Act(can.DOMAINS_WRITE))
    await run_in_threadpool(directory(request).remove_domain, caller.tenant_id, request.path_params["id"])
    return responses.no_content()
