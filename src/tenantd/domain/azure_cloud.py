"""tenantd as an Azure cloud for the Azure CLI: where its Resource Manager surface lives, and the metadata
document (``{ARM}/metadata/endpoints``) that ``az cloud register`` and azure-cli-core's mapper read.

The Azure CLI (azure-cli-core 2.91, ``util.send_raw_request``) picks the token for a URL by its ORIGIN
(scheme, host and port): a URL on the Resource Manager's origin gets a Resource Manager token. Graph and the
sign-in endpoints live on tenantd's public URL, so Resource Manager must not share that origin, or
``az rest --url {public}/v1.0/...`` would send a Resource Manager token to Graph. On loopback the one listener
has a second name its certificate holds (``localhost`` and ``127.0.0.1`` name each other); a public URL on any
other host needs a Resource Manager URL of its own (``tenantd az --arm-url``), on a name that reaches tenantd.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

ARM_PATH = "/arm"
CLOUD_NAME = "tenantd"
# The audiences Azure Resource Manager accepts (its 401 lists exactly these); the first is the resource the
# Azure CLI asks for (azure-cli-core maps ``authentication.audiences[0]`` to ``active_directory_resource_id``).
ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                 "https://management.azure.com/", "https://management.azure.com")
_LOOPBACK_ALIASES = {"localhost": "127.0.0.1", "127.0.0.1": "localhost", "[::1]": "localhost"}
_METADATA_AUDIENCES = ["https://management.core.windows.net/", "https://management.azure.com/"]


def default_arm_url(public_url: str) -> str | None:
    """Resource Manager's URL for a public URL on loopback (the other loopback name, same port, ``/arm``), or
    None when the public URL's host has no second name tenantd knows of."""
    parts = urlsplit(public_url)
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    alias = _LOOPBACK_ALIASES.get(host.lower())
    if alias is None:
        return None
    return f"{parts.scheme}://{alias}{parts.netloc[len(host):]}{ARM_PATH}"


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), pa.hostname, pa.port) == (pb.scheme.lower(), pb.hostname, pb.port)


def cloud_metadata(public_url: str, arm_url: str, name: str = CLOUD_NAME) -> dict[str, Any]:
    """The ``metadata/endpoints`` document (api-version 2022-09-01 shape: one object) for tenantd as a cloud.

    Only endpoints tenantd serves are named: an endpoint left out makes the Azure CLI say it is not set,
    where a real Azure one would have it send tenantd's tokens to Azure. Graph is tenantd's public URL, the
    resource name tenantd gives Graph tokens for (the CLI calls ``{microsoftGraphResourceId}v1.0/...``).
    """
    public = public_url.rstrip("/")
    return {
        "name": name,
        "portal": public,
        "authentication": {"loginEndpoint": public, "audiences": list(_METADATA_AUDIENCES), "tenant": "common",
                           "identityProvider": "AAD"},
        "resourceManager": arm_url.rstrip("/") + "/",
        "microsoftGraphResourceId": public + "/",
        "graph": public + "/",                      # AAD Graph 1.6, which tenantd serves at /{tenant}/...
        "graphAudience": "https://graph.windows.net/",
        "suffixes": {},
    }


def cli_cloud_options(metadata: dict[str, Any]) -> dict[str, str]:
    """The Azure CLI's ``clouds.config`` section for a metadata document: what ``az cloud register`` writes
    after azure-cli-core maps the document (``_arm_to_cli_mapper``; ``_config_add_cloud`` prefixes endpoints
    with ``endpoint_``). A cloud not named like one of Azure's gets no fallback endpoints, so only these."""
    audience = metadata["authentication"]["audiences"][0]
    options = {
        "endpoint_active_directory": metadata["authentication"]["loginEndpoint"],
        "endpoint_active_directory_graph_resource_id": metadata["graphAudience"],
        "endpoint_active_directory_resource_id": audience,
        "endpoint_management": audience,
        "endpoint_microsoft_graph_resource_id": metadata["microsoftGraphResourceId"],
        "endpoint_portal": metadata["portal"],
        "endpoint_resource_manager": metadata["resourceManager"],
    }
    return {"profile": "latest", **options}
