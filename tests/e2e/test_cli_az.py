"""`tenantd az`, `tenantd env --az` and `tenantd run --az` against a real server: the Azure CLI configuration
files read as az reads them (configparser), what is kept of a configuration already there, the user's own
~/.azure left alone unless confirmed, and the variables a child process gets."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from ..support import TENANTD, Server
from .cli_support import fails, run


def _exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.strip().splitlines():
        words = shlex.split(line)
        if words[0] == "export":
            key, _, value = words[1].partition("=")
            found[key] = value
    return found


def _read(path: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser()   # as azure-cli-core's cloud.get_clouds and knack's CLIConfig read
    assert config.read(path) == [str(path)]
    return config


def test_the_configuration_registers_tenantd_as_az_s_active_cloud(server: Server) -> None:
    variables = _exports(run(server, "az"))
    folder = Path(variables["AZURE_CONFIG_DIR"])
    assert folder == (server.data / "az").resolve()
    assert variables["REQUESTS_CA_BUNDLE"] == server.info["ca_bundle"]
    config = _read(folder / "config")
    assert config.get("cloud", "name") == "tenantd"
    assert config.getboolean("core", "instance_discovery") is False   # as _profile.py reads it
    clouds = _read(folder / "clouds.config")
    port = httpx.URL(server.url).port
    assert dict(clouds["tenantd"]) == {
        "profile": "latest",
        "endpoint_active_directory": server.url,
        "endpoint_active_directory_graph_resource_id": "https://graph.windows.net/",
        "endpoint_active_directory_resource_id": "https://management.core.windows.net/",
        "endpoint_management": "https://management.core.windows.net/",
        "endpoint_microsoft_graph_resource_id": server.url + "/",
        "endpoint_portal": server.url,
        "endpoint_resource_manager": f"https://127.0.0.1:{port}/arm/",
    }
    assert oct((folder / "clouds.config").stat().st_mode & 0o777) == "0o600"
    # the Resource Manager it names answers there, with the CA it names
    with httpx.Client(verify=variables["REQUESTS_CA_BUNDLE"]) as client:
        assert client.get(f"https://127.0.0.1:{port}/arm/metadata/endpoints",
                          params={"api-version": "2022-09-01"}).json()["name"] == "tenantd"


def test_a_second_run_keeps_what_az_wrote_there(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "azcfg"
    folder.mkdir()
    (folder / "config").write_text("[core]\noutput = table\n\n[cloud]\nname = AzureCloud\n")
    (folder / "clouds.config").write_text("[Other]\nendpoint_resource_manager = https://other.test/\n\n"
                                          "[mine]\nsubscription = 00000000-0000-0000-0000-000000000001\n")
    out = run(server, "az", "--dir", str(folder), "--cloud-name", "mine", "--format", "json")
    assert json.loads(out)["set"]["AZURE_CONFIG_DIR"] == str(folder.resolve())
    config = _read(folder / "config")
    assert (config.get("core", "output"), config.get("cloud", "name")) == ("table", "mine")
    clouds = _read(folder / "clouds.config")
    assert clouds.get("Other", "endpoint_resource_manager") == "https://other.test/"
    assert clouds.get("mine", "subscription") == "00000000-0000-0000-0000-000000000001"
    assert clouds.get("mine", "endpoint_active_directory") == server.url


def test_the_users_own_configuration_is_written_only_when_confirmed(server: Server, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    own = home / ".azure"
    refused = subprocess.run([*TENANTD, "--data", str(server.data), "az", "--dir", str(own)], env=env,
                             capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert refused.returncode == 1 and "your own Azure CLI configuration" in refused.stderr
    assert "--yes" in refused.stderr and not own.exists()
    confirmed = subprocess.run([*TENANTD, "--data", str(server.data), "az", "--dir", "~/.azure", "--yes"], env=env,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert confirmed.returncode == 0, confirmed.stderr
    assert _read(own / "config").get("cloud", "name") == "tenantd"


def test_a_resource_manager_on_graphs_origin_or_nowhere_is_refused(server: Server) -> None:
    same = fails(server, "az", "--arm-url", server.url + "/arm")
    assert "same origin" in same and "Resource Manager tokens to Graph" in same
    assert "must be an https URL" in fails(server, "az", "--arm-url", "http://127.0.0.1:1/arm")
    assert "Cannot read the cloud's endpoints" in fails(server, "az", "--arm-url", "https://127.0.0.1:1/arm")
    assert "Unknown format" in fails(server, "az", "--format", "xml")


def test_env_and_run_hand_the_configuration_to_a_child(server: Server) -> None:
    printed = run(server, "env", "--az")
    variables = _exports(printed)
    assert variables["AZURE_CONFIG_DIR"] == str((server.data / "az").resolve())
    assert variables["REQUESTS_CA_BUNDLE"] == server.info["ca_bundle"]
    assert variables["AZURE_POD_IDENTITY_AUTHORITY_HOST"] == server.info["identity_url"].rstrip("/") + \
        "/no-managed-identity"
    assert "unset AZURE_CLIENT_SECRET" in printed
    show = "import json, os; print(json.dumps(dict(os.environ)))"
    child = json.loads(run(server, "run", "--az", "--", sys.executable, "-c", show))
    assert {k: child[k] for k in variables} == variables
    assert "Give --as IDENTITY" in fails(server, "run", "--", sys.executable, "-c", "pass")
    assert "it needs --as" in fails(server, "env", "--az", "--host", "/subscriptions/x")


def test_default_azure_credential_skips_managed_identity_without_leaving_loopback(server: Server) -> None:
    """With --az alone, DefaultAzureCredential's managed identity step asks tenantd's identity listener, which
    names no identity there, and the chain goes on to the Azure CLI (absent here: the chain then fails)."""
    probe = ("from azure.identity import DefaultAzureCredential\n"
             "try:\n    DefaultAzureCredential().get_token('https://management.core.windows.net/.default')\n"
             "except Exception as exc:\n    print(exc)\n")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}   # no az on this PATH
    result = subprocess.run([*TENANTD, "--data", str(server.data), "run", "--az", "--", sys.executable, "-c", probe],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = {line.strip().split(":")[0]: line for line in result.stdout.splitlines() if ":" in line}
    assert "(invalid_request) Identity not found" in lines["ManagedIdentityCredential"]   # tenantd's answer
    assert "Azure CLI not found on path" in lines["AzureCliCredential"]
