"""Owners: ``owners`` of an application, a service principal or a group (listed, added by ``owners/$ref`` with
``{"@odata.id": ".../directoryObjects/{id}"}``, removed by ``owners/{id}/$ref``), and what a user owns
(``users/{id}/ownedObjects``, and through the alias ``/me/ownedObjects``).

Adding or removing an owner needs the object's ReadWrite permission (or Directory.ReadWrite.All); a signed-in
user may do it on what she owns, or through a directory role that manages such objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...domain import user_permissions as can
from ..auth import graph_caller
from . import acts, applications, groups, odata, payload, responses, serialize, service_principals, users
from .access import OWNER_READ_OF, OWNER_WRITE_OF, USER_READ, directory
from .acts import Act
from .groups import referenced_id
from .serialize import DIRECTORY_OBJECT

_READ = {"applications": can.APPS_READ, "servicePrincipals": can.SPS_READ, "groups": can.GROUPS_READ}
_WRITE = {"applications": can.APPS_OWNERS, "servicePrincipals": can.SPS_OWNERS, "groups": can.GROUPS_OWNERS}
_TYPE = {"applications": "Application", "servicePrincipals": "ServicePrincipal", "groups": "Group"}


@dataclass(frozen=True)
class OwnedCollection:
    """The kind of object whose owners a URL names."""

    collection: str                 # applications | servicePrincipals | groups

    @property
    def type(self) -> str:
        return _TYPE[self.collection]

    async def find(self, request: Request, tenant_id: str) -> str:
        """The URL's object id (by id, or by appId for an application or a service principal); 404 if unknown."""
        if self.collection == "applications":
            return (await applications.find(request, tenant_id)).id
        if self.collection == "servicePrincipals":
            return (await service_principals.find(request, tenant_id)).id
        return (await groups.find(request, tenant_id)).id


async def list_(owned: OwnedCollection, request: Request) -> Response:
    caller = await graph_caller(request, *OWNER_READ_OF[owned.collection], action=Act(_READ[owned.collection]))
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    object_id = await owned.find(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).owners, caller.tenant_id, owned.type, object_id)
    rows = [((o.created, o.id), serialize.directory_object(o)) for o in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)


async def add(owned: OwnedCollection, request: Request) -> Response:
    caller = await graph_caller(request, *OWNER_WRITE_OF[owned.collection],
                                action=Act(_WRITE[owned.collection], acts.owner_facts(owned.collection)))
    object_id = await owned.find(request, caller.tenant_id)
    owner_id = referenced_id(await payload.json_object(request))
    await run_in_threadpool(directory(request).add_owner, caller.tenant_id, owned.type, object_id, owner_id)
    return responses.no_content()


async def remove(owned: OwnedCollection, request: Request) -> Response:
    caller = await graph_caller(request, *OWNER_WRITE_OF[owned.collection],
                                action=Act(_WRITE[owned.collection], acts.owner_facts(owned.collection)))
    object_id = await owned.find(request, caller.tenant_id)
    owner_id = payload.object_id(request.path_params["owner_id"])
    await run_in_threadpool(directory(request).remove_owner, caller.tenant_id, owned.type, object_id, owner_id)
    return responses.no_content()


async def owned_objects(request: Request) -> Response:
    """``users/{id}/ownedObjects``: the applications, service principals and groups the user owns."""
    caller = await graph_caller(request, *USER_READ, action=Act(can.USERS_READ, acts.user, own=True))
    options = odata.parse_options(request.url.query, DIRECTORY_OBJECT, collection=True)
    user = await users.find(request, caller.tenant_id)
    found = await run_in_threadpool(directory(request).owned_objects, caller.tenant_id, user.id)
    rows = [((o.created, o.id), serialize.directory_object(o)) for o in found]
    return responses.collection(request, "directoryObjects", rows, DIRECTORY_OBJECT, options)
