"""Directory use cases, one module per aggregate: each method is one transaction that applies the rules and
writes the store.

Callers (the Graph API, the admin API, the tenant file) pass already-parsed values; the rules that make a
change legal live in :mod:`tenantd.domain.rules`, the rows in :mod:`tenantd.store`. Every aggregate's use
cases share one :class:`~tenantd.directory.unit.UnitOfWork` (store, secret hasher, actor, audit log);
:class:`Directory` gathers them behind one name.
"""

from __future__ import annotations

from .applications import Applications
from .assignments import Assignments
from .authorization import Authorization
from .consents import Consents
from .credentials import Credentials
from .domains import Domains
from .grants import Grants
from .hosts import Hosts
from .impersonation import holds_directory_roles, privileged_principal
from .listings import Listings
from .memberships import Memberships
from .owners import Owners
from .people import People
from .principals import Principals
from .roles import DirectoryRoles
from .subscriptions import Subscriptions
from .tenants import Tenants
from .unit import SecretHasher, iso, now_iso


class Directory(Tenants, Domains, Applications, Credentials, Principals, People, Assignments, Grants, Hosts,
                Listings, DirectoryRoles, Memberships, Consents, Owners, Authorization,
                Subscriptions):
    """Every aggregate's use cases, acting for ``actor``."""


__all__ = ["Directory", "SecretHasher", "holds_directory_roles", "iso", "now_iso", "privileged_principal"]
