"""The OpenAPI paths of memberships read from the member (``http/graph/memberships.py``): memberOf,
transitiveMemberOf and the four membership actions under a user, group or service principal, and a group's
transitiveMembers; ``/directoryObjects`` (``http/graph/directory_objects.py``): the actions under any object, and
getByIds."""

from __future__ import annotations

from typing import Any

from ...directory.memberships import MAX_CHECKED_IDS, MAX_MEMBER_GROUPS
from ..graph import access
from .blocks import BOOL, GUID, Schema, array, nullable, obj
from .operations import Operation

_ACTIONS = {
    "getMemberObjects": ("memberGroupsRequest", "Ids of every group the object is in, directly or through nested "
                                                "groups"),
    "getMemberGroups": ("memberGroupsRequest", f"Ids of every group the object is in, nested included (at most "
                                               f"{MAX_MEMBER_GROUPS:,}: Directory_ResultSizeLimitExceeded past it)"),
    "checkMemberGroups": ("checkMemberGroupsRequest", f"Which of up to {MAX_CHECKED_IDS} groups the object is in, "
                                                      "nested included"),
    "checkMemberObjects": ("checkMemberObjectsRequest", f"Which of up to {MAX_CHECKED_IDS} groups the object is "
                                                        "in, nested included"),
}
SUBJECTS = {"users": (access.USER_MEMBERSHIP_READ, access.USER_READ),
            "groups": (access.GROUP_MEMBERSHIP_READ, access.GROUP_MEMBERSHIP_READ),
            "servicePrincipals": (access.APPLICATION_READ, access.APPLICATION_READ)}


def membership_paths(prefix: str) -> dict[str, dict[str, Operation]]:
    """The paths under ``prefix`` (``/users/{id}``, ``/groups/{id}``, ``/servicePrincipals/{id}`` ...)."""
    collection = prefix.split("/")[1].split("(")[0]
    tag = collection
    read, check = SUBJECTS[collection]
    paths: dict[str, dict[str, Operation]] = {
        f"{prefix}/memberOf": {"GET": Operation("List the groups the object is a direct member of", tag, read,
                                                result="[directoryObject]", query="collection")},
        f"{prefix}/transitiveMemberOf": {"GET": Operation(
            "List the groups the object is a member of, directly or through nested groups", tag, read,
            result="[directoryObject]", query="collection")},
    }
    for action, (body, summary) in _ACTIONS.items():
        paths[f"{prefix}/{action}"] = {"POST": Operation(summary, tag, check, result="stringCollection", body=body)}
    if collection == "groups":
        paths[f"{prefix}/transitiveMembers"] = {"GET": Operation(
            "List the group's members and the members of the groups nested in it", tag,
            access.GROUP_MEMBERSHIP_READ, result="[directoryObject]", query="collection")}
    return paths


def directory_object_paths() -> dict[str, dict[str, Operation]]:
    """``/directoryObjects``: getByIds, and the four actions as the object's own kind of route takes them (the
    permissions listed are a user's, which an id of no object also needs)."""
    check = SUBJECTS["users"][1]
    paths = {f"/directoryObjects/{{id}}/{action}": {"POST": Operation(
        f"{summary}; authorized as the route of the object's kind (users, groups, servicePrincipals)",
        "directoryObjects", check,
        result="stringCollection", body=body)} for action, (body, summary) in _ACTIONS.items()}
    paths["/directoryObjects/getByIds"] = {"POST": Operation(
        "The users, groups and service principals among up to 1,000 ids", "directoryObjects",
        ("Directory.Read.All", "Directory.ReadWrite.All"), result="[directoryObject]", body="getByIdsRequest")}
    return paths


_IDS: Schema = array(GUID, maxItems=MAX_CHECKED_IDS)
MEMBERSHIP_BODIES: dict[str, Any] = {
    "memberGroupsRequest": obj({"securityEnabledOnly": nullable(BOOL)},
                               description="Every group in tenantd is a security group: true and false answer alike."),
    "checkMemberGroupsRequest": obj({"groupIds": _IDS}, required=("groupIds",)),
    "checkMemberObjectsRequest": obj({"ids": _IDS}, required=("ids",)),
    "getByIdsRequest": obj({"ids": array(GUID, maxItems=1000), "types": array({"type": "string"})},
                           required=("ids",)),
    "stringCollection": obj({"@odata.context": {"type": "string"}, "value": array({"type": "string"})},
                            required=("@odata.context", "value"), description="An action's ids."),
}
