"""Loading: YAML with lines, the schema, and the checks a file fails on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tenantd.tenantfile import TenantFileError, document_from_json, load_file, load_text, schema
from tenantd.tenantfile.demo import demo_text


def problems(text: str) -> list[str]:
    with pytest.raises(TenantFileError) as caught:
        load_text(text, "tenant.yaml")
    return caught.value.problems


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    shipped = schema()
    Draft202012Validator.check_schema(shipped)
    assert shipped["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert shipped["additionalProperties"] is False


def test_errors_name_the_line_and_the_field() -> None:
    found = problems(
        "applications:\n"                                        # 1
        "  - displayName: Things API\n"                          # 2
        "    appRoles:\n"                                        # 3
        "      - allowedMemberTypes: [Application]\n"            # 4
        "        displayName: Read\n"                            # 5
        "        id: 32028ccd-3212-4f39-3212-beabd6787d81\n"     # 6
        "      - allowedMemberTypes: [Application]\n"            # 7
        "        displayName: Write\n"                           # 8
        "        id: 42028ccd-3212-4f39-3212-beabd6787d81\n"     # 9
        "        value: x y\n"                                   # 10
    )
    assert found == ["tenant.yaml:10: applications[0].appRoles[1].value: 'x y' is not a valid role value "
                     "(printable ASCII without spaces, quotes or backslashes)"]


def test_a_typo_is_an_unknown_property_with_a_suggestion() -> None:
    found = problems("applications:\n  - displayName: A\n    idntifierUris: [api://a]\n")
    assert found == ["tenant.yaml:3: applications[0].idntifierUris: unknown property 'idntifierUris'; "
                     "did you mean 'identifierUris'?"]


def test_every_problem_is_reported_in_line_order() -> None:
    found = problems(
        "users:\n"
        "  - userPrincipalName: bob\n"                            # 2
        "managedIdentities:\n"
        "  - name: web\n"                                         # 4
        "    type: SystemAssigned\n"
        "assignments:\n"
        "  - {principal: web, resource: api}\n"                   # 7
    )
    assert found == [
        "tenant.yaml:2: users[0]: 'displayName' is a required property",
        "tenant.yaml:2: users[0].userPrincipalName: 'bob' is not a user principal name (name@domain)",
        "tenant.yaml:4: managedIdentities[0]: 'host' is a required property",
        "tenant.yaml:7: assignments[0]: 'role' is a required property",
    ]


def test_identity_kinds_take_only_their_own_fields() -> None:
    found = problems(
        "managedIdentities:\n"
        "  - name: ua\n"
        "    type: UserAssigned\n"
        "    host: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Web/sites/x\n"   # 4
    )
    assert found == ["tenant.yaml:4: managedIdentities[0].host: not allowed here: A UserAssigned identity has a "
                     "resourceId (or the default one), not a host."]


def test_yaml_syntax_errors_and_duplicate_keys_name_their_line() -> None:
    assert problems("applications:\n  - displayName: [A\n") == [
        "tenant.yaml:3: invalid YAML: expected ',' or ']', but got '<stream end>'"]
    assert problems("applications:\n  - displayName: A\n    displayName: B\n") == [
        "tenant.yaml:3: duplicate key 'displayName' (first at line 2)."]


def test_an_empty_or_non_mapping_file_is_refused() -> None:
    assert problems("") == ["tenant.yaml: the document is empty; a tenant file is a mapping with applications, "
                            "managedIdentities, users, groups, assignments and consents."]
    assert "a list, not a mapping" in problems("- a\n")[0]


def test_unsafe_yaml_tags_are_refused() -> None:
    found = problems("applications: !!python/object/apply:os.system ['true']\n")
    assert found == ["tenant.yaml:1: invalid YAML: the tag tag:yaml.org,2002:python/object/apply:os.system is not "
                     "supported."]
    assert problems("a: !!python/name:os.system\n")[0].startswith("tenant.yaml:1: invalid YAML: could not determine")


def test_recursive_aliases_are_refused() -> None:
    assert problems("a: &x [*x]\n") == ["tenant.yaml:1: a YAML alias refers to the node that contains it."]


def test_unquoted_dates_stay_text() -> None:
    doc = load_text("applications:\n  - displayName: A\n    passwordCredentials:\n"
                    "      - {displayName: dev, endDateTime: 2099-01-01T00:00:00Z}\n")
    assert doc.data["applications"][0]["passwordCredentials"][0]["endDateTime"] == "2099-01-01T00:00:00Z"


def test_guids_are_checked_by_shape_only() -> None:
    doc = load_text("users:\n  - userPrincipalName: a@contoso.test\n    displayName: A\n"
                    "    id: 32028CCD-3212-4F39-3212-BEABD6787D81\n")
    assert doc.data["users"][0]["id"] == "32028CCD-3212-4F39-3212-BEABD6787D81"
    assert problems("users:\n  - {userPrincipalName: a@b.c, displayName: A, id: 32028ccd-3212-4f39-3212}\n") == [
        "tenant.yaml:2: users[0].id: '32028ccd-3212-4f39-3212' is not a GUID (8-4-4-4-12 hexadecimal digits)"]


def test_a_repeated_name_needs_pins() -> None:
    found = problems("groups:\n  - displayName: Readers\n  - displayName: Readers\n")
    assert found == ["tenant.yaml:3: groups[1].displayName: duplicate displayName 'Readers': it is also at "
                     "tenant.yaml:2: groups[0].displayName; pin an id on each to keep both"]
    load_text("groups:\n  - {displayName: Readers, id: 11111111-1111-1111-1111-111111111111}\n"
              "  - {displayName: Readers, id: 22222222-2222-2222-2222-222222222222}\n")


def test_pins_that_collide_name_both_places() -> None:
    found = problems(
        "applications:\n"
        "  - displayName: A\n"
        "    id: 32028ccd-3212-4f39-3212-beabd6787d81\n"          # 3
        "users:\n"
        "  - userPrincipalName: a@contoso.test\n"
        "    displayName: A\n"
        "    id: 32028CCD-3212-4f39-3212-beabd6787d81\n"          # 7
    )
    assert found == ["tenant.yaml:7: users[0].id: this object id is also at tenant.yaml:3: applications[0].id"]


def test_uris_hosts_roles_and_assignments_declared_twice() -> None:
    found = problems(
        "applications:\n"
        "  - displayName: A\n"
        "    identifierUris: [api://things]\n"                   # 3
        "    appRoles:\n"
        "      - {allowedMemberTypes: [User], displayName: R, id: 11111111-1111-1111-1111-111111111111, value: R}\n"
        "      - {allowedMemberTypes: [User], displayName: S, id: 22222222-2222-2222-2222-222222222222, value: R}\n"
        "  - displayName: B\n"
        "    identifierUris: [API://things]\n"                   # 8
        "managedIdentities:\n"
        "  - {name: x, type: UserAssigned}\n"                    # 10
        "  - {name: y, type: UserAssigned, resourceId: /subscriptions/00000000-0000-0000-0000-000000000000/"
        "resourceGroups/tenantd/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x}\n"   # 11
        "assignments:\n"
        "  - {principal: x, resource: A, role: R}\n"             # 13
        "  - {principal: x, resource: A, role: R}\n"             # 14
    )
    assert found == [
        "tenant.yaml:8: applications[1].identifierUris[0]: this identifier URI is also at "
        "tenant.yaml:3: applications[0].identifierUris[0]",
        "tenant.yaml:11: managedIdentities[1]: an identity with the same resource id is also at "
        "tenant.yaml:10: managedIdentities[0]",
        "tenant.yaml:6: applications[0].appRoles[1].value: this role value is also at "
        "tenant.yaml:5: applications[0].appRoles[0].value",
        "tenant.yaml:14: assignments[1]: the same assignment is also at tenant.yaml:13: assignments[0]",
    ]


def test_a_json_document_is_validated_too_with_paths_and_optional_lines() -> None:
    with pytest.raises(TenantFileError) as caught:
        document_from_json({"users": [{"userPrincipalName": "a@b.c"}]}, "t.yaml")
    assert caught.value.problems == ["t.yaml: users[0]: 'displayName' is a required property"]
    with pytest.raises(TenantFileError) as caught:
        document_from_json({"users": [{"userPrincipalName": "a@b.c"}]}, "t.yaml", [[["users", 0], 7], "junk"])
    assert caught.value.problems == ["t.yaml:7: users[0]: 'displayName' is a required property"]


def test_load_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("users:\n  - {userPrincipalName: a@b.c}\n")
    with pytest.raises(TenantFileError) as caught:
        load_file(path)
    assert caught.value.problems == [f"{path}:2: users[0]: 'displayName' is a required property"]
    with pytest.raises(TenantFileError, match="cannot read the file"):
        load_file(tmp_path / "missing.yaml")


def test_the_demo_file_and_the_documented_example_are_valid() -> None:
    load_text(demo_text(), "demo.yaml")
    documented = Path("/work/shared/TENANT-FILE.md")
    if documented.exists():
        text = documented.read_text()
        load_text(text.split("```yaml\n", 1)[1].split("```", 1)[0])
