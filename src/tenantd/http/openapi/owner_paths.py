"""The OpenAPI document's paths of owners (of applications, service principals and groups, and what a user
owns) and of the tenant's authorization policy."""

from __future__ import annotations

from ..graph.access import OWNER_READ_OF, OWNER_WRITE_OF, POLICY_READ, POLICY_WRITE, USER_READ
from .operations import Operation, Paths, get, no_content

_OWNED = {"applications": "an application", "servicePrincipals": "a service principal", "groups": "a group"}


def owner_paths(prefix: str) -> Paths:
    """``owners`` of the object at ``prefix`` (``/applications/{id}`` ...)."""
    collection = prefix.lstrip("/").split("/")[0].split("(")[0]
    read, write, what = OWNER_READ_OF[collection], OWNER_WRITE_OF[collection], _OWNED[collection]
    return {
        f"{prefix}/owners": {"GET": Operation(f"List the owners of {what} (users and service principals)",
                                              "owners", read, result="[directoryObject]", query="collection")},
        f"{prefix}/owners/$ref": {"POST": no_content(f"Add an owner to {what}", "owners", write, "referenceCreate")},
        prefix + "/owners/{owner_id}/$ref": {"DELETE": no_content(
            f"Remove an owner from {what}" + (" (a group keeps its last one)" if collection == "groups" else ""),
            "owners", write)},
    }


PATHS: Paths = {
    **owner_paths("/applications/{id}"), **owner_paths("/applications(appId='{app_id}')"),
    **owner_paths("/servicePrincipals/{id}"), **owner_paths("/servicePrincipals(appId='{app_id}')"),
    **owner_paths("/groups/{id}"),
    "/users/{id}/ownedObjects": {"GET": Operation(
        "List the applications, service principals and groups a user owns", "owners", USER_READ,
        result="[directoryObject]", query="collection")},
    "/policies/authorizationPolicy": {
        "GET": get("policies", "authorizationPolicy", POLICY_READ, "the tenant's authorization policy"),
        "PATCH": no_content("Change what the default user role may do (allowedToCreateApps, "
                            "allowedToCreateSecurityGroups, allowedToReadOtherUsers)", "policies", POLICY_WRITE,
                            "authorizationPolicyUpdate")},
}
