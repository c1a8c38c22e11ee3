"""Users' passwords in a tenant file: references only, resolved where the file is read, set on create and
when the value changes, never exported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantd.directory.passwords import verify
from tenantd.directory.people import PasswordProfile
from tenantd.runtime import Runtime
from tenantd.tenantfile import (
    TenantFileError,
    apply_document,
    document_from_json,
    dump_yaml,
    export_tenant,
    load_file,
    load_text,
)

from .conftest import snapshot

FIRST = "Correct-Horse-7"
SECOND = "Battery-Staple-8"


def user_file(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "tenant.yaml"
    path.write_text("users:\n"
                    "  - userPrincipalName: alice@contoso.test\n"
                    "    displayName: Alice\n"
                    f"    password: {password}\n")
    return path


def alice_signs_in_with(rt: Runtime, tenant_id: str, password: str) -> bool:
    _, stored = rt.directory.password_of(tenant_id, "alice@contoso.test")
    return stored is not None and verify(stored.hash, password)


def problems(path: Path) -> list[str]:
    with pytest.raises(TenantFileError) as caught:
        load_file(path)
    return caught.value.problems


def test_a_file_reference_is_read_relative_to_the_tenant_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              rt: Runtime, tenant_id: str) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "alice").write_text(FIRST + "\n")
    monkeypatch.chdir("/")
    doc = load_file(user_file(tmp_path, "{file: secrets/alice}"))
    result = apply_document(rt.store, rt.directory, tenant_id, doc)
    assert result.changes == ["create user 'alice@contoso.test' with a password"]
    assert alice_signs_in_with(rt, tenant_id, FIRST)
    assert FIRST not in repr(doc)


def test_an_env_reference_sets_the_password_once_and_again_only_when_it_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rt: Runtime, tenant_id: str) -> None:
    path = user_file(tmp_path, "{env: ALICE_PASSWORD}")
    monkeypatch.setenv("ALICE_PASSWORD", FIRST)
    assert apply_document(rt.store, rt.directory, tenant_id, load_file(path)).changes == [
        "create user 'alice@contoso.test' with a password"]
    changed_at = rt.directory.password_of(tenant_id, "alice@contoso.test")[1]
    assert apply_document(rt.store, rt.directory, tenant_id, load_file(path)).changes == []
    assert rt.directory.password_of(tenant_id, "alice@contoso.test")[1] == changed_at   # not re-hashed

    monkeypatch.setenv("ALICE_PASSWORD", SECOND)
    assert apply_document(rt.store, rt.directory, tenant_id, load_file(path)).changes == [
        "set the password of user 'alice@contoso.test'"]
    assert alice_signs_in_with(rt, tenant_id, SECOND) and not alice_signs_in_with(rt, tenant_id, FIRST)

    # A reset by Graph since the last apply is set back to the file's value.
    rt.directory.set_password(tenant_id, "alice@contoso.test", PasswordProfile(FIRST))
    assert apply_document(rt.store, rt.directory, tenant_id, load_file(path)).changes == [
        "set the password of user 'alice@contoso.test'"]
    assert alice_signs_in_with(rt, tenant_id, SECOND)


def test_an_existing_user_without_a_password_gets_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             rt: Runtime, tenant_id: str) -> None:
    rt.directory.create_user(tenant_id, "alice@contoso.test", "Alice")
    monkeypatch.setenv("ALICE_PASSWORD", FIRST)
    result = apply_document(rt.store, rt.directory, tenant_id, load_file(user_file(tmp_path, "{env: ALICE_PASSWORD}")))
    assert result.changes == ["set the password of user 'alice@contoso.test'"]
    assert alice_signs_in_with(rt, tenant_id, FIRST)


def test_a_literal_password_is_refused_at_its_line_without_being_quoted(tmp_path: Path) -> None:
    for literal in ("Literal-Secret-9", "12345678901", "[Literal-Secret-9]"):
        found = problems(user_file(tmp_path, literal))
        assert len(found) == 1
        assert found[0].startswith(f"{tmp_path / 'tenant.yaml'}:4: users[0].password: not allowed here: "
                                   "A password is never written in the tenant file: give {env: NAME}")
        assert literal.strip("[]") not in found[0]


def test_a_reference_must_be_one_env_or_one_file(tmp_path: Path) -> None:
    assert "unknown property 'value'" in problems(user_file(tmp_path, "{value: x}"))[0]
    assert "has too many properties" in problems(user_file(tmp_path, "{env: A, file: b}"))[0]
    assert "'1A' is not an environment variable name" in problems(user_file(tmp_path, "{env: 1A}"))[0]


def test_a_missing_variable_or_unreadable_file_is_a_problem_before_anything_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALICE_PASSWORD", raising=False)
    assert problems(user_file(tmp_path, "{env: ALICE_PASSWORD}")) == [
        f"{tmp_path / 'tenant.yaml'}:4: users[0].password.env: the environment variable ALICE_PASSWORD is not set"]
    monkeypatch.setenv("ALICE_PASSWORD", "")
    assert problems(user_file(tmp_path, "{env: ALICE_PASSWORD}"))[0].endswith("ALICE_PASSWORD is empty")
    found = problems(user_file(tmp_path, "{file: secrets/missing}"))
    assert found == [f"{tmp_path / 'tenant.yaml'}:4: users[0].password.file: cannot read the password file "
                     f"{tmp_path / 'secrets/missing'}: No such file or directory"]
    (tmp_path / "empty").write_text("\n")
    assert problems(user_file(tmp_path, "{file: empty}"))[0].endswith("is empty")
    (tmp_path / "huge").write_text("x" * 5000)
    assert problems(user_file(tmp_path, "{file: huge}"))[0].endswith("is too long to hold a password")


def test_a_password_entra_would_refuse_is_a_problem_without_the_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rt: Runtime, tenant_id: str) -> None:
    monkeypatch.setenv("ALICE_PASSWORD", "weakpass")
    with pytest.raises(TenantFileError) as caught:
        apply_document(rt.store, rt.directory, tenant_id, load_file(user_file(tmp_path, "{env: ALICE_PASSWORD}")))
    assert caught.value.problems == [f"{tmp_path / 'tenant.yaml'}:4: users[0].password: The specified password "
                                     "does not comply with password complexity requirements. Please provide a "
                                     "different password."]
    assert snapshot(rt, tenant_id).users == []


def test_the_server_resolves_no_reference(monkeypatch: pytest.MonkeyPatch, rt: Runtime, tenant_id: str) -> None:
    """A document that arrived as JSON takes the values sent with it, never the server's environment."""
    monkeypatch.setenv("ALICE_PASSWORD", FIRST)
    data = {"users": [{"userPrincipalName": "alice@contoso.test", "displayName": "Alice",
                       "password": {"env": "ALICE_PASSWORD"}}]}
    with pytest.raises(TenantFileError) as caught:
        apply_document(rt.store, rt.directory, tenant_id, document_from_json(data))
    assert caught.value.problems == ["tenant.yaml: users[0].password: the value of this password reference did "
                                     "not come with the file (tenantd apply reads it from the environment or the "
                                     "file and sends it)"]
    doc = document_from_json(data, passwords=[[["users", 0], SECOND]])
    apply_document(rt.store, rt.directory, tenant_id, doc)
    assert alice_signs_in_with(rt, tenant_id, SECOND)


def test_export_writes_no_password_and_applies_back_leaving_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rt: Runtime, tenant_id: str) -> None:
    monkeypatch.setenv("ALICE_PASSWORD", FIRST)
    apply_document(rt.store, rt.directory, tenant_id, load_file(user_file(tmp_path, "{env: ALICE_PASSWORD}")))
    exported = dump_yaml(export_tenant(rt.store, tenant_id))
    assert "password" not in exported and FIRST not in exported and "argon2" not in exported
    monkeypatch.delenv("ALICE_PASSWORD")
    assert apply_document(rt.store, rt.directory, tenant_id, load_text(exported)).changes == []
    assert alice_signs_in_with(rt, tenant_id, FIRST)
