"""The portal's App registrations, Enterprise applications and Managed identities pages over plain HTTP: what
each form changes (through the same checks as Graph's calls), who may change what (Application and Cloud
Application Administrators, owners, Global Readers), CSRF, escaping of names, role descriptions and scope
consent texts, the manifest's preview and its refusals, and a client secret shown once and never again."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from ..support import Server
from ..tokens.support import certificate, new_key
from .delegated_support import APP_ADMIN, CLOUD_APP_ADMIN, GLOBAL_ADMIN, GLOBAL_READER, Obj, person
from .graph_support import ok
from .pages_support import forms
from .portal_support import Portal, shown

HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>')
POLICY = "/policies/authorizationPolicy"
UA_HOST = "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/"


@pytest.fixture(scope="module")
def admin(server: Server) -> Obj:
    return person(server, "appsadmin", GLOBAL_ADMIN)


@pytest.fixture
def portal(server: Server, admin: Obj) -> Iterator[Portal]:
    opened = signed_in(server, admin)
    yield opened
    opened.close()


def signed_in(server: Server, user: Obj) -> Portal:
    opened = Portal(server)
    opened.sign_in(user)
    return opened


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def graph_app(server: Server, app: Obj | str) -> Obj:
    object_id = app if isinstance(app, str) else app["id"]
    return dict(ok(server.graph("GET", f"/applications/{object_id}")))


def create_in_portal(portal: Portal, name: str) -> str:
    """A registration made on the New page; its object id (from the address the form sends her to)."""
    created = portal.post("/apps", {"displayName": name, "signInAudience": "AzureADMyOrg"})
    assert created.status_code == 303, created.text
    found = re.fullmatch(rf"{portal.base}/apps/([0-9a-f-]{{36}})\?done=created", created.headers["location"])
    assert found, created.headers["location"]
    return found.group(1)


def sp_of(server: Server, app: Obj) -> Obj:
    return dict(ok(server.graph("GET", f"/servicePrincipals(appId='{app['appId']}')")))


def api_with_role(server: Server, name: str, *, description: str = "Reads things", consent: str = "Read things"
                  ) -> tuple[Obj, Obj, str]:
    """An API made through Graph, with an app role for applications and a scope, and its service principal."""
    role_id, scope_id = str(uuid.uuid4()), str(uuid.uuid4())
    app = ok(server.graph("POST", "/applications", json={
        "displayName": name, "appRoles": [{"id": role_id, "value": "Things.Read.All", "displayName": name,
                                           "description": description, "isEnabled": True,
                                           "allowedMemberTypes": ["Application", "User"]}],
        "api": {"oauth2PermissionScopes": [{
            "id": scope_id, "value": "Things.Read", "type": "User", "isEnabled": True,
            "adminConsentDisplayName": consent, "adminConsentDescription": consent,
            "userConsentDisplayName": consent, "userConsentDescription": consent}]}}), 201)
    sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    return app, sp, role_id


def identity(server: Server, name: str) -> Obj:
    return dict(ok(server.admin("POST", "/identities", json={"name": name, "type": "UserAssigned",
                                                              "resourceId": UA_HOST.replace("sites/", "") +
                                                              "Microsoft.ManagedIdentity/userAssignedIdentities/" +
                                                              name}), 201))


def pem() -> str:
    return certificate(new_key()).public_bytes(Encoding.PEM).decode()


def test_an_admin_registers_an_api_and_sets_it_up_form_by_form(server: Server, portal: Portal) -> None:
    app_id = create_in_portal(portal, unique("Things"))
    app = graph_app(server, app_id)
    assert sp_of(server, app)["appId"] == app["appId"]   # made with its enterprise application, as Entra's portal
    for path, data in (("/redirects", {"platform": "web", "uri": "https://localhost:5001/signin-oidc"}),
                       ("/redirects", {"platform": "spa", "uri": "http://localhost:3000"}),
                       ("/redirects", {"platform": "publicClient", "uri": "http://localhost"}),
                       ("/token-version", {"version": "2"}), ("/identifier-uris", {"uri": ""}),
                       ("/roles", {"displayName": "Readers", "value": "Things.Read.All", "description": "Reads",
                                   "allowApplication": "on"}),
                       ("/scopes", {"value": "Things.Read", "type": "User", "adminConsentDisplayName": "Read",
                                    "adminConsentDescription": "Read things"})):
        done = portal.post(f"/apps/{app_id}{path}", data)
        assert done.status_code == 303 and done.headers["location"].endswith("?done=saved"), (path, done.text)
    app = graph_app(server, app_id)
    assert app["web"]["redirectUris"] == ["https://localhost:5001/signin-oidc"]
    assert app["spa"]["redirectUris"] == ["http://localhost:3000"]
    assert app["publicClient"]["redirectUris"] == ["http://localhost"]
    assert app["api"]["requestedAccessTokenVersion"] == 2 and app["identifierUris"] == [f"api://{app['appId']}"]
    role, scope = app["appRoles"][0], app["api"]["oauth2PermissionScopes"][0]
    assert (role["value"], role["allowedMemberTypes"], scope["value"]) == ("Things.Read.All", ["Application"],
                                                                           "Things.Read")
    client = str(uuid.uuid4())
    assert portal.post(f"/apps/{app_id}/pre-authorized", {"appId": client, "scope": scope["id"]}).status_code == 303
    assert graph_app(server, app_id)["api"]["preAuthorizedApplications"] == [
        {"appId": client, "delegatedPermissionIds": [scope["id"]]}]
    # A role is disabled before it is removed, as Entra requires; the refusal is a page with the reason.
    refused = portal.post(f"/apps/{app_id}/roles/remove", {"role": role["id"]})
    assert refused.status_code == 400 and "must be disabled" in shown(refused)
    assert portal.post(f"/apps/{app_id}/roles/enabled", {"role": role["id"], "enabled": "false"}).status_code == 303
    assert portal.post(f"/apps/{app_id}/roles/remove", {"role": role["id"]}).status_code == 303
    assert graph_app(server, app_id)["appRoles"] == []
    # Graph's own checks refuse what Graph refuses: a redirect URI that is not one.
    bad = portal.post(f"/apps/{app_id}/redirects", {"platform": "web", "uri": "not a uri"})
    assert bad.status_code == 400 and graph_app(server, app_id)["web"]["redirectUris"] == app["web"]["redirectUris"]
    assert portal.post(f"/apps/{app_id}/redirects/remove", {"platform": "spa", "uri": "http://localhost:3000"}
                       ).status_code == 303
    assert graph_app(server, app_id)["spa"]["redirectUris"] == []
    page = portal.get(f"/apps/{app_id}")
    assert page.status_code == 200 and "Things.Read" in page.text and client in page.text


def test_certificates_and_federated_credentials(server: Server, portal: Portal) -> None:
    app_id = create_in_portal(portal, unique("Certified"))
    added = portal.post(f"/apps/{app_id}/certificates", {"displayName": "ci", "certificate": pem()})
    assert added.headers["location"].endswith("?done=certificate-added"), added.text
    key = graph_app(server, app_id)["keyCredentials"][0]
    private = portal.post(f"/apps/{app_id}/certificates", {"certificate": "-----BEGIN PRIVATE KEY-----\nAAAA"})
    assert private.status_code == 400 and len(graph_app(server, app_id)["keyCredentials"]) == 1
    assert portal.post(f"/apps/{app_id}/certificates/remove", {"keyId": key["keyId"]}).status_code == 303
    assert graph_app(server, app_id)["keyCredentials"] == []
    fic = {"name": "github", "issuer": "https://token.actions.githubusercontent.com",
           "subject": "repo:contoso/things:ref:refs/heads/main", "audiences": ""}
    assert portal.post(f"/apps/{app_id}/federated", fic).status_code == 303
    listed = ok(server.graph("GET", f"/applications/{app_id}/federatedIdentityCredentials"))["value"]
    assert [(c["name"], c["audiences"]) for c in listed] == [("github", ["api://AzureADTokenExchange"])]
    assert "repo:contoso/things" in portal.get(f"/apps/{app_id}").text
    assert portal.post(f"/apps/{app_id}/federated/remove", {"credential": listed[0]["id"]}).status_code == 303
    assert ok(server.graph("GET", f"/applications/{app_id}/federatedIdentityCredentials"))["value"] == []


def test_a_secret_is_shown_once_on_a_page_no_cache_keeps_and_never_again(server: Server, portal: Portal) -> None:
    app_id = create_in_portal(portal, unique("Secretive"))
    page = portal.post(f"/apps/{app_id}/secrets", {"displayName": "ci"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', page.text)
    assert secret, page.text
    value = secret.group(1)
    app = graph_app(server, app_id)
    assert server.token(app["appId"], value, "https://graph.microsoft.com/.default").status_code == 200   # a real one
    later = [portal.get(f"/apps/{app_id}"), portal.get(f"/apps/{app_id}/manifest"), portal.get("/apps"),
             portal.get(f"/enterprise-apps/{sp_of(server, app)['id']}")]
    for shown_later in later:
        assert shown_later.status_code == 200 and value not in shown_later.text, shown_later.url
    assert value[:3] + "…" in later[0].text   # the hint only
    assert value not in (server.data / "server.log").read_text(errors="replace")
    audits = server.graph("GET", "/auditLogs/directoryAudits").text
    assert value not in audits
    key_id = app["passwordCredentials"][0]["keyId"]
    assert portal.post(f"/apps/{app_id}/secrets/remove", {"keyId": key_id}).status_code == 303
    assert graph_app(server, app_id)["passwordCredentials"] == []


def test_the_manifest_is_checked_as_graphs_patch_then_previewed_then_saved(server: Server, portal: Portal) -> None:
    app_id = create_in_portal(portal, unique("Manifested"))
    editor = portal.get(f"/apps/{app_id}/manifest")
    text = next(f for f in forms(editor.text) if f.action.endswith("/preview")).fields.get("manifest") or \
        json.loads(re.search(r"<textarea[^>]*>(.*?)</textarea>", editor.text, re.S).group(1)  # type: ignore[union-attr]
                   .replace("&#34;", '"').replace("&quot;", '"'))
    manifest: dict[str, Any] = json.loads(text) if isinstance(text, str) else text
    for wrong, reason in (("{not json", "not JSON"),
                          (json.dumps({**manifest, "api": {**manifest["api"], "requestedAccessTokenVersion": 3}}),
                           "null, 1 or 2"),
                          (json.dumps({**manifest, "passwordCredentials": []}), "passwordCredentials"),
                          (json.dumps({**manifest, "web": {**manifest["web"], "redirectUris": ["nope"]}}),
                           "redirect")):
        refused = portal.post(f"/apps/{app_id}/manifest/preview", {"manifest": wrong})
        assert refused.status_code == 400 and reason in shown(refused), (wrong, shown(refused))
    changed = {**manifest, "displayName": "Renamed", "spa": {"redirectUris": ["http://localhost:4200"]}}
    preview = portal.post(f"/apps/{app_id}/manifest/preview", {"manifest": json.dumps(changed)})
    assert preview.status_code == 200
    lines = shown(preview)
    assert '+  "displayName": "Renamed"' in lines and '-  "displayName": "Manifested' in lines
    assert graph_app(server, app_id)["displayName"].startswith("Manifested")   # nothing saved by a preview
    confirm = next(f for f in forms(preview.text) if f.action.endswith("/manifest"))
    # Changed elsewhere since the preview: the save is refused, nothing is lost silently.
    ok(server.graph("PATCH", f"/applications/{app_id}", json={"signInAudience": "AzureADMultipleOrgs"}), 204)
    stale = portal.post(f"/apps/{app_id}/manifest", {k: v for k, v in confirm.fields.items() if k != "csrf"})
    assert stale.status_code == 409 and graph_app(server, app_id)["displayName"].startswith("Manifested")
    preview = portal.post(f"/apps/{app_id}/manifest/preview", {"manifest": json.dumps(changed)})
    confirm = next(f for f in forms(preview.text) if f.action.endswith("/manifest"))
    saved = portal.post(f"/apps/{app_id}/manifest", {k: v for k, v in confirm.fields.items() if k != "csrf"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=manifest"), saved.text
    app = graph_app(server, app_id)
    assert app["displayName"] == "Renamed" and app["spa"]["redirectUris"] == ["http://localhost:4200"]
    assert app["signInAudience"] == "AzureADMyOrg"   # as the previewed manifest said


def test_assigning_a_role_by_picking_names_and_removing_it(server: Server, portal: Portal) -> None:
    _, sp, role_id = api_with_role(server, unique("Picked API"))
    worker = identity(server, f"picked-{uuid.uuid4().hex[:6]}")
    found = portal.get(f"/enterprise-apps/{sp['id']}", find=worker["name"][:9])
    assert found.status_code == 200
    pick = next(f for f in forms(found.text) if f.action.endswith("/assignments"))
    assert pick.fields["principal"] == worker["id"] and f'<option value="{role_id}">' in found.text
    assigned = portal.post(f"/enterprise-apps/{sp['id']}/assignments", {"principal": worker["id"], "role": role_id})
    assert assigned.status_code == 303 and assigned.headers["location"].endswith("?done=assigned")
    held = ok(server.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo"))["value"]
    assert [(a["principalId"], a["appRoleId"]) for a in held] == [(worker["id"], role_id)]
    page = portal.get(f"/enterprise-apps/{sp['id']}")
    assert worker["name"] in page.text
    again = portal.post(f"/enterprise-apps/{sp['id']}/assignments", {"principal": worker["id"], "role": role_id})
    assert again.status_code == 400 and "already exists" in shown(again)
    assert f'href="{portal.base}/enterprise-apps/{sp["id"]}"' in again.text   # the way back is the page
    unpicked = portal.post(f"/enterprise-apps/{sp['id']}/assignments", {"principal": "", "role": role_id})
    assert unpicked.status_code == 400 and "find them by name" in shown(unpicked)
    assert "Things.Read.All" in portal.get(f"/identities/{worker['id']}").text
    assert "Things.Read.All" in portal.get(f"/enterprise-apps/{worker['id']}").text   # what it was granted
    removed = portal.post(f"/enterprise-apps/{sp['id']}/assignments/remove", {"assignment": held[0]["id"]})
    assert removed.status_code == 303
    assert ok(server.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo"))["value"] == []
    assert portal.post(f"/enterprise-apps/{sp['id']}/assignment-required", {"required": "true"}).status_code == 303
    assert ok(server.graph("GET", f"/servicePrincipals/{sp['id']}"))["appRoleAssignmentRequired"] is True


def test_a_managed_identitys_page_says_how_to_run_as_it(server: Server, portal: Portal) -> None:
    worker = identity(server, f"runner-{uuid.uuid4().hex[:6]}")
    page = portal.get(f"/identities/{worker['id']}")
    assert page.status_code == 200
    text = shown(page)
    assert f"tenantd run --as {worker['name']} -- python app.py" in text
    assert f"tenantd env --as {worker['name']} --format dotenv" in text
    assert f"AZURE_CLIENT_ID={worker['clientId']}" in text and f"AZURE_TENANT_ID={server.tenant_id}" in text
    assert worker["name"] in portal.get("/identities", q=worker["name"][:8]).text
    _, api, _ = api_with_role(server, "runner-api " + uuid.uuid4().hex[:6])   # a service principal, not an identity
    listed = portal.get("/identities", q="runner-")
    assert worker["name"] in listed.text and api["displayName"] not in listed.text


def test_a_global_reader_reads_every_page_and_changes_nothing(server: Server, admin: Obj) -> None:
    app, sp, role_id = api_with_role(server, unique("Read-only API"))
    worker = identity(server, f"readonly-{uuid.uuid4().hex[:6]}")
    reader = signed_in(server, person(server, "appreader", GLOBAL_READER))
    for path in ("/apps", f"/apps/{app['id']}", f"/apps/{app['id']}/manifest", "/enterprise-apps",
                 f"/enterprise-apps/{sp['id']}", "/identities", f"/identities/{worker['id']}"):
        page = reader.get(path)
        assert page.status_code == 200, (path, page.text)
        assert not [f for f in forms(page.text) if f.method == "post" and not f.action.endswith("/sign-out")], path
    for path, data in ((f"/apps/{app['id']}/roles", {"displayName": "x", "description": "x", "allowUser": "on"}),
                       (f"/apps/{app['id']}/token-version", {"version": "2"}),
                       (f"/apps/{app['id']}/secrets", {}),
                       (f"/apps/{app['id']}/manifest/preview", {"manifest": "{}"}),
                       (f"/apps/{app['id']}/manifest", {"manifest": "{}", "before": ""}),
                       (f"/enterprise-apps/{sp['id']}/assignments", {"principal": worker["id"], "role": role_id}),
                       (f"/enterprise-apps/{sp['id']}/assignment-required", {"required": "true"})):
        refused = reader.post(path, data)
        assert refused.status_code == 403, (path, refused.status_code, refused.text)
    assert graph_app(server, app)["passwordCredentials"] == [] and graph_app(server, app)["api"][
        "requestedAccessTokenVersion"] is None
    assert ok(server.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo"))["value"] == []
    reader.close()


def test_registering_apps_follows_the_tenants_default_member_permissions(server: Server) -> None:
    """Any member may register apps unless the authorization policy says otherwise; an Application
    Administrator always may; a Global Reader never does in the portal (she reads only)."""
    reader = signed_in(server, person(server, "closedmember"))
    global_reader = signed_in(server, person(server, "openreader", GLOBAL_READER))
    app_admin = signed_in(server, person(server, "closedadmin", APP_ADMIN))
    ok(server.graph("PATCH", POLICY, json={"defaultUserRolePermissions": {"allowedToCreateApps": False}}), 204)
    try:
        name = unique("Not made")
        assert "New registration" not in reader.get("/apps").text
        assert reader.get("/apps/new").status_code == 403
        assert reader.post("/apps", {"displayName": name}).status_code == 403
        assert ok(server.graph("GET", "/applications", params={"$filter": f"displayName eq '{name}'"}))["value"] == []
        assert "New registration" in app_admin.get("/apps").text
        create_in_portal(app_admin, unique("Still made"))
    finally:
        ok(server.graph("PATCH", POLICY, json={"defaultUserRolePermissions": {"allowedToCreateApps": True}}), 204)
    create_in_portal(reader, unique("Made by a member"))
    assert global_reader.post("/apps", {"displayName": unique("Not made by a reader")}).status_code == 403
    reader.close()
    global_reader.close()
    app_admin.close()


@pytest.mark.parametrize("role", [APP_ADMIN, CLOUD_APP_ADMIN])
def test_application_administrators_manage_apps_they_do_not_own(server: Server, role: str) -> None:
    app, sp, role_id = api_with_role(server, unique("Managed API"))
    worker = identity(server, f"managed-{uuid.uuid4().hex[:6]}")
    portal = signed_in(server, person(server, "appadmin", role))
    assert portal.post(f"/apps/{app['id']}/token-version", {"version": "2"}).status_code == 303
    assert portal.post(f"/enterprise-apps/{sp['id']}/assignments",
                       {"principal": worker["id"], "role": role_id}).status_code == 303
    assert graph_app(server, app)["api"]["requestedAccessTokenVersion"] == 2
    portal.close()


def test_a_member_creates_an_app_and_manages_it_but_not_anothers(server: Server) -> None:
    others, _, _ = api_with_role(server, unique("Not hers"))
    portal = signed_in(server, person(server, "appmember"))
    mine = create_in_portal(portal, unique("Hers"))
    assert portal.post(f"/apps/{mine}/token-version", {"version": "2"}).status_code == 303
    assert portal.post(f"/apps/{mine}/secrets", {}).status_code == 200
    assert "Set the token version" in portal.get(f"/apps/{mine}").text
    assert "Set the token version" not in portal.get(f"/apps/{others['id']}").text
    for path, data in ((f"/apps/{others['id']}/token-version", {"version": "2"}),
                       (f"/apps/{others['id']}/secrets", {})):
        assert portal.post(path, data).status_code == 403, path
    assert graph_app(server, others)["passwordCredentials"] == []
    assert graph_app(server, others)["api"]["requestedAccessTokenVersion"] is None
    portal.close()


@pytest.mark.parametrize("token", [None, "forged"])
def test_changes_without_the_sessions_csrf_token_are_refused(server: Server, portal: Portal,
                                                            token: str | None) -> None:
    app, sp, role_id = api_with_role(server, unique("Csrf API"))
    worker = identity(server, f"csrf-{uuid.uuid4().hex[:6]}")
    name = unique("Csrf")
    for path, data in (("/apps", {"displayName": name}), (f"/apps/{app['id']}/secrets", {}),
                       (f"/apps/{app['id']}/token-version", {"version": "2"}),
                       (f"/apps/{app['id']}/manifest", {"manifest": "{}", "before": ""}),
                       (f"/enterprise-apps/{sp['id']}/assignments", {"principal": worker["id"], "role": role_id})):
        refused = portal.post(path, data, csrf=token)
        assert refused.status_code == 400 and "expired" in refused.text, path
    assert graph_app(server, app)["passwordCredentials"] == []
    assert ok(server.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo"))["value"] == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_names_role_descriptions_and_consent_texts_are_shown_escaped(server: Server, portal: Portal,
                                                                      hostile: str) -> None:
    app, sp, role_id = api_with_role(server, hostile, description=hostile, consent=hostile)
    worker = ok(server.admin("POST", "/identities", json={
        "name": hostile + uuid.uuid4().hex[:4], "type": "UserAssigned",
        "resourceId": f"{UA_HOST.removesuffix('Microsoft.Web/sites/')}Microsoft.ManagedIdentity/"
                      f"userAssignedIdentities/x{uuid.uuid4().hex[:6]}"}), 201)
    ok(server.graph("PATCH", f"/applications/{app['id']}", json={"web": {"redirectUris": [
        "https://localhost/" + uuid.uuid4().hex]}}), 204)
    ok(server.graph("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json={
        "principalId": worker["id"], "resourceId": sp["id"], "appRoleId": role_id}), 201)
    ok(server.graph("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json={
        "name": "fic", "issuer": "https://issuer.example", "subject": "s", "description": hostile}), 201)
    user = person(server, "hostileuser")
    ok(server.graph("PATCH", f"/users/{user['id']}", json={"displayName": hostile}), 204)
    first = hostile[:2]
    secret = portal.post(f"/apps/{app['id']}/secrets", {"displayName": hostile})
    preview = portal.post(f"/apps/{app['id']}/manifest/preview",
                          {"manifest": json.dumps({"displayName": hostile + "!", "appRoles": [
                              {**r, "description": hostile + "?"} for r in graph_app(server, app)["appRoles"]]})})
    pages = [portal.get("/apps", q=first), portal.get(f"/apps/{app['id']}"), portal.get(f"/apps/{app['id']}/manifest"),
             portal.get("/enterprise-apps", q=first), portal.get(f"/enterprise-apps/{sp['id']}"),
             portal.get(f"/enterprise-apps/{sp['id']}", find=first), portal.get(f"/identities/{worker['id']}"),
             portal.get(f"/enterprise-apps/{worker['id']}"), portal.get("/identities", q=first), secret, preview,
             portal.post("/apps", {"displayName": hostile * 30})]
    for page in pages:
        assert hostile not in page.text, page.url
        assert not re.search(r"<(script|img)\b", page.text), page.url
    for page in pages[:-1]:
        assert hostile in shown(page), page.url   # shown, as text


def test_the_lists_page_by_name_prefix(server: Server, portal: Portal) -> None:
    prefix = f"paged{uuid.uuid4().hex[:4]}"
    for n in range(27):
        app = ok(server.graph("POST", "/applications", json={"displayName": f"{prefix} {n:02}"}), 201)
        ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
        identity(server, f"{prefix}-{n:02}")
    # 27 registrations, 27 identities; enterprise applications are both: 54 service principals.
    for path, on_second_page in (("/apps", 2), ("/enterprise-apps", 25), ("/identities", 2)):
        first = portal.get(path, q=prefix.upper())
        names = re.findall(rf"{prefix}[ -]\d\d", first.text)
        assert len(set(names)) == 25 and sorted(set(names)) == sorted(set(names), key=str.casefold), path
        following = next(f for f in re.findall(r'href="([^"]+)" rel="next"', first.text))
        second = portal.http.get(following.replace("&amp;", "&"))
        rest = set(re.findall(rf"{prefix}[ -]\d\d", second.text))
        assert len(rest) == on_second_page and not rest & set(names), (path, rest)
