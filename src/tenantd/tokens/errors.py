"""The token service's errors, one factory per AADSTS code tenantd emits (see PROTOCOLS.md)."""

from __future__ import annotations

from ..domain.errors import OAuthError

SHOWN = 256   # characters of a value the caller sent that an error repeats


def invalid_request(description: str, code: int = 900144) -> OAuthError:
    return OAuthError(400, "invalid_request", code, description)


def invalid_tenant(tenant: str) -> OAuthError:
    return OAuthError(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                      "the correct tenant ID and are signing into the correct cloud.")


def unsupported_grant_type(grant_type: str) -> OAuthError:
    return OAuthError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'.")


def unknown_client(client_id: str, tenant: str) -> OAuthError:
    return OAuthError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                      "This can happen if the application has not been installed by the administrator of the "
                      "tenant or consented to by any user in the tenant.")


def invalid_secret(client_id: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 7000215,
                      f"Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")


def expired_secret(client_id: str, key_id: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 7000222,
                      f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal "
                      f"to create new keys for your app, or consider using certificate credentials for added "
                      f"security. Key id: {key_id}.")


def several_client_credentials(methods: list[str]) -> OAuthError:
    return OAuthError(400, "invalid_request", 900144,
                      f"A request may authenticate the client in only one way, but it presents "
                      f"{' and '.join(methods)}.")


def missing_credential(client_id: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 7000218,
                      f"The request body must contain the following parameter: 'client_assertion' or "
                      f"'client_secret'. App: '{client_id}'.")


def disabled_client(client_id: str) -> OAuthError:
    return OAuthError(400, "unauthorized_client", 7000112, f"Application '{client_id}' is disabled.")


def unknown_resource(resource: str, tenant: str) -> OAuthError:
    return OAuthError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource[:SHOWN]} was not found in the tenant named {tenant}. "
                      "This can happen if the application has not been installed by the administrator of the tenant "
                      "or consented to by any user in the tenant. You might have sent your authentication request "
                      "to the wrong tenant.")


def scope_needs_default(scope: str) -> OAuthError:
    return OAuthError(400, "invalid_scope", 1002012,
                      f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                      "scope value with /.default suffixed to the resource identifier (application ID URI).")


def assignment_required(client_id: str, resource_app_id: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 501051,
                      f"Application '{client_id}' is not assigned to a role for the application "
                      f"'{resource_app_id}'.")


# -- client assertions (certificates and federated credentials) -----------------------------------------------
_CERT_DOCS = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."


def invalid_assertion(reason: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 50027, f"JWT token is invalid or malformed: {reason}.")


def assertion_time(description: str) -> OAuthError:
    return OAuthError(400, "invalid_client", 700024,
                      f"Client assertion is not within its valid time range. {description}. {_CERT_DOCS}")


def assertion_audience(audience: str) -> OAuthError:
    return OAuthError(400, "invalid_client", 700023,
                      f"Client assertion audience claim does not match Realm issuer. Audience: '{audience[:256]}'. "
                      f"{_CERT_DOCS}")


def too_many_audiences(count: int) -> OAuthError:
    return OAuthError(400, "invalid_client", 5002741,
                      f"Number of audience values in the provided client credential exceed maximum allowed. {count} "
                      f"audience values provided, maximum allowed is 1. {_CERT_DOCS}")


def assertion_subject(client_id: str) -> OAuthError:
    return OAuthError(400, "invalid_client", 700021,
                      f"Client assertion application identifier doesn't match 'client_id' parameter: the assertion's "
                      f"iss and sub must both be '{client_id}'. {_CERT_DOCS}")


def unknown_certificate(client_id: str, thumbprint: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 700027,
                      "The certificate with identifier used to sign the client assertion is not registered on "
                      f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                      f"'{thumbprint[:128]}', Please see configured keys for app Id '{client_id}'.]")


def invalid_signature(reason: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 700027, f"Client assertion contains an invalid signature. [Reason - "
                                                     f"{reason}]")


def no_federated_match(issuer: str, subject: str, audience: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 70021,
                      f"No matching federated identity record found for presented assertion. Assertion Issuer: "
                      f"'{issuer[:600]}'. Assertion Subject: '{subject[:600]}'. Assertion Audience: "
                      f"'{audience[:600]}'. Check your federated identity credential Subject, Audience and Issuer "
                      "against the presented assertion.")


def federation_failed(reason: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 50166, f"Request to External OIDC endpoint failed: {reason}.")


def disabled_user(upn: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 50057, f"The user account '{upn}' is disabled.")


def user_not_assigned(upn: str, resource_app_id: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 50105,
                      f"Your administrator has configured the application {resource_app_id} to block users unless "
                      f"they are specifically granted ('assigned') access to the application. The signed in user "
                      f"'{upn}' is blocked because they are not a direct member of a group with access, nor had "
                      "access directly assigned by an administrator.")
