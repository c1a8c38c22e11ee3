"""The public surface of tenantd.protect: its names, its settings' checks, and that it stands alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tenantd.protect as protect
from tenantd.protect import TokenValidator

PACKAGE = Path(protect.__file__).parent


def test_the_public_names() -> None:
    assert protect.__all__ == ["AsyncTokenValidator", "Claims", "Forbidden", "GroupResolver", "GroupsUnavailable",
                               "InvalidToken", "KeysUnavailable",
                               "MissingToken", "ProtectError", "RoleRequirement", "ScopeOrRoleRequirement",
                               "ScopeRequirement", "TokenValidator", "Unauthorized", "require_roles",
                               "require_scope_or_role", "require_scopes"]
    assert [e.status for e in (protect.InvalidToken("x"), protect.MissingToken(), protect.Forbidden(),
                               protect.KeysUnavailable())] == [401, 401, 403, 503]


def test_only_the_adapter_imports_a_web_framework_and_nothing_imports_tenantd() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text())
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level]
        tops = {name.split(".")[0] for name in names}
        assert "tenantd" not in tops, path.name
        if path.name != "starlette.py":
            assert not tops & {"starlette", "fastapi"}, path.name


def test_importing_the_validator_loads_no_web_framework_and_no_other_tenantd_module() -> None:
    code = ("import sys, tenantd.protect; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'fastapi', 'tenantd')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert all(name == "tenantd" or name.startswith("tenantd.protect") for name in ast.literal_eval(out)), out


@pytest.mark.parametrize(("settings", "message"), [
    ({"tenant_id": "a/b"}, "tenant_id"),
    ({"tenant_id": ""}, "tenant_id"),
    ({"audiences": []}, "audience"),
    ({"audiences": [""]}, "audience"),
    ({"authority": "http://login.example.test"}, "https"),
    ({"discovery_urls": ["http://login.example.test/.well-known/openid-configuration"]}, "https"),
    ({"discovery_urls": []}, "discovery"),
    ({"versions": [3]}, "versions"),
    ({"versions": []}, "versions"),
    ({"leeway": -1}, "positive"),
    ({"refresh_interval": 0}, "positive"),
    ({"tenant_id": "common"}, "allowed_tenants"),
])
def test_bad_settings_fail_at_construction(settings: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"tenant_id": "contoso.onmicrosoft.com", "audiences": ["api://things"]}
    with pytest.raises(ValueError, match=message):
        TokenValidator(**{**base, **settings})  # type: ignore[arg-type]


def test_entra_is_the_default_authority_with_both_token_versions() -> None:
    validator = TokenValidator(tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47", audiences="api://things")
    assert validator.audiences == {"api://things"}
    assert [s.discovery_url for s in validator.sources] == [
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/.well-known/openid-configuration",
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration",
    ]
    assert validator.leeway == 300 and validator.max_token_size == 16 * 1024
    multi = TokenValidator(tenant_id="organizations", audiences=["x"], versions=[2], allowed_tenants=["T1"])
    assert multi.allowed_tenants == {"t1"}
    assert [s.discovery_url for s in multi.sources] == [
        "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"]


def test_one_role_given_as_a_string_is_one_role() -> None:
    assert protect.RoleRequirement("Things.Read.All").roles == ("Things.Read.All",)  # type: ignore[arg-type]
