"""Which Graph application permissions each family of calls needs (and, through :func:`delegated`, which
delegated permissions a signed-in user's token needs), and the directory the caller reaches.

Reads accept any permission that includes reading the resource; writes need its ReadWrite permission.
Assignment writes need AppRoleAssignment.ReadWrite.All, whichever object they hang from; delegated permission
grants are DelegatedPermissionGrant.ReadWrite.All's or Directory.ReadWrite.All's, as Graph documents them.
"""

from __future__ import annotations

from ..auth import directory as directory  # the directory acting for the request's verified caller

_DIRECTORY_READ = ("Directory.Read.All", "Directory.ReadWrite.All")

APPLICATION_READ = ("Application.Read.All", "Application.ReadWrite.All", *_DIRECTORY_READ)
APPLICATION_WRITE = ("Application.ReadWrite.All",)

ASSIGNMENT_WRITE = ("AppRoleAssignment.ReadWrite.All",)

GRANT_READ = ("DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", *_DIRECTORY_READ)
GRANT_WRITE = ("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All")

USER_READ = ("User.Read.All", "User.ReadWrite.All", *_DIRECTORY_READ)
USER_WRITE = ("User.ReadWrite.All", "Directory.ReadWrite.All")

GROUP_READ = ("Group.Read.All", "Group.ReadWrite.All", *_DIRECTORY_READ)
GROUP_WRITE = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
MEMBER_READ = (*GROUP_READ, "GroupMember.ReadWrite.All")
MEMBER_WRITE = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
# Memberships read from the member (memberOf, transitiveMemberOf, the membership checks): reading the member's
# kind of object, or reading groups' members (Graph's tables for users, groups and service principals).
_GROUP_MEMBERS_READ = ("GroupMember.Read.All", "GroupMember.ReadWrite.All")
USER_MEMBERSHIP_READ = (*USER_READ, "Group.Read.All", "Group.ReadWrite.All", *_GROUP_MEMBERS_READ)
GROUP_MEMBERSHIP_READ = (*GROUP_READ, *_GROUP_MEMBERS_READ)

ROLE_READ = ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory",
             *_DIRECTORY_READ)
ROLE_WRITE = ("RoleManagement.ReadWrite.Directory",)   # as Graph: Directory.ReadWrite.All does not assign roles

DOMAIN_READ = ("Domain.Read.All", "Domain.ReadWrite.All", *_DIRECTORY_READ)
DOMAIN_WRITE = ("Domain.ReadWrite.All",)   # as Graph: Directory.ReadWrite.All does not add or remove domains


def assignment_read(owner_read: tuple[str, ...]) -> tuple[str, ...]:
    """Reading an object's assignments: reading the object, or managing assignments."""
    return (*owner_read, *ASSIGNMENT_WRITE)

OWNER_READ_OF = {"applications": APPLICATION_READ, "servicePrincipals": APPLICATION_READ, "groups": GROUP_READ}
# Adding and removing owners: Graph's tables list Directory.ReadWrite.All beside the object's ReadWrite.
OWNER_WRITE_OF = {"applications": (*APPLICATION_WRITE, "Directory.ReadWrite.All"),
                  "servicePrincipals": (*APPLICATION_WRITE, "Directory.ReadWrite.All"), "groups": GROUP_WRITE}

POLICY_READ = ("Policy.Read.All", "Policy.ReadWrite.Authorization")
POLICY_WRITE = ("Policy.ReadWrite.Authorization",)

# What a user's own objects need of her token, beside what the call takes for anyone's: /me and what hangs from
# it (Graph's "least privileged" for the signed-in user's own profile, memberships and owned objects).
OWN = ("User.Read",)


def delegated(permissions: tuple[str, ...]) -> frozenset[str]:
    """The delegated permissions a signed-in user's token may hold for a call that takes ``permissions`` as
    application permissions: the same names (Graph's delegated permissions of these calls have them), with
    User.ReadBasic.All wherever reading all users serves, and Directory.AccessAsUser.All ("access the directory
    as the signed-in user") wherever a Directory permission does, as Graph's permission tables list them."""
    found = set(permissions)
    if "User.Read.All" in found:
        found.add("User.ReadBasic.All")
    if found & {"Directory.Read.All", "Directory.ReadWrite.All"}:
        found.add("Directory.AccessAsUser.All")
    return frozenset(found)
