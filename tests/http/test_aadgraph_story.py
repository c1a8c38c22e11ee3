"""The story's legacy call, made with the exact ids a tenant file pins, yields the assignment Graph v1.0
then lists (New-AzureADServiceAppRoleAssignment -ObjectId <msi sp> -Id <role> -PrincipalId <msi sp>
-ResourceId <api sp>)."""

from __future__ import annotations

from ..support import Server
from .test_aadgraph import legacy

ROLE = "32028ccd-3212-4f39-3212-beabd6787d81"
API_SP = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
MSI_SP = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
HOST = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/story"

DOCUMENT = {
    "applications": [{
        "displayName": "Story API", "identifierUris": ["api://story"],
        "appRoles": [{"allowedMemberTypes": ["Application"], "displayName": "Read all things", "id": ROLE,
                      "isEnabled": True, "description": "Read all things.", "value": "Things.Read.All"}],
        "servicePrincipal": {"id": API_SP},
    }],
    "managedIdentities": [{"name": "storymsi", "type": "SystemAssigned", "host": HOST,
                           "servicePrincipal": {"id": MSI_SP}}],
}


def test_the_legacy_call_with_pinned_ids_shows_in_graph_v1(server: Server) -> None:
    applied = server.admin("POST", "/apply", json={"document": DOCUMENT, "source": "story.yaml"})
    assert applied.status_code == 200, applied.text
    created = legacy(server, "POST", f"/servicePrincipals/{MSI_SP}/appRoleAssignments",
                     json={"id": ROLE, "principalId": MSI_SP, "resourceId": API_SP})
    assert created.status_code == 201, created.text
    listed = server.graph("GET", f"/servicePrincipals/{MSI_SP}/appRoleAssignments").json()["value"]
    assert [(a["id"], a["appRoleId"], a["principalId"], a["resourceId"]) for a in listed] == [
        (created.json()["objectId"], ROLE, MSI_SP, API_SP)]
