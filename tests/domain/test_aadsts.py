"""Every AADSTS code tenantd's source can emit has a sentence in domain/aadsts.py, and the table explains no
code tenantd never emits (a code removed from the source takes its sentence with it)."""

from __future__ import annotations

from tenantd.domain import aadsts

from .aadsts_codes import emitted_codes


def test_every_code_tenantd_emits_is_explained() -> None:
    missing = {code: where for code, where in emitted_codes().items() if code not in aadsts.EXPLANATIONS}
    assert not missing, f"AADSTS codes without an explanation in domain/aadsts.py: {missing}"


def test_the_table_explains_only_codes_tenantd_emits() -> None:
    assert set(aadsts.EXPLANATIONS) <= set(emitted_codes())


def test_the_collector_reads_every_way_a_code_is_written() -> None:
    """A literal (disabled_client), a module constant (passwords.WRONG_PASSWORD), a builder's default
    (errors.invalid_request's 900144) and what its callers pass (response_type_not_enabled's 700051)."""
    codes = emitted_codes()
    assert {7000112, 50126, 900144, 700051} <= set(codes)
    assert all(aadsts.explain(code) and not aadsts.explain(code).startswith("AADSTS") for code in codes)


def test_an_unknown_code_says_so() -> None:
    assert "no explanation" in aadsts.explain(123456)
    assert aadsts.explain(None) == "Refused without an AADSTS code."
