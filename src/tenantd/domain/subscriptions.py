"""Azure subscriptions, as the Azure Resource Manager surface lists them to the Azure CLI.

tenantd manages no resources: a subscription is a name under which ``az login`` finds something to select.
Who sees one is declared per subscription (its viewers, or everyone in the tenant), never derived from app
roles or directory roles, so that a file says exactly what ``az account list`` shows to whom.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadRequest
from .ids import is_guid

MAX_DISPLAY_NAME = 64   # the portal's limit for a subscription's name


@dataclass(frozen=True)
class Subscription:
    id: str                          # the subscription's GUID (lower case), unique across tenants
    tenant_id: str
    display_name: str
    visible_to_all: bool             # every principal of the tenant sees it
    viewers: tuple[str, ...] = ()    # object ids of the users and service principals that see it
    created: str = ""

    def visible_to(self, principal_id: str) -> bool:
        return self.visible_to_all or principal_id.lower() in self.viewers

    def settings(self) -> tuple[str, bool, tuple[str, ...]]:
        """What a declaration sets: name, visibility, viewers (in order); equal settings need no write."""
        return self.display_name, self.visible_to_all, tuple(sorted(self.viewers))

    @property
    def resource_id(self) -> str:
        return f"/subscriptions/{self.id}"


def subscription_id(value: object) -> str:
    """A subscription id: a GUID, in lower case; BadRequest otherwise."""
    if not isinstance(value, str) or not is_guid(value.strip()):
        raise BadRequest(f"The subscription id '{value}' is not a valid GUID.")
    return value.strip().lower()


def display_name(value: object) -> str:
    """A subscription's display name: text of 1 to 64 characters, without control characters."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("A subscription needs a display name.")
    name = value.strip()
    if len(name) > MAX_DISPLAY_NAME:
        raise BadRequest(f"A subscription's display name has at most {MAX_DISPLAY_NAME} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadRequest("A subscription's display name may not hold control characters.")
    return name
