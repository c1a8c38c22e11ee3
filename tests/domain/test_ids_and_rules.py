from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantd.domain import rules
from tenantd.domain.errors import BadRequest
from tenantd.domain.ids import is_guid, new_assignment_id, new_time_ordered_guid, parse_guid

HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=32, max_size=32)


@given(HEX)
def test_any_hex_in_guid_shape_is_accepted_verbatim(hex32: str) -> None:
    text = f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"
    assert parse_guid(text) == text.lower()
    assert parse_guid("{" + text + "}") == text.lower()


@given(st.text(max_size=60))
def test_parse_guid_never_accepts_other_shapes(text: str) -> None:
    if is_guid(text.strip("{}")):
        return
    with pytest.raises(ValueError):
        parse_guid(text)


def test_unusual_variant_bits_are_kept() -> None:
    assert parse_guid("32028CCD-3212-4F39-3212-BEABD6787D81") == "32028ccd-3212-4f39-3212-beabd6787d81"


def test_assignment_ids_look_like_entras() -> None:
    first = new_assignment_id("32028ccd-3212-4f39-3212-beabd6787d81")
    second = new_assignment_id("32028ccd-3212-4f39-3212-beabd6787d81")
    assert len(first) == 43 and first != second and first[:20] == second[:20]


@pytest.mark.parametrize("uri", ["api://things", "https://contoso.test/things", "urn:things", "api://5f2b3c1e"])
def test_identifier_uris_accepted(uri: str) -> None:
    assert rules.identifier_uri(uri) == uri


@pytest.mark.parametrize("uri", ["", "things", "api://", "api://a b", "ftp://x", "api://x#frag", "api://x?q=1", 5])
def test_identifier_uris_refused(uri: object) -> None:
    with pytest.raises(BadRequest):
        rules.identifier_uri(uri)


def _role(**changes: object) -> dict[str, object]:
    role: dict[str, object] = {"id": "32028ccd-3212-4f39-3212-beabd6787d81", "value": "Things.Read.All",
                               "displayName": "Read", "allowedMemberTypes": ["Application"], "isEnabled": True}
    role.update(changes)
    return role


@pytest.mark.parametrize("changes", [
    {"id": "nope"}, {"id": "00000000-0000-0000-0000-000000000000"}, {"value": "has space"},
    {"allowedMemberTypes": []}, {"allowedMemberTypes": ["Robot"]}, {"isEnabled": "yes"}, {"displayName": ""},
])
def test_app_role_fields_are_checked(changes: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        rules.app_role(_role(**changes))


def test_duplicate_role_ids_or_values_are_refused() -> None:
    with pytest.raises(BadRequest, match="duplicate id"):
        rules.app_roles([_role(), _role(value="Other")])
    with pytest.raises(BadRequest, match="duplicate value"):
        rules.app_roles([_role(), _role(id="6a1e5b4c-3d2f-4e1a-9b8c-7d6e5f4a3b2c")])


def test_time_ordered_guids_are_version_7_guids_in_time_order() -> None:
    first = new_time_ordered_guid()
    time.sleep(0.002)
    later = [new_time_ordered_guid() for _ in range(50)]
    for guid in (first, *later):
        parsed = uuid.UUID(guid)
        assert is_guid(guid) and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert abs(int(guid.replace("-", "")[:12], 16) / 1000 - time.time()) < 5   # the time, in milliseconds
    assert all(first < guid for guid in later)   # text order is time order, across milliseconds
    assert len(set(later)) == len(later)
