"""Graph v1.0 routes, mounted at /v1.0. Each path answers its methods; any other method gets Graph's 405."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain.errors import GraphError
from ..errors import graph_error
from . import (
    applications,
    assignments,
    audit,
    credentials,
    directory_audits,
    directory_objects,
    directory_roles,
    domains,
    grants,
    groups,
    me,
    memberships,
    owners,
    policies,
    role_management,
    service_principals,
    users,
)
from .assignments import ASSIGNED_TO, GROUP_ASSIGNMENTS, SP_ASSIGNMENTS, USER_ASSIGNMENTS, Owner
from .memberships import Subject

Handler = Callable[[Request], Awaitable[Response]]
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]   # all reach dispatch


class Endpoint(Route):
    """A Graph path; ``handlers`` names the methods it answers (the OpenAPI document lists the same)."""

    handlers: dict[str, Handler]


def endpoint(path: str, **handlers: Handler) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:   # RFC 9110 section 15.5.6: a 405 names the methods that are allowed
            response = graph_error(request, GraphError("Specified HTTP method is not allowed for the request "
                                                       "target.", code="Request_BadRequest", status=405))
            response.headers["Allow"] = ", ".join(handlers)
            return response
        return await handler(request)

    route = Endpoint(path, dispatch, methods=_METHODS)
    route.handlers = handlers
    return route


def _assignment_routes(prefix: str, owner: Owner) -> list[BaseRoute]:
    collection = f"{prefix}/{owner.navigation}"
    return [
        endpoint(collection, GET=partial(assignments.list_, owner), POST=partial(assignments.create, owner)),
        endpoint(collection + "/{assignment_id}", GET=partial(assignments.get, owner),
                 DELETE=partial(assignments.delete, owner)),
    ]


def _federated_credential_routes(prefix: str) -> list[BaseRoute]:
    collection = f"{prefix}/federatedIdentityCredentials"
    one = {"GET": credentials.get, "PATCH": credentials.update, "DELETE": credentials.delete}
    return [
        endpoint(collection, GET=credentials.list_, POST=credentials.create),
        endpoint(collection + "/{fid}", **one),
        endpoint(collection + "(name='{name}')", **one),
    ]


def _owner_routes(prefix: str, owned: owners.OwnedCollection) -> list[BaseRoute]:
    return [
        endpoint(f"{prefix}/owners", GET=partial(owners.list_, owned)),
        endpoint(f"{prefix}/owners/$ref", POST=partial(owners.add, owned)),
        endpoint(prefix + "/owners/{owner_id}/$ref", DELETE=partial(owners.remove, owned)),
    ]


def _me_routes(found: list[BaseRoute]) -> list[BaseRoute]:
    """Every ``/users/{id}`` path again as ``/me``, for the signed-in user (http/graph/me.py)."""
    return [endpoint(alias, **{method: partial(me.alias, handler) for method, handler in route.handlers.items()})
            for route in found if isinstance(route, Endpoint) and (alias := me.path(route.path)) is not None]


def _service_principal_routes(prefix: str) -> list[BaseRoute]:
    return [
        endpoint(prefix, GET=service_principals.get, PATCH=service_principals.update,
                 DELETE=service_principals.delete),
        *_assignment_routes(prefix, ASSIGNED_TO),
        *_assignment_routes(prefix, SP_ASSIGNMENTS),
        endpoint(f"{prefix}/oauth2PermissionGrants", GET=grants.of_client),
        *_owner_routes(prefix, owners.OwnedCollection("servicePrincipals")),
        *membership_routes(prefix, memberships.SERVICE_PRINCIPAL),
    ]


def membership_routes(prefix: str, subject: Subject) -> list[BaseRoute]:
    """What ``subject`` (the object at ``prefix``) is a member of, and the membership actions."""
    return [
        endpoint(f"{prefix}/memberOf", GET=partial(memberships.member_of, subject, False)),
        endpoint(f"{prefix}/transitiveMemberOf", GET=partial(memberships.member_of, subject, True)),
        endpoint(f"{prefix}/getMemberObjects", POST=partial(memberships.get_member_objects, subject)),
        endpoint(f"{prefix}/getMemberGroups", POST=partial(memberships.get_member_groups, subject)),
        endpoint(f"{prefix}/checkMemberGroups", POST=partial(memberships.check_member_groups, subject)),
        endpoint(f"{prefix}/checkMemberObjects", POST=partial(memberships.check_member_objects, subject)),
    ]


routes: list[BaseRoute] = [
    endpoint("/applications", GET=applications.list_, POST=applications.create),
    endpoint("/applications/{id}", GET=applications.get, PATCH=applications.update, DELETE=applications.delete),
    endpoint("/applications(appId='{app_id}')", GET=applications.get, PATCH=applications.update,
             DELETE=applications.delete),
    endpoint("/applications/{id}/addPassword", POST=applications.add_password),
    endpoint("/applications/{id}/removePassword", POST=applications.remove_password),
    *_federated_credential_routes("/applications/{id}"),
    *_federated_credential_routes("/applications(appId='{app_id}')"),
    *_owner_routes("/applications/{id}", owners.OwnedCollection("applications")),
    *_owner_routes("/applications(appId='{app_id}')", owners.OwnedCollection("applications")),

    endpoint("/servicePrincipals", GET=service_principals.list_, POST=service_principals.create),
    *_service_principal_routes("/servicePrincipals/{id}"),
    *_service_principal_routes("/servicePrincipals(appId='{app_id}')"),

    endpoint("/users", GET=users.list_, POST=users.create),
    endpoint("/users/{id}", GET=users.get, PATCH=users.update, DELETE=users.delete),
    endpoint("/users/{id}/revokeSignInSessions", POST=users.revoke_sign_in_sessions),
    *_assignment_routes("/users/{id}", USER_ASSIGNMENTS),
    endpoint("/users/{id}/oauth2PermissionGrants", GET=grants.of_user),
    endpoint("/users/{id}/ownedObjects", GET=owners.owned_objects),
    *membership_routes("/users/{id}", memberships.USER),

    endpoint("/groups", GET=groups.list_, POST=groups.create),
    endpoint("/groups/{id}", GET=groups.get, DELETE=groups.delete),
    endpoint("/groups/{id}/members", GET=groups.members),
    endpoint("/groups/{id}/members/$ref", POST=groups.add_member),
    endpoint("/groups/{id}/members/{member_id}/$ref", DELETE=groups.remove_member),
    *_assignment_routes("/groups/{id}", GROUP_ASSIGNMENTS),
    *_owner_routes("/groups/{id}", owners.OwnedCollection("groups")),
    endpoint("/groups/{id}/transitiveMembers", GET=memberships.transitive_members),
    *membership_routes("/groups/{id}", memberships.GROUP),

    endpoint("/oauth2PermissionGrants", GET=grants.list_, POST=grants.create),
    endpoint("/oauth2PermissionGrants/{grant_id}", GET=grants.get, PATCH=grants.update, DELETE=grants.delete),

    endpoint("/domains", GET=domains.list_, POST=domains.create),
    endpoint("/domains/{id}", GET=domains.get, DELETE=domains.delete),

    endpoint("/roleManagement/directory/roleDefinitions", GET=role_management.list_definitions),
    endpoint("/roleManagement/directory/roleDefinitions/{id}", GET=role_management.get_definition),
    endpoint("/roleManagement/directory/roleAssignments", GET=role_management.list_assignments,
             POST=role_management.create_assignment),
    endpoint("/roleManagement/directory/roleAssignments/{id}", GET=role_management.get_assignment,
             DELETE=role_management.delete_assignment),
    endpoint("/directoryRoles", GET=directory_roles.list_roles),
    endpoint("/directoryRoles/{id}", GET=directory_roles.get_role),
    endpoint("/directoryRoles/{id}/members", GET=directory_roles.members),
    endpoint("/directoryRoles/{id}/members/$ref", POST=directory_roles.add_member),
    endpoint("/directoryRoles/{id}/members/{member_id}/$ref", DELETE=directory_roles.remove_member),
    endpoint("/directoryRoleTemplates", GET=directory_roles.list_templates),
    endpoint("/directoryRoleTemplates/{id}", GET=directory_roles.get_template),

    endpoint("/auditLogs/signIns", GET=audit.list_),
    endpoint("/auditLogs/signIns/{id}", GET=audit.get),
    endpoint("/auditLogs/directoryAudits", GET=directory_audits.list_),
    endpoint("/auditLogs/directoryAudits/{id}", GET=directory_audits.get),

    endpoint("/policies/authorizationPolicy", GET=policies.get, PATCH=policies.update),
    *(endpoint(path, **handlers) for path, handlers in directory_objects.ROUTES),
]
routes += _me_routes(routes)
