"""Object ids as Entra writes them.

Entra accepts any 8-4-4-4-12 hex text as an object id, whatever its version and variant bits (real
tenants hold ids such as ``32028ccd-3212-4f39-3212-beabd6787d81``), so ids are validated by shape only
and kept as lower-case text, never round-tripped through :class:`uuid.UUID` semantics.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_BRACED = re.compile(r"^\{(.*)\}$")

DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"


def is_guid(text: object) -> bool:
    """True when ``text`` has a GUID's shape (version and variant bits are not checked)."""
    return isinstance(text, str) and bool(_GUID.match(text))


def parse_guid(text: str) -> str:
    """Normalise a GUID (optionally braced) to lower-case text; ValueError if it is not one."""
    braced = _BRACED.match(text.strip()) if isinstance(text, str) else None
    candidate = braced.group(1) if braced else text
    if not is_guid(candidate):
        raise ValueError(f"{text!r} is not a valid GUID")
    return candidate.lower()


def new_guid() -> str:
    return str(uuid.uuid4())


def new_time_ordered_guid() -> str:
    """A GUID whose first 48 bits are the time in milliseconds (RFC 9562's version 7): rows keyed by such ids
    are appended to their index in time order instead of being scattered over it, which halves the cost of
    each insert into a large log."""
    raw = bytearray(int(time.time() * 1000).to_bytes(6, "big") + secrets.token_bytes(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)   # version 7
    raw[8] = 0x80 | (raw[8] & 0x3F)   # RFC 9562's variant
    return str(uuid.UUID(bytes=bytes(raw)))


def new_assignment_id(principal_id: str) -> str:
    """An appRoleAssignment id shaped like Entra's: base64url of the principal's GUID bytes and 16 more."""
    raw = uuid.UUID(principal_id).bytes_le + secrets.token_bytes(16)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def is_assignment_id(text: str) -> bool:
    return isinstance(text, str) and bool(re.fullmatch(r"[A-Za-z0-9_-]{43}", text))


def grant_id(client_id: str, resource_id: str, principal_id: str | None = None) -> str:
    """An oAuth2PermissionGrant id as Entra makes it: base64url, unpadded, of the client's, the resource's and,
    for one user's grant, the user's GUID bytes (in .NET's order). So there is one id, and one grant, per
    client, resource and user (or all users): 43 characters for an AllPrincipals grant, 64 for a Principal one."""
    ids = (client_id, resource_id) if principal_id is None else (client_id, resource_id, principal_id)
    raw = b"".join(uuid.UUID(i).bytes_le for i in ids)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def is_grant_id(text: str) -> bool:
    return isinstance(text, str) and bool(re.fullmatch(r"[A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{64}", text))
