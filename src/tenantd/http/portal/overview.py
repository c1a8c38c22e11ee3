"""The Overview page: the tenant's id and endpoints, the environment clients need (and the shape of what a
managed identity's platform sets, from domain/platforms.py), and the command-line hints (``tenantd run --as``,
``tenantd env``, their ``az`` counterparts). Everyone signed in to the tenant may read it."""

from __future__ import annotations

from starlette.responses import Response

from ...domain.platforms import platform_env
from .guard import Visitor, portal_page

LISTENER, SECRET = "<identity listener>", "<host secret>"   # `tenantd up` prints the one, `tenantd env` both


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
    platforms = [(name, [f"{k}={v}" for k, v in platform_env(SECRET, platform, LISTENER, tid, None).items()])
                 for name, platform in (("App Service", "appservice"), ("IMDS (a VM, AKS pod identity)", "imds"))]
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
                        endpoints=endpoints, environment=environment, platforms=platforms, hints=hints)
