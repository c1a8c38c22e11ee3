"""``/policies/authorizationPolicy``: the tenant's authorization policy, read (Policy.Read.All) and changed
(Policy.ReadWrite.Authorization; for a signed-in user, a Global or Privileged Role Administrator). tenantd keeps
``defaultUserRolePermissions``' allowedToCreateApps, allowedToCreateSecurityGroups and allowedToReadOtherUsers,
which decide what a member may do through delegated calls (domain/user_permissions.py)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ...domain.authorization_policy import AuthorizationPolicy
from ..auth import graph_caller
from . import odata, payload, responses
from .access import POLICY_READ, POLICY_WRITE, directory
from .acts import Act

PATH = "policies/authorizationPolicy"
AUTHORIZATION_POLICY = odata.Entity("microsoft.graph.authorizationPolicy",
                                    frozenset(AuthorizationPolicy().to_graph()), {})


async def get(request: Request) -> Response:
    caller = await graph_caller(request, *POLICY_READ, action=Act(can.POLICY_READ))
    options = odata.parse_options(request.url.query, AUTHORIZATION_POLICY, collection=False)
    policy = await run_in_threadpool(directory(request).authorization_policy, caller.tenant_id)
    return responses.entity(request, PATH, policy.to_graph(), AUTHORIZATION_POLICY, options)


async def update(request: Request) -> Response:
    caller = await graph_caller(request, *POLICY_WRITE, action=Act(can.POLICY_UPDATE))
    body = await payload.json_object(request)
    await run_in_threadpool(directory(request).update_authorization_policy, caller.tenant_id, body)
    return responses.no_content()
