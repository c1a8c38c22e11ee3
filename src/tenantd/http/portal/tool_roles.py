"""The directory roles that open the portal's tenant-wide tools (signing keys, token preview and decoder, the
tenant file), which no Graph call decides: reading them takes a role that reads the whole directory (Global
Reader, Global Administrator), changing them the Global Administrator role, as holding any of them is holding the
tenant. Pure, so that the navigation reads them too (tenant_roles.py enforces them)."""

from __future__ import annotations

from ...domain.directory_roles import find

GLOBAL_ADMIN = find("Global Administrator")
GLOBAL_READER = find("Global Reader")
assert GLOBAL_ADMIN is not None and GLOBAL_READER is not None
READERS = frozenset({GLOBAL_ADMIN.template_id, GLOBAL_READER.template_id})
ADMINS = frozenset({GLOBAL_ADMIN.template_id})
GLOBAL_READER_ID = GLOBAL_READER.template_id
