"""Where Resource Manager lives for a public URL, and the Azure CLI's view of the cloud metadata."""

from __future__ import annotations

import pytest

from tenantd.domain.azure_cloud import cli_cloud_options, cloud_metadata, default_arm_url, same_origin


@pytest.mark.parametrize(("public", "arm"), [
    ("https://localhost:8443", "https://127.0.0.1:8443/arm"),
    ("https://LOCALHOST:8443/", "https://127.0.0.1:8443/arm"),
    ("https://127.0.0.1:8443", "https://localhost:8443/arm"),
    ("https://[::1]:9443", "https://localhost:9443/arm"),
    ("https://localhost", "https://127.0.0.1/arm"),
    ("https://tenantd.example:8443", None),
])
def test_resource_manager_is_on_the_other_loopback_name(public: str, arm: str | None) -> None:
    assert default_arm_url(public) == arm
    if arm is not None:
        assert not same_origin(public, arm)


def test_origins_compare_scheme_host_and_port() -> None:
    assert same_origin("https://localhost:8443/v1.0/me", "https://LOCALHOST:8443/arm")
    assert not same_origin("https://localhost:8443", "https://localhost:8444")
    assert not same_origin("https://localhost:8443", "http://localhost:8443")


def test_the_cli_options_are_what_az_cloud_register_would_write() -> None:
    doc = cloud_metadata("https://localhost:8443/", "https://127.0.0.1:8443/arm")
    assert cli_cloud_options(doc) == {
        "profile": "latest",
        "endpoint_active_directory": "https://localhost:8443",
        "endpoint_active_directory_graph_resource_id": "https://graph.windows.net/",
        "endpoint_active_directory_resource_id": "https://management.core.windows.net/",
        "endpoint_management": "https://management.core.windows.net/",
        "endpoint_microsoft_graph_resource_id": "https://localhost:8443/",
        "endpoint_portal": "https://localhost:8443",
        "endpoint_resource_manager": "https://127.0.0.1:8443/arm/",
    }
