"""The OpenAPI document itself: each path's operations with their permissions, parameters and responses,
built over the schemas, and the route that serves it."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...domain.credentials import MAX_FEDERATED_CREDENTIALS
from ..bodies import MAX_BODY
from ..graph import access, audit, odata
from ..graph.serialize import DIRECTORY_OBJECT as DIRECTORY_OBJECT_ENTITY
from ..limits import MAX_HEAD
from . import delegated, owner_paths, role_paths
from .blocks import BOOL, GUID, GUID_PATTERN, STRING, Schema, array, obj, ref
from .membership_paths import MEMBERSHIP_BODIES, directory_object_paths, membership_paths
from .operations import Operation, Paths
from .operations import create as _create
from .operations import get as _get
from .operations import list_ as _list
from .operations import no_content as _no_content
from .registration_schemas import PERMISSION_SCOPE
from .role_schemas import ROLE_ASSIGNMENT_ID
from .schemas import (
    APP_ROLE,
    BY_NAME,
    DIRECTORY_OBJECT,
    DOMAIN_NAME,
    FIC_NAME,
    KEY_CREDENTIAL,
    PASSWORD_CREDENTIAL,
    REQUEST_BODIES,
    RESOURCES,
    Resource,
)

_APP_R, _APP_W = access.APPLICATION_READ, access.APPLICATION_WRITE


def _application_paths(prefix: str) -> Paths:
    one = {"GET": _get("applications", "application", _APP_R, "an application"),
           "PATCH": _no_content("Update an application", "applications", _APP_W, "applicationUpdate"),
           "DELETE": _no_content("Delete an application (and its service principal)", "applications", _APP_W)}
    if "{id}" not in prefix:
        return {prefix: one}
    return {prefix: one,
            f"{prefix}/addPassword": {"POST": Operation(
                "Add a client secret (its text is shown in this answer only)", "applications", _APP_W,
                result="passwordCredential", body="addPasswordRequest")},
            f"{prefix}/removePassword": {"POST": _no_content("Remove a client secret", "applications", _APP_W,
                                                             "removePasswordRequest")}}


def _federated_credential_paths(prefix: str) -> Paths:
    tag, collection = "federatedIdentityCredentials", f"{prefix}/federatedIdentityCredentials"
    what = "federated identity credential"
    one = {"GET": _get(tag, "federatedIdentityCredential", _APP_R, f"a {what}"),
           "PATCH": _no_content(f"Update a {what}", tag, _APP_W, "federatedIdentityCredentialUpdate"),
           "DELETE": _no_content(f"Delete a {what}", tag, _APP_W)}
    by_name = {**one, "PATCH": Operation(
        f"Update a {what}, or create it (201) when none has this name", tag, _APP_W, 204,
        body="federatedIdentityCredentialUpdate", conflicts=True, extra_statuses=(201,))}
    return {
        collection: {"GET": _list(tag, "federatedIdentityCredential", _APP_R, f"an application's {what}s"),
                     "POST": _create(tag, "federatedIdentityCredential", "federatedIdentityCredentialCreate", _APP_W,
                                     f"a {what} (at most {MAX_FEDERATED_CREDENTIALS} per application)",
                                     conflicts=True)},
        f"{collection}/{{fid}}": one,
        f"{collection}(name='{{name}}')": by_name,
    }


def _assignment_paths(prefix: str, navigation: str, read: tuple[str, ...], what: str) -> Paths:
    tag = "appRoleAssignments"
    return {
        f"{prefix}/{navigation}": {
            "GET": _list(tag, "appRoleAssignment", read, what),
            "POST": _create(tag, "appRoleAssignment", "appRoleAssignmentCreate", access.ASSIGNMENT_WRITE,
                            "an app role assignment")},
        f"{prefix}/{navigation}/{{assignment_id}}": {
            "GET": _get(tag, "appRoleAssignment", read, "an app role assignment"),
            "DELETE": _no_content("Delete an app role assignment", tag, access.ASSIGNMENT_WRITE)},
    }


def _service_principal_paths(prefix: str) -> Paths:
    tag, sp_read = "servicePrincipals", access.assignment_read(_APP_R)
    return {
        prefix: {"GET": _get(tag, "servicePrincipal", _APP_R, "a service principal"),
                 "PATCH": _no_content("Update a service principal", tag, _APP_W, "servicePrincipalUpdate"),
                 "DELETE": _no_content("Delete a service principal", tag, _APP_W)},
        **_assignment_paths(prefix, "appRoleAssignedTo", sp_read, "who holds the service principal's app roles"),
        **_assignment_paths(prefix, "appRoleAssignments", sp_read, "the app roles a service principal holds"),
        f"{prefix}/oauth2PermissionGrants": {"GET": _list(
            _GRANTS, "oAuth2PermissionGrant", access.GRANT_READ, "the delegated permission grants the service "
            "principal holds as a client")},
        **membership_paths(prefix),
    }


_GRANTS = "oauth2PermissionGrants"


def _grant_paths() -> Paths:
    read, write, what = access.GRANT_READ, access.GRANT_WRITE, "a delegated permission grant"
    return {
        "/oauth2PermissionGrants": {
            "GET": _list(_GRANTS, "oAuth2PermissionGrant", read, "delegated permission grants"),
            "POST": _create(_GRANTS, "oAuth2PermissionGrant", "oAuth2PermissionGrantCreate", write,
                            f"{what} (one per client, resource and user, or all users)", conflicts=True)},
        "/oauth2PermissionGrants/{grant_id}": {
            "GET": _get(_GRANTS, "oAuth2PermissionGrant", read, what),
            "PATCH": _no_content(f"Change the scope of {what}", _GRANTS, write, "oAuth2PermissionGrantUpdate"),
            "DELETE": _no_content(f"Delete {what}", _GRANTS, write)},
        "/users/{id}/oauth2PermissionGrants": {"GET": _list(
            _GRANTS, "oAuth2PermissionGrant", read, "the delegated permission grants a user consented to")},
    }


def _paths() -> Paths:
    users, groups = "users", "groups"
    member_read, member_write = access.MEMBER_READ, access.MEMBER_WRITE
    return {
        "/applications": {"GET": _list("applications", "application", _APP_R, "applications"),
                          "POST": _create("applications", "application", "applicationCreate", _APP_W,
                                          "an application")},
        **_application_paths("/applications/{id}"),
        **_application_paths("/applications(appId='{app_id}')"),
        **_federated_credential_paths("/applications/{id}"),
        **_federated_credential_paths("/applications(appId='{app_id}')"),

        "/servicePrincipals": {
            "GET": _list("servicePrincipals", "servicePrincipal", _APP_R, "service principals"),
            "POST": _create("servicePrincipals", "servicePrincipal", "servicePrincipalCreate", _APP_W,
                            "the service principal of an application")},
        **_service_principal_paths("/servicePrincipals/{id}"),
        **_service_principal_paths("/servicePrincipals(appId='{app_id}')"),

        "/users": {"GET": _list(users, "user", access.USER_READ, "users"),
                   "POST": _create(users, "user", "userCreate", access.USER_WRITE, "a user")},
        "/users/{id}": {"GET": _get(users, "user", access.USER_READ, "a user"),
                        "PATCH": _no_content("Update a user", users, access.USER_WRITE, "userUpdate"),
                        "DELETE": _no_content("Delete a user", users, access.USER_WRITE)},
        "/users/{id}/revokeSignInSessions": {"POST": Operation(
            "End a user's refresh tokens and browser sessions", users, access.USER_WRITE, result="booleanValue")},
        **_assignment_paths("/users/{id}", "appRoleAssignments", access.assignment_read(access.USER_READ),
                            "the app roles a user holds"),
        **membership_paths("/users/{id}"),

        "/groups": {"GET": _list(groups, "group", access.GROUP_READ, "security groups"),
                    "POST": _create(groups, "group", "groupCreate", access.GROUP_WRITE, "a security group")},
        "/groups/{id}": {"GET": _get(groups, "group", access.GROUP_READ, "a group"),
                         "DELETE": _no_content("Delete a group", groups, access.GROUP_WRITE)},
        "/groups/{id}/members": {"GET": Operation("List a group's members", groups, member_read,
                                                  result="[directoryObject]", query="collection")},
        "/groups/{id}/members/$ref": {"POST": _no_content("Add a member", groups, member_write, "referenceCreate")},
        "/groups/{id}/members/{member_id}/$ref": {"DELETE": _no_content("Remove a member", groups, member_write)},
        **_assignment_paths("/groups/{id}", "appRoleAssignments", access.assignment_read(access.GROUP_READ),
                            "the app roles a group's members hold through it"),
        **membership_paths("/groups/{id}"),

        **_grant_paths(),

        "/domains": {"GET": _list("domains", "domain", access.DOMAIN_READ, "the tenant's verified domains"),
                     "POST": _create("domains", "domain", "domainCreate", access.DOMAIN_WRITE,
                                     "a verified domain (verified at once: tenantd has no DNS to check)")},
        "/domains/{id}": {"GET": _get("domains", "domain", access.DOMAIN_READ, "a verified domain"),
                          "DELETE": _no_content("Remove a custom domain no user principal name uses", "domains",
                                                access.DOMAIN_WRITE)},

        "/auditLogs/signIns": {"GET": _list("auditLogs", "signIn", audit.AUDIT_READ, "sign-ins, newest first")},
        "/auditLogs/signIns/{id}": {"GET": _get("auditLogs", "signIn", audit.AUDIT_READ, "a sign-in")},
        "/auditLogs/directoryAudits": {"GET": _list("auditLogs", "directoryAudit", audit.AUDIT_READ,
                                                    "directory changes, newest first")},
        "/auditLogs/directoryAudits/{id}": {"GET": _get("auditLogs", "directoryAudit", audit.AUDIT_READ,
                                                        "a directory change")},
        **role_paths.PATHS,
        **owner_paths.PATHS,
        **directory_object_paths(),
    }


PATHS: Paths = {**_paths(), **delegated.me_paths(_paths())}


# -- parameters ------------------------------------------------------------------------------------------
_USER_KEY: Schema = {"type": "string", "pattern": f"{GUID_PATTERN}|^[^/]*@[^/]*$",
                     "description": "The user's id or userPrincipalName."}
_PATH_PARAMETERS: dict[str, Schema] = {
    "id": GUID,
    "app_id": {**GUID, "description": "The application's appId."},
    "fid": {**GUID, "description": "The credential's id."},
    "name": {**FIC_NAME, "description": "The credential's name."},
    "assignment_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$", "description": "The assignment's id."},
    "member_id": {**GUID, "description": "The member's id."},
    "owner_id": {**GUID, "description": "The owner's id."},
    "grant_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$|^[A-Za-z0-9_-]{64}$",
                 "description": "The grant's id."},
}


def path_parameter_names(path: str) -> list[str]:
    names, rest = [], path
    while "{" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        names.append(rest[start + 1:end])
        rest = rest[end + 1:]
    return names


def _path_parameters(path: str) -> list[Schema]:
    params = []
    for name in path_parameter_names(path):
        schema = _PATH_PARAMETERS[name]
        if name == "id" and path.startswith("/users/"):
            schema = _USER_KEY
        elif name == "id" and path.startswith("/domains/"):
            schema = {**DOMAIN_NAME, "description": "The domain's name."}
        elif name == "id" and path.startswith("/roleManagement/directory/roleAssignments/"):
            schema = ROLE_ASSIGNMENT_ID
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _parameter(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _query_parameters(op: Operation) -> list[Schema]:
    if op.query is None:
        return []
    result = (op.result or "").strip("[]")
    if op.query == "entity":
        return [_parameter(f"select.{result}")]
    resource = BY_NAME.get(result)
    counted = [_parameter("count")] if resource is None or resource.countable else []
    return [_parameter(f"filter.{result}"), _parameter(f"select.{result}"), _parameter("top"),
            _parameter("skiptoken"), *counted]


def _parameters() -> Schema:
    """The query options, once per resource where they differ."""
    found: Schema = {
        "top": {"name": "$top", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": odata.MAX_TOP},
                "description": f"Page size (default {odata.DEFAULT_PAGE_SIZE})."},
        "skiptoken": {"name": "$skiptoken", "in": "query", "required": False,
                      "schema": {"type": "string", "maxLength": 512},
                      "description": "The continuation from a previous page's @odata.nextLink."},
        "count": {"name": "$count", "in": "query", "required": False, "schema": BOOL,
                  "description": "Include @odata.count, the number of matching objects."},
    }
    resources: list[tuple[str, odata.Entity, Resource | None]] = [(r.name, r.entity, r) for r in RESOURCES]
    for name, entity, resource in [*resources, ("directoryObject", DIRECTORY_OBJECT_ENTITY, None)]:
        found[f"select.{name}"] = {"name": "$select", "in": "query", "required": False, "schema": STRING,
                                   "description": "Comma-separated properties to return (case-insensitive): "
                                                  f"{', '.join(sorted(entity.selectable))}."}
        grammar = resource.filter_grammar if resource else None
        if grammar is None:
            filterable = ", ".join(f"{k} ({v})" for k, v in entity.filterable.items())
            grammar = ("eq/ne, startswith(p,'x'), p/any(x:x eq 'y') on collections, and/or, parentheses; "
                       f"filterable: {filterable}.")
        found[f"filter.{name}"] = {"name": "$filter", "in": "query", "required": False,
                                   "schema": {"type": "string", "maxLength": odata.MAX_FILTER_LENGTH},
                                   "description": f"An OData filter: {grammar}"}
        if resource and resource.filter_example:
            found[f"filter.{name}"]["example"] = resource.filter_example
    return found


# -- responses -------------------------------------------------------------------------------------------
_ERRORS = {400: "The request is malformed or breaks a directory rule.",
           401: "No token, or a token that is invalid, expired, or not for Microsoft Graph.",
           403: "The token lacks every permission the operation accepts.",
           404: "The object does not exist in the caller's tenant.",
           409: "An object with the same key already exists.",
           413: f"The request body is larger than {MAX_BODY // 1024} KB.",
           431: f"The request line and headers are larger than {MAX_HEAD // 1024} KB (refused before Graph).",
           503: "The store cannot be reached; retry after Retry-After seconds."}
_REQUEST_ID = {"request-id": {"required": True, "schema": STRING, "description": "Quote it when reporting."}}


def _error_response(status: int) -> Schema:
    if status == 431:
        return {"description": _ERRORS[status], "content": {"application/json": {"schema": ref("headTooLarge")}}}
    response: Schema = {"description": _ERRORS[status], "headers": dict(_REQUEST_ID),
                        "content": {"application/json": {"schema": ref("error")}}}
    if status == 401:
        response["headers"]["WWW-Authenticate"] = {"required": True, "schema": STRING}
    if status == 503:
        response["headers"]["Retry-After"] = {"required": True, "schema": STRING}
    return response


def _body_schema(result: str) -> Schema:
    if result.startswith("["):
        return ref(result.strip("[]") + "Collection")
    return {"allOf": [ref(result), {"type": "object", "required": ["@odata.context"]}]}


def _success(op: Operation, status: int) -> Schema:
    if status == 204:
        return {"description": "Done."}
    response: Schema = {"description": "OK" if status == 200 else "Created."}
    if status == 201:
        response["headers"] = {"Location": {"required": True, "schema": STRING,
                                            "description": "The new object's URL."}}
    if op.result is not None:
        response["content"] = {"application/json": {"schema": _body_schema(op.result)}}
    if op.result == "passwordCredential":
        response["headers"] = {"Cache-Control": {"required": True, "schema": {"const": "no-store"}}}
    return response


def _operation(path: str, method: str, op: Operation) -> Schema:
    statuses = [400, 401, 403, 404]
    if op.conflicts:
        statuses.append(409)
    if op.body is not None:
        statuses.append(413)
    statuses += [431, 503]
    responses: Schema = {str(s): _success(op, s) for s in (op.status, *op.extra_statuses)}
    responses.update({str(s): {"$ref": f"#/components/responses/error{s}"} for s in statuses})
    operation: Schema = {
        "operationId": f"{method.lower()} {path}",
        "summary": op.summary, "tags": [op.tag], "description": delegated.permissions(op),
        "parameters": _path_parameters(path) + _query_parameters(op),
        "responses": responses,
        "x-permissions": [] if op.delegated_only else list(op.permissions),
    }
    if op.delegated_only:
        operation["x-delegated-only"] = True
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": ref(op.body)}}}
    return operation


def _components() -> Schema:
    schemas: Schema = {r.name: r.schema() for r in RESOURCES}
    schemas.update({"appRole": APP_ROLE, "permissionScope": PERMISSION_SCOPE,
                    "passwordCredential": PASSWORD_CREDENTIAL, "keyCredential": KEY_CREDENTIAL,
                    "directoryObject": DIRECTORY_OBJECT})
    for name in [*(r.name for r in RESOURCES), "directoryObject"]:
        schemas[f"{name}Collection"] = obj({
            "@odata.context": STRING, "@odata.count": {"type": "integer", "minimum": 0},
            "@odata.nextLink": STRING, "value": array(ref(name)),
        }, required=("@odata.context", "value"), annotations=True)
    schemas["booleanValue"] = obj({"@odata.context": STRING, "value": BOOL}, required=("@odata.context", "value"),
                                  description="An action's answer.")
    schemas["error"] = obj({"error": obj({
        "code": STRING, "message": STRING,
        "innerError": obj({"date": STRING, "request-id": STRING, "client-request-id": STRING}),
    }, required=("code", "message"))}, required=("error",), description="Graph's error envelope.")
    schemas["headTooLarge"] = obj({"error": {"const": "invalid_request"}, "error_description": STRING},
                                  required=("error",), description="The listener's refusal of an oversized head.")
    schemas.update(REQUEST_BODIES)
    schemas.update(MEMBERSHIP_BODIES)
    bearer = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
              "description": "An access token for Microsoft Graph (scope https://graph.microsoft.com/.default) from "
                             "this server's token endpoint; its roles are the application permissions granted to "
                             "the caller's service principal on Microsoft Graph."}
    return {"schemas": schemas, "parameters": _parameters(),
            "responses": {f"error{status}": _error_response(status) for status in _ERRORS},
            "securitySchemes": {"bearer": bearer}}


@cache
def document(public_url: str) -> dict[str, Any]:
    """The whole document for a server known to its clients as ``public_url``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "tenantd Microsoft Graph v1.0", "version": version("tenantd"),
                 "description": "The subset of Microsoft Graph v1.0 that tenantd serves: applications, service "
                                "principals, users, security groups, app role assignments, delegated permission "
                                "grants, directory roles, federated identity credentials, verified domains and the "
                                "sign-in log. Errors use Graph's envelope."},
        "servers": [{"url": public_url.rstrip("/") + "/v1.0"}],
        "security": [{"bearer": []}],
        "paths": {path: {method.lower(): _operation(path, method, op) for method, op in methods.items()}
                  for path, methods in PATHS.items()},
        "components": _components(),
    }


async def serve(request: Request) -> Response:
    return JSONResponse(document(request.app.state.runtime.public_url))
