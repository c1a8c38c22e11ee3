"""One tenant of a running tenantd, as a test sees it: where it is (URL, tenant id, discovery, CA), what it
holds (a tenant file applied, reset to it at will), and the helpers a test needs: tokens as any app or
managed identity, the environment of a process running as a managed identity, and clients that sign in
as an app with its secret.

Nothing here changes the test process's own environment: the CA is passed explicitly to every client,
and ``run_env`` returns a new mapping for a child process.
"""

from __future__ import annotations

import os
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import httpx

from ..domain.platforms import child_environment, choose_host, platform_env
from ..tenantfile import Document, document_from_json, load_file, load_text
from ..tenantfile.passwords import resolve_passwords
from ..tenantfile.state import pinned_ids
from ..tenantfile.subscriptions import declared_subscriptions
from . import names
from .api import ADMIN_API, AdminApi, RequestFailed
from .auth import ClientCredentialsAuth

if TYPE_CHECKING:
    from azure.identity import ClientSecretCredential

TenantSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]
SESSION_LIFETIME = 24 * 3600
RUN_PLATFORMS = ("appservice", "imds", "msi2017", "cloudshell")


def with_new_ids(doc: Document) -> Document:
    """``doc`` with each object id and appId it pins replaced by a new one wherever it appears (so references
    follow), its subscriptions under new ids too, and without the domains it verifies: ids, subscriptions and
    verified domains are unique across a server's tenants, as in Entra, so another tenant cannot hold the same.
    (A user's name needs no verified domain.)"""
    renamed = {pin: str(uuid.uuid4()) for pin in [*pinned_ids(doc.data), *declared_subscriptions(doc.data)]}

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return renamed.get(value.lower(), value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value
    data = swap(doc.data)
    if isinstance(data.get("tenant"), dict):
        data["tenant"] = {k: v for k, v in data["tenant"].items() if k != "domains"}
    return replace(doc, data=data)


def load_document(source: TenantSource) -> Document:
    """A validated tenant file from a path, YAML text (anything with a line break) or a dict."""
    if isinstance(source, Mapping):
        return resolve_passwords(document_from_json(dict(source), "tenant file (dict)"), Path.cwd())
    if isinstance(source, os.PathLike) or "\n" not in source:
        return load_file(Path(source))
    return load_text(source, "tenant file (text)")


class Tenant:
    """A tenant on a tenantd server; made by :class:`~tenantd.testing.TenantdServer` (or the fixtures)."""

    def __init__(self, api: AdminApi, *, name: str, url: str, ca_cert: str, ca_bundle: str,
                 identity_url: str) -> None:
        self.api = api
        self.name = name
        self.url = url
        self.ca_cert = ca_cert
        self.ca_bundle = ca_bundle
        self.identity_url = identity_url
        self._baseline: Document | None = None
        self._secrets: dict[str, tuple[str, str]] = {}   # appId -> (secret text, keyId) known to work
        self._sessions: list[str] = []

    def __repr__(self) -> str:
        return f"<Tenant {self.name} {self.tenant_id} at {self.url}>"

    # -- where it is --------------------------------------------------------------------------------------
    @property
    def tenant_id(self) -> str:
        return self.api.tenant_id

    @property
    def authority(self) -> str:
        """What azure-identity's ``authority`` and tenantd.protect's ``authority`` take."""
        return self.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    def issuer(self, version: int = 1) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0" if version == 2 else f"{self.url}/{self.tenant_id}/"

    # -- what it holds ------------------------------------------------------------------------------------
    def apply(self, source: TenantSource, *, prune: bool = False) -> dict[str, Any]:
        """Apply a tenant file (path, YAML text or dict) as ``tenantd apply`` does; the answer lists the
        changes. Secrets it generates are remembered for :meth:`secret_for` and :meth:`client_for`."""
        return self._apply(load_document(source), prune)

    def _apply(self, doc: Document, prune: bool) -> dict[str, Any]:
        result: dict[str, Any] = self.api.admin("POST", "/apply", json=doc.request_body(prune=prune))
        for secret in result.get("secrets") or []:
            self._secrets[secret["appId"]] = (secret["secretText"], secret["keyId"])
        return result

    def declare(self, source: TenantSource | None, *, new_ids: bool = False) -> dict[str, Any]:
        """Make ``source`` this tenant's baseline, the state :meth:`reset` returns to, and apply it;
        ``new_ids``: with new ids for those it pins (:func:`with_new_ids`)."""
        self._baseline = load_document(source if source is not None else {})
        if new_ids:
            self._baseline = with_new_ids(self._baseline)
        return self._apply(self._baseline, prune=False)

    def reset(self) -> dict[str, Any]:
        """Make the tenant its baseline tenant file again (an apply with prune): objects, assignments and
        secrets a test added are removed, those it removed come back."""
        result = self._apply(self._baseline or load_document({}), prune=True)
        kept = {(app["appId"], c["keyId"]) for app in self.api.graph_list("/applications")
                for c in app.get("passwordCredentials", [])}
        self._secrets = {k: v for k, v in self._secrets.items() if (k, v[1]) in kept}
        return result

    def graph(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call Graph v1.0 as the tenant's admin app: the JSON answer, or RequestFailed."""
        return self.api.graph(method, path, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call tenantd's admin API (/_tenantd) as the tenant's admin app."""
        return self.api.admin(method, path, **kwargs)

    def grant(self, principal: str, resource: str, role: str | None) -> dict[str, Any]:
        """Assign ``role`` (value or id; None for default access) of ``resource`` to ``principal`` (an app,
        managed identity, user or group, by name or id); the new appRoleAssignment."""
        who = names.principal(self.api, principal)
        target = names.service_principal(self.api, resource)
        assigned: dict[str, Any] = self.api.graph(
            "POST", f"/servicePrincipals/{target['id']}/appRoleAssignedTo",
            json={"principalId": who["id"], "resourceId": target["id"], "appRoleId": names.role_id(target, role)})
        return assigned

    def revoke(self, principal: str, resource: str, role: str | None) -> None:
        who = names.principal(self.api, principal)
        target = names.service_principal(self.api, resource)
        role_id = names.role_id(target, role)
        path = f"/servicePrincipals/{target['id']}/appRoleAssignedTo"
        found = [a for a in self.api.graph_list(path) if a["principalId"] == who["id"] and a["appRoleId"] == role_id]
        if not found:
            raise names.NameNotFound(f"'{principal}' does not hold '{role}' of '{resource}'.")
        for assignment in found:
            self.api.graph("DELETE", f"{path}/{assignment['id']}")

    # -- tokens and clients -------------------------------------------------------------------------------
    def token(self, as_: str, resource: str) -> str:
        """An access token as an application or managed identity (by name, appId/client id or object id) for
        ``resource`` (App ID URI, appId or name), holding the roles assigned to it: minted by the admin API,
        no credential needed. Its claims are those of the principal's own sign-in."""
        who = names.service_principal(self.api, as_)
        issued = self.api.admin("POST", "/token", json={"principalId": who["id"],
                                                       "resource": names.resource_name(self.api, resource)})
        return str(issued["access_token"])

    def headers(self, as_: str, resource: str) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for :meth:`token`'s token (for TestClient and friends)."""
        return {"Authorization": f"Bearer {self.token(as_, resource)}"}

    def secret_for(self, app: str) -> str:
        """A working client secret of ``app``: the one its tenant file generated, else a new one."""
        found = names.application(self.api, app)
        if found["appId"] not in self._secrets:
            added = self.api.graph("POST", f"/applications/{found['id']}/addPassword",
                                   json={"passwordCredential": {"displayName": "tenantd.testing"}})
            self._secrets[found["appId"]] = (added["secretText"], added["keyId"])
        return self._secrets[found["appId"]][0]

    def auth_for(self, app: str, *, resource: str, secret: str | None = None) -> ClientCredentialsAuth:
        """httpx auth that signs in as ``app`` with its secret (client credentials) for ``resource``."""
        found = names.application(self.api, app)
        return ClientCredentialsAuth(self.url, self.ca_cert, self.tenant_id, found["appId"],
                                     secret or self.secret_for(found["appId"]),
                                     names.resource_name(self.api, resource))

    def client_for(self, app: str, *, resource: str, base_url: str = "", secret: str | None = None,
                   **kwargs: Any) -> httpx.Client:
        """An httpx client whose requests carry ``app``'s token for ``resource``. It trusts the system's CAs
        and tenantd's (unless ``verify`` says otherwise); ``kwargs`` go to httpx.Client."""
        kwargs.setdefault("verify", ssl.create_default_context(cafile=self.ca_bundle))
        return httpx.Client(base_url=base_url, auth=self.auth_for(app, resource=resource, secret=secret), **kwargs)

    def credential_for(self, app: str, *, secret: str | None = None, **kwargs: Any) -> ClientSecretCredential:
        """azure-identity's ClientSecretCredential for ``app``, pointed at this tenant and trusting its CA."""
        from azure.identity import ClientSecretCredential

        found = names.application(self.api, app)
        kwargs.setdefault("connection_verify", self.ca_cert)
        return ClientSecretCredential(self.tenant_id, found["appId"], secret or self.secret_for(found["appId"]),
                                      authority=self.url, disable_instance_discovery=True, **kwargs)

    def run_env(self, as_: str, platform: str = "appservice", *, host: str | None = None,
                base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a process running as managed identity ``as_`` on ``platform`` (appservice,
        imds, msi2017 or cloudshell), as ``tenantd run`` gives its child: ``base`` (default: this process's
        environment) without the variables that would steer azure-identity elsewhere, plus the platform's,
        the CA bundle variables included. ``host`` picks one of a user-assigned identity's hosts."""
        if platform not in RUN_PLATFORMS:
            raise ValueError(f"run_env supports {', '.join(RUN_PLATFORMS)}; for workload identity federation "
                             "start the process with `tenantd run --platform workload`.")
        identity = names.identity(self.api, as_)
        chosen = choose_host(identity["name"], identity["type"], identity.get("resourceId"),
                             identity.get("hosts") or [], host)
        opened = self.api.admin("POST", "/hosts/sessions", json={"host": chosen, "lifetimeSeconds": SESSION_LIFETIME})
        self._sessions.append(opened["secret"])
        client_id = identity["clientId"] if identity["type"] == "UserAssigned" else None
        variables = platform_env(opened["secret"], platform, self.identity_url, self.tenant_id, self.ca_bundle,
                                 client_id)
        return child_environment(os.environ if base is None else base, variables)

    def close(self) -> None:
        """End the host sessions :meth:`run_env` opened and close the connection."""
        try:
            for secret in self._sessions:
                self.api.request(ADMIN_API, "DELETE", "/_tenantd/hosts/sessions", json={"secret": secret})
        except (httpx.HTTPError, RequestFailed):
            pass   # the server is gone, and its sessions with it
        finally:
            self._sessions.clear()
            self.api.close()
