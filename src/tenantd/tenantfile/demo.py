"""The demo tenant: the packaged demo.yaml, applied at start (a no-op once it is in place).

The demo file holds no password (it is the README's example file, equal to examples/things/tenant.yaml):
each of its users who has none yet gets a generated one here, recorded under ``users`` in
demo-secrets.json. A user who has a password keeps it, so a restart changes nothing a client relies on.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..bootstrap import write_private_json
from ..directory.people import PasswordProfile
from ..domain import passwords
from ..domain.errors import ConfigError
from ..runtime import Runtime
from .apply import ApplyResult, apply_document
from .document import Document
from .errors import TenantFileError
from .load import load_text

DEMO_FILE = "demo.yaml"
SECRETS_FILE = "demo-secrets.json"


def demo_text() -> str:
    return resources.files(__package__).joinpath(DEMO_FILE).read_text(encoding="utf-8")


def load_demo(rt: Runtime, tenant_id: str, data_dir: Path) -> ApplyResult:
    """Apply the demo file; secrets it generates go to ``data_dir/demo-secrets.json`` (mode 0600)."""
    try:
        doc = load_text(demo_text(), DEMO_FILE)
        result = apply_document(rt.store, rt.directory, tenant_id, doc)
    except TenantFileError as exc:
        raise ConfigError(f"The demo tenant cannot be loaded into this tenant:\n{exc}") from None
    passwords = _give_passwords(rt, tenant_id, doc)
    if result.secrets or passwords:
        path = data_dir / SECRETS_FILE
        apps, users = _read(path, "applications"), _read(path, "users")
        for secret in result.secrets:
            apps[secret.application] = {"tenant_id": tenant_id, "client_id": secret.app_id,
                                        "client_secret": secret.secret_text, "key_id": secret.key_id,
                                        "display_name": secret.display_name}
        for upn, password in passwords.items():
            users[upn] = {"tenant_id": tenant_id, "username": upn, "password": password}
        write_private_json(path, {"applications": apps, "users": users})
    return result


def _give_passwords(rt: Runtime, tenant_id: str, doc: Document) -> dict[str, str]:
    """A generated password for each demo user who has none: userPrincipalName -> password."""
    given: dict[str, str] = {}
    for entry in doc.data.get("users") or []:
        upn = entry["userPrincipalName"]
        if rt.directory.password_of(tenant_id, upn)[1] is None:
            password = passwords.generate()
            rt.directory.set_password(tenant_id, upn, PasswordProfile(password))
            given[upn] = password
    return given


def _read(path: Path, section: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    found = data.get(section) if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}
