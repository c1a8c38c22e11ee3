"""The environment each managed identity platform gives a process, and the variables that would steer
azure-identity elsewhere: what ``tenantd run`` sets for its child and ``tenantd.testing`` hands a test.

A running host knows its identity endpoints by one session secret (App Service's IDENTITY_HEADER, the
MSI secret, the IMDS path prefix). Pure functions: opening the session is the caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .errors import ConfigError

PLATFORMS = ("appservice", "imds", "msi2017", "cloudshell", "workload")
# Variables that would make azure-identity pick another platform or another credential.
STEERING = (
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT",
    "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS",
)
# Where clients look for the CA bundle: Python's requests, OpenSSL (Python's ssl, .NET, Go, Ruby on Linux),
# curl, and Node (NODE_EXTRA_CA_CERTS adds to its built-in roots; it reads no other variable).
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def choose_host(name: str, kind: str, system_host: str | None, hosts: Sequence[str], requested: str | None) -> str:
    """The host a process of identity ``name`` runs on: a system-assigned identity's own, or one a
    user-assigned identity is attached to (``requested``, or the only one)."""
    if kind == "SystemAssigned":
        chosen = system_host or ""
        if requested and requested != chosen:
            raise ConfigError(f"'{name}' is system-assigned to {chosen}; it cannot run on {requested}.")
        return chosen
    if requested:
        if requested not in hosts:
            raise ConfigError(f"'{name}' is not attached to {requested}; attach it with "
                              f"`tenantd identity attach {name} --host {requested}`.")
        return requested
    if len(hosts) == 1:
        return hosts[0]
    if not hosts:
        raise ConfigError(f"'{name}' is user-assigned and attached to no host: pass --host, after "
                          f"`tenantd identity attach {name} --host <resource id>`.")
    raise ConfigError(f"'{name}' is attached to several hosts; choose one with --host: " + ", ".join(hosts))


def platform_env(secret: str, platform: str, identity_url: str, tenant_id: str, ca_bundle: str | None,
                 client_id: str | None = None) -> dict[str, str]:
    """The variables ``platform`` sets for a process of the host whose session secret is ``secret``;
    ``client_id`` names a user-assigned identity (a system-assigned one is the default)."""
    env: dict[str, str] = {"AZURE_TENANT_ID": tenant_id}
    if platform == "appservice":  # App Service sets both generations of variables
        env.update(IDENTITY_ENDPOINT=f"{identity_url}/msi/token", IDENTITY_HEADER=secret,
                   MSI_ENDPOINT=f"{identity_url}/msi/token", MSI_SECRET=secret)
    elif platform == "imds":
        env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = f"{identity_url}/{secret}"
    elif platform == "msi2017":
        env.update(MSI_ENDPOINT=f"{identity_url}/msi/token", MSI_SECRET=secret)
    elif platform == "cloudshell":
        env["MSI_ENDPOINT"] = f"{identity_url}/{secret}/cloudshell/token"
    else:
        raise ConfigError(f"Unknown platform '{platform}': choose one of {', '.join(PLATFORMS)}.")
    if client_id:
        env["AZURE_CLIENT_ID"] = client_id
    if ca_bundle:
        env.update({name: ca_bundle for name in CA_VARIABLES})
    return env


def workload_env(client_id: str, token_file: str, authority: str, tenant_id: str,
                 ca_bundle: str | None) -> dict[str, str]:
    """Workload identity federation (as on AKS): a user-assigned identity signs in with a token file."""
    env = {"AZURE_AUTHORITY_HOST": authority, "AZURE_TENANT_ID": tenant_id, "AZURE_CLIENT_ID": client_id,
           "AZURE_FEDERATED_TOKEN_FILE": token_file}
    if ca_bundle:
        env.update({name: ca_bundle for name in CA_VARIABLES})
    return env


def child_environment(base: Mapping[str, str], platform_vars: Mapping[str, str]) -> dict[str, str]:
    """``base`` without steering variables, plus the platform's."""
    env = {k: v for k, v in base.items() if k not in STEERING}
    env.update(platform_vars)
    return env
