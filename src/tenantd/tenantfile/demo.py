"""The demo tenant: the packaged demo.yaml, applied at start (a no-op once it is in place)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..bootstrap import write_private_json
from ..domain.errors import ConfigError
from ..runtime import Runtime
from .apply import ApplyResult, apply_document
from .errors import TenantFileError
from .load import load_text

DEMO_FILE = "demo.yaml"
SECRETS_FILE = "demo-secrets.json"


def demo_text() -> str:
    return resources.files(__package__).joinpath(DEMO_FILE).read_text(encoding="utf-8")


def load_demo(rt: Runtime, tenant_id: str, data_dir: Path) -> ApplyResult:
    """Apply the demo file; secrets it generates go to ``data_dir/demo-secrets.json`` (mode 0600)."""
    try:
        result = apply_document(rt.store, rt.directory, tenant_id, load_text(demo_text(), DEMO_FILE))
    except TenantFileError as exc:
        raise ConfigError(f"The demo tenant cannot be loaded into this tenant:\n{exc}") from None
    if result.secrets:
        path = data_dir / SECRETS_FILE
        saved = _read(path)
        for secret in result.secrets:
            saved[secret.application] = {"tenant_id": tenant_id, "client_id": secret.app_id,
                                         "client_secret": secret.secret_text, "key_id": secret.key_id,
                                         "display_name": secret.display_name}
        write_private_json(path, {"applications": saved})
    return result


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    apps = data.get("applications") if isinstance(data, dict) else None
    return apps if isinstance(apps, dict) else {}
