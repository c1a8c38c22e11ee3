"""The consent tests' directory, arranged through Graph as an admin would: an API (v2 tokens) offering two
User scopes and an Admin scope and an app role for applications, that pre-authorizes nobody; a desktop app
(public client, loopback redirect) and a web app (confidential, a secret) that require some of it
(``requiredResourceAccess``); Alice, a member, and Adam, who holds a directory role that may consent for the
tenant. Helpers read the grants and assignments consent wrote."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tenantd.domain import builtins, consent_rules

from ..support import Server
from .graph_support import ok, unique

PASSWORD = "Consent-Page-7"
ROLE_ASSIGNMENTS = "/roleManagement/directory/roleAssignments"
Obj = dict[str, Any]


@dataclass(frozen=True)
class Person:
    id: str
    user_name: str
    password: str = PASSWORD


@dataclass
class ConsentWorld:
    server: Server
    api: Obj                 # the API application and its service principal
    api_sp: Obj
    ids: dict[str, str]      # the API's scope and role ids, by value
    desktop: Obj             # a public client requiring Notes.Read
    web: Obj                 # a confidential client requiring Notes.Read, Notes.Write, Notes.Sync and User.Read
    web_secret: str
    web_redirect: str
    alice: Person            # a member
    adam: Person             # an Application Administrator

    @property
    def api_uri(self) -> str:
        return str(self.api["identifierUris"][0])

    def scope(self, *names: str) -> str:
        return " ".join(f"{self.api_uri}/{n}" for n in names)

    def sp_of(self, app: Obj) -> Obj:
        return ok(self.server.graph("GET", f"/servicePrincipals(appId='{app['appId']}')"))

    def grants(self, app: Obj) -> list[Obj]:
        """The client's delegated permission grants on the API, as Graph lists them."""
        listed = ok(self.server.graph("GET", "/oauth2PermissionGrants", params={
            "$filter": f"clientId eq '{self.sp_of(app)['id']}'"}))["value"]
        return [g for g in listed if g["resourceId"] == self.api_sp["id"]]

    def revoke_all(self, app: Obj) -> None:
        for grant in self.grants(app):
            ok(self.server.graph("DELETE", f"/oauth2PermissionGrants/{grant['id']}"), 204)


def _scope(value: str, kind: str, user_texts: bool = True) -> Obj:
    scope = {"id": str(uuid.uuid4()), "value": value, "type": kind, "isEnabled": True,
             "adminConsentDisplayName": f"Admin: {value}", "adminConsentDescription": f"Lets the app {value} for all"}
    if user_texts:
        scope |= {"userConsentDisplayName": f"You: {value}", "userConsentDescription": f"Lets the app {value} as you"}
    return scope


def _person(server: Server, name: str) -> Person:
    local = f"{name}{uuid.uuid4().hex[:6]}"
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": name.title(), "mailNickname": local,
        "userPrincipalName": f"{local}@contoso.test",
        "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False}}), 201)
    return Person(user["id"], user["userPrincipalName"])


def make_admin(server: Server, person: Person, role: str = consent_rules.APPLICATION_ADMINISTRATOR) -> None:
    ok(server.graph("POST", ROLE_ASSIGNMENTS, json={"principalId": person.id, "roleDefinitionId": role,
                                                    "directoryScopeId": "/"}), 201)


def arrange(server: Server, web_redirect: str) -> ConsentWorld:
    name = unique("notes").replace(" ", "-")
    scopes = [_scope("Notes.Read", "User"), _scope("Notes.Write", "User"), _scope("Notes.Admin", "Admin", False)]
    role = {"id": str(uuid.uuid4()), "value": "Notes.Sync", "displayName": "Sync all notes",
            "description": "Sync every note as the app", "allowedMemberTypes": ["Application"], "isEnabled": True}
    api = ok(server.graph("POST", "/applications", json={
        "displayName": name, "identifierUris": [f"api://{name}"], "appRoles": [role],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": scopes}}), 201)
    api_sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": api["appId"]}), 201)
    ids = {s["value"]: s["id"] for s in scopes} | {"Notes.Sync": role["id"]}
    required = {"resourceAppId": api["appId"], "resourceAccess": [{"id": ids["Notes.Read"], "type": "Scope"}]}
    desktop = ok(server.graph("POST", "/applications", json={
        "displayName": unique("Notes desktop"), "isFallbackPublicClient": True,
        "publicClient": {"redirectUris": ["http://localhost"]}, "requiredResourceAccess": [required]}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": desktop["appId"]}), 201)
    web_required = [{"resourceAppId": api["appId"], "resourceAccess": [
        {"id": ids["Notes.Read"], "type": "Scope"}, {"id": ids["Notes.Write"], "type": "Scope"},
        {"id": ids["Notes.Sync"], "type": "Role"}]},
        {"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": [
            {"id": builtins.GRAPH_SCOPES["User.Read"], "type": "Scope"}]}]
    web = ok(server.graph("POST", "/applications", json={
        "displayName": unique("Notes web"), "web": {"redirectUris": [web_redirect]},
        "requiredResourceAccess": web_required}), 201)
    secret = ok(server.graph("POST", f"/applications/{web['id']}/addPassword", json={}))["secretText"]
    ok(server.graph("POST", "/servicePrincipals", json={"appId": web["appId"]}), 201)
    alice, adam = _person(server, "alice"), _person(server, "adam")
    make_admin(server, adam)
    return ConsentWorld(server, api, api_sp, ids, desktop, web, secret, web_redirect, alice, adam)
