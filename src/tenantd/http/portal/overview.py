"""The Overview page: the tenant's id and endpoints, the environment clients need, and the command-line hints
(``tenantd run --as``, ``tenantd env``, ``az``) that use them. Everyone signed in to the tenant may read it."""

from __future__ import annotations

from starlette.responses import Response

from .guard import Visitor, portal_page


@portal_page
async def overview(visitor: Visitor) -> Response:
    public = visitor.request.app.state.runtime.public_url
    tid = visitor.tenant.id
    authority = f"{public}/{tid}"
    endpoints = [
        ("Authority", authority),
        ("OpenID configuration", f"{authority}/v2.0/.well-known/openid-configuration"),
        ("Authorize", f"{authority}/oauth2/v2.0/authorize"),
        ("Token", f"{authority}/oauth2/v2.0/token"),
        ("JWKS (signing keys)", f"{authority}/discovery/v2.0/keys"),
        ("Issuer (v2.0 tokens)", f"{authority}/v2.0"),
        ("Microsoft Graph", f"{public}/v1.0"),
    ]
    environment = [f"AZURE_TENANT_ID={tid}", f"AZURE_AUTHORITY_HOST={public}"]
    hints = [
        ("Run a program as a managed identity (App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER)",
         "tenantd run --as <identity> -- python app.py"),
        ("The same as IMDS (169.254.169.254's shape, served on tenantd's identity listener)",
         "tenantd run --as <identity> --platform imds -- python app.py"),
        ("The environment for an IDE or compose file", "tenantd env --as <identity> --platform appservice"),
        ("Sign in for the command line, as az login --use-device-code does", "tenantd login"),
        ("A user's token, as az account get-access-token --resource gives it",
         "tenantd token --as <user@domain> --resource api://<your api>"),
        ("An app's token (client credentials), as az account get-access-token gives a service principal's",
         "tenantd token --as <app name or appId> --resource api://<your api>"),
    ]
    return visitor.page("overview.html", title="Overview", section="overview", tenant=visitor.tenant,
                        endpoints=endpoints, environment=environment, hints=hints)
