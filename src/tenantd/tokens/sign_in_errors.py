"""The AADSTS errors of the authorize endpoint, the sign-in pages and the device login page, one factory per
code (Entra's codes and texts, from its error code reference)."""

from __future__ import annotations

from ..domain.errors import OAuthError

SHOWN = 256   # characters of a value the caller sent that an error repeats

LOGIN_REQUIRED = 50058
SELECT_ACCOUNT = 16000


def unknown_redirect_uri(redirect_uri: str, client_id: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 50011,
                      f"The redirect URI '{redirect_uri[:SHOWN]}' specified in the request does not match the "
                      f"redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent "
                      "in the request matches one added to your application in the Azure portal. Navigate to "
                      "https://aka.ms/redirectUriMismatchError to learn more about how to fix this.")


def no_redirect_uri(client_id: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 900971,
                      f"No reply address provided. The application '{client_id}' has no redirect URI registered, "
                      "and the request names none.")


def unknown_tenant_application(client_id: str, tenant: str) -> OAuthError:
    return OAuthError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id[:SHOWN]}' was not found in the directory "
                      f"'{tenant[:SHOWN]}'. This can happen if the application has not been installed by the "
                      "administrator of the tenant or consented to by any user in the tenant. You may have sent "
                      "your authentication request to the wrong tenant.")


def missing(name: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 900144,
                      f"The request body must contain the following parameter: '{name}'.")


def missing_scope() -> OAuthError:
    return OAuthError(400, "invalid_request", 90014, "The required field 'scope' is missing from the credential. "
                      "Ensure that you have all the necessary parameters for the login request.")


def resource_on_v2() -> OAuthError:
    return OAuthError(400, "invalid_request", 901002, "The 'resource' request parameter is not supported.")


def invalid_parameter(name: str, detail: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 900144, f"The value of the parameter '{name}' is not valid: {detail}.")


def repeated_parameter(name: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 900144,
                      f"The request must not repeat the parameter '{name[:64]}'.")


def response_type_not_enabled(response_type: str, code: int) -> OAuthError:
    setting = "enableIdTokenIssuance" if response_type == "id_token" else "enableAccessTokenIssuance"
    return OAuthError(400, "unsupported_response_type", code,
                      f"response_type '{response_type}' is not enabled for the application (its "
                      f"web.implicitGrantSettings.{setting} is off).")


def no_access_token_from_authorize() -> OAuthError:
    return OAuthError(400, "unsupported_response_type", 70005,
                      "The application requested an unsupported response type 'token': tenantd's authorization "
                      "endpoint issues no access token, whatever web.implicitGrantSettings says. Use the "
                      "authorization code flow (response_type=code, with PKCE).")


def nonce_required() -> OAuthError:
    return OAuthError(400, "invalid_request", 90014, "The required field 'nonce' is missing.")


def query_with_token() -> OAuthError:
    return OAuthError(400, "invalid_request", 70007,
                      "'query' is not a supported value of 'response_mode' when requesting a token.")


def single_tenant_at_common(client_id: str, client_name: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 50194,
                      f"Application '{client_id}'({client_name}) is not configured as a multi-tenant application. "
                      "Usage of the /common endpoint is not supported for such applications created after "
                      "'10/15/2018'. Use a tenant-specific endpoint or configure the application to be "
                      "multi-tenant.")


def unsupported_response_type(response_type: str) -> OAuthError:
    return OAuthError(400, "unsupported_response_type", 70005,
                      f"The application requested an unsupported response type '{response_type[:SHOWN]}'.")


def unsupported_response_mode(mode: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 70007,
                      f"The application requested an unsupported response_mode '{mode[:SHOWN]}': use query, "
                      "fragment or form_post.")


def pkce_required() -> OAuthError:
    return OAuthError(400, "invalid_request", 9002325,
                      "Proof Key for Code Exchange is required: a public client or a single-page application must "
                      "send code_challenge with code_challenge_method=S256.")


def pkce_method(method: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 9002325,
                      f"The code_challenge_method '{method[:32]}' is not accepted: only S256 is (RFC 9700 refuses "
                      "'plain' and a missing method defaults to it).")


def pkce_size() -> OAuthError:
    return OAuthError(400, "invalid_request", 501491, "Invalid size of Code_Challenge parameter: an S256 challenge "
                      "is 43 characters of base64url.")


def login_required() -> OAuthError:
    return OAuthError(400, "login_required", LOGIN_REQUIRED,
                      "A silent sign-in request was sent but no user is signed in. The cookies used to represent "
                      "the user's session were not sent in the request, or the session needs a new sign-in.")


def several_accounts() -> OAuthError:
    """prompt=none with several accounts in the session: ``login_required``, as Entra's protocol reference
    says ("too many or no users found"), with the code of its account picker (SelectUserAccount)."""
    return OAuthError(400, "login_required", SELECT_ACCOUNT,
                      "Either multiple user identities are available for the current request or selected account "
                      "is not supported for the scenario.")


def other_tenant_user(upn: str, tenant_id: str, client_id: str, client_name: str) -> OAuthError:
    return OAuthError(400, "invalid_request", 50020,
                      f"User account '{upn}' from identity provider 'tenantd' does not exist in tenant "
                      f"'{tenant_id}' and cannot access the application '{client_id}'({client_name}) in that "
                      "tenant. The application is for its own organization's users only (signInAudience "
                      "AzureADMyOrg). Sign out and sign in again with a different user account.")


def bad_user_code() -> OAuthError:
    return OAuthError(400, "invalid_grant", 70018, "Invalid verification code: the code was not recognized.")


def expired_user_code() -> OAuthError:
    return OAuthError(400, "expired_token", 70019, "Verification code expired.")


def answered_user_code() -> OAuthError:
    return OAuthError(400, "invalid_grant", 90120, "The request was already authorized or declined.")


def too_many_codes(retry_after: int) -> OAuthError:
    return OAuthError(429, "temporarily_unavailable", 90055,
                      f"Too many wrong codes were entered from this address. Retry after {retry_after} seconds.",
                      headers={"Retry-After": str(retry_after)})


def consent_required_silently(client_app_id: str, client_name: str, resource: str) -> OAuthError:
    """``prompt=none`` where the consent page would be needed: sent back to the client, which must ask again
    with a page (OpenID Connect's ``consent_required``)."""
    return OAuthError(400, "consent_required", 65001,
                      f"The user or administrator has not consented to use the application with ID "
                      f"'{client_app_id}' named '{client_name[:SHOWN]}' for the resource '{resource[:SHOWN]}'. "
                      "Send an interactive authorization request for this user and resource.")


def consent_declined() -> OAuthError:
    """Cancel on the consent page (or "Return to the application without granting consent")."""
    return OAuthError(400, "access_denied", 65004, "User declined to consent to access the app.")


def admin_approval_required(client_name: str) -> OAuthError:
    """"Need admin approval": the person may not grant what the application asks (an Admin scope, or consent
    for the whole organization, by someone who is not an administrator)."""
    return OAuthError(403, "access_denied", 90094,
                      f"{client_name[:SHOWN]} needs permission to access resources in your organization that only "
                      "an admin can grant. Request an admin to grant permission to this app before you can use it.")


def service_not_enabled(resource: str, tenant: str) -> OAuthError:
    """The application requires permissions of a resource (``requiredResourceAccess``) the tenant lacks."""
    return OAuthError(400, "invalid_client", 650052,
                      f"The app needs access to a service ('{resource[:SHOWN]}') that your organization '{tenant}' "
                      "has not subscribed to or enabled. Contact your IT Admin to review the configuration of your "
                      "service subscriptions.")
