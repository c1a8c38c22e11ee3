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


# -- people's grants: scopes and consent ---------------------------------------------------------------------
def invalid_scope(scope: str, reason: str = "") -> OAuthError:
    return OAuthError(400, "invalid_scope", 70011, f"The provided value for the input parameter 'scope' is not "
                      f"valid. The scope {scope[:SHOWN]} is not valid.{' ' + reason if reason else ''}")


def several_resources(scope: str) -> OAuthError:
    return OAuthError(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid "
                      f"because it contains more than one resource. Scope {scope[:SHOWN]} is not valid.")


def consent_required(client_app_id: str, client_name: str) -> OAuthError:
    """Entra's words (azure-cli issues 12566, 15056): the resource is not named."""
    return OAuthError(400, "invalid_grant", 65001,
                      f"The user or administrator has not consented to use the application with ID "
                      f"'{client_app_id}' named '{client_name[:SHOWN]}'. "
                      "Send an interactive authorization request for this user and resource.",
                      suberror="consent_required")


def no_tenant_in_request() -> OAuthError:
    return OAuthError(400, "invalid_request", 50059, "No tenant-identifying information found in either the "
                      "request or implied by any provided credentials.")


# -- people's grants: codes and refresh tokens -----------------------------------------------------------------
def invalid_grant(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 70000, description)


def malformed_grant(parameter: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 9002313, f"Invalid request. Request is malformed or invalid: the "
                      f"'{parameter}' is not one this server issued.")


def code_redeemed() -> OAuthError:
    return OAuthError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry "
                      "with a new valid code or use an existing refresh token.")


def code_expired() -> OAuthError:
    return OAuthError(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired "
                      "due to inactivity. Send a new interactive authorization request for this user and resource.")


def verifier_mismatch() -> OAuthError:
    return OAuthError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied "
                      "in the authorization request.")


def pkce_required() -> OAuthError:
    return OAuthError(400, "invalid_request", 9002325, "Proof Key for Code Exchange is required for the "
                      "redemption of a code issued to a public or single-page application (code_challenge_method "
                      "S256).")


def spa_needs_origin() -> OAuthError:
    return OAuthError(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' "
                      "client-type may only be redeemed via cross-origin requests.")


def cross_origin_not_spa(origin: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 9002326, "Cross-origin token redemption is permitted only for the "
                      f"'Single-Page Application' client-type. Request origin: '{origin[:SHOWN]}'.")


def public_client_credential(client_id: str) -> OAuthError:
    return OAuthError(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor "
                      f"'client_secret' should be presented. App: '{client_id}'.")


def refresh_inactive(issued: str, inactive: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 700082, f"The refresh token has expired due to inactivity. The token "
                      f"was issued on {issued} and was inactive for {inactive}.")


def spa_refresh_expired(issued: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", 700084, "The refresh token was issued to a single page app (SPA), and "
                      "therefore has a fixed, limited lifetime of 1.00:00:00, which can't be extended. It is now "
                      "expired and a new sign in request must be sent by the SPA to the sign in page. The token was "
                      f"issued on {issued}.")


# -- the device code grant -------------------------------------------------------------------------------------
STILL_PENDING = 70016   # a device's poll before the person answered: no sign-in yet, nothing to log


def authorization_pending() -> OAuthError:
    return OAuthError(400, "authorization_pending", STILL_PENDING, "The provided request has not yet been "
                      "authorized by the user. The user must input their code.")


def slow_down(interval: int) -> OAuthError:
    return OAuthError(400, "slow_down", STILL_PENDING, f"The provided request has not yet been authorized by the "
                      f"user, and it came sooner than {interval} seconds after the last: poll less often.")


def authorization_declined() -> OAuthError:
    return OAuthError(400, "authorization_declined", 65004, "User declined to consent to access the app.")


def device_code_expired() -> OAuthError:
    return OAuthError(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is "
                      "not valid. This device code has expired.")


def bad_verification_code() -> OAuthError:
    return OAuthError(400, "bad_verification_code", 70000, "The provided value for the input parameter "
                      "'device_code' is not valid.")
